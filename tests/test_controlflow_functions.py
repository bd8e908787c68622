"""Control flow is costed, not skipped; local functions are inlined; unknown ops are listed."""

from __future__ import annotations

import numpy as np
import onnx

import edgegate
from tests.model_helpers import parse
from tests.onnx_versions import needs_onnx

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


def test_loop_with_dynamic_trip_count_is_unestimated_unless_the_settings_give_it():
    text = """
    agraph (float[1, 4] x, int64 n) => (float[1, 4] y) {
      y = Loop(n, "", x) <body = body (int64 i, bool c, float[1, 4] v) => (bool co, float[1, 4] vo) {
            co = Identity(c)
            h = MatMul(v, w)
            vo = Relu(h)
          }>
    }
    """
    model = parse(text, {"w": (4, 4)})
    e = edgegate.estimate(model)
    assert [(u.op_type, u.reason) for u in e.unestimated] == [
        ("Loop", "Loop trip count is not a constant")
    ]
    # unestimated, the Loop still counts the weights its body reads: w, 16 params
    assert e.lower_bound and e.params == 16
    # a trip count for any Loop ("default") or this one by name: 16 MACs per trip
    assert edgegate.estimate(model, loop_trips={"default": 3}).macs == 3 * 16
    named = edgegate.estimate(model, loop_trips={"Loop:y": 5, "default": 3})
    assert (named.macs, named.unestimated) == (5 * 16, ())
    # the trip count input given as a value is a constant trip count
    assert edgegate.estimate(model, input_values={"n": 2}).macs == 2 * 16


WHILE_LOOP = """
agraph (float[1, 8] x, int64 n) => (float[1, 8] y) {
  c0 = Less(start, n)
  last, y = Loop("", c0, start, x) <body = body (int64 it, bool c, int64 i, float[1, 8] v)
                                                 => (bool co, int64 io, float[1, 8] vo) {
        io = Add(i, one)
        g = Gemm<transB=1>(v, w, b)
        vo = Tanh(g)
        co = Less(io, n)
      }>
}
"""


def test_while_loop_runs_as_many_times_as_its_condition_allows():
    # torch.while_loop as torch.onnx writes it: no trip count, a counter compared with n
    model = parse(WHILE_LOOP, {"w": np.full((8, 8), 2.0, np.float32), "b": np.full(8, 3.0, np.float32),
                               "one": np.array(1, I64), "start": np.array(0, I64)})
    e = edgegate.estimate(model, input_values={"n": 5})
    # i = 0, 1, 2, 3, 4 run the body: 5 trips. Per trip Gemm 8*8 = 64 MACs, FLOPs 128 + 8 bias
    # + 8 Tanh, + the counter's Add and Less on scalars (1 + 1) = 146
    assert e.unestimated == ()
    assert (e.macs, e.flops) == (5 * 64, 5 * 146)
    # params: w 64 + b 8 + the step 1 + the counter's start 0, which the Loop reads (the bound
    # n is a given value, not stored in the file)
    assert e.params == 74
    unknown = edgegate.estimate(model)
    assert [u.op_type for u in unknown.unestimated] == ["Loop"]
    # the body's weights count whether or not the trips are known
    assert unknown.params == 74
    # a trip count input stops the loop earlier than its condition
    bounded = edgegate.estimate(_with_trip_count(model, 3), input_values={"n": 5})
    assert bounded.macs == 3 * 64


def _with_trip_count(model, trips):
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    loop = next(node for node in copy.graph.node if node.op_type == "Loop")
    loop.input[0] = "trips"
    copy.graph.initializer.append(onnx.numpy_helper.from_array(np.array(trips, I64), "trips"))
    return copy


IF_ON_OUTER_SHAPES = """
agraph (float[1, T] x, int64 sr) => (float[1, 1] y) {
  cond = Equal(sr, rate)
  h = If(cond) <then_branch = g1 () => (float[1, 2] a) {
                  r1 = Reshape(x, shape3)
                  c1 = Conv<kernel_shape=[4], strides=[4]>(r1, w1)
                  a = ReduceMean<keepdims=0>(c1, axes)
                },
                else_branch = g2 () => (float[1, 2] b) {
                  r2 = Reshape(x, shape3)
                  c2 = Conv<kernel_shape=[4], strides=[2]>(r2, w1)
                  b = ReduceMean<keepdims=0>(c2, axes)
                }>
  y = Gemm<transB=1>(h, wo)
}
"""


