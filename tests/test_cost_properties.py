"""Property tests: Conv/ConvTranspose/Gemm/MatMul/Einsum formulas equal brute-force counts.

The brute force is written independently of the formulas: convolutions count kernel taps in
explicit loops over an output shape from onnx's own shape inference; products count the
multiplications numpy performs on arrays of counting objects.
"""

from __future__ import annotations

import itertools

import numpy as np
import onnx
import pytest
from cost_helpers import cost_of, node
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper
from onnx_versions import version


class Counted:
    """A number that counts the multiplications it takes part in."""

    multiplies = 0

    def __init__(self, value: int = 1) -> None:
        self.value = value

    def __mul__(self, other: Counted) -> Counted:
        Counted.multiplies += 1
        return Counted(self.value * other.value)

    def __add__(self, other: Counted | int) -> Counted:
        return Counted(self.value + (other.value if isinstance(other, Counted) else other))

    __radd__ = __add__


def counted(shape: tuple[int, ...]) -> np.ndarray:
    """An object array of Counted ones."""
    array = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        array[index] = Counted()
    return array


def multiplies(operation, *shapes) -> int:
    """How many multiplications ``operation`` does on counting arrays of ``shapes``."""
    Counted.multiplies = 0
    operation(*(counted(s) for s in shapes))
    return Counted.multiplies


def inferred_output(op_type: str, x: tuple, w: tuple, attrs: dict) -> tuple[int, ...]:
    """The output shape onnx's shape inference gives a Conv/ConvTranspose of x and w."""
    graph = helper.make_graph(
        [helper.make_node(op_type, ["x", "w"], ["y"], **attrs)],
        "g",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, x),
            helper.make_tensor_value_info("w", TensorProto.FLOAT, w),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    dims = inferred.graph.output[0].type.tensor_type.shape.dim
    return tuple(d.dim_value for d in dims)


conv_params = st.fixed_dictionaries(
    {
        "rank": st.integers(1, 2),
        "batch": st.integers(1, 2),
        "groups": st.integers(1, 3),
        "cin_per_group": st.integers(1, 3),
        "cout_per_group": st.integers(1, 3),
        "size": st.integers(1, 7),
        "kernel": st.integers(1, 3),
        "stride": st.integers(1, 2),
        "dilation": st.integers(1, 2),
        "pad": st.integers(0, 2),
        "bias": st.booleans(),
    }
)


def conv_attrs(p: dict) -> dict:
    """Conv attributes for the drawn parameters (same value on every spatial axis)."""
    rank = p["rank"]
    return {
        "group": p["groups"],
        "kernel_shape": [p["kernel"]] * rank,
        "strides": [p["stride"]] * rank,
        "dilations": [p["dilation"]] * rank,
        "pads": [p["pad"]] * 2 * rank,
    }


