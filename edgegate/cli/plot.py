"""``edgegate plot KIND INPUT... --out FILE.svg|png``: draw what the seed paper draws.

``flops MODEL...`` bars of FLOPs per model; ``roofline MODEL... --target NAME`` compute
against DRAM traffic with the target's ridge line; ``history HISTORY.jsonl --metric NAME`` a
metric over time. Needs matplotlib (``pip install 'edgegate[plot]'``).
"""

from __future__ import annotations

import argparse
import sys

from edgegate.cli.diff import shipped_target
from edgegate.cli.estimate_options import add_estimate_arguments, bindings_from_args
from edgegate.errors import UsageError
from edgegate.estimator.estimate import estimate
from edgegate.metrics import METRICS
from edgegate.policy.load import load_policy
from edgegate.policy.select import matches
from edgegate.regression.history import read_history, series
from edgegate.report.plot import check_output, draw_flops, draw_history, draw_roofline, model_points, pyplot
from edgegate.target.types import Target

KINDS = ("flops", "roofline", "history")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``edgegate plot``."""
    parser.add_argument("kind", choices=KINDS, help="which chart")
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="ONNX models (flops, roofline) or one history file (history)")
    parser.add_argument("--out", required=True, metavar="FILE", help="the .svg or .png to write")
    parser.add_argument("--target", metavar="NAME",
                        help="roofline: a shipped target, or one the --policy defines")
    parser.add_argument("--policy", metavar="PATH", help="roofline: a policy whose targets to use")
    parser.add_argument("--metric", default="flops", metavar="NAME",
                        help="history: the metric to draw (default: flops)")
    parser.add_argument("--model", action="append", default=[], metavar="GLOB",
                        help="history: only models matching this glob (repeatable)")
    add_estimate_arguments(parser)


def _target(args: argparse.Namespace) -> Target:
    """The --target, from --policy's targets first, else the shipped ones."""
    if not args.target:
        raise UsageError("plot roofline needs --target NAME (a hardware target)")
    if args.policy:
        targets = load_policy(args.policy).targets
        if args.target in targets:
            return targets[args.target]
    return shipped_target(args.target)


def run(args: argparse.Namespace) -> int:
    """Compute the chart's data, then draw it."""
    check_output(args.out)
    pyplot()
    if args.kind == "history":
        if args.metric not in METRICS:
            raise UsageError(f"--metric: unknown metric '{args.metric}' (known: {', '.join(METRICS)})")
        if len(args.inputs) != 1:
            raise UsageError("plot history takes one history file")
        found = [item for item in series(read_history(args.inputs[0]))
                 if not args.model or matches(item.model, args.model)]
        draw_history(found, args.metric, args.out)
    else:
        target = _target(args) if args.kind == "roofline" else None
        options = {"precision": args.precision, "fusion": args.fusion, **bindings_from_args(args)}
        points = model_points([estimate(path, **options) for path in args.inputs])
        if target is None:
            draw_flops(points, args.out)
        else:
            draw_roofline(points, target, args.out)
    print(f"edgegate: wrote {args.out}", file=sys.stderr)
    return 0
