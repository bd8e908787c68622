"""Control flow is costed, not skipped; local functions are inlined; unknown ops are listed."""

from __future__ import annotations

import numpy as np
import onnx

import edgegate
from tests.model_helpers import parse

I64 = np.int64


def test_loop_with_constant_trip_count_multiplies_its_body():
    text = """
    agraph (float[1, 4] x) => (float[1, 4] y) {
      y = Loop(trips, "", x) <body = body (int64 i, bool c, float[1, 4] v) => (bool co, float[1, 4] vo) {
            co = Identity(c)
            h = MatMul(v, w)
            vo = Relu(h)
          }>
    }
    """
    e = edgegate.estimate(parse(text, {"trips": np.array(3, I64), "w": (4, 4)}))
    # body: MatMul 1x4x4 = 16 MACs (32 FLOPs) fused with Relu (4 FLOPs); 3 trips
    assert e.macs == 3 * 16 and e.flops == 3 * 36
    # w is read by the body: 16 params, once
    assert e.params == 16
    assert [layer.op_types for layer in e.layers] == [("Loop",)]
    # DRAM per trip: w 64 + v 16 + vo 16 = 96; three trips = 288
    assert e.dram_bytes == 288


def test_loop_with_dynamic_trip_count_is_unestimated():
    text = """
    agraph (float[1, 4] x, int64 n) => (float[1, 4] y) {
      y = Loop(n, "", x) <body = body (int64 i, bool c, float[1, 4] v) => (bool co, float[1, 4] vo) {
            co = Identity(c)
            vo = Relu(v)
          }>
    }
    """
    e = edgegate.estimate(parse(text))
    assert [(u.op_type, u.reason) for u in e.unestimated] == [
        ("Loop", "Loop trip count is not a constant")
    ]
    assert e.lower_bound


def test_scan_runs_its_body_once_per_step():
    text = """
    agraph (float[2] s0, float[5, 2] xs) => (float[2] s, float[5, 2] ys) {
      s, ys = Scan(s0, xs) <num_scan_inputs=1, body = body (float[2] st, float[2] x) => (float[2] so, float[2] yo) {
            so = Add(st, x)
            yo = Identity(so)
          }>
    }
    """
    e = edgegate.estimate(parse(text))
    # 5 steps of one Add over 2 elements
    assert e.flops == 10 and e.unestimated == ()


def test_if_reads_outer_tensor_as_its_input():
    text = """
    agraph (float[8] x, bool c) => (float[8] y) {
      y = If(c) <then_branch = g1 () => (float[8] a) { a = Mul(x, k) },
                 else_branch = g2 () => (float[8] b) { b = Relu(x) }>
    }
    """
    e = edgegate.estimate(parse(text, {"k": (8,)}))
    layer = e.layers[0]
    # x (and c) are read from the outer graph; tie at 8 FLOPs -> then branch, which reads k
    assert set(layer.reads) == {"x", "c"}
    assert e.flops == 8 and e.params == 8


def test_model_local_function_is_inlined():
    text = """
    <ir_version: 8, opset_import: ["" : 17, "local" : 1]>
    agraph (float[2, 8] x) => (float[2, 8] y) {
      y = local.Swish(x)
    }
    <domain: "local", opset_import: ["" : 17]>
    Swish (a) => (b) {
      s = Sigmoid(a)
      b = Mul(a, s)
    }
    """
    model = onnx.parser.parse_model(text)
    e = edgegate.estimate(model)
    # Sigmoid + Mul over 16 elements
    assert e.flops == 32 and e.unestimated == ()


def test_custom_op_is_listed_not_counted_as_zero():
    text = """
    <ir_version: 8, opset_import: ["" : 17, "com.vendor" : 1]>
    agraph (float[1, 8] x) => (float[1, 8] y) {
      h = com.vendor.MagicOp(x)
      y = Relu(h)
    }
    """
    model = onnx.parser.parse_model(text)
    model.graph.value_info.append(onnx.helper.make_tensor_value_info("h", 1, [1, 8]))
    e = edgegate.estimate(model)
    assert [(u.node, u.op_type, u.domain) for u in e.unestimated] == [
        ("MagicOp:h", "MagicOp", "com.vendor")
    ]
    assert e.lower_bound
    # Relu still costs its 8 FLOPs
    assert e.flops == 8


def test_qdq_conv_runs_as_int8_layer():
    text = """
    agraph (float[1, 4, 8, 8] x) => (float[1, 4, 8, 8] y) {
      xq = QuantizeLinear(x, sc, zp)
      xd = DequantizeLinear(xq, sc, zp)
      wd = DequantizeLinear(wq, sc, zp)
      a = Conv(xd, wd)
      r = Relu(a)
      y0 = QuantizeLinear(r, sc, zp)
      y = DequantizeLinear(y0, sc, zp)
    }
    """
    weights = {"sc": np.array(0.1, np.float32), "zp": np.array(0, np.int8),
               "wq": np.ones((4, 4, 1, 1), np.int8)}
    e = edgegate.estimate(parse(text, weights))
    conv = next(layer for layer in e.layers if "Conv" in layer.op_types)
    assert conv.op_types == ("Conv", "Relu", "QuantizeLinear")
    # weights counted as stored: int8 wq 16 B + its float scale 4 B + int8 zero point 1 B;
    # int8 input 256 B (xq), int8 output 256 B (y0)
    assert (conv.weight_bytes, conv.input_bytes, conv.output_bytes) == (21, 256, 256)
    # MACs as for the float conv: 256 outputs * 4
    assert conv.macs == 1024
