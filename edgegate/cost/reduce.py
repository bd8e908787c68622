"""Reductions and selections: Reduce*, ArgMax/ArgMin, TopK, CumSum, CumProd.

The cost model's precise rule: a reduction costs one FLOP per input element, whichever
reduction it is (so ReduceL2 or ReduceLogSumExp do not count their square or exp apart).
"""

from __future__ import annotations

import math

from edgegate.cost.common import axis_of, dims, need, per_output, result
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo


def reduce(node: NodeInfo) -> OpCost:
    """Reduce*, ArgMax, ArgMin: one FLOP per input element.

    With noop_with_empty_axes=1 and no axes the op is an identity: 0 FLOPs.
    """
    if node.attr("noop_with_empty_axes", 0) and not _has_axes(node):
        return OpCost()
    return OpCost(0, need(node, 0, "data").numel)


def _has_axes(node: NodeInfo) -> bool:
    """True when axes come from the attribute or a non-empty axes input."""
    if node.attr("axes"):
        return True
    axes = node.input(1)
    return axes is not None and (axes.shape is None or math.prod(axes.shape) > 0)


def top_k(node: NodeInfo) -> OpCost:
    """TopK: ceil(log2(k)) FLOPs (compares against a k-element heap) per input element, at least 1.

    k is read from the Values output's extent along the axis.
    """
    x = need(node, 0, "data")
    values = dims(result(node))
    k = values[axis_of(node.attr("axis", -1), len(values), node)]
    return OpCost(0, x.numel * max(1, math.ceil(math.log2(max(k, 1)))))


def cumulative(node: NodeInfo) -> OpCost:
    """CumSum, CumProd: one add (multiply) per output element."""
    return per_output(node, 1)
