"""``edgegate merge SHARD.json...``: combine the JSON results of ``check --shard K/N`` jobs into
one result and report it as one run would: text (or any ``--format``), ``--junit-xml``,
``--json``, ``--sarif``, the GitHub step summary, and the history (``--history``).

Pull-request deltas in the shards (``deltas``) are combined too. The exit code is the merged
run's, as if one job had checked every model: each model error keeps its own code (the
record's ``exit_code``), so the first in path order decides, as in one run.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from edgegate.regression.history import append_history, check_history_target, current_commit, now
from edgegate.report.outputs import (
    add_report_arguments,
    history_output,
    plan,
    refuse_inputs,
    report_files,
    write_all,
)
from edgegate.scale.merge import load_records, merge_results, run_result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``edgegate merge``."""
    parser.add_argument("results", nargs="+", metavar="RESULT.json",
                        help="JSON results of `edgegate check --shard K/N --json PATH`")
    add_report_arguments(parser)
    parser.add_argument("--history", metavar="PATH",
                        help="append the merged run's metrics to this JSON Lines history")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="no report on standard output (files are still written)")
    parser.add_argument("--failures-only", action="store_true",
                        help="text on standard output: only the checks that failed or warned, a"
                        " passing model in one line, and the count line")


def merge_deltas(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The shards' ``deltas`` sections as one (models by path), or None when none has one."""
    sections = [document["deltas"] for document in documents if document.get("deltas")]
    if not sections:
        return None
    models = sorted((model for section in sections for model in section["models"]),
                    key=lambda model: model["model"])
    return {**{key: value for key, value in sections[0].items() if key != "models"}, "models": models}


def run(args: argparse.Namespace) -> int:
    """Merge the results, write the reports, return the merged exit code."""
    outputs = plan(args.format, report_files(args),
                   args.github_summary, os.environ, {"--history": args.history})
    if args.history:
        check_history_target(args.history)
    if args.quiet:
        outputs = [output for output in outputs if output.path is not None]
    refuse_inputs([*outputs, *history_output(args.history)], args.results)
    documents = [load_records(path) for path in args.results]
    merged = merge_results([run_result(doc, path) for doc, path in zip(documents, args.results)],
                           args.results)
    records = merged.as_records()
    deltas = merge_deltas(documents)
    if deltas is not None:
        records["deltas"] = deltas
    try:
        if args.history:
            append_history(args.history, merged, now(), current_commit(Path.cwd()))
    finally:  # the reports are written even when the history cannot be
        write_all(outputs, records, sys.stdout, quiet=args.failures_only)
    return merged.exit_code()
