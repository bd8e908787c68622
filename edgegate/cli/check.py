"""``edgegate check [FILES...]``: the gate. Checks models against the repo's policy.

With files (as pre-commit passes them) it checks the models among them (``*.onnx`` files and
files a budget selects) that the policy's globs select; a file of the policy among them (its
file, its ``extends`` chain, ``[tool.edgegate]``'s pyproject.toml, the baseline) means every
model, and other files are left out. With none (or ``--all``), every ``*.onnx`` under the repo
root that a budget selects; with ``--changed-since REF``, only the models changed since REF (of
FILES, when given), each compared with its REF version (deltas in every report), or every
model when a file of the policy changed since REF. A model no budget selects is an
``unselected`` finding. A run over every model that the policy selects none of is a usage
error (its globs match nothing); with FILE arguments, ``--changed-since`` or an empty
``--shard``, checking nothing is normal and says so. ``--quiet`` keeps the text report to what
failed or warned.
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
    counted,
    nothing_checked,
    root_from_args,
    run_scaled,
    split_files,
    with_changes,
)
from edgegate.policy.discover import find_policy, shown_path
from edgegate.policy.load import load_policy
from edgegate.printable import printable
from edgegate.report.outputs import (
    add_report_arguments,
    history_output,
    plan,
    refuse_inputs,
    report_files,
    write_all,
)
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
    parser.add_argument("--quiet", "-q", "--failures-only", dest="quiet",
                        action=argparse.BooleanOptionalAction, default=False,
                        help="text on standard output: only the checks that failed or warned, a"
                        " passing model in one line, and the count line (the pre-commit hook's"
                        " default; --no-quiet: everything)")
    add_scale_arguments(parser)
    add_report_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Load the policy, check the models, write the reports, return the exit code."""
    root = root_from_args(args.root)
    outputs = plan(args.format, report_files(args),
                   args.github_summary, os.environ, {"--history": args.history})
    if args.history:
        from edgegate.regression.history import check_history_target  # 4 ms: with --history only

        check_history_target(args.history)
    spec = CheckSpec(shown_path(find_policy(root, args.policy)), str(root), args.top, args.baseline)
    policy = load_policy(spec.policy)  # an invalid policy stops here (exit 4), whatever is checked
    read = [args.baseline] if args.baseline else []
    refuse_inputs([*outputs, *history_output(args.history)], [*policy.sources, *read, *args.files])
    files: list[str] | None = None if args.all else list(args.files) or None
    what = "file given"
    everything = None  # why every model (of FILES, else of the tree) is checked
    if files is not None:
        models, given = split_files(policy, root, files, read)
        if given:
            everything = f"policy file {', '.join(given)} given"
        elif not models:
            what = f"model or policy file among the {counted(len(files), 'file given')}"
        files = None if given else models
    if args.changed_since is not None:
        from edgegate.regression.refs import policy_changes  # imported by with_changes already

        spec, changed = with_changes(spec, args.changed_since)
        policy_files = [] if everything else policy_changes(policy, root, args.changed_since, read)
        if policy_files:
            everything = f"policy changed since {args.changed_since} ({', '.join(policy_files)})"
        elif everything is None:
            files = changed_of(changed, files)  # none changed: check nothing
            what = f"model changed since {args.changed_since}"
    run_ = run_scaled(args, spec, files, strict=args.strict, no_fail=args.no_fail)
    if everything is not None and run_.result.results:
        count = len({result.model for result in run_.result.results})
        print(f"edgegate: {printable(everything)}: checking all {count} model{'' if count == 1 else 's'}",
              file=sys.stderr)
    if not run_.result.results:
        note = nothing_checked(spec, None if args.all else files, args.shard, what)
        print(f"edgegate: nothing to check: {printable(note)}", file=sys.stderr)
    try:
        if args.history:
            from edgegate.regression.history import append_history, current_commit, now  # as above

            append_history(args.history, run_.result, now(), current_commit(root))
    finally:  # the reports are written even when the history cannot be
        write_all(outputs, run_.records(), sys.stdout, quiet=args.quiet)
    return run_.result.exit_code()


def changed_of(changed: list[str], files: list[str] | None) -> list[str]:
    """The changed models (paths under the root), only those of ``files`` when given."""
    if not files:
        return changed
    wanted = {Path(path).resolve() for path in changed}
    return [path for path in files if Path(path).resolve() in wanted]

