"""``edgegate plot KIND INPUT... --out FILE.svg|png``: draw what the seed paper draws.

``flops MODEL...`` bars of FLOPs per model (the paper's figure 7); ``roofline MODEL... --target
NAME`` the target's roofline with the models on it, or with ``--layers MODEL`` that model's
layers sized by their share of the time; ``traffic MODEL...`` compute against DRAM traffic per
model (the paper's figure 9), with the target's ridge lines when ``--target`` is given;
``history HISTORY.jsonl --metric NAME`` a metric over time. A directory among the models stands
for every ``*.onnx`` under it. Needs matplotlib (``pip install 'edgegate[plot]'``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edgegate.cli.diff import shipped_target
from edgegate.cli.estimate_options import add_estimate_arguments, bindings_from_args
from edgegate.errors import UsageError
from edgegate.estimator.estimate import estimate
from edgegate.estimator.result import Estimate
from edgegate.files import is_dir, is_file
from edgegate.metrics import METRICS
from edgegate.model.isolate import reusing_child
from edgegate.policy.load import load_policy
from edgegate.policy.select import matches, option_globs
from edgegate.printable import printable
from edgegate.regression.history import read_history, series
from edgegate.report.plot import (
    check_output,
    draw_flops,
    draw_history,
    draw_roofline,
    draw_traffic,
    layers_chart,
    model_points,
    pyplot,
    roofline_chart,
)
from edgegate.target.types import Target

KINDS = ("flops", "roofline", "traffic", "history")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``edgegate plot``."""
    parser.add_argument("kind", choices=KINDS, help="which chart")
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="ONNX models or directories of them (flops, roofline, traffic), or one"
                        " history file (history)")
    parser.add_argument("--out", required=True, metavar="FILE", help="the .svg or .png to write")
    parser.add_argument("--target", metavar="NAME",
                        help="roofline (needed), traffic (optional): a shipped target, or one the"
                        " --policy defines")
    parser.add_argument("--policy", metavar="PATH", help="a policy whose targets to use")
    parser.add_argument("--layers", metavar="MODEL",
                        help="roofline: place this model's layers instead of the models")
    parser.add_argument("--metric", default="flops", metavar="NAME",
                        help="history: the metric to draw (default: flops)")
    parser.add_argument("--model", action="append", default=[], metavar="GLOB",
                        help="history: only models matching this glob (repeatable)")
    add_estimate_arguments(parser)


def model_paths(inputs: list[str]) -> list[str]:
    """The models: each file as given, each directory as its ``*.onnx`` files (sorted, recursive);
    UsageError for a directory without one."""
    paths = []
    for item in inputs:
        if is_dir(item):
            found = sorted(str(path) for path in Path(item).rglob("*.onnx") if is_file(path))
            if not found:
                raise UsageError(f"'{item}' holds no *.onnx file")
            paths += found
        else:
            paths.append(item)
    return paths


def _target(args: argparse.Namespace) -> Target:
    """The --target, from --policy's targets first, else the shipped ones."""
    if not args.target:
        raise UsageError(f"plot {args.kind} needs --target NAME (a hardware target)")
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
        option_globs(args.model, "--model")
        found = [item for item in series(read_history(args.inputs[0]))
                 if not args.model or matches(item.model, args.model)]
        draw_history(found, args.metric, args.out)
    else:
        target = _target(args) if args.kind == "roofline" or args.target else None
        options = {"precision": args.precision, "fusion": args.fusion, **bindings_from_args(args)}
        with reusing_child():  # one child for onnx's native work on all the models
            estimates = [estimate(path, **options) for path in model_paths(args.inputs)]
        if args.kind == "flops":
            draw_flops(model_points(estimates), args.out)
        elif args.kind == "traffic":
            draw_traffic(model_points(estimates), target, args.out)
        else:
            assert target is not None  # roofline: _target gave one or raised
            chart = (layers_chart(_chosen(estimates, args.layers), target) if args.layers
                     else roofline_chart(estimates, target))
            draw_roofline(chart, args.out)
    print(f"edgegate: wrote {printable(args.out)}", file=sys.stderr)
    return 0


def _chosen(estimates: list[Estimate], wanted: str) -> Estimate:
    """The estimate of the model ``--layers`` names (its path as given, or the same file)."""
    for found in estimates:
        if found.model == wanted or Path(found.model).resolve() == Path(wanted).resolve():
            return found
    raise UsageError(f"--layers: '{wanted}' is not one of the models to plot")
