"""Turn a validated, merged policy Document into a Policy, checking what the schema cannot.

Those checks: min above max, a target that does not exist or lacks what a budget asks of it
(a peak at the chosen precision, supported ops, on-chip memory), target metrics without a
target, bandwidth without a frame rate, an opset range upside down, custom op costs.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from edgegate.config import resources
from edgegate.config.document import Document, Path_, PolicyProblems
from edgegate.config.wording import did_you_mean
from edgegate.cost.types import CostFn
from edgegate.errors import PolicyError
from edgegate.files import is_file
from edgegate.metrics import METRICS
from edgegate.policy import costs
from edgegate.policy.select import glob_problem
from edgegate.policy.types import DEFAULT_INCLUDE, Budget, Increase, Limit, Policy, RunSettings
from edgegate.target.load import is_target_path, load_shipped_target, load_target_file, target_from_data
from edgegate.target.types import Target
from edgegate.units import format_quantity, parse_quantity

SETTING_KEYS = ("dims", "input_shapes", "input_values", "loops", "precision", "fusion", "target", "fps",
                "unestimated")
MERGED_KEYS = ("dims", "input_shapes", "input_values", "loops")
"""Settings a budget merges key by key over the defaults' (the others replace them)."""
OPTION_KEYS = ("ops", "opset", "dynamic_dims", "dtypes", "fits_on_chip")
SWITCH_KEYS = ("dynamic_dims", "fits_on_chip")
"""Options whose value is a severity or ``off``; YAML reads a bare ``off`` as false, which means off."""


def build_policy(document: Document) -> Policy:
    """The Policy ``document`` describes; PolicyProblems listing every semantic problem."""
    data: Mapping[str, Any] = document.data
    problems: list[PolicyError] = []
    targets = _policy_targets(document, problems)
    budgets = tuple(_budget(document, name, targets, problems) for name in data.get("budgets", {}))
    if not budgets:
        problems.append(document.error((), "the policy has no budgets: add one under 'budgets'"))
    custom = _custom_costs(document, problems)
    if problems:
        raise PolicyProblems(problems)
    unselected = data.get("unselected", "warning")
    return Policy(document.path, budgets, targets, custom, "off" if unselected is False else unselected)


def _policy_targets(document: Document, problems: list[PolicyError]) -> dict[str, Target]:
    """The targets the policy defines under ``targets:``."""
    targets = {}
    for name, spec in document.data.get("targets", {}).items():
        target, found = target_from_data(name, spec, document, ("targets", name))
        targets[name] = target
        problems.extend(found)
    return targets


def _settings(document: Document, name: str) -> tuple[dict[str, Any], dict[str, Path_]]:
    """A budget's effective settings (defaults, then its own) and where each one was set."""
    defaults = document.data.get("defaults", {})
    own = document.data["budgets"][name]
    values: dict[str, Any] = {}
    where: dict[str, Path_] = {}
    for key in SETTING_KEYS:
        for source, path in ((defaults, ("defaults",)), (own, ("budgets", name))):
            if key in source:
                merged = key in MERGED_KEYS and key in values
                values[key] = {**values[key], **source[key]} if merged else source[key]
                where[key] = path + (key,)
    return values, where


def _budget(document: Document, name: str, targets: dict[str, Target],
            problems: list[PolicyError]) -> Budget:
    """One Budget, with its problems appended to ``problems``."""
    own = document.data["budgets"][name]
    values, where = _settings(document, name)
    target = _resolve_target(document, values.get("target"), where.get("target"), targets, problems)
    settings = RunSettings(
        dims=dict(values.get("dims", {})),
        input_shapes={key: tuple(shape) for key, shape in values.get("input_shapes", {}).items()},
        input_values=dict(values.get("input_values", {})),
        loop_trips=dict(values.get("loops", {})),
        precision=values.get("precision", "model"),
        fusion=values.get("fusion", "paper"),
        target=values.get("target"),
        fps=parse_quantity(values["fps"], "fps") if "fps" in values else None,
        unestimated=values.get("unestimated", "fail"),
    )
    if settings.fps == 0:
        problems.append(document.error(where["fps"], "must be more than 0"))
    path = ("budgets", name)
    limits = tuple(_limit(document, path + ("limits", metric), metric, spec, settings, problems)
                   for metric, spec in own.get("limits", {}).items())
    options = {key: _option(key, own[key]) for key in OPTION_KEYS if key in own}
    if target is not None or settings.target is None:
        _check_options(document, path, options, target, problems)
    if target is not None and settings.precision != "model" and target.peak_for(settings.precision) is None:
        problems.append(document.error(where["target"], target.missing_peak(settings.precision)))
    for key in ("include", "exclude"):
        for index, pattern in enumerate(own.get(key, ())):
            problem = glob_problem(pattern)
            if problem is not None:
                problems.append(document.error(path + (key, index), problem))
    return Budget(name, tuple(own.get("include", DEFAULT_INCLUDE)), tuple(own.get("exclude", ())),
                  settings, limits, options)


def _option(key: str, value: Any) -> Any:
    """A lint option's validated value, with a switch's ``false`` (YAML's bare ``off``) as ``"off"``."""
    return "off" if key in SWITCH_KEYS and value is False else value


