"""Random models for fuzzing the estimator: valid graphs built op by op, and mutations.

Every builder takes a ``random.Random``, so hypothesis (``st.randoms()``) drives them in
tests/test_fuzz.py and a seeded generator drives the longer campaign in benchmarks/fuzz.py.
``run_case`` is the property both check: a result, or one of edgegate's documented errors.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import edgegate
from edgegate.errors import EdgegateError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
UNARY = ("Relu", "Sigmoid", "Tanh", "Abs", "Neg", "Exp", "Erf", "HardSwish", "Softplus", "Identity")
BINARY = ("Add", "Mul", "Sub", "Max", "Div")
F32 = TensorProto.FLOAT


class GraphBuilder:
    """A graph grown one op at a time from tensors whose shapes are tracked exactly."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.count = 0

    def fresh(self, shape: tuple[int, ...]) -> str:
        """A new tensor name of ``shape``, available to later ops."""
        self.count += 1
        name = f"t{self.count}"
        self.shapes[name] = shape
        return name

    def const(self, array: np.ndarray) -> str:
        """A new initializer holding ``array``."""
        self.count += 1
        name = f"c{self.count}"
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def add(self, op_type: str, inputs: list[str], shape: tuple[int, ...], **attrs: object) -> str:
        """Append a node whose one output has ``shape``; return the output's name."""
        out = self.fresh(shape)
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def pick(self, rank: int | None = None) -> str | None:
        """Any tensor built so far (of ``rank`` when given), or None when there is none."""
        names = [n for n, s in self.shapes.items() if rank is None or len(s) == rank]
        return self.rng.choice(names) if names else None


def _unary(b: GraphBuilder) -> None:
    x = b.pick()
    b.add(b.rng.choice(UNARY), [x], b.shapes[x])


def _binary(b: GraphBuilder) -> None:
    x = b.pick()
    same = [n for n, s in b.shapes.items() if s == b.shapes[x]]
    other = b.rng.choice(same) if b.rng.random() < 0.7 else b.const(
        np.ones(b.shapes[x][-1:], np.float32))
    b.add(b.rng.choice(BINARY), [x, other], b.shapes[x])


