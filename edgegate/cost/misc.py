"""Ops that fit no family: shape queries, Range, NonMaxSuppression, Unique, Det, random draws."""

from __future__ import annotations

import math

from edgegate.cost.common import axis_of, dims, need, per_output, result
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo, Uncostable


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


def unique(node: NodeInfo) -> OpCost:
    """Unique: numel(X) * (ceil(log2 n) + 1) compares (sort n slices, then drop repeats).

    n is the number of slices along ``axis`` (elements when flattened). Uncostable while the
    output size, set by the data, is unknown.
    """
    if not result(node).known:
        raise Uncostable(f"Unique node '{node.name}': output size depends on the data")
    x = need(node, 0, "X")
    axis = node.attr("axis")
    slices = x.numel if axis is None else dims(x)[axis_of(axis, x.rank, node)]
    return OpCost(0, x.numel * (math.ceil(math.log2(max(slices, 1))) + 1))


def det(node: NodeInfo) -> OpCost:
    """Det by LU elimination, per n x n matrix: (n-1)n(2n-1)/6 MACs (n^3/3 to leading order).

    FLOPs = 2 * MACs + n(n-1)/2 divides for the multipliers + n - 1 multiplies of the diagonal.
    """
    x = dims(need(node, 0, "X"))
    if len(x) < 2 or x[-1] != x[-2]:
        raise Uncostable(f"Det node '{node.name}' has input of shape {x}, not square matrices")
    count, n = math.prod(x[:-2]), x[-1]
    macs = (n - 1) * n * (2 * n - 1) // 6 if n else 0
    flops = 2 * macs + n * (n - 1) // 2 + max(n - 1, 0)
    return OpCost(count * macs, count * flops)


def random_draw(node: NodeInfo) -> OpCost:
    """RandomNormal/Uniform(Like), Bernoulli: one FLOP per output element (a draw: a unary op)."""
    return per_output(node, 1)


def multinomial(node: NodeInfo) -> OpCost:
    """Multinomial: 2 FLOPs per input element + (1 + ceil(log2 C)) per sample.

    Each row's CDF costs an exp and a running add per class; a sample is a uniform draw and
    a binary search over the C classes.
    """
    x = dims(need(node, 0, "input"))
    if len(x) != 2:
        raise Uncostable(f"Multinomial node '{node.name}' has input of shape {x}, not (B, C)")
    search = math.ceil(math.log2(max(x[1], 1)))
    return OpCost(0, 2 * math.prod(x) + result(node).numel * (1 + search))
