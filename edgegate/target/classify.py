"""Put each layer of an estimate in its op class (``edgegate.target.efficiency.OP_CLASSES``).

A layer's class is its anchor's (the first node of a fused chain): Conv+BN+Relu is a conv.
The table below maps op types to classes; Conv-like and MatMul-like ops need the model
itself: a convolution's kernel and channels per group come from its ``kernel_shape``/``group``
attributes and its stored weight's shape, and a MatMul is a gemm when an operand is a
constant (initializer, Constant node, or computed from constants only). The model is read
again without weights, with local functions inlined as the estimator does.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Mapping, Sequence

import onnx
import onnx.inliner

from edgegate.cost import elementwise
from edgegate.cost.registry import OPS
from edgegate.estimator.result import Estimate, Layer
from edgegate.model.domains import op_key
from edgegate.model.load import load_model

CONV_WEIGHT: dict[str, int] = {
    "Conv": 1,
    "ConvInteger": 1,
    "ConvTranspose": 1,
    "DeformConv": 1,
    "QLinearConv": 3,
    "com.microsoft.FusedConv": 1,
    "com.microsoft.QLinearConv": 3,
    "com.microsoft.nchwc.Conv": 1,
}
"""Conv-like ops and the index of their weight input."""

MATMUL_OPERANDS: dict[str, tuple[int, int]] = {
    "Gemm": (0, 1),
    "MatMul": (0, 1),
    "MatMulInteger": (0, 1),
    "QLinearMatMul": (0, 3),
    "com.microsoft.DynamicQuantizeMatMul": (0, 1),
    "com.microsoft.FusedGemm": (0, 1),
    "com.microsoft.FusedMatMul": (0, 1),
    "com.microsoft.MatMulIntegerToFloat": (0, 1),
    "com.microsoft.MatMulNBits": (0, 1),
    "com.microsoft.QGemm": (0, 3),
}
"""MatMul-like ops and the indices of their two matrix operands."""

_ELEMENTWISE_FORMULAS = (elementwise.elementwise, elementwise.variadic, elementwise.swiglu)

OP_CLASS: dict[str, str] = {
    **{key: "elementwise" for key, formula in OPS.items() if formula in _ELEMENTWISE_FORMULAS},
    "Attention": "attention",
    "AveragePool": "pooling",
    "BatchNormalization": "elementwise",
    "GlobalAveragePool": "pooling",
    "GlobalLpPool": "pooling",
    "GlobalMaxPool": "pooling",
    "LpPool": "pooling",
    "MaxPool": "pooling",
    "com.microsoft.Attention": "attention",
    "com.microsoft.BiasAdd": "elementwise",
    "com.microsoft.BiasGelu": "elementwise",
    "com.microsoft.FastGelu": "elementwise",
    "com.microsoft.MultiHeadAttention": "attention",
    "com.microsoft.QAttention": "attention",
    "com.microsoft.QLinearAveragePool": "pooling",
    "com.microsoft.QLinearGlobalAveragePool": "pooling",
    "com.microsoft.nchwc.AveragePool": "pooling",
    "com.microsoft.nchwc.GlobalAveragePool": "pooling",
    "com.microsoft.nchwc.GlobalMaxPool": "pooling",
    "com.microsoft.nchwc.MaxPool": "pooling",
}
"""Op types whose class needs no more than the op type; the rest not listed here are other."""

_SAME_SHAPE = frozenset({"Cast", "CastLike", "DequantizeLinear", "Identity", "QuantizeLinear",
                         "com.microsoft.DequantizeLinear", "com.microsoft.QuantizeLinear"})

Stored = Mapping[str, "tuple[int, ...] | None"]
"""Constant tensor name -> its shape when the file states it (None when it does not)."""


def conv_class(key: str, group: int, kernel: Sequence[int], weight: tuple[int, ...] | None) -> str:
    """depthwise, pointwise or conv for a Conv-like op ``key`` with ``group`` groups, its
    ``kernel_shape`` attribute (empty when not set) and its stored weight shape ``weight``.

    Depthwise: more than one group, each of one input channel (weight [Cout, 1, ...]; for
    ConvTranspose, weight [Cin, Cout/g, ...] with Cin = group). With no stored weight shape,
    more than one group counts as depthwise. Pointwise: a kernel of one element. A kernel
    neither the attribute nor the weight gives counts as larger than 1.
    """
    if group > 1:
        if weight is None or len(weight) < 2:
            return "depthwise"
        per_group = weight[0] // group if key == "ConvTranspose" else weight[1]
        if per_group == 1:
            return "depthwise"
    if not kernel and weight is not None:
        kernel = weight[2:]
    if kernel and math.prod(kernel) == 1:
        return "pointwise"
    return "conv"


def node_class(node: onnx.NodeProto, stored: Stored) -> str:
    """The op class of ``node``, reading its attributes and its inputs' constness in ``stored``."""
    key = op_key(node.op_type, node.domain)
    if key in CONV_WEIGHT:
        index = CONV_WEIGHT[key]
        name = node.input[index] if index < len(node.input) else ""
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        return conv_class(key, int(attrs.get("group", 1)), list(attrs.get("kernel_shape", [])),
                          stored.get(name))
    if key in MATMUL_OPERANDS:
        operands = [node.input[i] for i in MATMUL_OPERANDS[key] if i < len(node.input)]
        return "gemm" if any(name in stored for name in operands) else "attention"
    return OP_CLASS.get(key, "other")


