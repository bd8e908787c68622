"""Stand-ins that let onnx's shape inference see through ops it has no inference for.

That is onnxruntime's com.microsoft ops (and its com.microsoft.nchwc blocked-layout ops), and
the ai.onnx.ml ops that sklearn exports (Scaler, LinearRegressor, tree ensembles...), which onnx
defines but does not infer.

onnx ships no schemas for the contrib ops that onnxruntime's quantizer and transformer
optimizer emit (Attention, SkipLayerNormalization, QLinearAdd...), so its inference stops at
them and every tensor after them stays unknown. For inference only, each such node is
replaced by standard nodes whose outputs have the same names, shapes and dtypes; the shapes
inferred through them are then read back onto the real graph, which keeps its own nodes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CONTRIB = "com.microsoft"
PREFIX = "__edgegate_proxy_"


@dataclass
class Context:
    """What a stand-in may use: stored tensors' dtypes and shapes, known ranks, fresh names."""

    dtypes: dict[str, int]
    shapes: dict[str, tuple[int, ...]]
    ranks: Mapping[str, int]
    opset: int
    inputs: list[onnx.ValueInfoProto] = field(default_factory=list)
    constants: list[onnx.TensorProto] = field(default_factory=list)
    count: int = 0

    def fresh(self) -> str:
        """A new tensor name no model uses."""
        self.count += 1
        return f"{PREFIX}{self.count}"

    def declared(self, dtype: int, shape: Sequence[int]) -> str:
        """A fresh graph input of ``shape``: a weight-free operand that fixes a result's shape."""
        name = self.fresh()
        self.inputs.append(helper.make_tensor_value_info(name, dtype, list(shape)))
        return name

    def ints(self, values: Sequence[int]) -> str:
        """A fresh int64 constant (a Reshape shape)."""
        name = self.fresh()
        self.constants.append(numpy_helper.from_array(np.asarray(values, np.int64), name))
        return name


Proxy = Callable[[onnx.NodeProto, Context], "list[onnx.NodeProto] | None"]


def _at(node: onnx.NodeProto, index: int) -> str:
    """The node's index-th input name ('' when absent)."""
    return node.input[index] if index < len(node.input) else ""


def _attrs(node: onnx.NodeProto, names: Sequence[str]) -> dict[str, Any]:
    """The node's attributes among ``names``, as helper.make_node keyword arguments."""
    return {a.name: helper.get_attribute_value(a) for a in node.attribute if a.name in names}


def _attr(node: onnx.NodeProto, name: str, default: Any = None) -> Any:
    found = [a for a in node.attribute if a.name == name]
    return helper.get_attribute_value(found[0]) if found else default


def _same_as(*outputs: int) -> Proxy:
    """Outputs ``outputs`` have input 0's shape and dtype (gelus, layer norms, QLinear unary)."""

    def build(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto]:
        return [helper.make_node("Identity", [node.input[0]], [node.output[i]])
                for i in outputs if i < len(node.output) and node.output[i]]

    return build


def _broadcast(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto]:
    """QLinearAdd/QLinearMul: A (input 0) broadcast with B (input 3)."""
    return [helper.make_node("Add", [node.input[0], _at(node, 3)], [node.output[0]])]


def _cast(index: int, default: int) -> Proxy:
    """(De)QuantizeLinear: input 0's shape, the dtype of input ``index`` (scale or zero point)."""

    def build(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto]:
        dtype = ctx.dtypes.get(_at(node, index), default)
        return [helper.make_node("Cast", [node.input[0]], [node.output[0]], to=dtype)]

    return build


def _then_cast(nodes: list[onnx.NodeProto], output: str, dtype: int, ctx: Context) -> list[onnx.NodeProto]:
    """Rename the last node's output to a fresh tensor and cast it to ``dtype`` as ``output``."""
    middle = ctx.fresh()
    nodes[-1].output[0] = middle
    return [*nodes, helper.make_node("Cast", [middle], [output], to=dtype)]


