"""``edgegate estimate MODEL...``: what one inference costs, as a table, JSON or CSV; with
``--target NAME|FILE`` also the roofline latency and, per layer, its time and bound there."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from edgegate.cli.estimate_options import add_estimate_arguments, bindings_from_args
from edgegate.errors import EdgegateError, ExitCode, UsageError
from edgegate.estimator.estimate import estimate
from edgegate.estimator.result import Estimate
from edgegate.estimator.serialize import estimates_document
from edgegate.jsonfile import dumps
from edgegate.model.isolate import reusing_child
from edgegate.model.load import load_model
from edgegate.printable import printable
from edgegate.report.estimate_csv import write_layers
from edgegate.report.estimate_text import SORT_KEYS, TARGET_SORT_KEY, pick_layers, write_estimate
from edgegate.report.netron import sidecar_path, write_attachment
from edgegate.target.classify import layer_classes
from edgegate.target.roofline import TargetReport, evaluate
from edgegate.target.types import Target, compute_precision

Reports = Sequence["TargetReport | None"]


def _text(estimates: Sequence[Estimate], reports: Reports, args: argparse.Namespace, out: TextIO) -> None:
    top = None if args.per_layer else args.top
    sort = args.sort or ("index" if args.per_layer else "flops")
    for number, (item, report) in enumerate(zip(estimates, reports)):
        if number:
            out.write("\n")
        write_estimate(item, out, sort, top, report)


def _json(estimates: Sequence[Estimate], reports: Reports, args: argparse.Namespace, out: TextIO) -> None:
    document = estimates_document(list(estimates), errors=args.failures)
    for record, report in zip(document["models"], reports):
        if report is not None:
            record["metrics"].update(report.metrics())
            record["target"] = report.record()
            for layer, timing in zip(record["layers"], report.layers):
                layer["target"] = timing.record()
    out.write(dumps(document, indent=2) + "\n")


def _csv(estimates: Sequence[Estimate], reports: Reports, args: argparse.Namespace, out: TextIO) -> None:
    top = None if args.per_layer or args.sort is None else args.top
    picked = [(e, report, layer) for e, report in zip(estimates, reports)
              for layer in pick_layers(e, args.sort or "index", top, report)]
    timings = None if args.target is None else [
        report.layers[layer.index] for _, report, layer in picked if report is not None]
    write_layers([(e.model, layer) for e, _, layer in picked], out, timings)


FORMATS: dict[str, Callable[[Sequence[Estimate], Reports, argparse.Namespace, TextIO], None]] = {
    "csv": _csv,
    "json": _json,
    "text": _text,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``edgegate estimate``."""
    parser.add_argument("models", nargs="+", metavar="MODEL", help="ONNX files to estimate")
    add_estimate_arguments(parser)
    parser.add_argument("--target", metavar="NAME|FILE",
                        help="a shipped target or a target file (e.g. from `edgegate target measure`):"
                        " adds the roofline latency, and each layer's op class, time and bound")
    parser.add_argument("--format", choices=list(FORMATS), default="text", help="output format")
    parser.add_argument("--top", type=int, default=10, metavar="N",
                        help="show the N heaviest layers (default: 10)")
    parser.add_argument("--sort", choices=[*SORT_KEYS, TARGET_SORT_KEY],
                        help="layer sort key (default: flops; graph order with --per-layer;"
                        " latency_ms needs --target)")
    parser.add_argument("--per-layer", action="store_true", help="show every layer")
    parser.add_argument("--netron", action="store_true",
                        help="also write MODEL's per-node numbers next to it as a Netron"
                        " attachment (m.netron.json; open it onto the model in Netron)")


def target_report(found: Estimate, target: Target) -> TargetReport:
    """``found`` on ``target`` at its compute precision, every layer classified (for display)."""
    precision = compute_precision(found)
    if target.peak_for(precision) is None:
        raise UsageError(f"--target: {target.missing_peak(precision)}; pass --precision", found.model)
    return evaluate(found, target, precision, None, layer_classes(found))


def run(args: argparse.Namespace) -> int:
    """Estimate each model; a model that fails is reported (on standard error, and in the JSON
    document's ``errors``) and the others still run."""
    bindings = bindings_from_args(args)
    if args.sort == TARGET_SORT_KEY and not args.target:
        raise UsageError("--sort latency_ms needs --target")
    target = None
    if args.target:
        # loading a target validates it with jsonschema (about 0.1 s to import): only then
        from edgegate.target.load import resolve_target

        target = resolve_target(args.target)
    estimates: list[Estimate] = []
    reports: list[TargetReport | None] = []
    args.failures = []  # (path, message, exit code) of each model that could not be estimated
    code = ExitCode.OK
    with reusing_child():  # one child for onnx's native work on all the models
        for path in args.models:
            try:
                found = estimate(path, precision=args.precision, fusion=args.fusion, **bindings)
                report = None if target is None else target_report(found, target)
                estimates.append(found)
                reports.append(report)
                if args.netron:
                    written = write_attachment(estimates[-1], load_model(path), sidecar_path(path))
                    print(f"edgegate: wrote {printable(str(written))}", file=sys.stderr)
            except EdgegateError as error:
                print(f"edgegate: error: {printable(str(error))}", file=sys.stderr)
                code = max(code, error.exit_code)
                args.failures.append((path, str(error), int(error.exit_code)))
    if estimates or args.format == "json":
        FORMATS[args.format](estimates, reports, args, sys.stdout)
    return int(code)
