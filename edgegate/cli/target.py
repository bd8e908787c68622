"""``edgegate target measure --out FILE``: measure this device and write it as a target file.

It measures the achievable compute per precision, the DRAM bandwidth and each op class's
efficiency (with onnxruntime, the ``edgegate[measure]`` extra; numpy gives fp32 peak and
bandwidth only), and writes them with a ``sources:`` record. ``policy validate`` accepts the
file, and ``estimate --target FILE``, ``measure --target FILE`` and a budget's
``target: FILE`` use it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from edgegate.cli.progress import ProgressBar
from edgegate.errors import UsageError
from edgegate.files import write_text
from edgegate.printable import printable
from edgegate.scale.parallel import cpu_count
from edgegate.target.load import load_target_file
from edgegate.target.measure import host
from edgegate.target.measure.calibrate import measure_device
from edgegate.target.measure.runtime import INSTALL_HINT, onnxruntime_or_none
from edgegate.target.measure.writer import Provenance, rate_text, render_target
from edgegate.version import __version__

MEASURABLE = ("fp32", "int8")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``measure`` action and its options."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    measure = actions.add_parser(
        "measure", help="measure this device and write a target file",
        description="Measure this device's compute per precision, DRAM bandwidth and the"
        " efficiency of each op class, and write them as a target file.")
    measure.add_argument("--out", required=True, metavar="FILE", help="the target file to write (.yaml)")
    measure.add_argument("--threads", type=int, default=os.cpu_count() or 1, metavar="N",
                         help="threads to run with, as the deployment will (default: all CPUs)")
    measure.add_argument("--precision", default="fp32", metavar="LIST",
                         help="precisions to measure, comma-separated: fp32, int8 (default: fp32)")
    measure.add_argument("--quick", action="store_true",
                         help="small sizes and few runs: seconds, for a smoke test, not for budgets")
    measure.add_argument("--force", action="store_true", help="overwrite FILE if it exists")


def _precisions(text: str, runtime: bool) -> list[str]:
    """The precisions asked for, in order; int8 needs onnxruntime."""
    asked = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [name for name in asked if name not in MEASURABLE]
    if unknown or not asked:
        raise UsageError(f"--precision: {', '.join(unknown) or 'nothing'} cannot be measured"
                         f" (choose from {', '.join(MEASURABLE)})")
    if not runtime and "int8" in asked:
        raise UsageError(f"--precision int8 needs onnxruntime, which is not installed: {INSTALL_HINT}")
    return asked


def _command(args: argparse.Namespace) -> str:
    """The command line that reproduces this measurement."""
    return (f"edgegate target measure --out {args.out} --threads {args.threads}"
            f" --precision {args.precision}{' --quick' if args.quick else ''}")


def run(args: argparse.Namespace) -> int:
    """Measure, write the file, check that it loads, say what was written."""
    out = Path(args.out)
    if not out.name.endswith((".yaml", ".yml")):
        raise UsageError(f"--out {args.out}: a target file ends in .yaml or .yml")
    if os.path.lexists(out) and not args.force:
        raise UsageError(f"{out} exists; pass --force to overwrite it")
    if args.threads < 1:
        raise UsageError(f"--threads must be at least 1, got {args.threads}")
    if args.threads > cpu_count():
        raise UsageError(f"--threads {args.threads}: more than the {cpu_count()} CPUs this process may use")
    ort = onnxruntime_or_none()
    precisions = _precisions(args.precision, ort is not None)
    if ort is None:
        print(f"edgegate: onnxruntime is not installed: measuring fp32 peak with numpy and no"
              f" op class efficiencies ({INSTALL_HINT} for them)", file=sys.stderr)
    load_before, date = host.load_average(), host.now()
    measured = measure_device(ort, precisions, args.threads, args.quick, ProgressBar())
    provenance = Provenance(host.machine(), date, __version__, _command(args),
                            f"{load_before} at start, {host.load_average()} at end (1, 5, 15 min)")
    write_text(out, render_target(measured, provenance), "--out")
    target = load_target_file(str(out))
    peaks = ", ".join(f"{name} {rate_text(value, 'OP/s' if name == 'int8' else 'FLOP/s')}"
                      for name, value in target.peak.items())
    classes = sum(len(table) for table in target.efficiency.values())
    print(f"wrote {printable(str(out))}: peak {peaks}, DRAM {rate_text(target.dram_bandwidth, 'B/s')},"
          f" {classes} op class efficiencies; next: edgegate estimate MODEL --target {printable(str(out))}")
    return 0
