"""Ops that fit no family: shape queries, Range, NonMaxSuppression."""

from __future__ import annotations

from edgegate.cost.common import per_output
from edgegate.cost.types import NodeInfo, OpCost, Uncostable


def shape_query(node: NodeInfo) -> OpCost:
    """Shape, Size: 0 FLOPs; they read only their input's shape (shape arithmetic once bound)."""
    return OpCost()


def range_(node: NodeInfo) -> OpCost:
    """Range: one FLOP (an add of delta) per output element."""
    return per_output(node, 1)


def non_max_suppression(node: NodeInfo) -> OpCost:
    """NonMaxSuppression: always Uncostable.

    How many boxes it keeps, and so its work and its output, depend on the scores.
    """
    raise Uncostable(
        f"NonMaxSuppression node '{node.name}': the boxes kept, and so its cost, depend on the data"
    )
