"""``edgegate init``: write a starter policy for the models in the repo.

Every model gets a budget whose limits are its current values plus a stated headroom
(``--headroom``, default 10%), so the gate passes today and each later change is measured
against today's numbers. ``edgegate check`` then suggests tighter limits as models improve.
"""

from __future__ import annotations

import argparse
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

from edgegate.cli.check import root_from_args
from edgegate.cli.estimate_options import add_estimate_arguments, bindings_from_args
from edgegate.config import resources
from edgegate.errors import UsageError
from edgegate.estimator.estimate import estimate as estimate_file
from edgegate.estimator.result import Estimate
from edgegate.metrics import METRICS
from edgegate.policy.discover import shown_path
from edgegate.policy.load import load_policy
from edgegate.rules.engine import discover_models
from edgegate.rules.limits import RATCHET_HEADROOM
from edgegate.target.load import load_shipped_target
from edgegate.target.roofline import evaluate
from edgegate.target.types import Target, compute_precision
from edgegate.units import round_limit

MAX_METRICS = ("flops", "params", "weight_bytes", "peak_activation_bytes", "dram_bytes")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``edgegate init``."""
    parser.add_argument("--root", metavar="DIR", help="repo root to search (default: the git root)")
    parser.add_argument("--output", metavar="PATH", help="policy file to write (default: ROOT/edgegate.yaml)")
    parser.add_argument("--headroom", type=float, default=float(RATCHET_HEADROOM * 100), metavar="PCT",
                        help="percent above current values for each limit (default: 10)")
    parser.add_argument("--target", metavar="NAME", help="a shipped target: adds latency_ms limits")
    parser.add_argument("--fps", type=float, metavar="N", help="frame rate: adds bandwidth_at_fps limits")
    add_estimate_arguments(parser)
    parser.add_argument("--force", action="store_true", help="overwrite an existing policy file")


def run(args: argparse.Namespace) -> int:
    """Estimate every model, write the policy, check that it loads, say what was written."""
    root = root_from_args(args.root)
    output = Path(args.output) if args.output else root / "edgegate.yaml"
    if output.exists() and not args.force:
        raise UsageError(f"{output} exists; pass --force to overwrite it")
    if args.headroom < 0:
        raise UsageError(f"--headroom must not be negative, got {args.headroom:g}")
    if args.fps is not None and (args.target is None or args.fps <= 0):
        raise UsageError("--fps needs --target and a positive frame rate")
    target = _target(args.target)
    models = discover_models(root)
    if not models:
        raise UsageError(f"no .onnx models found under {root}")
    bindings = bindings_from_args(args)
    dims, shapes = bindings["dims"], bindings["input_shapes"]
    budgets: dict[str, tuple[str, dict[str, str]]] = {}
    unestimated = False
    for relative in models:
        found = estimate_file(shown_path(root / relative), precision=args.precision,
                              fusion=args.fusion, **bindings)
        unestimated = unestimated or bool(found.unestimated)
        budgets[_budget_name(relative, budgets)] = (relative, _limits(found, target, args))
    settings: dict[str, Any] = {"precision": args.precision, "fusion": args.fusion}
    settings.update({key: value for key, value in (
        ("dims", dims), ("input_shapes", {k: list(v) for k, v in shapes.items()}),
        ("input_values", bindings["input_values"]), ("loops", bindings["loop_trips"]),
        ("target", args.target), ("fps", args.fps)) if value})
    settings["unestimated"] = "warn" if unestimated else "fail"
    output.write_text(render(settings, budgets, args.headroom), encoding="utf-8")
    policy = load_policy(output)
    print(f"wrote {output}: {len(policy.budgets)} budget{'' if len(policy.budgets) == 1 else 's'},"
          f" limits at current values + {args.headroom:g}%; next: edgegate check")
    return 0


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


def _limits(estimate: Estimate, target: Target | None, args: argparse.Namespace) -> dict[str, str]:
    """``{metric: "max: 4.5 GFLOP"}``: current values plus headroom (minus, for a minimum)."""
    factor = Fraction(str(args.headroom)) / 100
    values: dict[str, int | float] = dict(estimate.metrics())
    names = list(MAX_METRICS)
    if target is not None:
        precision = compute_precision(estimate)
        if target.peak_for(precision) is None:
            raise UsageError(f"{estimate.model}: {target.missing_peak(precision)}; pass --precision")
        values.update(evaluate(estimate, target, precision, args.fps).metrics())
        names += ["latency_ms"] + (["bandwidth_at_fps"] if args.fps else [])
    limits = {name: f"max: {round_limit(Fraction(values[name]) * (1 + factor), METRICS[name].unit)}"
              for name in names}
    intensity = Fraction(values["arithmetic_intensity"]) * (1 - factor)
    limits["arithmetic_intensity"] = f"min: {round_limit(intensity, 'FLOP/B', up=False)}"
    return limits


def render(settings: dict[str, Any], budgets: dict[str, tuple[str, dict[str, str]]],
           headroom: float) -> str:
    """The policy text: a header saying how limits were set, defaults, one budget per model."""
    count = len(budgets)
    lines = [
        f"# edgegate policy written by `edgegate init` for {count} model{'' if count == 1 else 's'}.",
        f"# Each limit is the model's value today plus {headroom:g}% headroom (minus, for a minimum).",
        "# Tighten them as models improve: `edgegate check` suggests a tighter limit when a model",
        "# sits under half of one.",
        "version: 1",
        "defaults:",
        *(f"  {key}: {json.dumps(value)}" for key, value in settings.items()),
        "budgets:",
    ]
    for name, (relative, limits) in budgets.items():
        anchored = relative if "/" in relative else "/" + relative
        lines += [f"  {json.dumps(name)}:", f"    include: [{json.dumps(anchored)}]", "    limits:"]
        lines += [f"      {metric}: {{{bound}}}" for metric, bound in limits.items()]
    return "\n".join(lines) + "\n"
