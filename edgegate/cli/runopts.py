"""Options shared by the commands that run a policy over models (check, baseline): which
policy and root, which models (--all, --shard), how many processes (--jobs); the models
changed since a git revision, with their REF versions for deltas; and what a run that
checked no model means."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from edgegate.errors import UsageError
from edgegate.files import is_dir
from edgegate.policy.discover import find_policy, repo_root, shown_path
from edgegate.policy.load import load_policy
from edgegate.policy.select import selects
from edgegate.policy.types import Policy
from edgegate.rules.engine import discover_models
from edgegate.scale.parallel import CheckRun, CheckSpec, parse_shard, relative_path, run_checks


def add_policy_arguments(parser: argparse.ArgumentParser) -> None:
    """--policy and --root."""
    parser.add_argument("--policy", metavar="PATH",
                        help="policy file (default: edgegate.yaml, .edgegate.yaml or"
                        " [tool.edgegate] in pyproject.toml at the repo root)")
    parser.add_argument("--root", metavar="DIR",
                        help="repo root that globs are relative to (default: the git root)")


def add_scale_arguments(parser: argparse.ArgumentParser) -> None:
    """--all, --jobs and --shard."""
    parser.add_argument("--all", action="store_true",
                        help="check every model under the root that a budget selects,"
                        " ignoring FILE arguments")
    parser.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                        help="check models in N processes (0: one per CPU; default: 1)")
    parser.add_argument("--shard", metavar="K/N",
                        help="check only shard K of N (a stable partition by path, for a CI"
                        " matrix; combine the shards' --json files with `edgegate merge`)")


def root_from_args(root: str | None) -> Path:
    """The repo root: ``--root`` when given (UsageError if not a directory), else the git root."""
    if root is None:
        return repo_root(Path.cwd())
    if not is_dir(root):
        raise UsageError(f"--root: no such directory '{root}'")
    return Path(root)


def spec_of(args: argparse.Namespace) -> CheckSpec:
    """The CheckSpec that --policy and --root describe."""
    root = root_from_args(args.root)
    return CheckSpec(shown_path(find_policy(root, args.policy)), str(root))


def run_scaled(args: argparse.Namespace, spec: CheckSpec, files: list[str] | None,
               strict: bool = False, no_fail: bool = False) -> CheckRun:
    """Run ``spec`` over ``files`` (None or --all: every model) with --jobs and --shard."""
    shard = parse_shard(args.shard) if args.shard else None
    chosen = None if args.all else files
    return run_checks(spec, chosen, strict, no_fail, args.jobs, shard, sys.stderr)


def split_files(policy: Policy, root: Path, files: Sequence[str],
                read: Sequence[str]) -> tuple[list[str], list[str]]:
    """(the models among ``files``: ``*.onnx`` files and files a budget selects; the files of
    the policy among them: its own files (``policy.sources``) and the others the run ``read``,
    such as a baseline). Any other file is left out: pre-commit passes every staged file its
    pattern matches, policy candidates and unrelated YAML alike."""
    own = {Path(path).resolve() for path in (*policy.sources, *read)}
    models: list[str] = []
    given: list[str] = []
    for path in files:
        if Path(path).resolve() in own:
            given.append(path)
        elif path.endswith(".onnx") or any(selects(b, relative_path(root, path)) for b in policy.budgets):
            models.append(path)
    return models, given


def with_changes(spec: CheckSpec, ref: str) -> tuple[CheckSpec, list[str]]:
    """``spec`` measuring deltas against ``ref``, and the changed models to check (paths under
    the root): added, modified, renamed or copied since REF; deleted ones get deltas only."""
    # the regression layer and git (15 ms of a hook's start-up): with --changed-since only
    from edgegate.regression.refs import RefChange, deleted_models
    from edgegate.vcs import changed_models

    root = Path(spec.root)
    changes = tuple(RefChange(c.path, c.status, c.old_path) for c in changed_models(root, ref))
    deleted = tuple(deleted_models(root, ref))
    return replace(spec, ref=ref, changes=changes, deleted=deleted), [str(root / c.path) for c in changes]


def nothing_checked(spec: CheckSpec, files: list[str] | None, shard: str | None, what: str) -> str:
    """Why a run checked no model, as one line: the policy selects none of ``files`` (each a
    ``what``: "file given"; None: every model under the root), or ``shard`` holds none of
    those it selects.

    UsageError when the run was over every model and the policy selects none of them: a
    policy whose globs match nothing would otherwise pass every build.
    """
    root = Path(spec.root)
    paths = discover_models(root) if files is None else [relative_path(root, path) for path in files]
    budgets = load_policy(spec.policy).budgets
    selected = [path for path in paths if any(selects(budget, path) for budget in budgets)]
    if selected and shard is not None:
        index, count = parse_shard(shard)
        noun = "model" if files is None else what
        return f"shard {index}/{count} holds none of the {counted(len(selected), noun)} {spec.policy} selects"
    if files is None:
        plural = "" if len(paths) == 1 else "s"
        found = (f"it holds {len(paths)} *.onnx file{plural}: check the budgets' include globs"
                 if paths else "there is no *.onnx file there: check --root")
        raise UsageError(f"{spec.policy} selects no model under {root.resolve()} ({found})")
    if not paths:
        return f"no {what}"
    return f"{spec.policy} selects none of the {counted(len(paths), what)}"


def counted(number: int, noun: str) -> str:
    """``1 model``, ``3 models``; a noun with a tail pluralizes its first word (``models changed``)."""
    head, _, tail = noun.partition(" ")
    return f"{number} {head}{'' if number == 1 else 's'}{' ' + tail if tail else ''}"
