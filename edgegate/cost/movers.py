"""Data movers: ops that copy, select or rearrange elements without arithmetic.

They are layers with 0 FLOPs; the estimator charges the memory they read and write.
"""

from __future__ import annotations

from edgegate.cost.common import need, result
from edgegate.cost.types import NodeInfo, OpCost, Uncostable


def data_mover(node: NodeInfo) -> OpCost:
    """Concat, Split, Slice, Transpose, Pad, Gather*, Tile, Expand, Cast...: 0 FLOPs."""
    return OpCost()


def scatter(node: NodeInfo) -> OpCost:
    """ScatterND, ScatterElements: 0 FLOPs with reduction "none", else one per updates element."""
    if node.attr("reduction", "none") == "none":
        return OpCost()
    return OpCost(0, need(node, 2, "updates").numel)


def data_dependent(node: NodeInfo) -> OpCost:
    """NonZero, Compress: 0 FLOPs; Uncostable while the output size (set by the data) is unknown."""
    if not result(node).known:
        raise Uncostable(f"{node.op_type} node '{node.name}': output size depends on the data")
    return OpCost()
