"""``edgegate diff OLD.onnx NEW.onnx``: each metric before, after and change in percent, and the
layers that changed most (matched by name), for any two model files under the same settings."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from edgegate.cli.estimate_options import add_estimate_arguments, bindings_from_args
from edgegate.errors import UsageError
from edgegate.estimator.estimate import estimate
from edgegate.estimator.result import Estimate
from edgegate.jsonfile import dumps
from edgegate.printable import printable
from edgegate.regression.deltas import (
    LAYER_KEYS,
    deltas_record,
    layer_deltas,
    layer_table,
    metric_deltas,
    metric_table,
)
from edgegate.target.load import resolve_target
from edgegate.target.roofline import evaluate
from edgegate.target.types import Target, compute_precision


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``edgegate diff``."""
    parser.add_argument("old", metavar="OLD", help="the model before")
    parser.add_argument("new", metavar="NEW", help="the model after")
    add_estimate_arguments(parser)
    parser.add_argument("--target", metavar="NAME|FILE",
                        help="a shipped hardware target or a target file: adds latency_ms and"
                        " dram_bytes_onchip")
    parser.add_argument("--top", type=int, default=10, metavar="N",
                        help="show the N layers that changed most (default: 10; 0: none)")
    parser.add_argument("--sort", choices=list(LAYER_KEYS), default="flops",
                        help="rank changed layers by this quantity (default: flops)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")


def shipped_target(name: str) -> Target:
    """The shipped target ``name``, or the target file it names; UsageError for an unknown name."""
    return resolve_target(name)


def model_metrics(found: Estimate, target: Target | None) -> dict[str, int | float]:
    """The estimate's metrics, the file size, and the target metrics when a target is given."""
    metrics: dict[str, int | float] = {**found.metrics(),
                                       "file_bytes": os.path.getsize(found.model)}
    if target is not None:
        precision = compute_precision(found)
        if target.peak_for(precision) is None:
            raise UsageError(f"--target: {target.missing_peak(precision)}; pass --precision")
        metrics.update(evaluate(found, target, precision, None).metrics())
    return metrics


def run(args: argparse.Namespace) -> int:
    """Estimate both models under the same settings and print the delta."""
    options: dict[str, Any] = {"precision": args.precision, "fusion": args.fusion,
                               **bindings_from_args(args)}
    old, new = estimate(args.old, **options), estimate(args.new, **options)
    target = shipped_target(args.target) if args.target else None
    deltas = metric_deltas(model_metrics(old, target), model_metrics(new, target))
    layers = layer_deltas(old, new, args.sort, max(args.top, 0))
    if args.format == "json":
        document = {"schema": "edgegate.diff", "schema_version": 1, "old": args.old, "new": args.new,
                    "settings": {"precision": args.precision, "fusion": args.fusion,
                                 "target": args.target, "dims": options["dims"],
                                 "input_shapes": {k: list(v) for k, v in options["input_shapes"].items()}},
                    "metrics": deltas_record(deltas), "layers": [d.record() for d in layers]}
        sys.stdout.write(dumps(document, indent=2))
        sys.stdout.write("\n")
        return 0
    out = [f"{printable(args.old)} -> {printable(args.new)}  (precision {args.precision};"
           f" fusion {args.fusion}{f'; target {printable(args.target)}' if args.target else ''})",
           *metric_table(deltas)]
    if layers:
        out.append(f"layers that changed most (by {args.sort}):")
        out.extend(layer_table(layers, args.sort))
    elif args.top:
        out.append("no layer changed")
    sys.stdout.write("\n".join(out) + "\n")
    return 0
