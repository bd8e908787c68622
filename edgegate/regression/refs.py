"""Pull-request deltas: each changed model's REF version, read from git and estimated under the
same budget, so a report can say what a change did to every metric (before, after, percent).

No checkout: ``git show REF:path`` streams the old file into a private temporary directory,
which is removed as soon as that model is measured. A renamed model is compared with its old
path's version; an added one has no "before"; a deleted one has no "after".
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgegate.config.document import load_pyproject
from edgegate.errors import EdgegateError, PolicyError, UsageError
from edgegate.policy.select import selects
from edgegate.policy.types import Budget, Policy
from edgegate.regression.deltas import MetricDelta, deltas_record, metric_deltas
from edgegate.rules.engine import Checker
from edgegate.rules.findings import ModelResult
from edgegate.vcs import changed_among, file_at

Metrics = Mapping[str, int | float]


@dataclass(frozen=True)
class RefChange:
    """A model that differs from REF: its path now (at REF when deleted), what happened, and
    its path at REF (None when added)."""

    path: str
    status: str
    old_path: str | None


@dataclass(frozen=True)
class ModelDelta:
    """One model under one budget: its metrics at REF against now."""

    model: str
    budget: str
    status: str
    old_path: str | None
    deltas: tuple[MetricDelta, ...]
    error: str | None = None

    def record(self) -> dict[str, Any]:
        """As plain JSON data."""
        return {"model": self.model, "budget": self.budget, "status": self.status,
                "old_path": self.old_path, "error": self.error, "metrics": deltas_record(self.deltas)}


@dataclass(frozen=True)
class Before:
    """A model's metrics at REF under one budget: None when it did not exist there; ``error``
    when the REF version could not be estimated."""

    metrics: Metrics | None
    error: str | None = None


def _git_show(root: Path, ref: str, path: str, into: Path) -> bool:
    """Write ``REF:path`` (relative to ``root``) to ``into``; False when REF has no such file."""
    into.parent.mkdir(parents=True, exist_ok=True)
    with open(into, "wb") as stream:
        try:
            done = subprocess.run(["git", "-C", str(root), "show", f"{ref}:./{path}"],
                                  stdout=stream, stderr=subprocess.PIPE, check=False)
        except FileNotFoundError:
            raise UsageError("--changed-since needs git, and git is not installed") from None
    return done.returncode == 0


def policy_changes(policy: Policy, root: Path, ref: str, read: Sequence[str] = ()) -> list[str]:
    """The files of ``policy`` (itself and its ``extends`` chain, a shipped preset only when it
    lies in the repository) and the other files the run ``read`` (a baseline) that changed
    since REF. A pyproject.toml counts only when its ``[tool.edgegate]`` table changed."""
    changed = changed_among(root, ref, [*policy.sources, *read])
    return [path for path in changed
            if Path(path).name != "pyproject.toml" or _table_changed(root, ref, path)]


def _table_changed(root: Path, ref: str, path: str) -> bool:
    """True unless ``[tool.edgegate]`` of ``path`` reads the same now as at REF."""
    before = file_at(root, ref, path)
    if before is None:
        return True
    try:
        old, new = load_pyproject(path, before), load_pyproject(path, Path(path).read_text(encoding="utf-8"))
    except (PolicyError, OSError, UnicodeDecodeError):
        return True
    return old is None or new is None or old.data != new.data


def deleted_models(root: Path, ref: str) -> list[str]:
    """The ``*.onnx`` files under ``root`` that exist at REF and not in the work tree, sorted."""
    done = subprocess.run(["git", "-C", str(root), "diff", "--name-only", "-z", "--diff-filter=D",
                           "--find-renames", "--relative", f"{ref}^{{commit}}", "--"],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise UsageError(f"--changed-since: git diff: {done.stderr.strip() or 'failed'}")
    return sorted(path for path in done.stdout.split("\0") if path.endswith(".onnx"))


class RefVersions:
    """Measures models as they were at ``ref`` under a policy's budgets."""

    def __init__(self, policy: Policy, root: Path, ref: str, changes: Sequence[RefChange]) -> None:
        self.policy, self.root, self.ref = policy, root, ref
        self.changes = {change.path: change for change in changes}

    def measure(self, old_path: str, budgets: Sequence[Budget]) -> dict[str, Before]:
        """The REF version of ``old_path`` under each budget (by name)."""
        with tempfile.TemporaryDirectory(prefix="edgegate-ref-") as folder:
            place = Path(folder)
            if not _git_show(self.root, self.ref, old_path, place / old_path):
                return {budget.name: Before(None) for budget in budgets}
            checker = Checker(self.policy, place)
            found = {}
            for budget in budgets:
                try:
                    found[budget.name] = Before(dict(checker.subject(budget, old_path).metrics))
                except EdgegateError as error:
                    message = str(error).replace(str(place / old_path), f"{self.ref}:{old_path}")
                    found[budget.name] = Before(None, message)
            return found

    def before(self, relative: str, budgets: Sequence[Budget]) -> dict[str, Before] | None:
        """REF metrics of the changed model ``relative`` per budget; None when it did not change."""
        change = self.changes.get(relative)
        if change is None:
            return None
        if change.old_path is None:
            return {budget.name: Before(None) for budget in budgets}
        return self.measure(change.old_path, budgets)

    def deleted(self, old_paths: Sequence[str]) -> list[ModelDelta]:
        """Deltas of models deleted since REF: their REF metrics, nothing after."""
        found = []
        for path in old_paths:
            budgets = [budget for budget in self.policy.budgets if selects(budget, path)]
            for name, before in self.measure(path, budgets).items():
                if before.metrics is not None or before.error is not None:
                    found.append(ModelDelta(path, name, "deleted", path,
                                            metric_deltas(before.metrics, None), before.error))
        return found


def model_delta(result: ModelResult, change: RefChange, before: Before) -> ModelDelta:
    """The delta of one checked model against its REF version."""
    if result.error is not None:
        return ModelDelta(result.model, result.budget, change.status, change.old_path, (),
                          f"now: {result.error}")
    if before.error is not None:
        return ModelDelta(result.model, result.budget, change.status, change.old_path, (),
                          f"at REF: {before.error}")
    return ModelDelta(result.model, result.budget, change.status, change.old_path,
                      metric_deltas(before.metrics, result.metrics))


def deltas_document(ref: str, deltas: Sequence[ModelDelta]) -> dict[str, Any]:
    """The ``deltas`` section of a check's JSON document: REF and each model's delta, by path."""
    ordered = sorted(deltas, key=lambda d: d.model)
    return {"ref": ref, "models": [delta.record() for delta in ordered]}