def _matmul(dtype_from: int | None = None) -> Proxy:
    """A MatMul of inputs 0 and 1, cast to the dtype of input ``dtype_from`` when given."""

    def build(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto] | None:
        if _attr(node, "transBatchA", 0) or _attr(node, "transBatchB", 0):
            return None
        operands = []
        nodes = []
        for index, flag in ((0, "transA"), (1, "transB")):
            name = node.input[index]
            if _attr(node, flag, 0):
                rank = ctx.ranks.get(name)
                if rank is None or rank < 2:
                    return None
                perm = [*range(rank - 2), rank - 1, rank - 2]
                nodes.append(helper.make_node("Transpose", [name], [ctx.fresh()], perm=perm))
                name = nodes[-1].output[0]
            operands.append(name)
        nodes.append(helper.make_node("MatMul", operands, [node.output[0]]))
        if dtype_from is None:
            return nodes
        dtype = ctx.dtypes.get(_at(node, dtype_from), TensorProto.FLOAT)
        return _then_cast(nodes, node.output[0], dtype, ctx)

    return build


def _gemm(a: int, b: int, c: int | None) -> Proxy:
    """Gemm of inputs ``a`` and ``b`` (and C): FusedGemm, and QGemm (float out without y_scale)."""

    def build(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto]:
        inputs = [node.input[a], _at(node, b)] + ([_at(node, c)] if c is not None and _at(node, c) else [])
        gemm = helper.make_node("Gemm", inputs, [node.output[0]], **_attrs(node, ("transA", "transB")))
        if node.op_type != "QGemm":
            return [gemm]
        dtype = ctx.dtypes.get(_at(node, 8), TensorProto.UINT8) if _at(node, 7) else TensorProto.FLOAT
        return _then_cast([gemm], node.output[0], dtype, ctx)

    return build


CONV_ATTRS = ("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides")
POOL_ATTRS = ("auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides")


def _standard(op_type: str, inputs: Sequence[int], names: Sequence[str]) -> Proxy:
    """The standard op of the same meaning on ``inputs`` (NCHW only: channels_last is skipped)."""

    def build(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto] | None:
        if _attr(node, "channels_last", 0):
            return None
        picked = [_at(node, i) for i in inputs]
        while picked and not picked[-1]:
            picked.pop()
        return [helper.make_node(op_type, picked, [node.output[0]], **_attrs(node, names))]

    return build


def _concat(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto]:
    """QLinearConcat(Y_scale, Y_zp, X1, s1, z1, X2, ...): Concat of X1, X2, ..."""
    return [helper.make_node("Concat", list(node.input[2::3]), [node.output[0]], axis=_attr(node, "axis"))]