def _conv(b: GraphBuilder) -> None:
    x = b.pick(4)
    if x is None:
        return
    n, c, h, w = b.shapes[x]
    k = b.rng.choice([1, 3])
    stride = b.rng.choice([1, 2])
    group = b.rng.choice([g for g in (1, c) if c % g == 0])
    cout = group * b.rng.randint(1, 3)
    pad = k // 2
    out = (n, cout, (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1)
    weight = b.const(np.ones((cout, c // group, k, k), np.float32))
    b.add("Conv", [x, weight], out, kernel_shape=[k, k], strides=[stride] * 2, pads=[pad] * 4,
          group=group)


def _batch_norm(b: GraphBuilder) -> None:
    x = b.pick(4)
    if x is None:
        return
    c = b.shapes[x][1]
    params = [b.const(np.ones(c, np.float32)) for _ in range(4)]
    b.add("BatchNormalization", [x, *params], b.shapes[x])


def _pool(b: GraphBuilder) -> None:
    x = b.pick(4)
    if x is None:
        return
    n, c, h, w = b.shapes[x]
    if b.rng.random() < 0.5 or h < 2 or w < 2:
        b.add("GlobalAveragePool", [x], (n, c, 1, 1))
    else:
        b.add(b.rng.choice(["MaxPool", "AveragePool"]), [x], (n, c, h // 2, w // 2),
              kernel_shape=[2, 2], strides=[2, 2])


def _matmul(b: GraphBuilder) -> None:
    x = b.pick()
    shape = b.shapes[x]
    cols = b.rng.randint(1, 8)
    b.add("MatMul", [x, b.const(np.ones((shape[-1], cols), np.float32))], shape[:-1] + (cols,))


def _last_axis(b: GraphBuilder) -> None:
    x = b.pick()
    shape = b.shapes[x]
    op = b.rng.choice(["Softmax", "LayerNormalization", "ReduceMean"])
    if op == "ReduceMean":
        b.add(op, [x, b.const(np.array([-1], np.int64))], shape[:-1] + (1,))
    elif op == "LayerNormalization":
        b.add(op, [x, b.const(np.ones(shape[-1:], np.float32))], shape, axis=-1)
    else:
        b.add(op, [x], shape, axis=-1)


def _transpose(b: GraphBuilder) -> None:
    x = b.pick()
    shape = b.shapes[x]
    perm = list(range(len(shape)))
    b.rng.shuffle(perm)
    b.add("Transpose", [x], tuple(shape[p] for p in perm), perm=perm)


def _reshape(b: GraphBuilder) -> None:
    x = b.pick()
    shape = b.shapes[x]
    flat = (shape[0], int(np.prod(shape[1:], dtype=np.int64)))
    b.add("Reshape", [x, b.const(np.array(flat, np.int64))], flat)


def _concat(b: GraphBuilder) -> None:
    x = b.pick()
    shape = b.shapes[x]
    same = [n for n, s in b.shapes.items() if s == shape]
    y = b.rng.choice(same)
    b.add("Concat", [x, y], shape[:-1] + (2 * shape[-1],), axis=-1)


def _resize(b: GraphBuilder) -> None:
    x = b.pick(4)
    if x is None:
        return
    n, c, h, w = b.shapes[x]
    scales = b.const(np.array([1, 1, 2, 2], np.float32))
    b.add("Resize", [x, "", scales], (n, c, 2 * h, 2 * w), mode=b.rng.choice(["nearest", "linear"]))


def _topk(b: GraphBuilder) -> None:
    x = b.pick()
    shape = b.shapes[x]
    k = b.rng.randint(1, shape[-1])
    values = b.fresh(shape[:-1] + (k,))
    b.count += 1
    b.nodes.append(helper.make_node("TopK", [x, b.const(np.array([k], np.int64))],
                                    [values, f"idx{b.count}"], axis=-1))


STEPS: tuple[Callable[[GraphBuilder], None], ...] = (
    _unary, _binary, _conv, _batch_norm, _pool, _matmul, _last_axis, _transpose, _reshape,
    _concat, _resize, _topk,
)


def random_graph(rng: random.Random, max_ops: int = 30) -> onnx.ModelProto:
    """A valid graph of up to ``max_ops`` registry ops over one (1..2, C, H, W) input: a DAG,
    since each op picks any earlier tensor. Every tensor no op reads is a graph output."""
    builder = GraphBuilder(rng)
    shape = (rng.randint(1, 2), rng.randint(1, 6), rng.randint(2, 12), rng.randint(2, 12))
    builder.shapes["x"] = shape
    for _ in range(rng.randint(1, max_ops)):
        if sum(np.prod(s) for s in builder.shapes.values()) > 2_000_000:
            break
        rng.choice(STEPS)(builder)
    read = {name for node in builder.nodes for name in node.input}
    outputs = [helper.make_tensor_value_info(n, F32, None) for n in builder.shapes if n not in read]
    graph = helper.make_graph(builder.nodes, "fuzz", [helper.make_tensor_value_info("x", F32, shape)],
                              outputs or [helper.make_tensor_value_info("x", F32, None)], builder.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def seed_models() -> list[onnx.ModelProto]:
    """Real models to mutate: the bundled examples and a few random graphs."""
    models = [onnx.load(str(path)) for path in sorted(EXAMPLES.glob("*.onnx"))]
    return models + [random_graph(random.Random(seed)) for seed in range(3)]


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    """``data`` with bits flipped, a run overwritten, or cut short."""
    mutated = bytearray(data)
    kind = rng.choice(["flip", "overwrite", "truncate"])
    if kind == "truncate" or not mutated:
        return bytes(mutated[: rng.randrange(len(mutated) + 1)])
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(mutated))
            mutated[position] ^= 1 << rng.randrange(8)
        return bytes(mutated)
    position = rng.randrange(len(mutated))
    mutated[position : position + 4] = bytes(rng.randrange(256) for _ in range(4))
    return bytes(mutated)


OP_TYPES = ("Conv", "Relu", "Add", "MatMul", "Gemm", "Reshape", "Transpose", "Softmax", "Concat",
            "Split", "Slice", "Gather", "Resize", "TopK", "NonMaxSuppression", "Pad", "If", "Loop",
            "Cast", "Expand", "QuantizeLinear", "DequantizeLinear", "QLinearConv", "Attention",
            "LSTM", "BatchNormalization", "MaxPool", "Einsum", "Scan", "Shape", "Range")
DTYPES = tuple(TensorProto.DataType.values()) + (99,)


def _mutate_field(rng: random.Random, graph: onnx.GraphProto, model: onnx.ModelProto) -> None:
    nodes = list(graph.node)
    kind = rng.randrange(9)
    if kind == 0 and nodes:
        rng.choice(nodes).op_type = rng.choice(OP_TYPES)
    elif kind == 1 and nodes:
        node = rng.choice(nodes)
        if node.input:
            names = [o for n in nodes for o in n.output] + ["", "ghost"]
            node.input[rng.randrange(len(node.input))] = rng.choice(names)
    elif kind == 2 and graph.initializer:
        tensor = rng.choice(graph.initializer)
        if tensor.dims:
            tensor.dims[rng.randrange(len(tensor.dims))] = rng.choice([0, 1, -1, 3, 2**31, 2**40])
    elif kind == 3 and nodes:
        attributes = list(rng.choice(nodes).attribute)
        if attributes:
            attribute = rng.choice(attributes)
            if attribute.type == onnx.AttributeProto.INT:
                attribute.i = rng.choice([-5, -1, 0, 1, 3, 2**40])
            elif attribute.type == onnx.AttributeProto.INTS and attribute.ints:
                attribute.ints[rng.randrange(len(attribute.ints))] = rng.choice([-3, 0, 1, 5, 2**33])
            elif attribute.type == onnx.AttributeProto.STRING:
                attribute.s = rng.choice([b"", b"SAME_UPPER", b"VALID", b"\xff", b"cubic"])
    elif kind == 4 and graph.input:
        tensor_type = rng.choice(graph.input).type.tensor_type
        if tensor_type.shape.dim:
            rng.choice(tensor_type.shape.dim).dim_value = rng.choice([0, 1, 3, 17, 2**20])
        if rng.random() < 0.3:
            tensor_type.elem_type = rng.choice(DTYPES)
    elif kind == 5 and graph.initializer:
        rng.choice(graph.initializer).data_type = rng.choice(DTYPES)
    elif kind == 6 and nodes:
        del graph.node[rng.randrange(len(nodes))]
    elif kind == 7 and nodes:
        rng.choice(nodes).domain = rng.choice(["", "com.microsoft", "ai.onnx.ml", "custom"])
    elif model.opset_import:
        rng.choice(model.opset_import).version = rng.choice([1, 7, 11, 13, 17, 21, 30])


def mutate_proto(rng: random.Random, model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of ``model`` with one to three fields changed through the proto."""
    mutated = onnx.ModelProto()
    mutated.CopyFrom(model)
    for _ in range(rng.randint(1, 3)):
        _mutate_field(rng, mutated.graph, mutated)
    return mutated


DIMS = {"batch": 1, "height": 32, "width": 32, "N": 1}


def run_case(model: onnx.ModelProto | str) -> str:
    """Estimate ``model`` (a proto or a path): 'ok', or the name of the EdgegateError raised.

    Anything else propagates: that is a crash, the bug the fuzzer looks for.
    """
    try:
        edgegate.estimate(model, dims=DIMS)
    except EdgegateError as error:
        return type(error).__name__
    return "ok"
