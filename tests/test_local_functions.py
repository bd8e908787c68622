"""Local function tables onnx's inliner cannot inline are refused before it runs, in edgegate's
words, whatever the onnx installed (1.16 crashed on recursion and took any depth or a duplicate
definition; 1.23 refuses them in its own words): edgegate/model/functions.py."""

from __future__ import annotations

import onnx
import pytest
from onnx import helper

import edgegate
from edgegate.model.functions import MAX_CALL_DEPTH, check_local_functions

OPSETS = [helper.make_opsetid("", 17), helper.make_opsetid("local", 1)]


def _call(name: str, inputs=("a",), outputs=("b",), overload: str = "", node: str = "") -> onnx.NodeProto:
    call = helper.make_node(name, list(inputs), list(outputs), domain="local", name=node)
    call.overload = overload
    return call


def _function(name: str, body: list[onnx.NodeProto], overload: str = "", inputs=("a",)) -> onnx.FunctionProto:
    function = helper.make_function("local", name, list(inputs), ["b"], body, OPSETS)
    function.overload = overload
    return function


def _model(functions: list[onnx.FunctionProto], calls: list[onnx.NodeProto] | None = None) -> onnx.ModelProto:
    graph = helper.make_graph(calls or [_call("F", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)])
    return helper.make_model(graph, opset_imports=OPSETS, functions=functions)


def _relu(name: str = "F") -> onnx.FunctionProto:
    return _function(name, [helper.make_node("Relu", ["a"], ["b"])])


def _chain(depth: int) -> onnx.ModelProto:
    """F0 -> F1 -> ... -> F{depth-1}, the last a Relu: calls nest ``depth`` functions deep."""
    functions = [_function(f"F{k}", [_call(f"F{k + 1}")]) for k in range(depth - 1)]
    return _model([*functions, _relu(f"F{depth - 1}")], [_call("F0", ["x"], ["y"])])


def _refused(model: onnx.ModelProto) -> str:
    with pytest.raises(edgegate.ModelError) as caught:
        edgegate.estimate(model)
    return caught.value.message


def test_recursion_is_refused_with_its_cycle():
    model = _model([_function("F", [_call("F")])])
    assert _refused(model) == "local functions cannot be inlined: a function calls itself: local::F -> local::F"


def test_mutual_recursion_through_a_branch_is_refused():
    # G calls F from inside an If branch: the cycle is found in the graphs of a body's nodes too
    branch = helper.make_graph([_call("F", ["a"], ["t"])], "then", [],
                               [helper.make_tensor_value_info("t", onnx.TensorProto.FLOAT, None)])
    empty = helper.make_graph([helper.make_node("Identity", ["a"], ["e"])], "else", [],
                              [helper.make_tensor_value_info("e", onnx.TensorProto.FLOAT, None)])
    g_body = [helper.make_node("Constant", [], ["c"], value_int=1),
              helper.make_node("Cast", ["c"], ["k"], to=onnx.TensorProto.BOOL),
              helper.make_node("If", ["k"], ["b"], then_branch=branch, else_branch=empty)]
    model = _model([_function("F", [_call("G")]), _function("G", g_body)])
    assert _refused(model) == ("local functions cannot be inlined: a function calls itself:"
                               " local::F -> local::G -> local::F")


def test_a_function_defined_twice_is_refused():
    model = _model([_relu(), _function("F", [helper.make_node("Sigmoid", ["a"], ["b"])])])
    assert _refused(model) == "local functions cannot be inlined: local::F is defined twice"


def test_overloads_are_distinct_functions():
    model = _model([_relu(), _function("F", [helper.make_node("Sigmoid", ["a"], ["b"])], overload="v2")],
                   [_call("F", ["x"], ["h"]), _call("F", ["h"], ["y"], overload="v2")])
    model.ir_version = 10
    e = edgegate.estimate(model)
    assert [layer.op_types for layer in e.layers] == [("Relu",), ("Sigmoid",)]


def test_a_diamond_of_calls_is_no_cycle():
    # F calls G and H, both call K: K is reached twice, and nothing calls itself
    two = [_call("G", ["a"], ["g"]), _call("H", ["g"], ["b"])]
    model = _model([_function("F", two), _function("G", [_call("K")]), _function("H", [_call("K")]), _relu("K")])
    e = edgegate.estimate(model)
    assert [layer.op_types for layer in e.layers] == [("Relu",), ("Relu",)]


def test_call_chains_up_to_the_depth_limit_inline():
    check_local_functions(_chain(MAX_CALL_DEPTH))
    e = edgegate.estimate(_chain(MAX_CALL_DEPTH))
    assert [layer.op_types for layer in e.layers] == [("Relu",)]


def test_a_call_chain_past_the_depth_limit_is_refused():
    assert _refused(_chain(MAX_CALL_DEPTH + 1)) == (
        f"local functions cannot be inlined: calls from local::F0 nest {MAX_CALL_DEPTH + 1} functions"
        f" deep, more than {MAX_CALL_DEPTH}")


@pytest.mark.parametrize("inputs, outputs, what, given, has", [
    (("x", "x", "x"), ("y",), "inputs", 3, 1),
    (("x",), ("y", "z"), "outputs", 2, 1),
])
def test_a_call_with_more_arguments_than_the_function_has_is_refused(inputs, outputs, what, given, has):
    model = _model([_relu()], [_call("F", inputs, outputs, node="call")])
    assert _refused(model) == (f"local functions cannot be inlined: node 'call' calls local::F with"
                               f" {given} {what}; it has {has}")


def test_a_call_leaving_out_inputs_is_inlined():
    add = _function("F", [helper.make_node("Add", ["a", "a2"], ["b"])], inputs=("a", "a2"))
    e = edgegate.estimate(_model([add], [_call("F", ["x"], ["y"])]))
    assert [layer.op_types for layer in e.layers] == [("Add",)]