def test_if_whose_branches_reshape_by_outer_constants_is_costed():
    # torch.cond as torch.onnx (dynamo) writes it: the branches' shape constants live in the
    # outer graph, where onnx's inference inside a subgraph cannot see their values
    weights = {"rate": np.array(16000, I64), "shape3": np.array([1, 1, -1], I64),
               "axes": np.array([2], I64), "w1": np.full((2, 1, 4), 2.0, np.float32),
               "wo": np.full((1, 2), 3.0, np.float32)}
    model = parse(parse_header(18) + IF_ON_OUTER_SHAPES, weights, header="")
    # T = 16: then: 4 outputs per channel, 2*4*4 = 32 MACs, ReduceMean 8; else: (16-4)/2+1 = 7
    # outputs, 2*7*4 = 56 MACs, ReduceMean 14. Gemm 1*2*1 = 2 MACs (4 FLOPs).
    unknown = edgegate.estimate(model, dims={"T": 16})
    # sr unknown: Equal runs (1 FLOP) and the costlier branch by FLOPs, else (112 + 14 = 126)
    assert unknown.unestimated == ()
    assert (unknown.macs, unknown.flops) == (56 + 2, 1 + 126 + 4)
    then = edgegate.estimate(model, dims={"T": 16}, input_values={"sr": 16000})
    assert then.unestimated == ()
    # sr = 16000: the then branch is inlined: its layers are the model's
    assert (then.macs, then.flops) == (32 + 2, 64 + 8 + 4)
    other = edgegate.estimate(model, dims={"T": 16}, input_values={"sr": 8000})
    assert (other.macs, other.flops) == (56 + 2, 112 + 14 + 4)
    # params are what the file stores, whichever branch runs: w1 8 + wo 2 + the rate 1
    assert unknown.params == then.params == other.params == 11


def parse_header(opset):
    return f'<ir_version: 8, opset_import: ["" : {opset}]>\n'


def test_if_branches_params_both_count():
    text = """
    agraph (float[8] x, bool c) => (float[8] y) {
      y = If(c) <then_branch = g1 () => (float[8] a) { a = Mul(x, k) },
                 else_branch = g2 () => (float[8] b) { b = Add(x, j) }>
    }
    """
    weights = {"k": np.full(8, 2.0, np.float32), "j": np.full(8, 3.0, np.float32)}
    e = edgegate.estimate(parse(text, weights))
    # either branch may run: both k and j are params (16); the cost is one branch's, 8 FLOPs
    assert (e.params, e.flops) == (16, 8)
    chosen = edgegate.estimate(parse(text, weights), input_values={"c": 0})
    assert (chosen.params, chosen.flops) == (16, 8)


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


def test_scan_body_without_declared_shapes_takes_them_from_the_scan():
    text = """
    agraph (float[1, 4] s0, float[6, 1, 4] xs) => (float[1, 4] s, float[6, 1, 4] ys) {
      s, ys = Scan(s0, xs) <num_scan_inputs=1, body = body (float[1, 4] st, float[p, q] x) => (float so, float yo) {
            g = MatMul(x, w)
            so = Add(st, g)
            yo = Identity(so)
          }>
    }
    """
    e = edgegate.estimate(parse(text, {"w": (4, 4)}))
    # each slice of xs is (1, 4): per step MatMul 1*4*4 = 16 MACs, Add 4 FLOPs; 6 steps
    assert e.unestimated == ()
    assert (e.macs, e.flops) == (6 * 16, 6 * (32 + 4))


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


@needs_onnx((1, 17), "shape inference past an op of a domain it does not know")
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


def test_stepping_a_while_loop_stops_at_its_evaluation_budget():
    # the counter and the comparison are 2 nodes: MAX_STEPPED_NODES // 2 trips at most are
    # stepped; a loop that needs more has no derivable count (unless its trip count bounds it),
    # so a hostile condition cannot hold the estimate for long
    from edgegate.model.trips import MAX_STEPPED_NODES

    weights = {"w": np.full((8, 8), 2.0, np.float32), "b": np.full(8, 3.0, np.float32),
               "one": np.array(1, I64), "start": np.array(0, I64)}
    model = parse(WHILE_LOOP, weights)
    within = MAX_STEPPED_NODES // 2
    assert edgegate.estimate(model, input_values={"n": within}).macs == within * 64
    beyond = edgegate.estimate(model, input_values={"n": within + 1})
    assert [u.op_type for u in beyond.unestimated] == ["Loop"]
    assert "node evaluations" in beyond.unestimated[0].reason
    # a trip count input still bounds a loop stepped past the budget
    assert edgegate.estimate(_with_trip_count(model, within + 7), input_values={"n": 10**9}).macs \
        == (within + 7) * 64
