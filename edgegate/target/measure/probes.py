"""Representative layers of each op class, as small ONNX models built with onnx.helper.

Each probe is a chain of layers of one class at shapes found in common networks (ResNet and
VGG 3x3 convolutions, MobileNet depthwise and 1x1 layers, transformer projections and
attention, DenseNet pooling...), so per-node overhead and cache behaviour resemble a real
model's. ``quick`` probes halve channels and sizes and keep two shapes per class, for tests.
fp32 probes use float tensors; int8 probes QLinearConv and QLinearMatMul (uint8 activations,
int8 weights), the ops a quantized model runs as, and float for the FLOAT_ONLY classes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8


@dataclass(frozen=True)
class Probe:
    """One timed model: the op class it measures, a label, the model and its inputs' shapes."""

    op_class: str
    label: str
    model: onnx.ModelProto
    inputs: tuple[tuple[str, tuple[int, ...], int], ...]

    def feeds(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Random inputs: floats in [0, 1), integers in [0, 255]."""
        return {name: random_array(rng, shape, dtype) for name, shape, dtype in self.inputs}


def random_array(rng: np.random.Generator, shape: Sequence[int], dtype: int) -> np.ndarray:
    """A random array of ONNX ``dtype``: floats in [0, 1), small integers, false booleans."""
    np_type = helper.tensor_dtype_to_np_dtype(dtype)
    if np.issubdtype(np_type, np.floating):
        return rng.random(tuple(shape), dtype=np.float32).astype(np_type)
    if np_type == np.bool_:
        return np.zeros(tuple(shape), dtype=np_type)
    return rng.integers(0, 2 if np.issubdtype(np_type, np.signedinteger) else 256,
                        size=tuple(shape)).astype(np_type)


class Chain:
    """A chain under construction: nodes, weights (random, fixed seed) and a running tensor."""

    def __init__(self, seed: int = 0) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []
        self.rng = np.random.default_rng(seed)

    def weight(self, shape: Sequence[int], dtype: type = np.float32) -> str:
        """A new random weight of ``shape`` (small integers for an integer ``dtype``)."""
        name = f"w{len(self.weights)}"
        values: np.ndarray
        if np.issubdtype(dtype, np.integer):
            low, high = max(int(np.iinfo(dtype).min), -8), min(int(np.iinfo(dtype).max), 8)
            values = self.rng.integers(low, high, size=tuple(shape)).astype(dtype)
        else:
            values = (self.rng.standard_normal(tuple(shape)) * 0.05).astype(dtype)
        self.weights.append(numpy_helper.from_array(values, name))
        return name

    def scalar(self, value: float | int, dtype: type) -> str:
        """A new scalar constant (a scale or zero point)."""
        name = f"s{len(self.weights)}"
        self.weights.append(numpy_helper.from_array(np.array(value, dtype=dtype), name))
        return name

    def node(self, op: str, inputs: Sequence[str], **attrs: Any) -> str:
        """Append an ``op`` node reading ``inputs``; its output's name."""
        out = f"t{len(self.nodes)}"
        self.nodes.append(helper.make_node(op, list(inputs), [out], name=f"{op}_{len(self.nodes)}", **attrs))
        return out

    def model(self, inputs: Sequence[tuple[str, Sequence[int], int]], output: str) -> onnx.ModelProto:
        """The model from ``inputs`` to ``output`` (of the first input's dtype)."""
        graph = helper.make_graph(
            self.nodes, "probe",
            [helper.make_tensor_value_info(n, dtype, list(shape)) for n, shape, dtype in inputs],
            [helper.make_tensor_value_info(output, inputs[0][2], None)], self.weights)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                 ir_version=IR_VERSION)


def _image(op_class: str, label: str, channels: int, size: int, dtype: int,
           build: Callable[[Chain, str], str]) -> Probe:
    """A probe whose input is one image ``[1, channels, size, size]``."""
    graph = Chain()
    output = build(graph, "x")
    inputs = (("x", (1, channels, size, size), dtype),)
    return Probe(op_class, label, graph.model(inputs, output), inputs)


