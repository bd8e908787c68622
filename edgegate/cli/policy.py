"""``edgegate policy validate PATH...``: check policy files without running the gate.

Lists every problem (schema and semantic) with file:line:col; exit 0 when all are valid,
4 (invalid policy) otherwise.
"""

from __future__ import annotations

import argparse
import sys

from edgegate.errors import ExitCode, PolicyError
from edgegate.policy.load import load_policy


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``validate`` action and its paths."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    validate = actions.add_parser("validate", help="validate policy files",
                                  description="Validate policy files and list every problem.")
    validate.add_argument("paths", nargs="+", metavar="PATH", help="policy files")


def run(args: argparse.Namespace) -> int:
    """Validate each path; print ``PATH: valid`` or each problem."""
    code = ExitCode.OK
    for path in args.paths:
        try:
            policy = load_policy(path)
        except PolicyError as error:
            for problem in getattr(error, "problems", [error]):
                print(f"edgegate: error: {problem}", file=sys.stderr)
            code = ExitCode.POLICY_ERROR
            continue
        count = len(policy.budgets)
        print(f"{path}: valid ({count} budget{'' if count == 1 else 's'})")
    return int(code)
