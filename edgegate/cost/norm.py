"""Normalizations and softmax-like ops, each with a documented per-element formula.

The cost model leaves these open; edgegate counts per element of the output:
normalizing costs 5 (an add for the mean, a subtract to centre, a square and an add for the
variance, a multiply by the reciprocal deviation), an affine scale 1 and a shift 1. Work done
once per normalized row (the divides by the row length, epsilon, the square root) is not
counted: it does not grow with the element count.
"""

from __future__ import annotations

from edgegate.cost.common import has, per_output
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo, Uncostable

NORMALIZE = 5
"""FLOPs per element to normalize: mean add, centre, square, variance add, scale by 1/std."""

RMS_NORMALIZE = 3
"""FLOPs per element of RMS normalization: square, sum add, multiply by 1/rms."""

SOFTMAX = 5
"""FLOPs per element of softmax: max compare, subtract the max, exp, sum add, divide."""


def batch_norm(node: NodeInfo) -> OpCost:
    """BatchNormalization standing alone: 2 FLOPs per element (scale and shift).

    Folding into a preceding Conv/Gemm is the estimator's job; training mode is Uncostable.
    """
    if node.attr("training_mode", 0):
        raise Uncostable(f"BatchNormalization node '{node.name}' is in training mode")
    return per_output(node, 2)


def layer_norm(node: NodeInfo) -> OpCost:
    """LayerNormalization: 5 FLOPs per element to normalize, + 1 for Scale, + 1 when B is given."""
    return per_output(node, NORMALIZE + 1 + (1 if has(node, 2) else 0))


def rms_norm(node: NodeInfo) -> OpCost:
    """RMSNormalization: 4 FLOPs per element (RMS-normalize 3: square, sum add, 1/rms; scale 1)."""
    return per_output(node, RMS_NORMALIZE + 1)


def affine_norm(node: NodeInfo) -> OpCost:
    """InstanceNormalization, GroupNormalization: 7 FLOPs per element (normalize 5, scale, bias)."""
    return per_output(node, NORMALIZE + 2)


def mean_variance_norm(node: NodeInfo) -> OpCost:
    """MeanVarianceNormalization: 5 FLOPs per element (normalize, no affine)."""
    return per_output(node, NORMALIZE)


def lp_norm(node: NodeInfo) -> OpCost:
    """LpNormalization: 3 FLOPs per element (|x| or x^2, sum add, divide); the root is per row."""
    return per_output(node, 3)


def lrn(node: NodeInfo) -> OpCost:
    """LRN: 2 * size + 3 FLOPs per element.

    Sum of squares over the window: size multiplies + (size - 1) adds; then bias + alpha/size
    * sum (2), the power beta (1) and the divide (1).
    """
    size = node.attr("size")
    if not size:
        raise Uncostable(f"LRN node '{node.name}' has no size attribute")
    return per_output(node, 2 * size + 3)


def softmax(node: NodeInfo) -> OpCost:
    """Softmax, LogSoftmax: 5 FLOPs per element (max, subtract, exp, sum, divide or subtract).

    LogSoftmax's final step subtracts the log of the sum instead of dividing; the log is per row.
    """
    return per_output(node, SOFTMAX)


def hardmax(node: NodeInfo) -> OpCost:
    """Hardmax: one FLOP (a compare) per element; writing the one-hot result is data movement."""
    return per_output(node, 1)
