"""Hostile ONNX models: small, named builders (for reproducers) and rng-driven families.

Every builder returns the serialized model bytes. ``onnx.helper`` builds what is well typed;
:mod:`gen.wire` writes what is not (names that are not UTF-8, attributes of the wrong type,
negative dimensions). The families (``random.Random`` in, bytes out) are what the hypothesis
strategies in :mod:`gen.strategies` and the campaign draw from:

* :func:`shape_dataprop`  Shape -> (Slice|Gather|Concat|Div|...) with extreme integers: what
  onnx's C++ data propagation is handed (class 1).
* :func:`fold_blowup`     constant-foldable ops whose outputs are huge (class 2).
* :func:`malformed`       attributes of the wrong declared type, "" for required inputs,
  control flow with odd bodies, local functions (class 3).
* :func:`raw_names`       node/tensor/op/domain/graph names that are not UTF-8, or carry
  newlines, U+FFFE, workflow commands (classes 4, 10, 11).
* :func:`deep_nesting`    Loop/If bodies nested thousands deep (class 5).
* :func:`native_op`       any op of onnx's default domain, with inputs of small or extreme
  shapes, extreme constant operands and attributes of extreme values (or the wrong type):
  what onnx's C++ shape inference and data propagation are handed (class 1).
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper, numpy_helper

from tests.hostile import wire as w
from tests.hostile.sandbox import MARK

F32 = T.FLOAT
EXTREME_INTS = (0, 1, -1, 2, 3, 2**31 - 1, 2**31, 2**32, 2**53 + 1, 2**62, -(2**62), 2**63 - 1,
                -(2**63), -(2**63) + 1, 2**63 - 2, 10**9, 10**12, -2)


def i64(*values: int) -> np.ndarray:
    return np.array(values, np.int64)


def build(nodes: list[onnx.NodeProto], inits: dict[str, np.ndarray] | None = None,
          inputs: list[tuple[str, int, list]] | None = None, opset: int = 17,
          outputs: list[str] | None = None, functions: list[onnx.FunctionProto] | None = None,
          extra_opsets: list[tuple[str, int]] = ()) -> bytes:
    """A model from helper nodes; inputs default to one float x[4, 3, 2, 1]."""
    inputs = inputs if inputs is not None else [("x", F32, [4, 3, 2, 1])]
    produced = [o for n in nodes for o in n.output if o]
    read = {i for n in nodes for i in n.input}
    outs = outputs if outputs is not None else ([o for o in produced if o not in read][-1:] or ["x"])
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info(n, t, d) for n, t, d in inputs],
        [helper.make_tensor_value_info(o, F32, None) for o in outs],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()])
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    model = helper.make_model(graph, opset_imports=opsets, ir_version=8, functions=functions or [])
    return model.SerializeToString()


def relu_model(name: str = "relu", dims: list = ("batch", 8)) -> bytes:
    """A one-node model with a symbolic batch: the plain seed for CLI-level cases."""
    return build([helper.make_node("Relu", ["x"], ["y"], name=name)],
                 inputs=[("x", F32, list(dims))])


def conv_model(node_name: str = "conv") -> bytes:
    """Conv + Relu over x[1, 3, 8, 8], weights 4x3x3x3: 3.89 kMAC."""
    return build([helper.make_node("Conv", ["x", "w"], ["a"], name=node_name),
                  helper.make_node("Relu", ["a"], ["y"], name="relu")],
                 {"w": np.ones((4, 3, 3, 3), np.float32)}, inputs=[("x", F32, [1, 3, 8, 8])])


# ----------------------------------------------------------------------------- class 1

DATAPROP_OPS = ("Slice", "Gather", "Concat", "Div", "Mul", "Add", "Sub", "Mod", "Unsqueeze",
                "Squeeze", "Shape", "Range", "Reshape", "Expand", "Tile", "CumSum", "ReduceProd",
                "GatherElements", "Split", "Pad", "ConstantOfShape", "Neg", "Abs", "Where")


def shape_dataprop(rng: random.Random) -> bytes:
    """x -> Shape -> OP(extreme integer operands) -> Reshape(x, .): onnx infers with data_prop;
    or a tensor reshaped to a long 1-D one by shape arithmetic (:func:`computed_flat`)."""
    if rng.random() < 0.1:
        return computed_flat(rng.choice([300, 3000, 30000, 10**5, 2**20]))
    rank = rng.randint(1, 5)
    dims = [rng.choice([1, 2, 3, 4, 7]) for _ in range(rank)]
    def pick():
        return rng.choice(EXTREME_INTS) if rng.random() < 0.7 else rng.randint(-8, 8)
    def vec(n):
        return i64(*[pick() for _ in range(n)])
    op = rng.choice(DATAPROP_OPS)
    nodes = [helper.make_node("Shape", ["x"], ["s"],
                              **({"start": pick(), "end": pick()} if rng.random() < 0.2 else {}))]
    inits: dict[str, np.ndarray] = {}
    n = rng.randint(1, 2)
    if op == "Slice":
        inits = {"a": vec(n), "b": vec(n), "c": i64(*[rng.choice([0, -1, pick()]) for _ in range(n)]),
                 "d": vec(n)}
        nodes.append(helper.make_node("Slice", ["s", "a", "b", "c", "d"], ["q"]))
    elif op in ("Gather", "GatherElements"):
        inits = {"a": vec(n)}
        nodes.append(helper.make_node(op, ["s", "a"], ["q"], axis=rng.choice([0, pick()])))
    elif op == "Concat":
        nodes.append(helper.make_node("Concat", ["s", "s"], ["q"], axis=rng.choice([0, -1, pick()])))
    elif op in ("Div", "Mul", "Add", "Sub", "Mod"):
        inits = {"a": vec(n)}
        nodes.append(helper.make_node(op, ["s", "a"] if rng.random() < 0.8 else ["a", "s"], ["q"]))
    elif op in ("Unsqueeze", "Squeeze", "ReduceProd", "CumSum"):
        inits = {"a": vec(n) if op != "CumSum" else i64(pick())}
        nodes.append(helper.make_node(op, ["s", "a"], ["q"]))
    elif op == "Range":
        inits = {"a": np.array(pick(), np.int64), "b": np.array(pick(), np.int64),
                 "c": np.array(pick(), np.int64)}
        nodes.append(helper.make_node("Range", ["a", "b", "c"], ["q"]))
    elif op == "Split":
        inits = {"a": vec(2)}
        nodes.append(helper.make_node("Split", ["s", "a"], ["q", "q2"], axis=0))
    elif op == "Pad":
        inits = {"a": vec(2)}
        nodes.append(helper.make_node("Pad", ["s", "a"], ["q"]))
    else:
        inits = {"a": vec(n)}
        nodes.append(helper.make_node(op, ["s", "a"] if op in ("Reshape", "Expand", "Tile") else ["s"],
                                      ["q"]))
    tail = rng.choice(["Reshape", "Expand", "ConstantOfShape", "Tile", "Slice"])
    if tail == "ConstantOfShape":
        nodes += [helper.make_node("ConstantOfShape", ["q"], ["y"])]
    elif tail == "Slice":
        nodes += [helper.make_node("Slice", ["x", "q", "q"], ["y"])]
    else:
        nodes += [helper.make_node(tail, ["x", "q"], ["y"])]
    return build(nodes, inits, inputs=[("x", F32, dims)], outputs=["y"])


def computed_flat(side: int) -> bytes:
    """x[side, side] reshaped to 1-D by a shape data propagation computes (Shape, Gather, Mul,
    Unsqueeze), then Add: a 1-D tensor of side**2 elements only data propagation knows."""
    return build([helper.make_node("Shape", ["x"], ["s"]),
                  helper.make_node("Gather", ["s", "zero"], ["a"], axis=0),
                  helper.make_node("Gather", ["s", "one"], ["b"], axis=0),
                  helper.make_node("Mul", ["a", "b"], ["ab"]),
                  helper.make_node("Unsqueeze", ["ab", "axes"], ["flat"]),
                  helper.make_node("Reshape", ["x", "flat"], ["f"]),
                  helper.make_node("Add", ["f", "f"], ["y"])],
                 {"zero": np.array(0, np.int64), "one": np.array(1, np.int64), "axes": i64(0)},
                 inputs=[("x", F32, [side, side])], outputs=["y"])


# ----------------------------------------------------------------------------- class 2

def fold_blowup(rng: random.Random) -> bytes:
    """Constant-foldable ops that materialize 1e8..1e12 elements before any size check."""
    big = rng.choice([10**8, 2**28, 10**9, 10**10, 10**12, 2**40])
    kind = rng.choice(["cos_shape", "expand", "tile", "range", "reshape_chain", "scan", "concat",
                       "pad", "cos_direct", "where"])
    if kind == "cos_shape":
        n = rng.choice([2**14, 2**15, 2**16, 10**5])
        return build([helper.make_node("Shape", ["x"], ["s"]),
                      helper.make_node("ConstantOfShape", ["s"], ["c"]),
                      helper.make_node("Add", ["x", "c"], ["y"])], inputs=[("x", F32, [n, n])])
    if kind == "cos_direct":
        return build([helper.make_node("ConstantOfShape", ["s"], ["c"]),
                      helper.make_node("Add", ["x", "c"], ["y"])],
                     {"s": i64(big)}, inputs=[("x", F32, [1])])
    if kind == "expand":
        return build([helper.make_node("Expand", ["one", "s"], ["c"]),
                      helper.make_node("Add", ["x", "c"], ["y"])],
                     {"one": np.ones(1, np.float32), "s": i64(big)}, inputs=[("x", F32, [1])])
    if kind == "tile":
        return build([helper.make_node("Tile", ["one", "r"], ["c"]),
                      helper.make_node("Add", ["x", "c"], ["y"])],
                     {"one": np.ones(1, np.float32), "r": i64(big)}, inputs=[("x", F32, [1])])
    if kind == "range":
        return build([helper.make_node("Range", ["a", "b", "d"], ["c"]),
                      helper.make_node("Cast", ["c"], ["cf"], to=F32),
                      helper.make_node("Add", ["x", "cf"], ["y"])],
                     {"a": np.array(0, np.int64), "b": np.array(big, np.int64),
                      "d": np.array(1, np.int64)}, inputs=[("x", F32, [1])])
    if kind == "concat":
        return build([helper.make_node("Expand", ["one", "s"], ["c"]),
                      helper.make_node("Concat", ["c", "c"], ["cc"], axis=0),
                      helper.make_node("Add", ["x", "cc"], ["y"])],
                     {"one": np.ones(1, np.float32), "s": i64(big // 2)}, inputs=[("x", F32, [1])])
    if kind == "pad":
        return build([helper.make_node("Pad", ["one", "p"], ["c"]),
                      helper.make_node("Add", ["x", "c"], ["y"])],
                     {"one": np.ones(1, np.float32), "p": i64(0, big)}, inputs=[("x", F32, [1])])
    if kind == "where":
        return build([helper.make_node("ConstantOfShape", ["s"], ["c"],
                                       value=numpy_helper.from_array(np.ones(1, np.bool_))),
                      helper.make_node("Where", ["c", "one", "one"], ["d"]),
                      helper.make_node("Add", ["x", "d"], ["y"])],
                     {"s": i64(big), "one": np.ones(1, np.float32)}, inputs=[("x", F32, [1])])
    if kind == "reshape_chain":
        side = int(big ** 0.5)
        return build([helper.make_node("ConstantOfShape", ["s"], ["c"]),
                      helper.make_node("Reshape", ["c", "flat"], ["f"]),
                      helper.make_node("Add", ["x", "f"], ["y"])],
                     {"s": i64(side, side), "flat": i64(-1)}, inputs=[("x", F32, [1])])
    return scan_model(rng.choice([2**40, 2**31, 10**9, 2**62]))


def scan_model(num_scan_inputs: int = 2**40) -> bytes:
    """A Scan whose num_scan_inputs is absurd: the estimator builds (0,) * count axes."""
    body = helper.make_graph([helper.make_node("Identity", ["si"], ["so"])], "body",
                             [helper.make_tensor_value_info("si", F32, [2])],
                             [helper.make_tensor_value_info("so", F32, [2])])
    return build([helper.make_node("Scan", ["x"], ["y"], body=body, num_scan_inputs=num_scan_inputs)],
                 inputs=[("x", F32, [3, 2])], outputs=["y"], opset=17)


# ----------------------------------------------------------------------------- class 3

def _g1(op: str = "Relu") -> bytes:
    return w.graph([w.node(op, ["a"], ["b"])], "sub", [w.value_info("a", 1, [1])],
                   [w.value_info("b", 1, [1])])


# op type -> (attribute name, its proper type); the malformed family declares another type
ATTRIBUTE_TARGETS: dict[str, list[tuple[str, int]]] = {
    "Einsum": [("equation", w.STRING)],
    "Constant": [("value_ints", w.INTS), ("value_int", w.INT), ("value_floats", w.FLOATS),
                 ("value_float", w.FLOAT), ("value_string", w.STRING), ("value", w.TENSOR),
                 ("value_strings", w.STRINGS), ("sparse_value", w.SPARSE_TENSOR)],
    "Conv": [("kernel_shape", w.INTS), ("strides", w.INTS), ("pads", w.INTS), ("group", w.INT),
             ("dilations", w.INTS), ("auto_pad", w.STRING)],
    "MaxPool": [("kernel_shape", w.INTS), ("strides", w.INTS), ("ceil_mode", w.INT)],
    "Gemm": [("transA", w.INT), ("transB", w.INT), ("alpha", w.FLOAT)],
    "Softmax": [("axis", w.INT)],
    "Transpose": [("perm", w.INTS)],
    "Cast": [("to", w.INT)],
    "If": [("then_branch", w.GRAPH), ("else_branch", w.GRAPH)],
    "Loop": [("body", w.GRAPH)],
    "Scan": [("body", w.GRAPH), ("num_scan_inputs", w.INT), ("scan_input_axes", w.INTS)],
    "Resize": [("mode", w.STRING), ("coordinate_transformation_mode", w.STRING)],
    "LSTM": [("hidden_size", w.INT), ("direction", w.STRING)],
    "TopK": [("axis", w.INT)],
    "Split": [("axis", w.INT), ("num_outputs", w.INT)],
    "Concat": [("axis", w.INT)],
    "ReduceMean": [("axes", w.INTS), ("keepdims", w.INT)],
    "Attention": [("num_heads", w.INT), ("qkv_hidden_sizes", w.INTS)],
    "MatMulNBits": [("K", w.INT), ("N", w.INT), ("bits", w.INT), ("block_size", w.INT)],
}
KINDS = (w.FLOAT, w.INT, w.STRING, w.TENSOR, w.GRAPH, w.FLOATS, w.INTS, w.STRINGS, w.TENSORS,
         w.GRAPHS, w.UNDEFINED, w.SPARSE_TENSOR, w.TYPE_PROTO, 99)


def wrong_attribute(op: str, name: str, kind: int, rng: random.Random | None = None) -> bytes:
    """An attribute ``name`` declared as ``kind`` and carrying a value of that kind."""
    rng = rng or random.Random(0)
    small_tensor = w.tensor("t", [1], 7, int64s=[1])
    values = {
        w.FLOAT: {"f": rng.choice([float("nan"), float("inf"), -1.0, 1e30, 0.5])},
        w.INT: {"i": rng.choice(EXTREME_INTS)},
        w.STRING: {"s": rng.choice([b"\xff\xfe", b"", b"abc", b"ij,jk->ik", "é".encode()])},
        w.TENSOR: {"t": small_tensor},
        w.GRAPH: {"g": _g1()},
        w.FLOATS: {"floats": [1.0, float("nan")]},
        w.INTS: {"ints": [rng.choice(EXTREME_INTS) for _ in range(rng.randint(0, 4))]},
        w.STRINGS: {"strings": [b"a", b"\xff"]},
        w.TENSORS: {"tensors": [small_tensor]},
        w.GRAPHS: {"graphs": [_g1(), _g1()]},
    }.get(kind, {})
    return w.attr(name, kind, **values)


def _inputs_for(op: str) -> tuple[list[str], list[bytes], list[bytes]]:
    """Inputs, graph inputs and initializers that make ``op`` otherwise well formed."""
    x4 = w.value_info("x", 1, [1, 3, 8, 8])
    wt = w.tensor("w", [4, 3, 3, 3], 1, raw=np.ones((4, 3, 3, 3), np.float32).tobytes())
    if op in ("Conv",):
        return ["x", "w"], [x4], [wt]
    if op == "Gemm":
        return ["x2", "m"], [w.value_info("x2", 1, [2, 3])], [w.tensor("m", [3, 4], 1, floats=[1.0] * 12)]
    if op == "Einsum":
        return ["x2", "x3"], [w.value_info("x2", 1, [2, 3]), w.value_info("x3", 1, [3, 4])], []
    if op in ("If",):
        return ["c"], [w.value_info("c", 9, [])], []
    if op in ("Loop",):
        return ["n", ""], [], [w.tensor("n", [], 7, int64s=[3])]
    if op == "Constant":
        return [], [], []
    if op == "Resize":
        return ["x", "", "sc"], [x4], [w.tensor("sc", [4], 1, floats=[1, 1, 2, 2])]
    if op == "LSTM":
        return ["xs", "W", "R"], [w.value_info("xs", 1, [5, 1, 4])], [
            w.tensor("W", [1, 32, 4], 1, floats=[0.0] * 128), w.tensor("R", [1, 32, 8], 1, floats=[0.0] * 256)]
    if op == "Attention":
        return ["xa", "wa"], [w.value_info("xa", 1, [1, 4, 8])], [w.tensor("wa", [8, 24], 1, floats=[0.0] * 192)]
    if op == "MatMulNBits":
        return ["xa", "wq"], [w.value_info("xa", 1, [1, 4, 8])], [w.tensor("wq", [8, 1, 4], 2, raw=bytes(32))]
    if op == "TopK":
        return ["x", "k"], [x4], [w.tensor("k", [1], 7, int64s=[2])]
    if op == "Split":
        return ["x"], [x4], []
    return ["x"], [x4], []


def malformed(rng: random.Random) -> bytes:
    """One node (in a valid model) with a malformed part: a mistyped attribute, a required input
    left "", control flow with odd bodies, odd dims, or local functions."""
    kind = rng.choice(["attr", "attr", "attr", "empty_input", "loop_dims", "functions", "dims",
                       "missing_attr", "outputs"])
    if kind == "functions":
        return function_model(rng.choice(["recursive", "mutual", "duplicate", "too_many_inputs",
                                          "too_few_inputs", "missing", "attr_ref", "deep"]))
    if kind == "loop_dims":
        return loop_with_dims([rng.choice([-(2**63), -1, 2**63 - 1, 0, 2**62])] * rng.randint(1, 3))
    op = rng.choice(sorted(ATTRIBUTE_TARGETS))
    domain = "com.microsoft" if op in ("Attention", "MatMulNBits") else ""
    inputs, graph_inputs, inits = _inputs_for(op)
    attrs: list[bytes] = []
    if op == "If":
        attrs = [w.attr("then_branch", w.GRAPH, g=_g1()), w.attr("else_branch", w.GRAPH, g=_g1())]
    if op in ("Loop", "Scan"):
        attrs = [w.attr("body", w.GRAPH, g=_g1())]
    if op == "Einsum":
        attrs = [w.attr("equation", w.STRING, s="ij,jk->ik")]
    if op == "MatMulNBits":
        attrs = [w.attr("K", w.INT, i=8), w.attr("N", w.INT, i=4), w.attr("bits", w.INT, i=4),
                 w.attr("block_size", w.INT, i=32)]
    if kind in ("attr", "missing_attr"):
        name, proper = rng.choice(ATTRIBUTE_TARGETS[op])
        attrs = [a for a in attrs if not a.startswith(w.fb(1, name))]
        if kind == "attr":
            wrong = rng.choice([k for k in KINDS if k != proper])
            attrs.append(wrong_attribute(op, name, wrong, rng))
    if kind == "empty_input" and inputs:
        inputs = list(inputs)
        inputs[rng.randrange(len(inputs))] = ""
    outputs = ["y"]
    if kind == "outputs":
        outputs = rng.choice([[], [""], ["y", "y"], ["x"]])
    if kind == "dims":
        graph_inputs = [w.value_info(b"x", 1, [rng.choice(EXTREME_INTS) for _ in range(4)])]
    graph = w.graph([w.node(op, inputs, outputs, name="n0", domain=domain, attrs=attrs)], "g",
                    graph_inputs, [w.value_info("y", 1, None)], inits)
    opsets = [w.opset("", 17)] + ([w.opset("com.microsoft", 1)] if domain else [])
    return w.model(graph, opsets)


def loop_with_dims(dims: list[int]) -> bytes:
    """A Loop whose body declares its carried value with ``dims`` (e.g. -2^63)."""
    body = w.graph(
        [w.node("Identity", ["c"], ["co"]), w.node("Relu", ["v"], ["vo"])], "body",
        [w.value_info("i", 7, []), w.value_info("c", 9, []), w.value_info("v", 1, dims)],
        [w.value_info("co", 9, []), w.value_info("vo", 1, dims)],
        value_infos=[w.value_info("vo", 1, dims)])
    graph = w.graph([w.node("Loop", ["n", "", "x"], ["y"], name="loop",
                            attrs=[w.attr("body", w.GRAPH, g=body)])], "g",
                    [w.value_info("x", 1, [1, 4])], [w.value_info("y", 1, None)],
                    [w.tensor("n", [], 7, int64s=[3])])
    return w.model(graph)


def function_model(kind: str = "recursive") -> bytes:
    """Local functions the inliner chokes on: recursive, mutually recursive, defined twice,
    called with too many or too few inputs, missing, an attribute reference to nothing, deep."""
    def call(name, ins, outs, **kw):
        return w.node(name, ins, outs, domain="local", **kw)
    def f_body():
        return [w.node("Relu", ["a"], ["b"])]
    functions: list[bytes]
    nodes = [call("F", ["x"], ["y"])]
    if kind == "recursive":
        functions = [w.function("F", "local", ["a"], ["b"], [call("F", ["a"], ["b"])])]
    elif kind == "mutual":
        functions = [w.function("F", "local", ["a"], ["b"], [call("G", ["a"], ["b"])]),
                     w.function("G", "local", ["a"], ["b"], [call("F", ["a"], ["b"])])]
    elif kind == "duplicate":
        functions = [w.function("F", "local", ["a"], ["b"], f_body()),
                     w.function("F", "local", ["a"], ["b"], [w.node("Sigmoid", ["a"], ["b"])])]
    elif kind == "too_many_inputs":
        functions = [w.function("F", "local", ["a"], ["b"], f_body())]
        nodes = [call("F", ["x", "x", "x"], ["y"])]
    elif kind == "too_few_inputs":
        functions = [w.function("F", "local", ["a", "a2"], ["b"], [w.node("Add", ["a", "a2"], ["b"])])]
        nodes = [call("F", ["x"], ["y"])]
    elif kind == "missing":
        functions = [w.function("G", "local", ["a"], ["b"], f_body())]
    elif kind == "attr_ref":
        functions = [w.function("F", "local", ["a"], ["b"],
                                [w.node("Softmax", ["a"], ["b"],
                                        attrs=[w.attr("axis", w.INT, ref_attr_name="nope")])],
                                attributes=["other"])]
    else:  # deep: F0 -> F1 -> ... -> F400
        depth = 400
        functions = [w.function(f"F{k}", "local", ["a"], ["b"], [call(f"F{k + 1}", ["a"], ["b"])])
                     for k in range(depth)] + [w.function(f"F{depth}", "local", ["a"], ["b"], f_body())]
        nodes = [call("F0", ["x"], ["y"])]
    graph = w.graph(nodes, "g", [w.value_info("x", 1, [1, 4])], [w.value_info("y", 1, None)])
    return w.model(graph, [w.opset("", 17), w.opset("local", 1)], functions=functions)


# ----------------------------------------------------------------------------- class 4, 10, 11

HOSTILE_NAMES: tuple[bytes, ...] = (
    b"\xff\xfe", b"na\x80me", b"\xc3(", b"\xed\xa0\x80", b"ok\x00nul", "\ufffe".encode(),
    "\uffff".encode(), b"\x1b[31mred", b"line\nbreak", b"cr\rlf", "\u2028sep".encode(),
    f"\n::error title={MARK}::{MARK}".encode(), f"##[error]{MARK}".encode(),
    f"::warning title={MARK}::{MARK}".encode(), f"%0A::error title={MARK}::x".encode(),
    b"\xf4\x90\x80\x80", b"x" * 3000, b"", b"a,b", b'"quote\'', b"<tag>&amp;", "é".encode(),
    "\U0001F600".encode(), b"\\x00", b"\x7f\x85",
)


def raw_names(rng: random.Random, where: str | None = None) -> bytes:
    """A Conv -> Relu -> custom-op model (so reports name nodes) where one kind of name is
    hostile: node name, tensor name, op type, domain, graph name, input name, dim name."""
    name = rng.choice(HOSTILE_NAMES)
    where = where or rng.choice(["node", "node", "tensor", "op", "domain", "graph", "input",
                                 "dimparam", "initializer", "output", "opset_domain", "producer"])
    nn = name if where == "node" else b"conv"
    tensor = name if where == "tensor" and name else b"a"
    xin = name if where == "input" and name else b"x"
    init = name if where == "initializer" and name else b"w"
    out = name if where == "output" and name else b"y"
    op = name if where == "op" and name else b"Custom"
    domain = name if where in ("domain", "opset_domain") and name else b"com.vendor"
    dim0 = name if where == "dimparam" and name else 1
    nodes = [w.node("Conv", [xin, init], [tensor], name=nn),
             w.node("Relu", [tensor], [b"r"], name=name if where == "node" else b"relu"),
             w.node(op, [b"r"], [out], name=name if where == "node" else b"custom", domain=domain)]
    graph = w.graph(nodes, name if where == "graph" else "g",
                    [w.value_info(xin, 1, [dim0, 3, 8, 8])], [w.value_info(out, 1, None)],
                    [w.tensor(init, [4, 3, 3, 3], 1, raw=np.ones((4, 3, 3, 3), np.float32).tobytes())])
    opsets = [w.opset("", 17), w.opset(domain, 1)]
    return w.model(graph, opsets, producer=name if where == "producer" else "hostile")


def unestimated_named(name: bytes | str) -> bytes:
    """Conv then a custom op named ``name``: 'unestimated' findings name the node."""
    return raw_names(random.Random(0), "node") if name is None else w.model(
        w.graph([w.node("Conv", ["x", "w"], ["a"], name=name),
                 w.node("Custom", ["a"], ["y"], name=name, domain="com.vendor")], "g",
                [w.value_info("x", 1, [1, 3, 8, 8])], [w.value_info("y", 1, None)],
                [w.tensor("w", [4, 3, 3, 3], 1, raw=np.ones((4, 3, 3, 3), np.float32).tobytes())]),
        [w.opset("", 17), w.opset("com.vendor", 1)])


# ----------------------------------------------------------------------------- class 5

def deep_nesting(depth: int = 3000, op: str = "Loop", pad: int = 2048) -> bytes:
    """Loop (or If) bodies nested ``depth`` deep; the innermost carries ``pad`` bytes of
    initializer so every enclosing field is longer than the wire reader's 1 KiB threshold."""
    inner_init = [w.tensor("pad", [pad // 4], 1, raw=bytes(pad))] if pad else []
    body = w.graph([w.node("Identity", ["c"], ["co"]), w.node("Identity", ["v"], ["vo"])], "b",
                   [w.value_info("i", 7, []), w.value_info("c", 9, []), w.value_info("v", 1, [1])],
                   [w.value_info("co", 9, []), w.value_info("vo", 1, [1])], inner_init)
    for _ in range(depth):
        if op == "Loop":
            inner = w.node("Loop", ["n", "c", "v"], ["vo"],
                           attrs=[w.attr("body", w.GRAPH, g=body)])
            body = w.graph([w.node("Identity", ["c"], ["co"]), inner], "b",
                           [w.value_info("i", 7, []), w.value_info("c", 9, []), w.value_info("v", 1, [1])],
                           [w.value_info("co", 9, []), w.value_info("vo", 1, [1])],
                           [w.tensor("n", [], 7, int64s=[1])])
        else:
            inner = w.node("If", ["c"], ["vo"], attrs=[w.attr("then_branch", w.GRAPH, g=body),
                                                        w.attr("else_branch", w.GRAPH, g=_g1())])
            body = w.graph([inner], "b", [w.value_info("c", 9, [])], [w.value_info("vo", 1, [1])])
    top = w.graph([w.node("Loop", ["n", "", "x"], ["y"], attrs=[w.attr("body", w.GRAPH, g=body)])],
                  "g", [w.value_info("x", 1, [1])], [w.value_info("y", 1, None)],
                  [w.tensor("n", [], 7, int64s=[1])])
    return w.model(top)


# ----------------------------------------------------------------------------- class 1, any op

_TYPES = {f"tensor({name})": value for name, value in (
    ("float", T.FLOAT), ("double", T.DOUBLE), ("float16", T.FLOAT16), ("bfloat16", T.BFLOAT16),
    ("int64", T.INT64), ("int32", T.INT32), ("int8", T.INT8), ("uint8", T.UINT8), ("int16", T.INT16),
    ("uint16", T.UINT16), ("uint32", T.UINT32), ("uint64", T.UINT64), ("bool", T.BOOL),
    ("string", T.STRING))}
_NUMPY = {T.INT64: np.int64, T.INT32: np.int32, T.INT8: np.int8, T.UINT8: np.uint8, T.INT16: np.int16,
          T.UINT16: np.uint16, T.UINT32: np.uint32, T.UINT64: np.uint64, T.FLOAT: np.float32,
          T.DOUBLE: np.float64, T.FLOAT16: np.float16, T.BOOL: np.bool_}
_SCHEMAS: list = []


def _schemas() -> list:
    """The default domain's op schemas (latest versions), not deprecated, sorted by name."""
    if not _SCHEMAS:
        _SCHEMAS.extend(sorted((s for s in onnx.defs.get_all_schemas() if s.domain == "" and not s.deprecated),
                               key=lambda s: s.name))
    return _SCHEMAS


def _dims(rng: random.Random, rank: int) -> list:
    pool = [1, 1, 2, 3, 4, 8, 0, 16, "n", 2**31, 2**40, 10**6, -1]
    weights = [8, 8, 6, 6, 4, 2, 1, 1, 1, 1, 1, 1, 1]
    return [rng.choices(pool, weights)[0] for _ in range(rank)]


def _extreme(rng: random.Random) -> int:
    return rng.choice(EXTREME_INTS) if rng.random() < 0.5 else rng.randint(-4, 8)


def _attribute(rng: random.Random, name: str, kind: int) -> bytes:
    """An attribute of ``kind`` (sometimes another kind) with extreme values."""
    if rng.random() < 0.15:
        kind = rng.choice([k for k in KINDS if k != kind])
    if kind == w.INT:
        return w.attr(name, w.INT, i=_extreme(rng))
    if kind == w.INTS:
        return w.attr(name, w.INTS, ints=[_extreme(rng) for _ in range(rng.choice([0, 1, 2, 4, 8]))])
    if kind == w.FLOAT:
        return w.attr(name, w.FLOAT, f=rng.choice([0.0, -1.0, 1e30, float("nan"), float("inf"), 0.5, 2.0]))
    if kind == w.FLOATS:
        return w.attr(name, w.FLOATS, floats=[rng.choice([0.0, 1e30, -1.0, 2.0]) for _ in range(rng.randint(0, 4))])
    if kind == w.STRING:
        return w.attr(name, w.STRING, s=rng.choice([b"", b"NOTSET", b"VALID", b"SAME_UPPER", b"linear",
                                                    b"ij,jk->ik", b"\xff", b"constant", b"reflect"]))
    if kind == w.TENSOR:
        return w.attr(name, w.TENSOR, t=w.tensor("t", [1], 7, int64s=[_extreme(rng)]))
    if kind == w.GRAPH:
        return w.attr(name, w.GRAPH, g=_g1())
    return wrong_attribute("op", name, kind, rng)


def native_op(rng: random.Random) -> bytes:
    """One default-domain op: every formal input either a graph input of small or extreme
    dims or a constant (int64 operands extreme), attributes of extreme values."""
    schema = rng.choice(_schemas())
    allowed = {c.type_param_str: [t for t in c.allowed_type_strs if t in _TYPES] or ["tensor(float)"]
               for c in schema.type_constraints}
    chosen = {param: rng.choice(types) for param, types in allowed.items()}
    inputs, graph_inputs, inits = [], [], []
    count = rng.randint(schema.min_input, max(schema.min_input, min(schema.max_input, 5)))
    for index in range(count):
        formal = schema.inputs[min(index, len(schema.inputs) - 1)] if schema.inputs else None
        type_str = chosen.get(formal.type_str, formal.type_str) if formal is not None else "tensor(float)"
        elem = _TYPES.get(type_str, T.FLOAT)
        name = f"i{index}"
        if formal is not None and formal.option == onnx.defs.OpSchema.FormalParameterOption.Optional \
                and rng.random() < 0.2:
            inputs.append("")
            continue
        inputs.append(name)
        if rng.random() < 0.5 and elem in _NUMPY:
            rank = rng.choice([0, 1, 1, 1, 2])
            shape = [rng.choice([1, 2, 3, 4]) for _ in range(rank)]
            values = [_extreme(rng) if elem == T.INT64 else rng.choice([0, 1, 2, -1]) for _ in range(int(np.prod(shape)))]
            array = np.array(values, dtype=object).reshape(shape)
            try:
                data = array.astype(_NUMPY[elem])
            except (OverflowError, ValueError, TypeError, DeprecationWarning):  # numpy 1.x: a warning
                data = np.zeros(shape, _NUMPY[elem])
            inits.append(numpy_helper.from_array(data, name).SerializeToString())
        else:
            graph_inputs.append(w.value_info(name, elem, _dims(rng, rng.choice([0, 1, 2, 3, 4]))))
    attrs = [_attribute(rng, name, int(attribute.type))
             for name, attribute in sorted(schema.attributes.items()) if attribute.required or rng.random() < 0.5]
    high = max(schema.min_output, min(schema.max_output, 3))
    outputs = [f"o{index}" for index in range(max(1, rng.randint(schema.min_output, high)))]
    follow = [w.node("Identity", [outputs[0]], ["y"])] if rng.random() < 0.5 else []
    graph = w.graph([w.node(schema.name, inputs, outputs, name="n0", attrs=attrs), *follow], "g", graph_inputs,
                    [w.value_info(follow and "y" or outputs[0], 1, None)], inits)
    version = max(schema.since_version, rng.choice([13, 17, 18, 21]))
    return w.model(graph, [w.opset("", version)], ir_version=rng.choice([8, 9, 10]))


_ANY_ATTRIBUTES = ("K", "N", "bits", "block_size", "num_heads", "channels", "channels_last", "scales",
                   "axis", "kernel_shape", "pads", "strides", "group", "epsilon", "activation", "perm", "to",
                   "transA", "transB", "keepdims", "axes", "qkv_hidden_sizes", "do_rotary", "kv_num_heads",
                   "scale", "unidirectional", "string_vocabulary", "int64_vocabulary", "equation")


def _edgegate_ops() -> list[tuple[str, str]]:
    """(domain, op) of every op edgegate has a formula or a shape stand-in for, in any domain."""
    from edgegate.cost.registry import OPS
    from edgegate.model.proxies import PROXIES_BY_DOMAIN
    found = {tuple(key.rpartition(".")[::2]) for key in OPS}
    found |= {(domain, op) for domain, table in PROXIES_BY_DOMAIN.items() for op in table}
    return sorted((domain if domain != "ai.onnx" else "", op) for domain, op in found)


def any_domain_op(rng: random.Random) -> bytes:
    """One node of any op edgegate costs or stands in for (com.microsoft, its nchwc ops,
    ai.onnx.ml too), whose inputs are absent (""), declared without a type, typed with odd
    ranks, dims and dtypes, small constants or sparse initializers, and whose attributes are
    drawn by name from what such ops take, of any type: what onnx's native inference and the
    stand-ins are handed."""
    domain, op = rng.choice(_edgegate_ops())
    inputs, graph_inputs, inits, sparse = [], [], [], []
    for index in range(rng.randint(0, 9)):
        name, kind = f"i{index}", rng.random()
        inputs.append("" if kind < 0.1 else name)
        if kind < 0.1:
            continue
        elem = rng.choice([T.FLOAT, T.INT64, T.INT8, T.UINT8, T.INT32, T.FLOAT16, T.BOOL, T.STRING, 0])
        rank = rng.choice([0, 1, 2, 3, 4, 4, 5])
        if kind < 0.25:
            graph_inputs.append(w.fb(1, name))
        elif kind < 0.32:
            sparse.append(_sparse(rng, name, elem))
        elif kind < 0.5 and elem in _NUMPY and elem != T.BOOL:
            shape = [rng.choice([1, 2, 3, 4]) for _ in range(min(rank, 3))]
            inits.append(numpy_helper.from_array(np.ones(shape, _NUMPY[elem]), name).SerializeToString())
        else:
            graph_inputs.append(w.value_info(name, elem, _dims(rng, rank)))
    attrs = [_attribute(rng, name, rng.choice(KINDS))
             for name in rng.sample(_ANY_ATTRIBUTES, rng.randint(0, 5))]
    outputs = [f"o{index}" for index in range(rng.choice([0, 1, 1, 1, 2, 3]))]
    follow = [w.node("Relu", [outputs[0]], ["y"])] if outputs and rng.random() < 0.5 else []
    graph = w.graph([w.node(op, inputs, outputs, name="n0", domain=domain, attrs=attrs), *follow], "g",
                    graph_inputs, [w.value_info(follow and "y" or (outputs or ["y"])[0], 1, None)], inits,
                    sparse_initializers=sparse)
    opsets = [w.opset("", rng.choice([13, 17, 18, 21]))] + ([w.opset(domain, 1)] if domain else [])
    return w.model(graph, opsets, ir_version=rng.choice([8, 9, 10]))


def _sparse(rng: random.Random, name: str, elem: int) -> bytes:
    """A sparse initializer ``name``: a few stored values, indices in or out of range (flat or
    per axis), and dense dims that are small, empty, negative or too big to count."""
    dims = rng.choice([[4], [2, 3], [], [0, 5], [-1, 4], [2**31, 2**31], [2**62, 8], _dims(rng, 3)])
    dims = [d if isinstance(d, int) else 7 for d in dims]
    stored = rng.choice([0, 1, 2, 3])
    values = w.tensor(name, [stored], elem, floats=[1.0] * stored if elem == T.FLOAT else ())
    index_dims = rng.choice([[stored], [stored, len(dims)], [stored + 1]])
    indices = w.tensor(f"{name}_indices", index_dims, T.INT64,
                       int64s=[_extreme(rng) for _ in range(int(np.prod(index_dims)))])
    return w.sparse_tensor(values, indices, dims)


FAMILIES: dict[str, Callable[[random.Random], bytes]] = {
    "dataprop": shape_dataprop,
    "fold": fold_blowup,
    "malformed": malformed,
    "names": raw_names,
    "native": native_op,
    "any-domain": any_domain_op,
    "deep": lambda rng: deep_nesting(rng.choice([50, 120, 400, 1000, 3000]), rng.choice(["Loop", "Loop", "If"]),
                                     rng.choice([0, 2048])),
}
