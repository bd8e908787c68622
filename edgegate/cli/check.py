"""``edgegate check [FILES...]``: the gate. Checks models against the repo's policy.

With files (as pre-commit passes them) it checks those the policy's globs select; with none,
every ``*.onnx`` under the repo root that a budget selects; with ``--changed-since REF``, only
the models changed since REF (of FILES, when given). Reports go to standard output and files
(``--format``, ``--junit-xml``, ``--json``, ``--sarif``, the GitHub step summary). Exit codes: 0
pass, 1 an error-severity violation (warnings too with --strict; never with --no-fail), 3 an
unreadable model, 4 an invalid policy, 5 an unbound model dimension, 2 a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from edgegate.errors import UsageError
from edgegate.findings import RunResult
from edgegate.policy.discover import find_policy, repo_root, shown_path
from edgegate.policy.load import load_policy
from edgegate.report.outputs import FORMATS, plan, write_all
from edgegate.rules.engine import Checker
from edgegate.vcs import changed_models


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``edgegate check``."""
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="models to check (default: every model the policy selects)")
    parser.add_argument("--policy", metavar="PATH",
                        help="policy file (default: edgegate.yaml, .edgegate.yaml or"
                        " [tool.edgegate] in pyproject.toml at the repo root)")
    parser.add_argument("--root", metavar="DIR",
                        help="repo root that globs are relative to (default: the git root)")
    parser.add_argument("--strict", action="store_true", help="warnings fail the gate too")
    parser.add_argument("--no-fail", action="store_true",
                        help="report only: exit 0 even when limits are exceeded")
    parser.add_argument("--top", type=int, default=3, metavar="N",
                        help="layers shown under a failing metric (default: 3)")
    parser.add_argument("--changed-since", metavar="REF",
                        help="check only models added, modified or renamed since the git revision REF")
    reports = parser.add_argument_group("reports")
    reports.add_argument("--format", action="append", default=[], metavar="NAME[:PATH]",
                         help=f"a report, to standard output or PATH; repeatable ({', '.join(FORMATS)})."
                         " Standard output gets auto unless given another: github under GitHub"
                         " Actions, else text")
    reports.add_argument("--junit-xml", metavar="PATH", help="also write JUnit XML to PATH")
    reports.add_argument("--json", metavar="PATH", help="also write the JSON records to PATH")
    reports.add_argument("--sarif", metavar="PATH", help="also write SARIF 2.1.0 to PATH")
    reports.add_argument("--github-summary", metavar="PATH",
                         help="append the markdown summary to PATH (default: $GITHUB_STEP_SUMMARY"
                         " when the github format is on standard output)")


def run(args: argparse.Namespace) -> int:
    """Load the policy, check the models, write the reports, return the exit code."""
    root = root_from_args(args.root)
    outputs = plan(args.format, {"junit": args.junit_xml, "json": args.json, "sarif": args.sarif},
                   args.github_summary, os.environ)
    policy = load_policy(shown_path(find_policy(root, args.policy)))
    files = list(args.files)
    if args.changed_since is not None:
        files = changed_since(root, args.changed_since, files)
    if args.changed_since is not None and not files:
        result = RunResult(policy.path, (), args.strict, args.no_fail)  # nothing changed: nothing to check
    else:
        result = Checker(policy, root, args.top).run(files, strict=args.strict, no_fail=args.no_fail)
    write_all(outputs, result.as_records(), sys.stdout)
    return result.exit_code()


def changed_since(root: Path, ref: str, files: list[str]) -> list[str]:
    """The models changed since ``ref`` (of ``files``, when any), as paths under ``root``."""
    changed = [str(root / change.path) for change in changed_models(root, ref)]
    if not files:
        return changed
    wanted = {Path(path).resolve() for path in changed}
    return [path for path in files if Path(path).resolve() in wanted]


def root_from_args(root: str | None) -> Path:
    """The repo root: ``--root`` when given (UsageError if not a directory), else the git root."""
    if root is None:
        return repo_root(Path.cwd())
    if not Path(root).is_dir():
        raise UsageError(f"--root: no such directory '{root}'")
    return Path(root)
