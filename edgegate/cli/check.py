"""``edgegate check [FILES...]``: the gate. Checks models against the repo's policy.

With files (as pre-commit passes them) it checks those the policy's globs select; with none
(or ``--all``), every ``*.onnx`` under the repo root that a budget selects; with
``--changed-since REF``, only the models changed since REF (of FILES, when given), each
compared with its REF version (deltas in every report). A run over every model that the
policy selects none of is a usage error (its globs match nothing); with FILE arguments,
``--changed-since`` or an empty ``--shard``, checking nothing is normal and says so.
``--jobs``/``--shard`` spread a large run over processes and CI jobs (``edgegate merge`` joins
shards); ``--baseline`` turns on ``max_increase`` limits against a recorded baseline;
``--history`` appends the metrics to a JSON Lines file. Reports go to standard output and files
(``--format``, ``--junit-xml``, ``--json``, ``--sarif``, the GitHub step summary). Exit codes:
0 pass, 1 an error-severity violation (warnings too with --strict; never with --no-fail), 3 an
unreadable model, 4 an invalid policy, 5 an unbound model dimension, 2 a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from edgegate.cli.runopts import (
    add_policy_arguments,
    add_scale_arguments,
    nothing_checked,
    root_from_args,
    run_scaled,
    with_changes,
)
from edgegate.policy.discover import find_policy, shown_path
from edgegate.regression.history import append_history, current_commit, now
from edgegate.report.outputs import add_report_arguments, plan, report_files, write_all
from edgegate.scale.parallel import CheckSpec


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``edgegate check``."""
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="models to check (default: every model the policy selects)")
    add_policy_arguments(parser)
    parser.add_argument("--strict", action="store_true", help="warnings fail the gate too")
    parser.add_argument("--no-fail", action="store_true",
                        help="report only: exit 0 even when limits are exceeded")
    parser.add_argument("--top", type=int, default=3, metavar="N",
                        help="layers shown under a failing metric (default: 3)")
    parser.add_argument("--changed-since", metavar="REF",
                        help="check only models added, modified or renamed since the git revision REF,"
                        " and report each one's change against its REF version")
    parser.add_argument("--baseline", metavar="PATH",
                        help="baseline file (`edgegate baseline --out`) for max_increase limits")
    parser.add_argument("--history", metavar="PATH",
                        help="append this run's metrics to a JSON Lines history (`edgegate trend`)")
    add_scale_arguments(parser)
    add_report_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Load the policy, check the models, write the reports, return the exit code."""
    root = root_from_args(args.root)
    outputs = plan(args.format, report_files(args),
                   args.github_summary, os.environ)
    spec = CheckSpec(shown_path(find_policy(root, args.policy)), str(root), args.top, args.baseline)
    files: list[str] | None = list(args.files) or None
    what = "file given"
    if args.changed_since is not None:
        spec, changed = with_changes(spec, args.changed_since)
        files = changed_of(changed, files)  # none changed: check nothing
        what = f"model changed since {args.changed_since}"
    run_ = run_scaled(args, spec, files, strict=args.strict, no_fail=args.no_fail)
    if not run_.result.results:
        note = nothing_checked(spec, None if args.all else files, args.shard, what)
        print(f"edgegate: nothing to check: {note}", file=sys.stderr)
    if args.history:
        append_history(args.history, run_.result, now(), current_commit(root))
    write_all(outputs, run_.records(), sys.stdout)
    return run_.result.exit_code()


def changed_of(changed: list[str], files: list[str] | None) -> list[str]:
    """The changed models (paths under the root), only those of ``files`` when given."""
    if not files:
        return changed
    wanted = {Path(path).resolve() for path in changed}
    return [path for path in files if Path(path).resolve() in wanted]

