"""Inferred shapes that must add up are checked before any formula reads them
(edgegate/model/consistency.py): onnx's inference wraps some dimensions of 2^31 or more (Concat
before onnx 1.23, Split up to 1.23.2 at least), which would let a model pass budgets it
exceeds; small shapes that disagree are a malformed model."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import edgegate
from edgegate.model.consistency import inconsistency
from edgegate.model.info import NodeInfo, TensorInfo

F32 = TensorProto.FLOAT
BIG = 3_000_000_000  # each operand fits in int64, their sum does not fit in int32


def _model(nodes, inputs, inits=()) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(n, F32, s) for n, s in inputs],
                              [helper.make_tensor_value_info("r", F32, None)], list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


def _right_or_refused(model: onnx.ModelProto, relu_flops: int) -> None:
    """The Relu after the op is costed on the true shape, or the model is refused as wrapped:
    never costed on a wrapped one."""
    try:
        e = edgegate.estimate(model)
    except edgegate.ModelError as error:
        assert "shapes that do not add up" in error.message
        assert "(onnx wraps some dimensions of 2^31 or more)" in error.message
        return
    assert {layer.name: layer.flops for layer in e.layers}["relu"] == relu_flops


def test_a_concat_past_2_31_is_right_or_refused():
    # onnx 1.16 to 1.22 gave 1,705,032,704 for 3e9 + 3e9
    model = _model([helper.make_node("Concat", ["a", "b"], ["y"], axis=0),
                    helper.make_node("Relu", ["y"], ["r"], name="relu")], [("a", [BIG]), ("b", [BIG])])
    _right_or_refused(model, 2 * BIG)


def test_a_split_past_2_31_is_right_or_refused():
    # onnx up to 1.23.2 splits 6e9 into two parts of 852,516,352
    model = _model([helper.make_node("Split", ["a"], ["y", "z"], axis=0, num_outputs=2),
                    helper.make_node("Relu", ["y"], ["r"], name="relu")], [("a", [2 * BIG])])
    _right_or_refused(model, BIG)


def test_a_reshape_to_another_size_is_a_malformed_model():
    model = _model([helper.make_node("Reshape", ["a", "s"], ["y"]), helper.make_node("Relu", ["y"], ["r"])],
                   [("a", [2, 3])], [numpy_helper.from_array(np.array([5], np.int64), "s")])
    with pytest.raises(edgegate.ModelError, match="node 'Reshape:y' .Reshape. shapes that do not add up:"
                       " its input has 6 elements, its output 5: the model is malformed, or a dimension is bound to a size it cannot take"):
        edgegate.estimate(model)


def test_shapes_that_add_up_are_costed():
    nodes = [helper.make_node("Concat", ["a", "b"], ["c"], axis=1),
             helper.make_node("Split", ["c"], ["s1", "s2"], axis=1, num_outputs=2),
             helper.make_node("Flatten", ["s1"], ["f"], axis=1),
             helper.make_node("Reshape", ["f", "shape"], ["y"]),
             helper.make_node("Relu", ["y"], ["r"], name="relu")]
    model = _model(nodes, [("a", [2, 3, 4]), ("b", [2, 5, 4])],
                   [numpy_helper.from_array(np.array([-1], np.int64), "shape")])
    e = edgegate.estimate(model)
    assert {layer.name: layer.flops for layer in e.layers}["relu"] == 2 * 4 * 4
    assert e.unestimated == ()


def _info(op_type, inputs, outputs, **attrs) -> NodeInfo:
    def tensors(shapes, prefix):
        return tuple(None if s is None else TensorInfo(f"{prefix}{i}", s, F32) for i, s in enumerate(shapes))
    return NodeInfo(f"{op_type}:n", op_type, "", attrs, tensors(inputs, "i"), tensors(outputs, "o"))


@pytest.mark.parametrize("info, problem", [
    (_info("Concat", [(2, 3), (2, 4)], [(2, 7)], axis=1), None),
    (_info("Concat", [(2, 3), (2, 4)], [(2, 6)], axis=-1),
     "its inputs add up to 7 along axis 1, its output has 6: the model is malformed, or a dimension is bound to a size it cannot take"),
    (_info("Concat", [(BIG,), (BIG,)], [(1705032704,)], axis=0),
     "its inputs add up to 6000000000 along axis 0, its output has 1705032704"
     " (onnx wraps some dimensions of 2^31 or more)"),
    (_info("Split", [(10, 2)], [(4, 2), (6, 2)]), None),
    (_info("Split", [(10, 2)], [(4, 2), (5, 2)]), "its input has 10 along axis 0, its outputs add up to 9:"
     " the model is malformed, or a dimension is bound to a size it cannot take"),
    (_info("Reshape", [(2, 3), (2,)], [(3, 2)]), None),
    (_info("Flatten", [(2, 3, 4)], [(2, 13)], axis=1), "its input has 24 elements, its output 26:"
     " the model is malformed, or a dimension is bound to a size it cannot take"),
    # nothing to say: a shape unknown, an output omitted, a mistyped or out-of-range axis, another op
    (_info("Concat", [(2, 3), None], [(2, 6)], axis=1), None),
    (_info("Split", [(10, 2)], [(4, 2), None]), None),
    (_info("Concat", [(2, 3), (2, 4)], [(2, 6)], axis="1"), None),
    (_info("Concat", [(2, 3), (2, 4)], [(2, 6)], axis=2), None),
    (_info("Relu", [(2, 3)], [(3, 2)]), None),
])
def test_inconsistency_says_what_does_not_add_up(info, problem):
    assert inconsistency(info) == problem


def test_a_folded_concat_past_2_31_is_right_or_refused():
    # Expand of a stored constant is a constant too big to evaluate: its shape, and the Concat
    # of it, come from inference, so the check applies to folded nodes as well
    nodes = [helper.make_node("Expand", ["one", "s"], ["c"]), helper.make_node("Concat", ["c", "c"], ["cc"], axis=0),
             helper.make_node("Add", ["x", "cc"], ["r"], name="relu")]
    model = _model(nodes, [("x", [1])], [numpy_helper.from_array(np.ones(1, np.float32), "one"),
                                         numpy_helper.from_array(np.array([BIG], np.int64), "s")])
    _right_or_refused(model, 2 * BIG)


def test_a_binding_a_reshape_cannot_take_is_refused(tmp_path, capsys):
    # a Reshape to a stored [1, 16, 64] of a (1, seq, 64) input: bound seq=10, it had been costed
    # on shapes that do not fit each other
    from edgegate.cli import main

    graph = helper.make_graph([helper.make_node("Reshape", ["x", "s"], ["y"]), helper.make_node("Relu", ["y"], ["r"])],
                              "g", [helper.make_tensor_value_info("x", F32, [1, "seq", 64])],
                              [helper.make_tensor_value_info("r", F32, None)],
                              [numpy_helper.from_array(np.array([1, 16, 64], np.int64), "s")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), str(tmp_path / "m.onnx"))
    assert main(["estimate", str(tmp_path / "m.onnx"), "--dim", "seq=16"]) == 0
    capsys.readouterr()
    assert main(["estimate", str(tmp_path / "m.onnx"), "--dim", "seq=10"]) == 3
    assert capsys.readouterr().err.strip().endswith(
        "its input has 640 elements, its output 1024: the model is malformed, or a dimension is bound to a"
        " size it cannot take")
