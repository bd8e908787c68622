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
