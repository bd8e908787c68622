"""Elementwise ops, unary, binary and variadic, including activations and comparisons.

The cost model's precise rule: every elementwise op costs one FLOP per output element,
whatever it computes (Erf, Exp, Sigmoid, HardSwish, Swish, Pow, Where, Max...); a fused
pair such as SwiGLU counts each op it fuses.
"""

from __future__ import annotations

from edgegate.cost.common import per_output
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo


def elementwise(node: NodeInfo) -> OpCost:
    """Unary or binary elementwise op: one FLOP per output element, no MACs."""
    return per_output(node, 1)


def variadic(node: NodeInfo) -> OpCost:
    """Sum/Min/Max/Mean of n inputs: max(n - 1, 1) FLOPs per output element.

    n - 1 pairwise steps (so two inputs cost one, as any binary op); Mean's divide is not
    counted, to keep its two-input form at the elementwise rule's one FLOP.
    """
    count = sum(1 for t in node.inputs if t is not None)
    return per_output(node, max(count - 1, 1))


def swiglu(node: NodeInfo) -> OpCost:
    """SwiGLU, Swish(A) * B: 2 FLOPs per output element (the Swish and the multiply, one each)."""
    return per_output(node, 2)
