"""``edgegate policy validate PATH...``: check policy files without running the gate.

Lists every problem (schema and semantic) with file:line:col; exit 0 when all are valid,
4 (invalid policy) otherwise. A target file (top-level ``peak``, no ``budgets``, as
``edgegate target measure`` writes) is validated as a target.
"""

from __future__ import annotations

import argparse
import sys

from edgegate.config.document import load_yaml, read_policy_text
from edgegate.errors import ExitCode, PolicyError
from edgegate.policy.load import load_policy
from edgegate.printable import printable
from edgegate.target.load import load_target_file


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``validate`` action and its paths."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    validate = actions.add_parser("validate", help="validate policy and target files",
                                  description="Validate policy files (and target files) and list"
                                  " every problem.")
    validate.add_argument("paths", nargs="+", metavar="PATH", help="policy or target files")


def is_target_file(path: str) -> bool:
    """True when ``path`` is YAML whose top level has ``peak`` and no ``budgets``: a target file."""
    try:
        data = load_yaml(path, read_policy_text(path)).data
    except PolicyError:
        return False
    return isinstance(data, dict) and "peak" in data and "budgets" not in data


def _validate(path: str) -> str:
    """``PATH: valid (...)``; PolicyError when the file is not."""
    if is_target_file(path):
        target = load_target_file(path)
        efficiency = ", ".join(sorted(target.efficiency)) or "none"
        return (f"{printable(path)}: valid target (peaks: {printable(', '.join(target.peak))};"
                f" op class efficiencies: {printable(efficiency)})")
    count = len(load_policy(path).budgets)
    return f"{printable(path)}: valid ({count} budget{'' if count == 1 else 's'})"


def run(args: argparse.Namespace) -> int:
    """Validate each path; print ``PATH: valid`` or each problem."""
    code = ExitCode.OK
    for path in args.paths:
        try:
            print(_validate(path))
        except PolicyError as error:
            for problem in getattr(error, "problems", [error]):
                print(f"edgegate: error: {printable(str(problem))}", file=sys.stderr)
            code = ExitCode.POLICY_ERROR
    return int(code)