def stored_constants(graph: onnx.GraphProto) -> dict[str, tuple[int, ...] | None]:
    """Every constant of ``graph`` (initializers, Constant nodes, nodes of constants only) with
    its shape where the file states it (initializers, Constant values, copies of them)."""
    known: dict[str, tuple[int, ...] | None] = {t.name: tuple(t.dims) for t in graph.initializer}
    known.update({t.values.name: tuple(t.dims) for t in graph.sparse_initializer})
    for node in graph.node:
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            value = next((a.t for a in node.attribute if a.name == "value"), None)
            known[node.output[0]] = tuple(value.dims) if value is not None else None
        elif node.input and all(not name or name in known for name in node.input):
            same = op_key(node.op_type, node.domain) in _SAME_SHAPE
            for name in node.output:
                known[name] = known[node.input[0]] if same else None
    return known


def _fallback(layer: Layer) -> str:
    """The class from the layer alone when its anchor is not found in the file."""
    key = layer.op_types[0]
    if key in CONV_WEIGHT:
        return "conv"
    if key in MATMUL_OPERANDS:
        return "gemm" if layer.weights else "attention"
    return OP_CLASS.get(key, "other")


def layer_classes(estimate: Estimate, model: onnx.ModelProto | None = None) -> tuple[str, ...]:
    """The op class of each of ``estimate``'s layers, in order; ``model`` defaults to its file."""
    proto = model if model is not None else load_model(estimate.model)
    if proto.functions:
        proto = onnx.inliner.inline_local_functions(proto)
    graph = proto.graph
    stored = stored_constants(graph)
    by_label: dict[str, deque[onnx.NodeProto]] = defaultdict(deque)
    for node in graph.node:
        by_label[node.name or f"{node.op_type}:{node.output[0] if node.output else '?'}"].append(node)
    return tuple(_class_of(layer, by_label, stored) for layer in estimate.layers)


def _class_of(layer: Layer, by_label: Mapping[str, deque[onnx.NodeProto]], stored: Stored) -> str:
    """The class of one layer: its anchor node's, found by label (in graph order for repeats)."""
    queue = by_label.get(layer.nodes[0] if layer.nodes else layer.name, deque())
    node = next((n for n in queue if n.op_type == layer.op_types[0]), None)
    if node is None:
        return _fallback(layer)
    if len(queue) > 1:
        queue.remove(node)
    return node_class(node, stored)
