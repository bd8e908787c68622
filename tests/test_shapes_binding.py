"""Binding dimensions and completing shapes that onnx's own inference leaves unknown."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

import edgegate
from edgegate.errors import BindingError
from tests.model_helpers import parse

I64 = np.int64


def test_unbound_dimension_names_input_dim_and_fix():
    model = parse("agraph (float[batch, 3] x) => (float[batch, 3] y) { y = Relu(x) }")
    with pytest.raises(BindingError) as info:
        edgegate.estimate(model)
    assert str(info.value) == (
        "input 'x' dimension 0 ('batch') is unbound: "
        "bind it with --dim batch=N or --input-shape x=Nx3"
    )


def test_unknown_dimension_without_name_needs_input_shape():
    model = parse("agraph (float[batch, 3] x) => (float[batch, 3] y) { y = Relu(x) }")
    model.graph.input[0].type.tensor_type.shape.dim[0].Clear()
    with pytest.raises(BindingError, match=r"dimension 0 is unbound: bind it with --input-shape x=Nx3"):
        edgegate.estimate(model)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_shapes": {"nope": (1, 3)}}, "the model has no input 'nope' (its inputs: x)"),
        ({"input_shapes": {"x": (1, 3, 1)}}, "input 'x' has rank 2, its bound shape has 3 dimensions"),
        ({"input_shapes": {"x": (1, 4)}}, "input 'x' dimension 1 is fixed at 3 in the model, got 4"),
        ({"dims": {"batch": -1}}, "dimension 'batch' must be bound to a value >= 0, got -1"),
    ],
)
def test_bad_bindings(kwargs, message):
    model = parse("agraph (float[batch, 3] x) => (float[batch, 3] y) { y = Relu(x) }")
    with pytest.raises(BindingError) as info:
        edgegate.estimate(model, **kwargs)
    assert message in str(info.value)


def test_dim_and_input_shape_bind_the_same_way():
    model = parse("agraph (float[batch, 3] x) => (float[batch, 3] y) { y = Relu(x) }")
    by_dim = edgegate.estimate(model, dims={"batch": 5})
    by_shape = edgegate.estimate(model, input_shapes={"x": (5, 3)})
    # Relu: one FLOP per element, 5*3 = 15
    assert by_dim.flops == by_shape.flops == 15


def test_stale_declared_shapes_are_reinferred():
    # the exporter declared y as [1, 3] (traced at batch 1); bound at batch 4 it must be [4, 3]
    model = parse("agraph (float[batch, 3] x) => (float[1, 3] y) { h = Relu(x)\n y = Relu(h) }")
    model.graph.value_info.append(onnx.helper.make_tensor_value_info("h", 1, [1, 3]))
    e = edgegate.estimate(model, dims={"batch": 4})
    # two Relu layers over 4*3 = 12 elements each
    assert e.flops == 24 and e.layers[1].output_bytes == 48


def test_exporter_shape_chain_with_div_completes():
    # torch's x.view(x.size(0), x.size(1) // 2, -1): Shape -> Gather -> Div -> Unsqueeze -> Concat
    text = """
    agraph (float[N, C, 4] x) => (float[N, 2, 6] y) {
      s = Shape(x)
      n = Gather<axis=0>(s, i0)
      c = Gather<axis=0>(s, i1)
      half = Div(c, two)
      un = Unsqueeze(n, ax)
      uh = Unsqueeze(half, ax)
      shp = Concat<axis=0>(un, uh, minus)
      r = Reshape(x, shp)
      y = Relu(r)
    }
    """
    weights = {"i0": np.array(0, I64), "i1": np.array(1, I64), "two": np.array(2, I64),
               "ax": np.array([0], I64), "minus": np.array([-1], I64)}
    e = edgegate.estimate(parse(text, weights), dims={"N": 2, "C": 4})
    # r is [2, 2, 8]; the Relu costs 32 FLOPs and nothing is unestimated
    assert e.unestimated == () and e.flops == 32
    relu = e.layers[-1]
    assert relu.output_bytes == 32 * 4


def test_where_equal_constantofshape_range_expand_fold():
    # a mask built from shapes: Range(0, N) -> Equal against ConstantOfShape -> Where -> Expand
    text = """
    agraph (float[N, 3] x) => (float[N, 3] y) {
      s = Shape(x)
      n = Gather<axis=0>(s, i0)
      r = Range(zero, n, one)
      fill = ConstantOfShape(s1)
      eq = Equal(s1, fill)
      pick = Where(eq, s1, s1)
      shp = Concat<axis=0>(pick, three)
      e = Expand(x, shp)
      y = Add(e, x)
    }
    """
    weights = {"i0": np.array(0, I64), "zero": np.array(0, I64), "one": np.array(1, I64),
               "s1": np.array([1], I64), "three": np.array([3], I64)}
    e = edgegate.estimate(parse(text, weights), dims={"N": 5})
    # Expand(x [5,3], [1,3]) -> [5,3] changes nothing: a view, no layer; Add 15 FLOPs
    assert e.unestimated == ()
    assert e.flops == 15
    assert [layer.op_types for layer in e.layers] == [("Add",)]


def test_input_value_picks_if_branch():
    text = """
    agraph (float[4] x, int64 sr) => (float[4] y) {
      big = Greater(sr, limit)
      y = If(big) <then_branch = g1 () => (float[4] a) { a = Relu(x) },
                   else_branch = g2 () => (float[4] b) { t = Exp(x)
                                                         b = Exp(t) }>
    }
    """
    model = parse(text, {"limit": np.array(8000, I64)})
    # sr = 16000 > 8000: then branch, one Relu over 4 elements
    assert edgegate.estimate(model, input_values={"sr": 16000}).flops == 4
    # sr = 100: else branch, two Exp over 4 elements
    assert edgegate.estimate(model, input_values={"sr": 100}).flops == 8
    # sr unknown: Greater runs (1 FLOP on a scalar) and the costlier branch (else, 8 FLOPs)
    assert edgegate.estimate(model).flops == 1 + 8


KV_CACHE = """
agraph (float[1, S, 8] x, float[1, P, 8] past, float[1, total, 1] mask) => (float[1, S, 8] y, float[1, T, 8] present) {
  k = MatMul(x, wk)
  present = Concat<axis=1>(past, k)
  kt = Transpose<perm=[0, 2, 1]>(present)
  scores = MatMul(x, kt)
  mt = Transpose<perm=[0, 2, 1]>(mask)
  masked = Add(scores, mt)
  probs = Softmax(masked)
  y = MatMul(probs, present)
}
"""


def _kv_model():
    model = parse(KV_CACHE, {"wk": np.full((8, 8), 2.0, np.float32)})
    # optimum's name for the attention mask's length
    model.graph.input[2].type.tensor_type.shape.dim[1].dim_param = "past_sequence_length + sequence_length"
    for value in model.graph.input[:2]:
        dims = value.type.tensor_type.shape.dim
        dims[1].dim_param = {"S": "sequence_length", "P": "past_sequence_length"}[dims[1].dim_param]
    return model


def test_empty_kv_cache_and_the_summed_dimension():
    model = _kv_model()
    # prefill: 4 tokens, an empty cache (past_sequence_length = 0 is a size); the mask's length
    # 'past_sequence_length + sequence_length' is computed from the two: 4
    prefill = edgegate.estimate(model, dims={"sequence_length": 4, "past_sequence_length": 0})
    # k 4*8*8 = 256 MACs; scores 4*8*4 = 128; context 4*4*8 = 128 -> 512
    assert prefill.unestimated == () and prefill.macs == 512
    # decode: 1 token after 6: L = 7; k 64, scores 1*8*7 = 56, context 56 -> 176
    decode = edgegate.estimate(model, dims={"sequence_length": 1, "past_sequence_length": 6})
    assert decode.unestimated == () and decode.macs == 176
    # the summed name can also be bound directly, as the CLI and a policy's quoted key do
    direct = edgegate.estimate(model, dims={"sequence_length": 1, "past_sequence_length": 6,
                                            "past_sequence_length + sequence_length": 7})
    assert direct.macs == 176


def test_summed_dimension_left_unbound_advises_a_command_that_works():
    with pytest.raises(BindingError) as info:
        edgegate.estimate(_kv_model(), dims={"sequence_length": 1})
    # the first unbound dimension is past; the hint quotes what a shell would split
    assert str(info.value) == (
        "input 'past' dimension 1 ('past_sequence_length') is unbound: bind it with"
        " --dim past_sequence_length=N or --input-shape past=1xNx8")
    model = _kv_model()
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 1
    model.graph.input[1].type.tensor_type.shape.dim[1].dim_param = "past len"
    with pytest.raises(BindingError) as info:
        edgegate.estimate(model)
    assert "bind it with --dim 'past len=N' or --input-shape past=1xNx8" in str(info.value)


def test_zero_batch_costs_nothing_and_moves_nothing():
    text = """
    agraph (float[N, 3, 4, 4] x) => (float[N, 4] y) {
      c = Conv<pads=[1, 1, 1, 1]>(x, w)
      r = Relu(c)
      p = GlobalAveragePool(r)
      f = Flatten(p)
      g = Gemm<transB=1>(f, fc)
      y = Softmax(g)
    }
    """
    e = edgegate.estimate(parse(text, {"w": (4, 3, 3, 3), "fc": (4, 4)}), dims={"N": 0})
    # an empty batch: every layer is costed (nothing unestimated) at 0; only weights are read
    assert e.unestimated == ()
    assert (e.macs, e.flops, e.peak_activation_bytes) == (0, 0, 0)
    assert e.dram_bytes == (108 + 16) * 4


def test_zero_written_in_the_file_is_a_size():
    model = parse("agraph (float[0, 3] x) => (float[0, 3] y) { y = Relu(x) }")
    assert edgegate.estimate(model).flops == 0


OLD_IR = """
agraph (float[1, 4] x, float[4, 4] w) => (float[1, 4] y) {
  h = MatMul(x, w)
  y = Relu(h)
}
"""


def test_old_ir_initializer_inputs_are_constants_unless_bound():
    model = parse(OLD_IR, {"w": np.full((4, 4), 2.0, np.float32)},
                  header='<ir_version: 3, opset_import: ["" : 8]>\n')
    # w is listed as an input and stored as an initializer: a constant (a weight)
    e = edgegate.estimate(model)
    assert (e.macs, e.params, e.layers[0].reads) == (16, 16, ("x",))
    # bound by --input-shape, it is the input the binding makes it: an activation, no param
    bound = edgegate.estimate(model, input_shapes={"w": (4, 4)})
    assert (bound.macs, bound.params, bound.layers[0].reads) == (16, 0, ("x", "w"))


def test_empty_batch_through_attention_norms_and_selections():
    text = """
    agraph (float[N, 4, 8] x) => (float[N, 4, 8] y, float[N, 4, 2] v, int64[N, 4, 2] i, float[N, 4, 16] r) {
      ln = LayerNormalization<axis=-1>(x, g, b)
      q = MatMul(ln, w)
      kt = Transpose<perm=[0, 2, 1]>(q)
      s = MatMul(q, kt)
      p = Softmax<axis=-1>(s)
      a = MatMul(p, q)
      m = ReduceMean<keepdims=1>(a, ax)
      y = Sub(a, m)
      v, i = TopK<axis=-1>(a, k)
      r = Resize<mode="linear">(a, roi, scales)
    }
    """
    weights = {"g": np.full(8, 2.0, np.float32), "b": np.full(8, 3.0, np.float32),
               "w": np.full((8, 8), 0.5, np.float32), "ax": np.array([-1], I64), "k": np.array([2], I64),
               "roi": np.zeros(0, np.float32), "scales": np.array([1, 1, 2], np.float32)}
    model = parse(text, weights, header='<ir_version: 8, opset_import: ["" : 18]>\n')
    e = edgegate.estimate(model, dims={"N": 0})
    # every formula costs 0 on empty tensors; only the weights are read: g, b 32 B each, w 256 B
    assert (e.unestimated, e.macs, e.flops, e.peak_activation_bytes) == ((), 0, 0, 0)
    assert e.dram_bytes == 32 + 32 + 256


def _float16_converted(input_cast_last: bool) -> onnx.ModelProto:
    """Conv(3 -> 4 channels, 3x3, pads 1) + Relu in float16 between float32 input and output
    Casts, as onnxruntime's float16 converter writes it (keep_io_types): the input Cast is
    appended after the nodes that read it."""
    h = onnx.helper
    nodes = [h.make_node("Conv", ["x16", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             h.make_node("Relu", ["c"], ["r"], name="relu"),
             h.make_node("Cast", ["r"], ["y"], name="out_cast", to=onnx.TensorProto.FLOAT)]
    cast_in = h.make_node("Cast", ["x"], ["x16"], name="in_cast", to=onnx.TensorProto.FLOAT16)
    nodes = [*nodes, cast_in] if input_cast_last else [cast_in, *nodes]
    weight = onnx.numpy_helper.from_array(np.zeros((4, 3, 3, 3), np.float16), "w")
    graph = h.make_graph(nodes, "fp16", [h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3, 8, 8])],
                         [h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)], [weight])
    return h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])


def test_nodes_out_of_file_order_are_costed_as_sorted():
    # Conv: 4 output channels x 8x8 positions x (3 channels x 3x3) = 6912 MACs; onnx's inference
    # in file order would leave every node after the appended Cast without shapes (0 MACs)
    appended = edgegate.estimate(_float16_converted(input_cast_last=True))
    in_order = edgegate.estimate(_float16_converted(input_cast_last=False))
    assert appended.macs == in_order.macs == 6912
    assert not appended.unestimated
    assert appended.peak_activation_bytes == in_order.peak_activation_bytes
    assert appended.dram_bytes == in_order.dram_bytes


def test_castlike_shape_arithmetic_folds():
    # torch's dynamo exporter without its optimizer writes Python scalars through CastLike:
    # here a Reshape's shape is CastLike(float [2, -1], int64) = [2, -1], so x [4, 6] -> [2, 12]
    # and the MatMul by [12, 5] costs 2 * 12 * 5 = 120 MACs
    model = parse(
        "agraph (float[4, 6] x) => (float[2, 5] y)\n"
        "<float[12, 5] w = {" + ", ".join(["1.0"] * 60) + "}> {\n"
        "  shape_f = Constant <value = float[2] {2.0, -1.0}> ()\n"
        "  like = Constant <value = int64[1] {0}> ()\n"
        "  shape = CastLike(shape_f, like)\n"
        "  flat = Reshape(x, shape)\n"
        "  y = MatMul(flat, w) }")
    e = edgegate.estimate(model)
    assert e.macs == 120 and not e.unestimated
