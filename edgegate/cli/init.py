"""``edgegate init``: write a starter policy for the models in the repo.

Every model gets a budget whose limits are its current values plus a stated headroom
(``--headroom``, default 10%), so the gate passes today and each later change is measured
against today's numbers; a last, catch-all budget checks the models added later, within the
largest value of any model today plus the headroom. ``edgegate check`` then suggests tighter
limits as models improve. Every unbound input dimension of every model is reported in one run,
and nothing is written until all are bound. The YAML comes from yaml's safe dumper, never
from string formatting, so any model name or path is quoted as YAML needs.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, TextIO

import yaml

from edgegate.cli.check import root_from_args
from edgegate.cli.estimate_options import add_estimate_arguments, bindings_from_args, finite_float
from edgegate.config import resources
from edgegate.errors import BindingError, ExitCode, UsageError
from edgegate.estimator.estimate import estimate as estimate_file
from edgegate.estimator.result import Estimate
from edgegate.files import write_text
from edgegate.metrics import METRICS
from edgegate.model.bind import graph_inputs
from edgegate.model.load import load_model
from edgegate.policy.discover import shown_path
from edgegate.policy.load import load_policy
from edgegate.policy.types import DEFAULT_INCLUDE
from edgegate.printable import printable
from edgegate.rules.engine import discover_models
from edgegate.rules.limits import RATCHET_HEADROOM
from edgegate.target.load import load_shipped_target
from edgegate.target.roofline import evaluate
from edgegate.target.types import Target, compute_precision
from edgegate.units import round_limit

MAX_METRICS = ("flops", "params", "weight_bytes", "peak_activation_bytes", "dram_bytes")
MAX_HEADROOM = 1000.0
"""The most headroom (percent) ``--headroom`` takes: limits at 11 times today's values."""
MAX_FPS = 10_000.0
"""The highest frame rate ``--fps`` takes."""
CATCH_ALL = "new-models"
"""The name of the budget for models added after init (``-2``... when a model's stem has it)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``edgegate init``."""
    parser.add_argument("--root", metavar="DIR", help="repo root to search (default: the git root)")
    parser.add_argument("--output", metavar="PATH", help="policy file to write (default: ROOT/edgegate.yaml)")
    parser.add_argument("--headroom", type=finite_float, default=float(RATCHET_HEADROOM * 100),
                        metavar="PCT", help="percent above current values for each limit (default: 10;"
                        f" at most {MAX_HEADROOM:g})")
    parser.add_argument("--target", metavar="NAME", help="a shipped target: adds latency_ms limits")
    parser.add_argument("--fps", type=finite_float, metavar="N",
                        help="frame rate: adds bandwidth_at_fps limits")
    add_estimate_arguments(parser)
    parser.add_argument("--force", action="store_true", help="overwrite an existing policy file")


def run(args: argparse.Namespace) -> int:
    """Estimate every model, write the policy, check that it loads, say what was written.

    Every unbound input dimension of every model is reported in one run (one line each, then
    the options that bind them), and nothing is written until all are bound (exit 5).
    """
    root = root_from_args(args.root)
    output = Path(args.output) if args.output else root / "edgegate.yaml"
    if os.path.lexists(output) and not args.force:
        raise UsageError(f"{output} exists; pass --force to overwrite it")
    if not 0 <= args.headroom <= MAX_HEADROOM:
        raise UsageError(f"--headroom must be between 0 and {MAX_HEADROOM:g}, got {args.headroom:g}")
    if args.fps is not None and (args.target is None or not 0 < args.fps <= MAX_FPS):
        raise UsageError(f"--fps needs --target and a frame rate above 0 and at most {MAX_FPS:g}")
    target = _target(args.target)
    models = discover_models(root)
    if not models:
        raise UsageError(f"no .onnx models found under {root}")
    bindings = bindings_from_args(args)
    dims, shapes = bindings["dims"], bindings["input_shapes"]
    estimates: dict[str, Estimate] = {}
    gaps: list[Gap] = []
    for relative in models:
        path = shown_path(root / relative)
        missing = unbound(path, dims, shapes)
        if missing:
            gaps += missing
            continue
        try:
            estimates[relative] = estimate_file(path, precision=args.precision, fusion=args.fusion,
                                                **bindings)
        except BindingError as error:  # a binding that does not fit the model
            gaps.append(Gap(path, str(error).removeprefix(f"{path}: "), None, None))
    if gaps:
        report_gaps(gaps, sys.stderr)
        return int(ExitCode.BINDING_ERROR)
    budgets: dict[str, tuple[str, dict[str, dict[str, str]]]] = {}
    for relative, found in estimates.items():
        budgets[_budget_name(relative, budgets)] = (_anchored(relative), _limits(found, target, args))
    settings: dict[str, Any] = {"precision": args.precision, "fusion": args.fusion}
    settings.update({key: value for key, value in (
        ("dims", _Flow(dims)), ("input_shapes", _Flow((k, list(v)) for k, v in shapes.items())),
        ("input_values", _Flow(bindings["input_values"])), ("loops", _Flow(bindings["loop_trips"])),
        ("target", args.target), ("fps", args.fps)) if value})
    settings["unestimated"] = "warn" if any(e.unestimated for e in estimates.values()) else "fail"
    catch_all = _catch_all(list(estimates.values()), target, args)
    write_text(output, render(settings, budgets, catch_all, args.headroom), "--output")
    policy = load_policy(output)
    count = len(policy.budgets)
    print(f"wrote {printable(str(output))}: {count} budget{'' if count == 1 else 's'},"
          f" limits at current values + {args.headroom:g}%; next: edgegate check")
    return 0


