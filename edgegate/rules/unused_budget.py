"""unused_budget: in a run over the whole tree, every budget's ``include`` matches a model.

A budget whose ``include`` globs match no model under the root is a typo or a leftover; it is
one warning of this rule, reported at the policy file under that budget's name (so every
report shows it, and ``--strict`` fails on it). Only ``include`` counts: a catch-all budget
that excludes every model there is today (as ``edgegate init`` writes one, for the models
added later) is not unused. Runs over given files, ``--changed-since`` and shards other than
the first see only part of the tree and do not check it. ``unselected: off`` turns it off
with the stray-model findings.
"""

from __future__ import annotations

from collections.abc import Sequence

from edgegate.policy.select import matches
from edgegate.policy.types import Policy
from edgegate.rules.findings import Finding, ModelResult

ID = "unused_budget"
SUMMARY = "Every budget's include matches at least one model of the tree."


def notices(policy: Policy, where: str, models: Sequence[str]) -> list[ModelResult]:
    """A warning result at ``where`` (the policy file, repo-relative) for each budget whose
    ``include`` matches none of ``models`` (every model of the tree); none under
    ``unselected: off``."""
    if policy.unselected == "off":
        return []
    found = []
    for budget in policy.budgets:
        if any(matches(path, budget.include) for path in models):
            continue
        found.append(ModelResult(where, budget.name, (Finding(
            ID, "warning", False, where,
            f"the include of budget '{budget.name}' ({', '.join(budget.include)}) matches none of the"
            f" {len(models)} model{'' if len(models) == 1 else 's'} under the root: fix its globs or"
            " remove the budget",
            budget=budget.name),), kind="selection"))
    return found
