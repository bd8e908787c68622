"""``edgegate trend HISTORY.jsonl``: each model's metrics over time, from the history that
``check --history`` and ``merge --history`` append to."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import TextIO

from edgegate.errors import UsageError
from edgegate.jsonfile import dumps
from edgegate.metrics import METRICS
from edgegate.policy.select import matches, option_globs
from edgegate.printable import printable
from edgegate.regression.history import Point, Series, read_history, series
from edgegate.units import format_quantity, percent

DEFAULT_METRICS = ("flops", "params", "peak_activation_bytes", "dram_bytes")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``edgegate trend``."""
    parser.add_argument("history", metavar="HISTORY", help="JSON Lines history file")
    parser.add_argument("--model", action="append", default=[], metavar="GLOB",
                        help="only models matching this glob (repeatable)")
    parser.add_argument("--metric", action="append", default=[], metavar="NAME",
                        help=f"metrics to show (repeatable; default: {', '.join(DEFAULT_METRICS)})")
    parser.add_argument("--last", type=int, default=0, metavar="N",
                        help="only the last N runs of each model (default: all)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")


def chosen_metrics(names: Sequence[str]) -> tuple[str, ...]:
    """The --metric names, checked against METRICS (UsageError), or the defaults."""
    for name in names:
        if name not in METRICS:
            raise UsageError(f"--metric: unknown metric '{name}' (known: {', '.join(METRICS)})")
    return tuple(names) or DEFAULT_METRICS


def _cell(points: Sequence[Point], index: int, metric: str) -> str:
    """``4.97 MFLOP (+2.0%)``: the value and its change since the run before."""
    value = points[index].metrics.get(metric)
    if value is None:
        return "-"
    shown = format_quantity(value, METRICS[metric].unit)
    if index == 0:
        return shown
    share = percent(points[index - 1].metrics.get(metric), value)
    return shown if share is None or share == 0 else f"{shown} ({share:+.1f}%)"


def write_text(found: Sequence[Series], metrics: Sequence[str], out: TextIO) -> None:
    """One table per model: a row per run, a column per metric."""
    for number, item in enumerate(found):
        if number:
            out.write("\n")
        out.write(f"{printable(item.model)} [budget {printable(item.budget)}]: {len(item.points)} run"
                  f"{'' if len(item.points) == 1 else 's'}\n")
        out.write(f"  {'time':<20} {'commit':<8} " + " ".join(f"{m:>24}" for m in metrics) + "\n")
        for index, point in enumerate(item.points):
            cells = " ".join(f"{_cell(item.points, index, m):>24}" for m in metrics)
            out.write(f"  {printable(point.time):<20} {printable((point.commit or '-')[:8]):<8} {cells}\n")


def run(args: argparse.Namespace) -> int:
    """Read the history and print each selected model's metrics over time."""
    metrics = chosen_metrics(args.metric)
    option_globs(args.model, "--model")
    found = [item for item in series(read_history(args.history))
             if not args.model or matches(item.model, args.model)]
    if args.last > 0:
        found = [replace(item, points=item.points[-args.last:]) for item in found]
    if args.format == "json":
        document = {"schema": "edgegate.trend", "schema_version": 1, "models": [
            {"model": item.model, "budget": item.budget, "points": [
                {"time": p.time, "commit": p.commit, "passed": p.passed,
                 "metrics": {m: p.metrics.get(m) for m in metrics}} for p in item.points]}
            for item in found]}
        sys.stdout.write(dumps(document, indent=2) + "\n")
        return 0
    if not found:
        print(f"{printable(args.history)}: no runs recorded" + (" for those models" if args.model else ""))
        return 0
    write_text(found, metrics, sys.stdout)
    return 0
