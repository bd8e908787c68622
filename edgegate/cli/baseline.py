"""``edgegate baseline [FILES...] --out PATH``: record every metric of the selected models.

The file is stable, sorted JSON meant to be committed; ``edgegate check --baseline PATH``
compares against it (``max_increase`` limits). ``--update`` keeps the entries of models this
run does not check. A model that cannot be estimated is reported and left out (its exit code).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edgegate.cli.runopts import (
    add_policy_arguments,
    add_scale_arguments,
    nothing_checked,
    run_scaled,
    spec_of,
)
from edgegate.errors import ExitCode
from edgegate.files import size_of
from edgegate.printable import printable
from edgegate.regression.baseline import (
    baseline_document,
    check_baseline_target,
    load_baseline,
    write_baseline,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``edgegate baseline``."""
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="models to record (default: every model the policy selects)")
    parser.add_argument("--out", required=True, metavar="PATH", help="baseline file to write")
    parser.add_argument("--update", action="store_true",
                        help="keep the entries of --out for models this run does not check")
    add_policy_arguments(parser)
    add_scale_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Estimate the selected models under the policy and write the baseline."""
    check_baseline_target(args.out)
    spec = spec_of(args)
    files = list(args.files) or None
    result = run_scaled(args, spec, files).result
    if not result.results:
        note = nothing_checked(spec, None if args.all else files, args.shard, "file given")
        print(f"edgegate: nothing to record, {printable(args.out)} left as it is: {printable(note)}",
              file=sys.stderr)
        return int(ExitCode.OK)
    keep = None
    if args.update and size_of(args.out):
        keep = load_baseline(args.out).document.get("models", {})
    document = baseline_document(result, Path(spec.root), keep)
    write_baseline(document, args.out)
    code = int(ExitCode.OK)
    for model in result.results:
        if model.error is not None:
            print(f"edgegate: error: {printable(model.error)} (not recorded)", file=sys.stderr)
            code = max(code, model.exit_code)
    recorded = sum(len(budgets) for budgets in document["models"].values())
    print(f"{printable(args.out)}: {recorded} baseline entr{'y' if recorded == 1 else 'ies'} for"
          f" {len(document['models'])} model{'' if len(document['models']) == 1 else 's'}")
    return code