@settings(max_examples=40, deadline=None)
@given(conv_params)
def test_conv_macs_equal_counted_taps(p):
    rank, g = p["rank"], p["groups"]
    assume(p["size"] + 2 * p["pad"] >= p["dilation"] * (p["kernel"] - 1) + 1)
    cin, cout = g * p["cin_per_group"], g * p["cout_per_group"]
    x = (p["batch"], cin, *[p["size"]] * rank)
    w = (cout, p["cin_per_group"], *[p["kernel"]] * rank)
    attrs = conv_attrs(p)
    y = inferred_output("Conv", x, w, attrs)
    taps = 0
    for _n, co, *_position in itertools.product(*(range(d) for d in y)):
        group = co // (cout // g)
        channels = range(group * (cin // g), (group + 1) * (cin // g))
        for _ci, *_offset in itertools.product(channels, *[range(p["kernel"])] * rank):
            taps += 1
    bias = [("b", (cout,))] if p["bias"] else []
    info = node("Conv", [("x", x), ("w", w), *bias], [("y", y)], attrs)
    outputs = int(np.prod(y))
    assert cost_of(info).macs == taps
    assert cost_of(info).flops == 2 * taps + (outputs if p["bias"] else 0)


@settings(max_examples=30, deadline=None)
@given(conv_params)
def test_conv_transpose_macs_equal_scattered_taps(p):
    rank, g = p["rank"], p["groups"]
    assume(p["pad"] < p["kernel"] * p["dilation"])
    cin, cout = g * p["cin_per_group"], g * p["cout_per_group"]
    x = (p["batch"], cin, *[p["size"]] * rank)
    w = (cin, p["cout_per_group"], *[p["kernel"]] * rank)
    attrs = conv_attrs(p)
    y = inferred_output("ConvTranspose", x, w, attrs)
    assume(all(d > 0 for d in y))
    taps = 0
    for _n, ci, *_position in itertools.product(*(range(d) for d in x)):
        group = ci // (cin // g)
        targets = range(group * (cout // g), (group + 1) * (cout // g))
        for _co, *_offset in itertools.product(targets, *[range(p["kernel"])] * rank):
            taps += 1
    info = node("ConvTranspose", [("x", x), ("w", w)], [("y", y)], attrs)
    assert cost_of(info).macs == taps


dim = st.integers(1, 5)


@settings(max_examples=40, deadline=None)
@given(dim, dim, dim, st.booleans(), st.booleans(), st.booleans())
def test_gemm_macs_equal_numpy_multiplies(m, k, n, trans_a, trans_b, with_c):
    a = (k, m) if trans_a else (m, k)
    b = (n, k) if trans_b else (k, n)

    def gemm(left, right):
        return (left.T if trans_a else left) @ (right.T if trans_b else right)

    count = multiplies(gemm, a, b)
    c = [("c", (n,))] if with_c else []
    info = node(
        "Gemm",
        [("a", a), ("b", b), *c],
        [("y", (m, n))],
        {"transA": int(trans_a), "transB": int(trans_b)},
    )
    assert cost_of(info).macs == count
    assert cost_of(info).flops == 2 * count + (m * n if with_c else 0)


@st.composite
def matmul_shapes(draw):
    """Two matmul operand shapes: each 1-D, or a matrix under broadcastable batch dims."""
    m, k, n = draw(dim), draw(dim), draw(dim)
    batch = draw(st.lists(st.integers(1, 3), max_size=3))

    def batched(matrix):
        kept = batch[draw(st.integers(0, len(batch))) :]
        return tuple(d if draw(st.booleans()) else 1 for d in kept) + matrix

    a = (k,) if draw(st.booleans()) else batched((m, k))
    b = (k,) if draw(st.booleans()) else batched((k, n))
    return a, b


@settings(max_examples=60, deadline=None)
@given(matmul_shapes())
def test_matmul_macs_equal_numpy_multiplies(shapes):
    a, b = shapes
    count = multiplies(np.matmul, a, b)
    out = np.matmul(np.zeros(a), np.zeros(b)).shape
    assert cost_of(node("MatMul", [("a", a), ("b", b)], [("y", out)])).macs == count


@st.composite
def einsum_equations(draw):
    """A two-operand einsum equation over letters a-e, with sizes, and an explicit output."""
    letters = "abcde"
    sizes = {c: draw(st.integers(1, 3)) for c in letters}
    left = "".join(draw(st.permutations(letters))[: draw(st.integers(1, 3))])
    right = "".join(draw(st.permutations(letters))[: draw(st.integers(1, 3))])
    used = sorted(set(left + right))
    output = "".join(c for c in used if draw(st.booleans()))
    shapes = [tuple(sizes[c] for c in term) for term in (left, right)]
    return f"{left},{right}->{output}", shapes, tuple(sizes[c] for c in output)


@settings(max_examples=60, deadline=None)
@pytest.mark.skipif(version(np.__version__) < (1, 25),
                    reason="np.einsum on object arrays (the multiplication counter) needs numpy 1.25")
@given(einsum_equations())
def test_two_operand_einsum_macs_equal_numpy_multiplies(drawn):
    equation, shapes, out = drawn
    count = multiplies(lambda a, b: np.einsum(equation, a, b), *shapes)
    inputs = [("a", shapes[0]), ("b", shapes[1])]
    assert cost_of(node("Einsum", inputs, [("y", out)], {"equation": equation})).macs == count