@dataclass(frozen=True)
class Gap:
    """What keeps one model from being estimated: an input dimension left unbound (``input``,
    with ``symbol``, None when anonymous), or a binding that does not fit (``input`` None)."""

    model: str
    message: str
    input: str | None
    symbol: str | None


def unbound(path: str, dims: dict[str, int], shapes: dict[str, tuple[int, ...]]) -> list[Gap]:
    """Every input dimension of the model at ``path`` that neither ``dims`` nor ``shapes``
    binds, in input order."""
    gaps = []
    for value in graph_inputs(load_model(path).graph):
        if not value.type.HasField("tensor_type") or value.name in shapes:
            continue
        tensor = value.type.tensor_type
        if not tensor.HasField("shape"):
            gaps.append(Gap(path, f"input '{value.name}' has no declared shape", value.name, None))
            continue
        for index, dim in enumerate(tensor.shape.dim):
            if dim.dim_value > 0 or (dim.dim_param and dim.dim_param in dims):
                continue
            what = f"('{dim.dim_param}') is unbound" if dim.dim_param else "has no size"
            gaps.append(Gap(path, f"input '{value.name}' dimension {index} {what}", value.name,
                            dim.dim_param or None))
    return gaps


def report_gaps(gaps: list[Gap], out: TextIO) -> None:
    """One error line per gap, then the options that would bind them all."""
    for gap in gaps:
        out.write(f"edgegate: error: {printable(gap.model)}: {printable(gap.message)}\n")
    symbols = sorted({gap.symbol for gap in gaps if gap.symbol})
    inputs = sorted({gap.input for gap in gaps if gap.input and not gap.symbol})
    options = ([f"--dim {symbol}=N" for symbol in symbols]
               + [f"--input-shape {name}=D0xD1x..." for name in inputs])
    count = len({gap.model for gap in gaps})
    out.write(f"edgegate: init wrote nothing: {len(gaps)} problem{'' if len(gaps) == 1 else 's'} in"
              f" {count} model{'' if count == 1 else 's'}; bind every dimension and run it again"
              + (f" ({printable(' '.join(options))})" if options else "") + "\n")


def _target(name: str | None) -> Target | None:
    """The shipped target ``name``; UsageError naming the shipped ones when it is unknown."""
    if name is None:
        return None
    shipped = sorted(resources.targets())
    if name not in shipped:
        raise UsageError(f"--target: unknown target '{name}' (shipped: {', '.join(shipped)})")
    return load_shipped_target(name)


def _budget_name(relative: str, taken: dict[str, Any]) -> str:
    """The model's file stem, with -2, -3... when another model already has it."""
    stem = Path(relative).stem
    name, number = stem, 1
    while name in taken:
        number += 1
        name = f"{stem}-{number}"
    return name


