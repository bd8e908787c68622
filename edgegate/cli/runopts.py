"""Options shared by the commands that run a policy over models (check, baseline): which
policy and root, which models (--all, --shard), how many processes (--jobs); and the models
changed since a git revision, with their REF versions for deltas."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from edgegate.errors import UsageError
from edgegate.parallel import CheckRun, CheckSpec, parse_shard, run_checks
from edgegate.policy.discover import find_policy, repo_root, shown_path
from edgegate.refdelta import RefChange, deleted_models
from edgegate.vcs import changed_models


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
    if not Path(root).is_dir():
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


def with_changes(spec: CheckSpec, ref: str) -> tuple[CheckSpec, list[str]]:
    """``spec`` measuring deltas against ``ref``, and the changed models to check (paths under
    the root): added, modified, renamed or copied since REF; deleted ones get deltas only."""
    root = Path(spec.root)
    changes = tuple(RefChange(c.path, c.status, c.old_path) for c in changed_models(root, ref))
    deleted = tuple(deleted_models(root, ref))
    return replace(spec, ref=ref, changes=changes, deleted=deleted), [str(root / c.path) for c in changes]
