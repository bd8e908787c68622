"""Data movers: ops that copy, select or rearrange elements without arithmetic.

They are layers with 0 FLOPs; the estimator charges the memory they read and write. Those
that accumulate (scatter with a reduction, Col2Im) count one FLOP per accumulated element.
"""

from __future__ import annotations

from edgegate.cost.common import need, result
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo, Uncostable


def data_mover(node: NodeInfo) -> OpCost:
    """Concat, Split, Slice, Transpose, Pad, Gather*, Tile, Expand, Cast, lookups...: 0 FLOPs."""
    return OpCost()


def scatter(node: NodeInfo) -> OpCost:
    """ScatterND, ScatterElements, Scatter: 0 FLOPs without a reduction, else one per update."""
    if node.attr("reduction", "none") == "none":
        return OpCost()
    return OpCost(0, need(node, 2, "updates").numel)


def col2im(node: NodeInfo) -> OpCost:
    """Col2Im: one add per input element (each column entry accumulates into its pixel)."""
    return OpCost(0, need(node, 0, "input").numel)


def data_dependent(node: NodeInfo) -> OpCost:
    """NonZero, Compress: 0 FLOPs; Uncostable while the output size (set by the data) is unknown."""
    if not result(node).known:
        raise Uncostable(f"{node.op_type} node '{node.name}': output size depends on the data")
    return OpCost()
