"""Op classes and a target's ``efficiency:`` table: the share of peak compute each class reaches.

A layer's roofline compute time is its FLOPs / (peak x efficiency of its class). The classes
(version 1, defined in docs/targets.md) group layers whose kernels run at similar rates on a
device; ``edgegate.target.classify`` puts each layer in one. A class a table does not list,
and every class on a target with no table, has efficiency 1: the datasheet roofline.
"""

from __future__ import annotations

from collections.abc import Mapping

CLASSES_VERSION = 1
"""The version of the class definitions below; an ``efficiency:`` table states the one it used."""

OP_CLASSES: dict[str, str] = {
    "conv": "Conv-like layer with a kernel larger than 1 (3x3, 5x5, 7x7...), not depthwise",
    "depthwise": "Conv-like layer with more than one group and one input channel per group",
    "pointwise": "Conv-like layer with a 1x1 (1, 1x1x1) kernel, not depthwise",
    "gemm": "Gemm/MatMul-like layer with a constant (weight) operand",
    "attention": "MatMul-like layer of two activations (Q x K^T, scores x V), or an attention op",
    "elementwise": "one FLOP per output element: unary, binary and variadic math, activations,"
                   " comparisons, standalone BatchNormalization",
    "pooling": "AveragePool, MaxPool, LpPool and their global and quantized forms",
    "other": "everything else: normalizations, softmax, reductions, resize, recurrent cells,"
             " data movers, control flow",
}
"""Each op class and what it holds; docs/targets.md spells out the op types."""

Efficiency = Mapping[str, Mapping[str, float]]
"""precision -> op class -> share of that precision's peak (more than 0)."""


def efficiency_of(table: Efficiency, precision: str, op_class: str) -> float:
    """The efficiency of ``op_class`` at ``precision`` in ``table``; 1 when it lists none."""
    return table.get(precision, {}).get(op_class, 1.0)


def compute_seconds(flops: int, peak: float, efficiency: float) -> float:
    """Roofline compute time of ``flops`` at ``peak`` FLOP/s reached at ``efficiency`` of it."""
    return flops / (peak * efficiency)