def _attention(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto] | None:
    """Attention: (B, S, Din) @ (Din, Dv): Dv from qkv_hidden_sizes or a third of the weights."""
    weights = ctx.shapes.get(_at(node, 1))
    if weights is None or len(weights) != 2:
        return None
    sizes = _attr(node, "qkv_hidden_sizes") or [weights[1] // 3] * 3
    operand = ctx.declared(ctx.dtypes[node.input[1]], (weights[0], sizes[2]))
    return [helper.make_node("MatMul", [node.input[0], operand], [node.output[0]])]


def _multi_head_attention(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto] | None:
    """MultiHeadAttention: (B, S, Dv), from the ranks of query, key and value."""
    if ctx.opset < 12:
        return None
    query, key, value = node.input[0], _at(node, 1), _at(node, 2)
    if not key:
        equation, operands = "bsnth->bsnh", [query]
    elif not value:
        equation, operands = "bsd,blnth->bsnh", [query, key]
    elif ctx.ranks.get(value) == 3:
        equation, operands = "bsd,blv->bsv", [query, value]
    elif ctx.ranks.get(value) == 4:
        equation, operands = "bsd,bnlh->bsnh", [query, value]
    else:
        return None
    if equation.endswith("bsv"):
        return [helper.make_node("Einsum", operands, [node.output[0]], equation=equation)]
    heads = helper.make_node("Einsum", operands, [ctx.fresh()], equation=equation)
    merged = helper.make_node("Reshape", [heads.output[0], ctx.ints([0, 0, -1])], [node.output[0]])
    return [heads, merged]


def _group_query_attention(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto] | None:
    """GroupQueryAttention: output (B, S, Nq * H); present key/value (B, Nkv, past + S, H).

    query is (B, S, Nq * H), or packed Q, K, V (B, S, (Nq + 2 Nkv) * H) when key is omitted;
    the new keys and values are split into heads and appended to past_key/past_value.
    """
    heads, kv_heads = int(_attr(node, "num_heads", 0)), int(_attr(node, "kv_num_heads", 0))
    if not heads or not kv_heads:
        return None
    query, packed = node.input[0], not _at(node, 1)
    nodes: list[onnx.NodeProto] = []

    def heads_of(source: str, count: int, start: int) -> str:
        """(B, S, ..., count * H, ...) -> (B, S, count, H): ``count`` heads from ``start``."""
        split = helper.make_node("Reshape", [source, ctx.ints([0, 0, heads + 2 * kv_heads if packed
                                                                    else count, -1])], [ctx.fresh()])
        nodes.append(split)
        if not packed:
            return split.output[0]
        sliced = helper.make_node("Slice", [split.output[0], ctx.ints([start]), ctx.ints([start + count]),
                                            ctx.ints([2])], [ctx.fresh()])
        nodes.append(sliced)
        return sliced.output[0]

    q = heads_of(query, heads, 0)
    nodes.append(helper.make_node("Reshape", [q, ctx.ints([0, 0, -1])], [node.output[0]]))
    for index, (source, start) in enumerate(((1, heads), (2, heads + kv_heads)), start=1):
        if index >= len(node.output) or not node.output[index]:
            continue
        new = heads_of(query if packed else node.input[source], kv_heads, start)
        moved = helper.make_node("Transpose", [new], [ctx.fresh()], perm=[0, 2, 1, 3])
        nodes.append(moved)
        past = _at(node, source + 2)
        parts = [past, moved.output[0]] if past else [moved.output[0]]
        nodes.append(helper.make_node("Concat", parts, [node.output[index]], axis=2))
    return nodes


def _embed_layer_norm(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto]:
    """EmbedLayerNormalization: (B, S, hidden) as a word-embedding gather; mask_index (B,)."""
    nodes = [helper.make_node("Gather", [node.input[2], node.input[0]], [node.output[0]])]
    if len(node.output) > 1 and node.output[1]:
        picked = helper.make_node("ArgMax", [node.input[0]], [ctx.fresh()], axis=1, keepdims=0)
        label = helper.make_node("Cast", [picked.output[0]], [node.output[1]], to=TensorProto.INT32)
        nodes += [picked, label]
    if len(node.output) > 2 and node.output[2]:
        nodes.append(helper.make_node("Identity", [node.output[0]], [node.output[2]]))
    return nodes


def _quantized_attention(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto] | None:
    """QAttention: (B, S, Din) int8 @ (Din, 3 * hidden) weights -> (B, S, hidden), as float.

    The int8 input is cast to the output type (input_scale's) first: MatMul takes no 8-bit ints.
    """
    weights = ctx.shapes.get(_at(node, 1))
    if weights is None or len(weights) != 2:
        return None
    dtype = ctx.dtypes.get(_at(node, 3), TensorProto.FLOAT)
    as_float = helper.make_node("Cast", [node.input[0]], [ctx.fresh()], to=dtype)
    operand = ctx.declared(dtype, (weights[0], weights[1] // 3))
    return [as_float, helper.make_node("MatMul", [as_float.output[0], operand], [node.output[0]])]


def _quantized_embed_layer_norm(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto]:
    """QEmbedLayerNormalization: as EmbedLayerNormalization, its int8 word-embedding gather cast
    to the float type of word_embedding_scale (input 8); mask_index (B,) int32."""
    nodes = _embed_layer_norm(node, ctx)
    gathered = ctx.fresh()
    nodes[0].output[0] = gathered
    dtype = ctx.dtypes.get(_at(node, 8), TensorProto.FLOAT)
    return [nodes[0], helper.make_node("Cast", [gathered], [node.output[0]], to=dtype), *nodes[1:]]


def _matmul_nbits(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto] | None:
    """MatMulNBits: A (..., K) times a (K, N) weight given by the K and N attributes."""
    k, n = _attr(node, "K"), _attr(node, "N")
    if not k or not n:
        return None
    dtype = ctx.dtypes.get(_at(node, 2), TensorProto.FLOAT)
    operand = ctx.declared(dtype, (int(k), int(n)))
    return [helper.make_node("MatMul", [node.input[0], operand], [node.output[0]])]


PROXIES: dict[str, Proxy] = {
    "Attention": _attention,
    "BiasAdd": _same_as(0),
    "BiasGelu": _same_as(0),
    "DequantizeLinear": _cast(1, TensorProto.FLOAT),
    "DynamicQuantizeMatMul": _matmul(),
    "EmbedLayerNormalization": _embed_layer_norm,
    "FastGelu": _same_as(0),
    "FusedConv": _standard("Conv", (0, 1, 2), CONV_ATTRS),
    "FusedGemm": _gemm(0, 1, 2),
    "FusedMatMul": _matmul(),
    "Gelu": _same_as(0),
    "GroupQueryAttention": _group_query_attention,
    "LayerNormalization": _same_as(0),
    "MatMulIntegerToFloat": _matmul(2),
    "MatMulNBits": _matmul_nbits,
    "MultiHeadAttention": _multi_head_attention,
    "QAttention": _quantized_attention,
    "QEmbedLayerNormalization": _quantized_embed_layer_norm,
    "QGemm": _gemm(0, 3, None),
    "QLinearAdd": _broadcast,
    "QLinearAveragePool": _standard("AveragePool", (0,), POOL_ATTRS),
    "QLinearConcat": _concat,
    "QLinearConv": _standard("QLinearConv", range(9), CONV_ATTRS),
    "QLinearGlobalAveragePool": _standard("GlobalAveragePool", (0,), ()),
    "QLinearLeakyRelu": _same_as(0),
    "QLinearMul": _broadcast,
    "QLinearSigmoid": _same_as(0),
    "QLinearSoftmax": _same_as(0),
    "QuantizeLinear": _cast(2, TensorProto.UINT8),
    "QuickGelu": _same_as(0),
    "SimplifiedLayerNormalization": _same_as(0),
    "SkipLayerNormalization": _same_as(0, 3),
    "SkipSimplifiedLayerNormalization": _same_as(0, 3),
}


def _as_float(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto]:
    """Scaler, Normalizer, Imputer, Binarizer: input 0's shape, as float."""
    return [helper.make_node("Cast", [node.input[0]], [node.output[0]], to=TensorProto.FLOAT)]


def _per_row(targets_attr: str) -> Proxy:
    """Regressors: (N, F) -> (N, targets): a row sum (N, 1) times a (1, targets) operand."""

    def build(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto] | None:
        targets = int(_attr(node, targets_attr, 1) or 1)
        as_float = helper.make_node("Cast", [node.input[0]], [ctx.fresh()], to=TensorProto.FLOAT)
        if ctx.opset >= 13:
            row = helper.make_node("ReduceSum", [as_float.output[0], ctx.ints([-1])], [ctx.fresh()],
                                   keepdims=1)
        else:
            row = helper.make_node("ReduceSum", [as_float.output[0]], [ctx.fresh()], axes=[-1],
                                   keepdims=1)
        operand = ctx.declared(TensorProto.FLOAT, (1, targets))
        return [as_float, row, helper.make_node("MatMul", [row.output[0], operand], [node.output[0]])]

    return build


def _feature_vectorizer(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto]:
    """FeatureVectorizer: its inputs, as float, side by side on the last axis."""
    casts = [helper.make_node("Cast", [name], [ctx.fresh()], to=TensorProto.FLOAT)
             for name in node.input if name]
    joined = helper.make_node("Concat", [c.output[0] for c in casts], [node.output[0]], axis=-1)
    return [*casts, joined]


ML = "ai.onnx.ml"
ML_PROXIES: dict[str, Proxy] = {
    "Binarizer": _as_float,
    "FeatureVectorizer": _feature_vectorizer,
    "Imputer": _as_float,
    "LinearRegressor": _per_row("targets"),
    "Normalizer": _as_float,
    "SVMRegressor": _per_row("n_targets"),
    "Scaler": _as_float,
    "TreeEnsembleRegressor": _per_row("n_targets"),
}
RUNTIME_PROXIES: dict[str, Proxy] = {"SimplifiedLayerNormalization": _same_as(0)}
"""onnxruntime's ops written in the default domain (edgegate.model.domains)."""


def _reorder_input(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto] | None:
    """NCHWc ReorderInput: NCHW (or NHWC with channels_last) to the blocked (N, C, H, W) form.

    The channel count is kept: onnxruntime inserts a ReorderInput only where C is already a
    multiple of the block size (it converts a pool, or a Conv's input, only then), so the
    padding its schema allows for adds nothing there.
    """
    if not _attr(node, "channels_last", 0):
        return [helper.make_node("Identity", [node.input[0]], [node.output[0]])]
    rank = ctx.ranks.get(node.input[0])
    if rank is None or rank < 2:
        return None
    perm = [0, rank - 1, *range(1, rank - 1)]
    return [helper.make_node("Transpose", [node.input[0]], [node.output[0]], perm=perm)]


def _reorder_output(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto] | None:
    """NCHWc ReorderOutput: the first ``channels`` of the blocked (N, C padded, H, W) tensor, as
    NCHW, or NHWC with channels_last."""
    channels, rank = int(_attr(node, "channels", 0)), ctx.ranks.get(node.input[0])
    if channels <= 0 or rank is None or rank < 2:
        return None
    last = bool(_attr(node, "channels_last", 0))
    target = ctx.fresh() if last else node.output[0]
    if ctx.opset >= 10:
        cut = helper.make_node("Slice", [node.input[0], ctx.ints([0]), ctx.ints([channels]), ctx.ints([1])],
                               [target])
    else:
        cut = helper.make_node("Slice", [node.input[0]], [target], starts=[0], ends=[channels], axes=[1])
    if not last:
        return [cut]
    perm = [0, *range(2, rank), 1]
    return [cut, helper.make_node("Transpose", [target], [node.output[0]], perm=perm)]


def _upsample(node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto] | None:
    """NCHWc Upsample: each axis times its integer ``scales`` entry, as a Tile by them."""
    scales = _attr(node, "scales")
    if not scales or ctx.ranks.get(node.input[0]) != len(scales):
        return None
    return [helper.make_node("Tile", [node.input[0], ctx.ints(scales)], [node.output[0]])]


NCHWC = "com.microsoft.nchwc"
MAX_POOL_ATTRS = (*POOL_ATTRS, "dilations", "storage_order")
NCHWC_PROXIES: dict[str, Proxy] = {
    "AveragePool": _standard("AveragePool", (0,), POOL_ATTRS),
    "Conv": _standard("Conv", (0, 1, 2), CONV_ATTRS),
    "GlobalAveragePool": _standard("GlobalAveragePool", (0,), ()),
    "GlobalMaxPool": _standard("GlobalMaxPool", (0,), ()),
    "MaxPool": _standard("MaxPool", (0,), MAX_POOL_ATTRS),
    "ReorderInput": _reorder_input,
    "ReorderOutput": _reorder_output,
    "Upsample": _upsample,
}
"""onnxruntime's NCHWc ops (ORT_ENABLE_ALL on x86/ARM CPUs): the blocked tensors are 4-D,
(N, C rounded up to the block size, H, W), so each runs as its standard NCHW op on them; a
Conv's weight is stored with its output channels already rounded up, and its input 3 (Sum, a
fused residual add) does not change the shape."""
PROXIES_BY_DOMAIN: dict[str, dict[str, Proxy]] = {
    "": RUNTIME_PROXIES, "ai.onnx": RUNTIME_PROXIES, CONTRIB: PROXIES, ML: ML_PROXIES, NCHWC: NCHWC_PROXIES
}


def _context(model: onnx.ModelProto, ranks: Mapping[str, int]) -> Context:
    graph = model.graph
    dtypes = {t.name: t.data_type for t in graph.initializer}
    shapes = {t.name: tuple(t.dims) for t in graph.initializer}
    for value in graph.input:
        dtypes.setdefault(value.name, value.type.tensor_type.elem_type)
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    return Context(dtypes, shapes, ranks, opset)


def _built(proxy: Proxy, node: onnx.NodeProto, ctx: Context) -> list[onnx.NodeProto] | None:
    """The stand-in ``proxy`` builds for ``node``, or None when the node's attributes or inputs
    are malformed (a mistyped or out-of-range attribute): the node then keeps no stand-in."""
    try:
        return proxy(node, ctx)
    except (TypeError, ValueError, IndexError, KeyError, AttributeError, OverflowError):
        return None


def with_proxies(model: onnx.ModelProto, ranks: Mapping[str, int]) -> tuple[onnx.ModelProto | None, int]:
    """A copy of ``model`` whose contrib nodes are replaced by stand-ins, and how many were.

    ``ranks`` are tensor ranks already known (from an earlier inference). None when no node
    has a stand-in.
    """
    ctx = _context(model, ranks)
    nodes: list[onnx.NodeProto] = []
    replaced: set[str] = set()
    for node in model.graph.node:
        proxy = PROXIES_BY_DOMAIN.get(node.domain, {}).get(node.op_type)
        built = _built(proxy, node, ctx) if proxy is not None and node.input else None
        if built is None:
            nodes.append(node)
            continue
        nodes.extend(built)
        replaced.update(name for name in node.output if name)
    if not replaced:
        return None, 0
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    graph = copy.graph
    del graph.node[:]
    graph.node.extend(nodes)
    graph.input.extend(ctx.inputs)
    graph.initializer.extend(ctx.constants)
    kept = [v for v in graph.value_info if v.name not in replaced]
    del graph.value_info[:]
    graph.value_info.extend(kept)
    for value in graph.output:
        if value.name in replaced and value.type.HasField("tensor_type"):
            value.type.tensor_type.ClearField("shape")
    return copy, len(replaced)


def restore(inferred: onnx.ModelProto, model: onnx.ModelProto) -> None:
    """Put ``model``'s own nodes back into ``inferred`` (run on its stand-ins) and drop theirs."""
    graph = inferred.graph
    del graph.node[:]
    graph.node.extend(model.graph.node)
    for field_name in ("input", "initializer", "value_info"):
        items = getattr(graph, field_name)
        kept = [item for item in items if not item.name.startswith(PREFIX)]
        del items[:]
        items.extend(kept)


def ranks_of(graph: onnx.GraphProto) -> dict[str, int]:
    """The rank of every tensor of ``graph`` whose shape is declared or inferred."""
    ranks = {t.name: len(t.dims) for t in graph.initializer}
    for value in [*graph.input, *graph.value_info, *graph.output]:
        if value.type.tensor_type.HasField("shape"):
            ranks[value.name] = len(value.type.tensor_type.shape.dim)
    return ranks
