"""A Checker whose subjects carry the metrics they are compared against (``max_increase``),
and which measures changed models' REF versions for pull-request deltas.

The "before" of a model for relative limits is its baseline entry (``--baseline``; refused
when recorded under other settings), else, with ``--changed-since REF``, its REF version. A
model with neither is checked without relative limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path

from edgegate.policy.types import Budget, Policy
from edgegate.regression.baseline import Baseline, shaping
from edgegate.regression.refs import Before, ModelDelta, RefVersions, model_delta
from edgegate.rules.engine import Checker, target_record
from edgegate.rules.findings import ModelResult
from edgegate.rules.limits import Compared
from edgegate.rules.subject import Subject


class ComparingChecker(Checker):
    """Checks models against a policy, a baseline where it has them, and their REF versions."""

    def __init__(self, policy: Policy, root: Path, top: int = 3, baseline: Baseline | None = None,
                 ref: RefVersions | None = None) -> None:
        super().__init__(policy, root, top)
        self.baseline = baseline
        self.ref = ref
        self._at_ref: dict[str, Before] = {}

    def check_all(self, relative: str) -> tuple[list[ModelResult], list[ModelDelta]]:
        """``relative`` under every budget that selects it (policy order), and its deltas
        against REF when it changed since then."""
        budgets = self.budgets_for(relative)
        change = None if self.ref is None else self.ref.changes.get(relative)
        self._at_ref = {} if self.ref is None else self.ref.before(relative, budgets) or {}
        try:
            results = [self.check_model(budget, relative) for budget in budgets]
        finally:
            at_ref, self._at_ref = self._at_ref, {}
        deltas = [] if change is None else [model_delta(r, change, at_ref[r.budget]) for r in results]
        return results, deltas

    def subject(self, budget: Budget, relative: str) -> Subject:
        """The plain subject, as :class:`Compared` when there is something to compare to."""
        subject = super().subject(budget, relative)
        before = self.before(budget, relative, subject)
        if before is None:
            return subject
        values = {item.name: getattr(subject, item.name) for item in fields(Subject)}
        return Compared(**values, before=before[0], label=before[1])

    def before(self, budget: Budget, relative: str,
               subject: Subject) -> tuple[Mapping[str, int | float], str] | None:
        """(metrics, what they are) to compare ``relative`` under ``budget`` with: the baseline
        entry, else the REF version; None when there is neither. UsageError when the baseline
        was recorded under other settings."""
        if self.baseline is not None:
            entry = self.baseline.entry(relative, budget.name)
            if entry is None:
                return None
            target = (None if subject.report is None or subject.target is None
                      else target_record(subject.report, subject.target))
            self.baseline.require_same(entry, shaping(budget.settings.record(), target))
            return entry.metrics, "baseline"
        at_ref = self._at_ref.get(budget.name)
        if at_ref is None or at_ref.metrics is None or self.ref is None:
            return None
        return at_ref.metrics, f"{self.ref.ref} version"