def _conv(graph: Chain, x: str, cin: int, cout: int, kernel: int, group: int = 1,
          stride: int = 1, int8: bool = False) -> str:
    """Conv (+ Relu) in fp32, or QLinearConv in int8."""
    pads = [kernel // 2] * 4
    shape = (cout, cin // group, kernel, kernel)
    if not int8:
        conv = graph.node("Conv", [x, graph.weight(shape), graph.weight((cout,))],
                          pads=pads, group=group, strides=[stride, stride])
        return graph.node("Relu", [conv])
    scale, zero = graph.scalar(0.05, np.float32), graph.scalar(128, np.uint8)
    w_zero = graph.scalar(0, np.int8)
    return graph.node("QLinearConv", [x, scale, zero, graph.weight(shape, np.int8), scale, w_zero,
                                      scale, zero, graph.weight((cout,), np.int32)],
                      pads=pads, group=group, strides=[stride, stride])


def conv_probe(channels: int, size: int, layers: int, int8: bool = False) -> Probe:
    """``layers`` 3x3 convolutions (stride 1, same padding) of ``channels`` at ``size``."""
    def build(graph: Chain, x: str) -> str:
        for _ in range(layers):
            x = _conv(graph, x, channels, channels, 3, int8=int8)
        return x
    return _image("conv", f"conv 3x3 {channels}x{size}x{size} x{layers}", channels, size,
                  _act(int8), build)


def stem_probe(size: int, int8: bool = False) -> Probe:
    """A 7x7 stride-2 stem, 3 -> 64 channels (ResNet's first layer)."""
    return _image("conv", f"conv 7x7/2 3->64 {size}x{size}", 3, size, _act(int8),
                  lambda graph, x: _conv(graph, x, 3, 64, 7, stride=2, int8=int8))


def depthwise_probe(channels: int, size: int, layers: int, int8: bool = False) -> Probe:
    """``layers`` depthwise 3x3 convolutions of ``channels`` at ``size``."""
    def build(graph: Chain, x: str) -> str:
        for _ in range(layers):
            x = _conv(graph, x, channels, channels, 3, group=channels, int8=int8)
        return x
    return _image("depthwise", f"depthwise 3x3 {channels}x{size}x{size} x{layers}", channels, size,
                  _act(int8), build)


def pointwise_probe(channels: int, hidden: int, size: int, pairs: int, int8: bool = False) -> Probe:
    """``pairs`` of 1x1 convolutions ``channels`` -> ``hidden`` -> ``channels`` at ``size``."""
    def build(graph: Chain, x: str) -> str:
        for _ in range(pairs):
            x = _conv(graph, _conv(graph, x, channels, hidden, 1, int8=int8), hidden, channels, 1, int8=int8)
        return x
    return _image("pointwise", f"pointwise 1x1 {channels}<->{hidden} at {size}x{size} x{2 * pairs}",
                  channels, size, _act(int8), build)


def gemm_probe(tokens: int, dim: int, hidden: int, pairs: int, int8: bool = False) -> Probe:
    """``pairs`` of fully connected layers ``dim`` -> ``hidden`` -> ``dim`` on ``tokens`` rows."""
    graph = Chain()
    x = "x"
    for _ in range(pairs):
        for cin, cout in ((dim, hidden), (hidden, dim)):
            if int8:
                scale, zero = graph.scalar(0.05, np.float32), graph.scalar(128, np.uint8)
                x = graph.node("QLinearMatMul", [x, scale, zero, graph.weight((cin, cout), np.int8), scale,
                                                 graph.scalar(0, np.int8), scale, zero])
            else:
                x = graph.node("Relu", [graph.node("Gemm", [x, graph.weight((cout, cin)),
                                                            graph.weight((cout,))], transB=1)])
    inputs = (("x", (tokens, dim), _act(int8)),)
    return Probe("gemm", f"gemm {tokens}x{dim}<->{hidden} x{2 * pairs}", graph.model(inputs, x), inputs)


def attention_probe(heads: int, seq: int, head_dim: int, pairs: int, int8: bool = False) -> Probe:
    """``pairs`` of Q x K^T then scores x V MatMuls of two activations."""
    graph = Chain()
    dtype = _act(int8)
    out = "q"
    for _ in range(pairs):
        for other in ("kt", "v"):
            if int8:
                scale, zero = graph.scalar(0.05, np.float32), graph.scalar(128, np.uint8)
                out = graph.node("QLinearMatMul", [out, scale, zero, other, scale, zero, scale, zero])
            else:
                out = graph.node("MatMul", [out, other])
    inputs = (("q", (1, heads, seq, head_dim), dtype), ("kt", (1, heads, head_dim, seq), dtype),
              ("v", (1, heads, seq, head_dim), dtype))
    return Probe("attention", f"attention {heads}x{seq}x{head_dim} x{2 * pairs}",
                 graph.model(inputs, out), inputs)


def elementwise_probe(channels: int, size: int) -> Probe:
    """Add, Relu, Mul, Sigmoid, Sub on ``[1, channels, size, size]`` (one layer each)."""
    graph = Chain()
    out = graph.node("Add", ["x", "y"])
    out = graph.node("Relu", [out])
    out = graph.node("Mul", [out, "y"])
    out = graph.node("Sigmoid", [out])
    out = graph.node("Sub", [out, "y"])
    shape = (1, channels, size, size)
    inputs = (("x", shape, TensorProto.FLOAT), ("y", shape, TensorProto.FLOAT))
    return Probe("elementwise", f"elementwise {channels}x{size}x{size} x5", graph.model(inputs, out), inputs)


def average_pool_probe(channels: int, size: int, layers: int) -> Probe:
    """``layers`` 3x3 stride-1 average pools, then a 2x2 stride-2 one (DenseNet's transition)."""
    def build(graph: Chain, x: str) -> str:
        for _ in range(layers):
            x = graph.node("AveragePool", [x], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
        return graph.node("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
    return _image("pooling", f"average pool {channels}x{size}x{size} x{layers + 1}", channels, size,
                  TensorProto.FLOAT, build)


def global_pool_probe(channels: int, size: int) -> Probe:
    """One GlobalAveragePool, a classifier's head."""
    return _image("pooling", f"global average pool {channels}x{size}x{size}", channels, size,
                  TensorProto.FLOAT, lambda graph, x: graph.node("GlobalAveragePool", [x]))


def softmax_probe(heads: int, seq: int, layers: int) -> Probe:
    """``layers`` Softmax over attention scores ``[1, heads, seq, seq]``."""
    graph = Chain()
    out = "x"
    for _ in range(layers):
        out = graph.node("Softmax", [out], axis=-1)
    inputs = (("x", (1, heads, seq, seq), TensorProto.FLOAT),)
    return Probe("other", f"softmax {heads}x{seq}x{seq} x{layers}", graph.model(inputs, out), inputs)


def layer_norm_probe(tokens: int, dim: int, layers: int) -> Probe:
    """``layers`` LayerNormalization of ``[1, tokens, dim]`` with scale and bias."""
    graph = Chain()
    out = "x"
    for _ in range(layers):
        out = graph.node("LayerNormalization", [out, graph.weight((dim,)), graph.weight((dim,))], axis=-1)
    inputs = (("x", (1, tokens, dim), TensorProto.FLOAT),)
    return Probe("other", f"layer norm {tokens}x{dim} x{layers}", graph.model(inputs, out), inputs)


def _act(int8: bool) -> int:
    """The activation dtype of a probe: uint8 for int8 probes, float otherwise."""
    return TensorProto.UINT8 if int8 else TensorProto.FLOAT


FLOAT_ONLY = ("elementwise", "pooling", "other")
"""Classes probed in float at every precision: a quantized model runs them in float between
DequantizeLinear and QuantizeLinear on onnxruntime's CPU provider."""


def probes(int8: bool = False, quick: bool = False) -> list[Probe]:
    """The probes of every class: int8 ones (QLinear ops) for int8, except the FLOAT_ONLY classes."""
    d = 2 if quick else 1  # quick: half the channels and sizes
    pointwise = pointwise_probe
    per_class: list[list[Probe]] = [
        [conv_probe(64 // d, 56 // d, 4, int8), conv_probe(128 // d, 28 // d, 4, int8),
         conv_probe(256 // d, 14 // d, 4, int8), stem_probe(224 // d, int8)],
        [depthwise_probe(32 // d, 112 // d, 3, int8), depthwise_probe(144 // d, 56 // d, 4, int8),
         depthwise_probe(192 // d, 28 // d, 4, int8), depthwise_probe(576 // d, 14 // d, 4, int8)],
        [pointwise(24 // d, 144 // d, 56 // d, 2, int8), pointwise(64 // d, 256 // d, 56 // d, 1, int8),
         pointwise(96 // d, 576 // d, 14 // d, 2, int8), pointwise(160 // d, 960 // d, 7, 2, int8)],
        [gemm_probe(128 // d, 256 // d, 1024 // d, 2, int8),
         gemm_probe(197 // d, 384 // d, 1536 // d, 1, int8),
         gemm_probe(64 // d, 512 // d, 2048 // d, 1, int8)],
        [attention_probe(4, 128 // d, 64, 2, int8), attention_probe(6, 197 // d, 64, 2, int8),
         attention_probe(8, 256 // d, 32, 2, int8)],
        [elementwise_probe(64 // d, 56 // d), elementwise_probe(32 // d, 112 // d),
         elementwise_probe(256 // d, 28 // d)],
        [average_pool_probe(128 // d, 56 // d, 2), global_pool_probe(1280 // d, 7),
         global_pool_probe(512 // d, 14)],
        [softmax_probe(4, 128 // d, 3), layer_norm_probe(197 // d, 384 // d, 3)],
    ]
    return [probe for group in per_class for probe in (group[:2] if quick else group)]
