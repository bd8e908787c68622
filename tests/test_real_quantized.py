"""Quantized exports in both ONNX forms run as the int8 ops they are.

QOperator (QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger, com.microsoft QLinearAdd)
and QDQ (DequantizeLinear -> op -> QuantizeLinear): MACs as for the float op, activations and
weights at their integer element sizes. onnxruntime's own quantizer is used when installed.
Conventions in the comments: uint8/int8 = 1 byte, int32 = 4, float32 = 4.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import edgegate

U8, I8, F32 = TensorProto.UINT8, TensorProto.INT8, TensorProto.FLOAT
SCALE = np.array(0.05, np.float32)


def _model(nodes, inputs, outputs, initializers, contrib=False):
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid("com.microsoft", 1)] if contrib else [])
    graph = helper.make_graph(nodes, "q", inputs, outputs,
                              [numpy_helper.from_array(v, k) for k, v in initializers.items()])
    return helper.make_model(graph, opset_imports=opsets)


def _layer(estimate, op_type):
    return next(layer for layer in estimate.layers if op_type in layer.op_types)


def test_qlinear_conv_then_contrib_qlinear_add():
    # No value_info: QLinearAdd's output shape comes from edgegate's contrib stand-ins.
    inits = {"xs": SCALE, "xz": np.array(128, np.uint8), "w": np.ones((8, 4, 3, 3), np.int8),
             "ws": SCALE, "wz": np.array(0, np.int8), "ys": SCALE, "yz": np.array(128, np.uint8),
             "b": np.zeros(8, np.int32)}
    nodes = [
        helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["c"],
                         pads=[1, 1, 1, 1], name="qconv"),
        helper.make_node("QLinearAdd", ["c", "ys", "yz", "c", "ys", "yz", "ys", "yz"], ["y"],
                         domain="com.microsoft", name="qadd"),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", U8, [1, 4, 8, 8])],
                   [helper.make_tensor_value_info("y", U8, None)], inits, contrib=True)
    e = edgegate.estimate(model)
    assert e.unestimated == ()
    conv, add = _layer(e, "QLinearConv"), _layer(e, "QLinearAdd")
    # out = 1*8*8*8 = 512; MACs = 512 * 4*3*3 = 18432; FLOPs = 2*18432 + 512 bias adds
    assert (conv.macs, conv.flops) == (18432, 37376)
    # int8 activations: x 256 B in, c 512 B out; QLinearAdd reads c once (512 B), writes y 512 B
    assert (conv.input_bytes, conv.output_bytes) == (256, 512)
    assert (add.flops, add.input_bytes, add.output_bytes) == (512, 512, 512)
    # the conv reads w 288 B int8 + b 32 B int32 + three f32 scales 12 B + three zero points
    # 3 B; stored, the three scales hold one value and xz/yz another: small constants with
    # equal values count once -> 288 + 32 + 4 + 2 = 326 B
    assert (conv.weight_bytes, e.weight_bytes) == (335, 326)
    # params: 288 + 8 + 1 scale + 2 zero points = 299 elements; the add re-reads ys/yz
    assert e.params == 299
    # peak: x 256 + c 512 while the conv runs, then c 512 + y 512 -> 1024
    assert e.peak_activation_bytes == 1024


@pytest.mark.parametrize(
    ("op_type", "x_shape", "w_shape", "attrs", "macs", "out_bytes"),
    [
        # 1*8*8*8 = 512 outputs * 4*3*3 = 18432 MACs; int32 output 512 * 4 B
        ("ConvInteger", [1, 4, 8, 8], (8, 4, 3, 3), {"pads": [1, 1, 1, 1]}, 18432, 2048),
        # (2 x 16) @ (16 x 8): 2*16*8 = 256 MACs; int32 output 16 * 4 B
        ("MatMulInteger", [2, 16], (16, 8), {}, 256, 64),
    ],
)
def test_integer_ops_cost_as_float_op_with_integer_sizes(op_type, x_shape, w_shape, attrs, macs, out_bytes):
    inits = {"w": np.ones(w_shape, np.uint8), "xz": np.array(128, np.uint8), "wz": np.array(0, np.uint8)}
    node = helper.make_node(op_type, ["x", "w", "xz", "wz"], ["y"], name="int", **attrs)
    model = _model([node], [helper.make_tensor_value_info("x", U8, x_shape)],
                   [helper.make_tensor_value_info("y", TensorProto.INT32, None)], inits)
    e = edgegate.estimate(model)
    layer = _layer(e, op_type)
    assert (layer.macs, layer.flops) == (macs, 2 * macs)
    # input bytes = element count (uint8); weights = w + two 1-byte zero points
    assert (layer.input_bytes, layer.output_bytes) == (int(np.prod(x_shape)), out_bytes)
    assert e.weight_bytes == int(np.prod(w_shape)) + 2


def test_qlinear_matmul_output_is_int8():
    inits = {"w": np.ones((16, 8), np.int8), "xs": SCALE, "xz": np.array(128, np.uint8),
             "ws": SCALE, "wz": np.array(0, np.int8), "ys": SCALE, "yz": np.array(128, np.uint8)}
    node = helper.make_node("QLinearMatMul", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["y"])
    model = _model([node], [helper.make_tensor_value_info("x", U8, [2, 16])],
                   [helper.make_tensor_value_info("y", U8, None)], inits)
    e = edgegate.estimate(model)
    # 2*16*8 = 256 MACs; uint8 in 32 B, out 16 B; the layer reads weights 128 + 3 scales 12 +
    # 3 zero points 3 = 143 B; stored, the equal scales and the equal xz/yz count once: 134 B
    assert (e.macs, e.flops) == (256, 512)
    assert (e.layers[0].input_bytes, e.layers[0].output_bytes, e.layers[0].weight_bytes) == (32, 16, 143)
    assert e.weight_bytes == 134


QDQ_MATMUL = [
    helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"], name="q_in"),
    helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"], name="dq_in"),
    helper.make_node("DequantizeLinear", ["wq", "s", "z"], ["wd"], name="dq_w"),
    helper.make_node("MatMul", ["xd", "wd"], ["m"], name="mm"),
    helper.make_node("QuantizeLinear", ["m", "s", "z"], ["mq"], name="q_out"),
    helper.make_node("DequantizeLinear", ["mq", "s", "z"], ["y"], name="dq_out"),
]


def test_qdq_matmul_runs_as_one_int8_layer():
    inits = {"s": SCALE, "z": np.array(0, np.int8), "wq": np.ones((16, 8), np.int8)}
    model = _model(QDQ_MATMUL, [helper.make_tensor_value_info("x", F32, [4, 16])],
                   [helper.make_tensor_value_info("y", F32, None)], inits)
    e = edgegate.estimate(model)
    assert [layer.op_types for layer in e.layers] == [
        ("QuantizeLinear",), ("MatMul", "QuantizeLinear"), ("DequantizeLinear",)]
    mm = e.layers[1]
    # 4*16*8 = 512 MACs, as the float MatMul; the absorbed Q/DQ are free
    assert (mm.macs, mm.flops) == (512, 1024)
    # reads int8 xq (64 B), writes int8 mq (32 B); weights wq 128 B + scale 4 B + zero point 1 B
    assert (mm.input_bytes, mm.output_bytes, mm.weight_bytes) == (64, 32, 133)
    # the float graph input is quantized (1 FLOP per element: 64) and the output dequantized
    # (32): standing alone, each costs its scale; FLOPs = 64 + 1024 + 32
    assert e.flops == 1120


def test_qdq_around_a_non_anchor_op_runs_as_int8_add():
    # DQ(a), DQ(b) -> Add -> Q: the DQs alias their int8 inputs and the Add absorbs the Q, so the
    # estimator runs it as an int8 Add (1 FLOP per element, int8 reads and write).
    nodes = [
        helper.make_node("DequantizeLinear", ["a", "s", "z"], ["ad"]),
        helper.make_node("DequantizeLinear", ["b", "s", "z"], ["bd"]),
        helper.make_node("Add", ["ad", "bd"], ["sum"], name="add"),
        helper.make_node("QuantizeLinear", ["sum", "s", "z"], ["y"], name="q"),
    ]
    inputs = [helper.make_tensor_value_info(n, I8, [1, 4, 8, 8]) for n in ("a", "b")]
    model = _model(nodes, inputs, [helper.make_tensor_value_info("y", I8, None)],
                   {"s": SCALE, "z": np.array(0, np.int8)})
    e = edgegate.estimate(model)
    assert [layer.op_types for layer in e.layers] == [("Add", "QuantizeLinear")]
    add = e.layers[0]
    # 256 elements: 256 FLOPs; reads a and b (256 B each, int8), writes y 256 B
    assert (add.flops, add.input_bytes, add.output_bytes) == (256, 512, 256)
    assert set(add.reads) == {"a", "b"}


def test_int8_precision_override_matches_qdq_memory():
    # The float MatMul estimated at --precision int8 moves what the QDQ form moves for
    # activations: x 64 B, output 32 B.
    model = _model([helper.make_node("MatMul", ["x", "w"], ["y"])],
                   [helper.make_tensor_value_info("x", F32, [4, 16])],
                   [helper.make_tensor_value_info("y", F32, None)],
                   {"w": np.ones((16, 8), np.float32)})
    e = edgegate.estimate(model, precision="int8")
    assert (e.macs, e.layers[0].input_bytes, e.layers[0].output_bytes, e.weight_bytes) == (512, 64, 32, 128)


def _float_conv_model() -> onnx.ModelProto:
    weights = np.random.default_rng(0).standard_normal((8, 4, 3, 3)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], name="conv"),
             helper.make_node("Relu", ["c"], ["y"], name="relu")]
    return _model(nodes, [helper.make_tensor_value_info("x", F32, [1, 4, 8, 8])],
                  [helper.make_tensor_value_info("y", F32, [1, 8, 8, 8])],
                  {"w": weights, "b": np.zeros(8, np.float32)})


@pytest.mark.slow
@pytest.mark.parametrize("form", ["QOperator", "QDQ"])
def test_onnxruntime_quantizer_output(tmp_path, form):
    quantization = pytest.importorskip("onnxruntime.quantization")
    source, target = tmp_path / "float.onnx", tmp_path / f"{form}.onnx"
    onnx.save(_float_conv_model(), source)

    class Reader(quantization.CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter([{"x": np.ones((1, 4, 8, 8), np.float32)}])

        def get_next(self):
            return next(self.items, None)

    quantization.quantize_static(str(source), str(target), Reader(),
                                 quant_format=getattr(quantization.QuantFormat, form))
    e = edgegate.estimate(str(target))
    conv = next(layer for layer in e.layers if {"Conv", "QLinearConv"} & set(layer.op_types))
    # MACs as the float conv: 512 outputs * 36 = 18432; int8 output 512 B (1 byte per element)
    assert conv.macs == 18432
    assert conv.output_bytes == 512
    assert e.unestimated == ()