def _resolve_target(document: Document, name: str | None, path: Path_ | None,
                    targets: dict[str, Target], problems: list[PolicyError]) -> Target | None:
    """The Target ``name`` (policy-defined first, then a target file relative to the file that
    names it, then shipped), loading files and shipped ones on demand."""
    if name is None or path is None:
        return None
    if name not in targets and is_target_path(name):
        return _target_file(document, name, path, targets, problems)
    if name not in targets:
        shipped = resources.targets()
        if name not in shipped:
            known = sorted(set(shipped) | set(targets))
            hint = did_you_mean(name, known) or f" (known targets: {', '.join(known)})"
            problems.append(document.error(path, f"unknown target '{name}'{hint}"))
            return None
        targets[name] = load_shipped_target(name)
    return targets[name]


def _target_file(document: Document, name: str, path: Path_, targets: dict[str, Target],
                 problems: list[PolicyError]) -> Target | None:
    """The target in file ``name`` (relative to the file that names it), kept under ``name``."""
    file = Path(document.where(path).file).parent / name
    if not is_file(file):
        problems.append(document.error(path, f"no such target file '{name}' next to this policy"))
        return None
    try:
        targets[name] = load_target_file(str(file), name)
    except PolicyError as error:
        problems.extend(getattr(error, "problems", [error]))
        return None
    return targets[name]


def _limit(document: Document, path: Path_, metric: str, spec: Mapping[str, Any],
           settings: RunSettings, problems: list[PolicyError]) -> Limit:
    """One Limit in base units, checking min <= max and that the metric can be computed."""
    unit = METRICS[metric].unit
    high = parse_quantity(spec["max"], unit) if "max" in spec else None
    low = parse_quantity(spec["min"], unit) if "min" in spec else None
    if high is not None and low is not None and low > high:
        problems.append(document.error(
            path, f"min {format_quantity(low, unit)} is above max {format_quantity(high, unit)}"))
    if METRICS[metric].needs_target and settings.target is None:
        problems.append(document.error(
            path, f"{metric} needs a target: set 'target' in defaults or in this budget", key=True))
    if metric == "bandwidth_at_fps" and settings.fps is None:
        problems.append(document.error(
            path, "bandwidth_at_fps needs a frame rate: set 'fps' in defaults or in this budget",
            key=True))
    increase = None
    if "max_increase" in spec:
        try:
            increase = _increase(spec["max_increase"], unit)
        except (ValueError, ZeroDivisionError):
            problems.append(document.error(
                path + ("max_increase",), f"{str(spec['max_increase'])[:40]!r} is not a percentage or an"
                f" amount edgegate can read (at most {MAX_PERCENT_DIGITS} digits)"))
    return Limit(metric, high, low, spec.get("severity", "error"), spec.get("message", ""), increase)


MAX_PERCENT_DIGITS = 100
"""The longest percentage ``max_increase`` takes (Python refuses to read integers of over
4,300 digits; no budget needs more than a few)."""


def _increase(value: str | int | float, unit: str) -> Increase:
    """A schema-valid ``max_increase``: ``5%`` (relative) or an amount in ``unit``."""
    if isinstance(value, str) and value.strip().endswith("%"):
        number = value.strip()[:-1].strip()
        if len(number) > MAX_PERCENT_DIGITS:
            raise ValueError(f"{len(number)} characters")
        share = Fraction(number)
        return Increase(share.numerator if share.denominator == 1 else float(share), True)
    return Increase(parse_quantity(value, unit), False)


def _check_options(document: Document, path: Path_, options: Mapping[str, Any],
                   target: Target | None, problems: list[PolicyError]) -> None:
    """Lint options that need something the budget lacks, and an upside-down opset range."""
    opset = options.get("opset", {})
    if "min" in opset and "max" in opset and opset["min"] > opset["max"]:
        problems.append(document.error(path + ("opset",), f"min {opset['min']} is above max {opset['max']}"))
    if options.get("ops", {}).get("target"):
        if target is None or target.supported_ops is None:
            what = "a target" if target is None else f"target '{target.name}' to list supported_ops"
            problems.append(
                document.error(path + ("ops", "target"), f"checking the target's ops needs {what}")
            )
    if options.get("fits_on_chip", "off") != "off":
        if target is None or not (target.onchip_bytes or target.weight_store_bytes):
            what = ("a target" if target is None else
                    f"target '{target.name}' to state onchip_bytes or weight_store_bytes")
            problems.append(document.error(path + ("fits_on_chip",), f"fits_on_chip needs {what}"))


def _custom_costs(document: Document, problems: list[PolicyError]) -> dict[str, CostFn]:
    """The CostFn of each ``custom_ops`` entry; problems for an op that has a formula already
    (the estimator would never use the entry), ``as`` mixed with per-output costs, or ``as``
    naming an op without a formula."""
    result = {}
    known = costs.standard_ops()
    for op_type, spec in document.data.get("custom_ops", {}).items():
        path = ("custom_ops", op_type)
        if costs.has_formula(op_type):
            problems.append(document.error(
                path, f"op {op_type} already has a cost formula (`edgegate ops` lists them);"
                " custom_ops are for ops without one", key=True))
            continue
        if "as" in spec and ("flops_per_output" in spec or "macs_per_output" in spec):
            problems.append(document.error(path, "give 'as' or per-output costs, not both"))
            continue
        if "as" in spec and spec["as"] not in known:
            problems.append(document.error(
                path + ("as",), f"no cost formula for op '{spec['as']}'{did_you_mean(spec['as'], known)}"))
            continue
        result[op_type] = costs.cost_fn(spec)
    return result