def _anchored(relative: str) -> str:
    """The glob that selects exactly ``relative``: a root-level file anchored with ``/`` (a glob
    without ``/`` would match that name at any depth)."""
    return relative if "/" in relative else "/" + relative


def _values(estimate: Estimate, target: Target | None, args: argparse.Namespace) -> dict[str, Fraction]:
    """The metrics init limits, as exact numbers: the model's, and the target's with --target."""
    values: dict[str, int | float] = dict(estimate.metrics())
    names = [*MAX_METRICS, "arithmetic_intensity"]
    if target is not None:
        precision = compute_precision(estimate)
        if target.peak_for(precision) is None:
            raise UsageError(f"{estimate.model}: {target.missing_peak(precision)}; pass --precision")
        values.update(evaluate(estimate, target, precision, args.fps).metrics())
        names += ["latency_ms"] + (["bandwidth_at_fps"] if args.fps else [])
    return {name: Fraction(values[name]) for name in names}


def _bounds(values: dict[str, Fraction], headroom: float) -> dict[str, dict[str, str]]:
    """``{metric: {"max": "4.5 GFLOP"}}``: ``values`` plus headroom, rounded up (a minimum:
    minus headroom, rounded down)."""
    factor = Fraction(str(headroom)) / 100
    limits: dict[str, dict[str, str]] = {
        name: _Flow(max=round_limit(value * (1 + factor), METRICS[name].unit))
        for name, value in values.items() if name != "arithmetic_intensity"}
    limits["arithmetic_intensity"] = _Flow(
        min=round_limit(values["arithmetic_intensity"] * (1 - factor), "FLOP/B", up=False))
    return limits


def _limits(estimate: Estimate, target: Target | None, args: argparse.Namespace) -> dict[str, dict[str, str]]:
    """One model's limits: its current values plus headroom (minus, for a minimum)."""
    return _bounds(_values(estimate, target, args), args.headroom)


def _catch_all(estimates: list[Estimate], target: Target | None,
               args: argparse.Namespace) -> dict[str, dict[str, str]]:
    """The catch-all budget's limits: the largest value of any model today plus headroom (for
    arithmetic intensity, the smallest minus headroom), so a new model may cost what the
    costliest one does now."""
    per_model = [_values(estimate, target, args) for estimate in estimates]
    combined = {name: max(values[name] for values in per_model) for name in per_model[0]}
    combined["arithmetic_intensity"] = min(values["arithmetic_intensity"] for values in per_model)
    return _bounds(combined, args.headroom)


def render(settings: dict[str, Any], budgets: dict[str, tuple[str, dict[str, dict[str, str]]]],
           catch_all: dict[str, dict[str, str]], headroom: float) -> str:
    """The policy text: a header saying how limits were set, then the YAML (yaml's safe dumper,
    so any model name or path is quoted as YAML needs): defaults, one budget per model, and the
    catch-all budget for models added later."""
    count = len(budgets)
    catch_all_name = _budget_name(CATCH_ALL, budgets)
    header = [
        f"edgegate policy written by `edgegate init` for {count} model{'' if count == 1 else 's'}.",
        f"Each limit is the model's value today plus {headroom:g}% headroom (minus, for a minimum).",
        f"Budget '{catch_all_name}' checks every model added later, within the largest value of any",
        "model today plus the same headroom; give a new model its own budget when it matters.",
        "Tighten limits as models improve: `edgegate check` suggests a tighter limit when a model",
        "sits under half of one.",
    ]
    document: dict[str, Any] = {"version": 1, "defaults": settings, "budgets": {}}
    for name, (glob, limits) in budgets.items():
        document["budgets"][name] = {"include": [glob], "limits": limits}
    document["budgets"][catch_all_name] = {
        "include": list(DEFAULT_INCLUDE), "exclude": [glob for glob, _ in budgets.values()],
        "limits": catch_all}
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100)
    return "".join(f"# {line}\n" for line in header) + body


class _Flow(dict):  # type: ignore[type-arg]
    """A mapping written on one line (``{max: 5 MFLOP}``, ``{batch: 1}``)."""


class _Dumper(yaml.SafeDumper):
    """yaml's safe dumper, writing lists and :class:`_Flow` mappings on one line."""


_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_mapping(
    "tag:yaml.org,2002:map", data.items(), flow_style=True))
_Dumper.add_representer(list, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", data, flow_style=True))
