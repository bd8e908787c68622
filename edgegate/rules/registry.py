"""The rules, by ID: :data:`RULES` maps each rule's ``ID`` to its module."""

from __future__ import annotations

from types import ModuleType

from edgegate.rules import (
    dtypes,
    dynamic_dims,
    fits_on_chip,
    limits,
    ops,
    opset,
    unestimated,
    unselected,
    unused_budget,
)

RULES: dict[str, ModuleType] = {
    dtypes.ID: dtypes,
    dynamic_dims.ID: dynamic_dims,
    fits_on_chip.ID: fits_on_chip,
    limits.ID: limits,
    ops.ID: ops,
    opset.ID: opset,
    unestimated.ID: unestimated,
}
"""The rules each model is checked against under each budget (``check(subject)``)."""

SELECTION: dict[str, ModuleType] = {unselected.ID: unselected, unused_budget.ID: unused_budget}
"""The rules about which models the budgets select, checked once per run (``notices(...)``)."""

DESCRIBED: dict[str, ModuleType] = {**RULES, **SELECTION}
"""Every rule a finding can name, for reports that describe rules (SARIF)."""
