"""``edgegate check [FILES...]``: the gate. Checks models against the repo's policy.

With files (as pre-commit passes them) it checks those the policy's globs select; with none,
every ``*.onnx`` under the repo root that a budget selects. Exit codes: 0 pass, 1 an
error-severity violation (warnings too with --strict; never with --no-fail), 3 an unreadable
model, 4 an invalid policy, 5 an unbound model dimension, 2 a usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edgegate.errors import UsageError
from edgegate.policy.discover import find_policy, repo_root, shown_path
from edgegate.policy.load import load_policy
from edgegate.report import text
from edgegate.rules.engine import Checker



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


def run(args: argparse.Namespace) -> int:
    """Load the policy, check the models, print the report, return the exit code."""
    root = root_from_args(args.root)
    policy = load_policy(shown_path(find_policy(root, args.policy)))
    result = Checker(policy, root, args.top).run(args.files, strict=args.strict, no_fail=args.no_fail)
    text.write(result, sys.stdout)
    return result.exit_code()


def root_from_args(root: str | None) -> Path:
    """The repo root: ``--root`` when given (UsageError if not a directory), else the git root."""
    if root is None:
        return repo_root(Path.cwd())
    if not Path(root).is_dir():
        raise UsageError(f"--root: no such directory '{root}'")
    return Path(root)
