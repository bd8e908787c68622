"""``edgegate estimate MODEL...``: what one inference costs, as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from edgegate.cli.estimate_options import add_estimate_arguments, bindings_from_args
from edgegate.errors import EdgegateError, ExitCode
from edgegate.estimator.estimate import estimate
from edgegate.estimator.result import Estimate
from edgegate.estimator.serialize import estimates_document
from edgegate.model.load import load_model
from edgegate.report.estimate_csv import write_layers
from edgegate.report.estimate_text import SORT_KEYS, pick_layers, write_estimate
from edgegate.report.netron import sidecar_path, write_attachment


def _text(estimates: Sequence[Estimate], args: argparse.Namespace, out: TextIO) -> None:
    top = None if args.per_layer else args.top
    sort = args.sort or ("index" if args.per_layer else "flops")
    for number, item in enumerate(estimates):
        if number:
            out.write("\n")
        write_estimate(item, out, sort, top)


def _json(estimates: Sequence[Estimate], args: argparse.Namespace, out: TextIO) -> None:
    json.dump(estimates_document(list(estimates), errors=args.failures), out, indent=2)
    out.write("\n")


def _csv(estimates: Sequence[Estimate], args: argparse.Namespace, out: TextIO) -> None:
    top = None if args.per_layer or args.sort is None else args.top
    rows = [(e.model, layer) for e in estimates for layer in pick_layers(e, args.sort or "index", top)]
    write_layers(rows, out)


FORMATS: dict[str, Callable[[Sequence[Estimate], argparse.Namespace, TextIO], None]] = {
    "csv": _csv,
    "json": _json,
    "text": _text,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``edgegate estimate``."""
    parser.add_argument("models", nargs="+", metavar="MODEL", help="ONNX files to estimate")
    add_estimate_arguments(parser)
    parser.add_argument("--format", choices=list(FORMATS), default="text", help="output format")
    parser.add_argument("--top", type=int, default=10, metavar="N",
                        help="show the N heaviest layers (default: 10)")
    parser.add_argument("--sort", choices=list(SORT_KEYS),
                        help="layer sort key (default: flops; graph order with --per-layer)")
    parser.add_argument("--per-layer", action="store_true", help="show every layer")
    parser.add_argument("--netron", action="store_true",
                        help="also write MODEL's per-node numbers next to it as a Netron"
                        " attachment (m.netron.json; open it onto the model in Netron)")


def run(args: argparse.Namespace) -> int:
    """Estimate each model; a model that fails is reported (on standard error, and in the JSON
    document's ``errors``) and the others still run."""
    bindings = bindings_from_args(args)
    estimates: list[Estimate] = []
    args.failures = []  # (path, message, exit code) of each model that could not be estimated
    code = ExitCode.OK
    for path in args.models:
        try:
            estimates.append(estimate(path, precision=args.precision, fusion=args.fusion, **bindings))
            if args.netron:
                written = write_attachment(estimates[-1], load_model(path), sidecar_path(path))
                print(f"edgegate: wrote {written}", file=sys.stderr)
        except EdgegateError as error:
            print(f"edgegate: error: {error}", file=sys.stderr)
            code = max(code, error.exit_code)
            args.failures.append((path, str(error), int(error.exit_code)))
    if estimates or args.format == "json":
        FORMATS[args.format](estimates, args, sys.stdout)
    return int(code)
