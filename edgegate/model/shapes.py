"""Shape inference that finishes what onnx's own stops short of.

Declared shapes that exporters leave stale are cleared, onnx's inference runs with data
propagation (seeing through onnxruntime's contrib ops by stand-ins, edgegate.model.proxies),
and where tensors stay unknown the constant shape arithmetic is evaluated
(edgegate.model.fold), injected as initializers, and inference runs again.
"""

from __future__ import annotations

from collections.abc import Mapping

import onnx
from onnx import numpy_helper, shape_inference

from edgegate.errors import ModelError
from edgegate.model.domains import INFERRED_DOMAINS
from edgegate.model.graph import AnalyzedGraph, analyze_graph, fold_graph
from edgegate.model.order import subgraphs
from edgegate.model.proxies import ranks_of, restore, with_proxies
from edgegate.model.screen import infer_screened
from edgegate.model.tensors import checked_shape, value_shape


def _bind_declared(value: onnx.ValueInfoProto, dims: Mapping[str, int]) -> None:
    """Give a kept declaration's symbolic dimensions their bound values."""
    if value.type.HasField("tensor_type"):
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param in dims:
                dim.dim_value = int(dims[dim.dim_param])


def clear_stale_shapes(graph: onnx.GraphProto, dims: Mapping[str, int]) -> None:
    """Drop declared shapes that inference can recompute, so stale ones never survive.

    Declarations of tensors that custom-domain ops produce are kept (nothing else can give
    their shapes), with symbolic dimensions bound from ``dims``.
    """
    custom = {o for n in graph.node if n.domain not in INFERRED_DOMAINS for o in n.output}
    kept = [v for v in graph.value_info if v.name in custom]
    del graph.value_info[:]
    graph.value_info.extend(kept)
    for value in kept:
        _bind_declared(value, dims)
    for value in graph.output:
        if value.name in custom:
            _bind_declared(value, dims)
        elif value.type.HasField("tensor_type"):
            value.type.tensor_type.ClearField("shape")
    for node in graph.node:
        for sub in subgraphs(node):
            clear_stale_shapes(sub, dims)


def check_sizes(graph: onnx.GraphProto) -> None:
    """ModelError when an input or initializer is too big for 64-bit sizes.

    Checked before onnx's shape inference, whose int64 arithmetic would wrap around on them.
    """
    for value in graph.input:
        value_shape(value)
    for tensor in graph.initializer:
        checked_shape(tensor.name, tuple(tensor.dims))


def _infer(model: onnx.ModelProto, ranks: Mapping[str, int]) -> tuple[onnx.ModelProto, int]:
    """onnx's inference, seeing through contrib ops by their stand-ins (edgegate.model.proxies).

    Returns the inferred model (with ``model``'s own nodes) and how many contrib outputs the
    stand-ins covered.
    """
    proxied, covered = with_proxies(model, ranks)
    try:
        inferred = infer_screened(proxied or model)
    except (
        shape_inference.InferenceError,
        onnx.checker.ValidationError,
        RuntimeError,
        ValueError,
    ) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelError(f"shape inference failed: {first}") from None
    if proxied is not None:
        restore(inferred, model)
    return inferred, covered


def _inject(model: onnx.ModelProto, folded: dict) -> bool:
    """Replace nodes whose outputs were all folded by initializers; True if any changed."""
    existing = {t.name for t in model.graph.initializer}
    fresh = {name: value for name, value in folded.items() if name not in existing}
    keep = [node for node in model.graph.node if not (node.output and all(o in fresh for o in node.output))]
    if len(keep) == len(model.graph.node):
        return False
    produced = {o for node in keep for o in node.output}
    for name, value in fresh.items():
        if name not in produced:
            model.graph.initializer.append(numpy_helper.from_array(value, name))
    del model.graph.node[:]
    model.graph.node.extend(keep)
    return True


def infer_and_analyze(
    model: onnx.ModelProto, dims: Mapping[str, int]
) -> tuple[onnx.ModelProto, AnalyzedGraph]:
    """Infer shapes (folding constant shape arithmetic between rounds) and analyze the graph.

    Each round folds what the previous inference made constant; a chain of shape arithmetic
    as deep as the network takes one round per link, so rounds stop only when shapes are
    complete or folding makes no progress. ``model`` must have bound inputs; it is modified
    in place (stale shapes cleared, folded nodes replaced by initializers).
    """
    check_sizes(model.graph)
    clear_stale_shapes(model.graph, dims)
    ranks = ranks_of(model.graph)
    while True:
        inferred, covered = _infer(model, ranks)
        folding = fold_graph(inferred.graph)
        if folding.shapes_known:
            break
        ranks = ranks_of(inferred.graph)
        injected = _inject(model, folding.folded)
        if not injected and with_proxies(model, ranks)[1] <= covered:
            break
    return inferred, analyze_graph(inferred.graph, folding=folding)
