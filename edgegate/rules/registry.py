"""The rules, by ID: :data:`RULES` maps each rule's ``ID`` to its module."""

from __future__ import annotations

from types import ModuleType

from edgegate.rules import dtypes, dynamic_dims, fits_on_chip, limits, ops, opset, unestimated

RULES: dict[str, ModuleType] = {
    dtypes.ID: dtypes,
    dynamic_dims.ID: dynamic_dims,
    fits_on_chip.ID: fits_on_chip,
    limits.ID: limits,
    ops.ID: ops,
    opset.ID: opset,
    unestimated.ID: unestimated,
}

