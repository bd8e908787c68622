"""``edgegate measure MODEL...``: run each model with onnxruntime (the ``edgegate[measure]``
extra) on random inputs of its bound shapes, and print the measured latency (median and
spread) next to the roofline prediction on ``--target`` and their ratio."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from edgegate.cli.estimate import target_report
from edgegate.cli.estimate_options import add_estimate_arguments, bindings_from_args
from edgegate.errors import EdgegateError, ExitCode, UsageError
from edgegate.estimator.estimate import estimate
from edgegate.jsonfile import dumps
from edgegate.printable import printable
from edgegate.scale.parallel import cpu_count
from edgegate.target.load import resolve_target
from edgegate.target.measure import host
from edgegate.target.measure.model_run import random_inputs, time_model
from edgegate.target.measure.runtime import require_onnxruntime, version
from edgegate.target.measure.stats import Timing
from edgegate.target.roofline import TargetReport
from edgegate.units import format_quantity

MAX_RUNS = 100_000
"""The most timed (and warm-up) runs ``--runs`` and ``--warmup`` take."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``edgegate measure``."""
    parser.add_argument("models", nargs="+", metavar="MODEL", help="ONNX files to run")
    add_estimate_arguments(parser)
    parser.add_argument("--target", metavar="NAME|FILE",
                        help="predict on this target (a shipped one or a target file) and compare")
    parser.add_argument("--runs", type=int, default=20, metavar="N", help="timed runs (default: 20)")
    parser.add_argument("--warmup", type=int, default=3, metavar="N",
                        help="untimed runs first (default: 3)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="onnxruntime intra-op threads (default: all CPUs)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")


def _ms(seconds: float) -> str:
    """Seconds as milliseconds, three significant digits."""
    return format_quantity(seconds * 1000, "ms")


def _record(path: str, timing: Timing, report: TargetReport | None, args: argparse.Namespace,
            load: str) -> dict[str, Any]:
    """One model's measurement as JSON data (times in milliseconds)."""
    predicted = None if report is None else report.latency_ms
    return {
        "model": path, "threads": args.threads, "runs": timing.runs, "warmup": args.warmup, "load": load,
        "measured_ms": {"median": timing.median * 1000, "q1": timing.q1 * 1000, "q3": timing.q3 * 1000,
                        "fastest": timing.fastest * 1000, "slowest": timing.slowest * 1000},
        "target": None if report is None else report.target,
        "precision": None if report is None else report.precision,
        "predicted_ms": predicted,
        "ratio": None if not predicted else timing.median * 1000 / predicted,
    }


def _text(record: dict[str, Any], runtime: str) -> str:
    """The lines a person reads for one model."""
    measured = record["measured_ms"]
    lines = [
        f"{printable(record['model'])}  ({runtime}, {record['threads']} threads; {record['runs']} runs after"
        f" {record['warmup']} warm-up; load {record['load']})",
        f"  measured   {_ms(measured['median'] / 1000)} median (middle half {_ms(measured['q1'] / 1000)}"
        f" to {_ms(measured['q3'] / 1000)}; fastest {_ms(measured['fastest'] / 1000)},"
        f" slowest {_ms(measured['slowest'] / 1000)})",
    ]
    if record["predicted_ms"] is not None:
        lines += [f"  predicted  {_ms(record['predicted_ms'] / 1000)} on {printable(record['target'])}"
                  f" ({record['precision']} roofline)",
                  f"  ratio      {record['ratio']:.2f} (measured / predicted)"]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    """Measure each model; a model that fails is reported and the others still run."""
    ort = require_onnxruntime("edgegate measure")
    if args.runs < 1 or args.warmup < 0 or args.threads < 1:
        raise UsageError("--runs and --threads must be at least 1, --warmup at least 0")
    if max(args.runs, args.warmup) > MAX_RUNS or args.threads > cpu_count():
        raise UsageError(f"--runs and --warmup take at most {MAX_RUNS}, --threads at most the"
                         f" {cpu_count()} CPUs this process may use")
    bindings = bindings_from_args(args)
    target = resolve_target(args.target) if args.target else None
    records = []
    code = ExitCode.OK
    for path in args.models:
        try:
            found = estimate(path, precision=args.precision, fusion=args.fusion, **bindings)
            report = None if target is None else target_report(found, target)
            feeds = random_inputs(path, bindings["dims"], bindings["input_shapes"], bindings["input_values"])
            load = host.load_average()
            timing = time_model(ort, path, feeds, args.threads, args.runs, args.warmup)
            records.append(_record(path, timing, report, args, load))
            if args.format == "text":
                sys.stdout.write(("\n" if len(records) > 1 else "") + _text(records[-1], version(ort)))
        except EdgegateError as error:
            print(f"edgegate: error: {printable(str(error))}", file=sys.stderr)
            code = max(code, error.exit_code)
    if args.format == "json":
        sys.stdout.write(dumps({"schema": "edgegate.measure", "schema_version": 1, "runtime": version(ort),
                                "models": records}, indent=2) + "\n")
    return int(code)
