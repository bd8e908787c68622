"""Git, read only: the files changed between a revision and the working tree.

``edgegate check --changed-since REF`` checks the models added, modified or renamed since
``REF``, committed, staged or edited in the work tree (a file git does not track yet is not a
change); deleted files are skipped. The comparison is ``git diff REF`` against the work tree, so
it needs only REF's commit and tree: a shallow CI clone works once the base is fetched
(``git fetch --depth 1 origin BASE``). In a pull request's merge-commit checkout, REF = the base
commit gives exactly the pull request's changes.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from edgegate.errors import UsageError

STATUSES = {"A": "added", "M": "modified", "R": "renamed", "C": "copied", "T": "modified"}
"""``git diff --name-status`` letters that leave a file to check, and what they mean."""


@dataclass(frozen=True)
class Change:
    """A file that differs from REF: its path now, what happened, and its path at REF."""

    path: str
    status: str
    old_path: str | None = None


def changed_files(root: Path, ref: str) -> list[Change]:
    """Files under ``root`` added, modified, renamed or copied since ``ref`` (paths relative to
    ``root``, posix); UsageError when ``root`` is not in a git work tree or ``ref`` is unknown."""
    _verify(root, ref)
    output = _git(root, "diff", "--name-status", "-z", "--no-color", "--find-renames", "--relative",
                  "--no-ext-diff", "--no-textconv", f"{ref}^{{commit}}", "--")
    fields = output.split("\0")
    changes = []
    index = 0
    while index < len(fields) and fields[index]:
        letter = fields[index][0]
        if letter in ("R", "C"):
            old, new = fields[index + 1], fields[index + 2]
            index += 3
        else:
            old = new = fields[index + 1]
            index += 2
        if letter in STATUSES:
            changes.append(Change(new, STATUSES[letter], None if letter == "A" else old))
    return changes


def changed_models(root: Path, ref: str) -> list[Change]:
    """The changed ``*.onnx`` files, sorted by path."""
    return sorted((c for c in changed_files(root, ref) if c.path.endswith(".onnx")), key=lambda c: c.path)


def changed_among(root: Path, ref: str, paths: Sequence[str]) -> list[str]:
    """Those of ``paths`` (files, as given) that differ from ``ref`` in the git work tree that
    holds ``root``: added, modified or renamed to there, committed, staged or edited. A path
    outside that work tree (an installed package's file) never counts as changed."""
    _verify(root, ref)
    top = Path(_git(root, "rev-parse", "--show-toplevel").strip()).resolve()
    inside = {}
    for path in paths:
        resolved = Path(path).resolve()
        if resolved.is_relative_to(top):
            inside[resolved.relative_to(top).as_posix()] = path
    if not inside:
        return []
    output = _git(top, "diff", "--name-only", "-z", "--no-color", "--no-renames", "--no-ext-diff",
                  "--no-textconv", f"{ref}^{{commit}}", "--", *(f":(literal){name}" for name in inside))
    changed = set(output.split("\0"))
    return [path for name, path in inside.items() if name in changed]


def file_at(root: Path, ref: str, path: str) -> str | None:
    """The text of the file ``path`` (in the work tree that holds ``root``) at ``ref``; None
    when it did not exist there."""
    top = Path(_git(root, "rev-parse", "--show-toplevel").strip()).resolve()
    name = Path(path).resolve().relative_to(top).as_posix()
    done = _run(top, "show", f"{ref}:{name}")
    return done.stdout if done.returncode == 0 else None


def _verify(root: Path, ref: str) -> None:
    """UsageError unless ``root`` is in a git work tree and ``ref`` names a commit there."""
    if ref.startswith("-"):
        raise UsageError(f"--changed-since: '{ref}' is not a git revision")
    if _run(root, "rev-parse", "--is-inside-work-tree").returncode != 0:
        raise UsageError(f"--changed-since: {root} is not inside a git work tree")
    if _run(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode:
        raise UsageError(f"--changed-since: unknown git revision '{ref}' (in a shallow clone, fetch it"
                         f" first: git fetch --depth 1 origin {ref})")


def _git(root: Path, *args: str) -> str:
    """Run git in ``root`` and return its standard output; UsageError naming git's complaint."""
    completed = _run(root, *args)
    if completed.returncode != 0:
        message = completed.stderr.strip().splitlines()[-1:] or ["failed"]
        raise UsageError(f"--changed-since: git {args[0]}: {message[0]}")
    return completed.stdout


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``git -C root ARGS`` with output captured as text (paths undecoded bytes kept)."""
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              encoding="utf-8", errors="surrogateescape", check=False)
    except FileNotFoundError:
        raise UsageError("--changed-since needs git, and git is not installed") from None
