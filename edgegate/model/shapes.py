"""Shape inference that finishes what onnx's own stops short of.

Declared shapes that exporters leave stale are cleared, onnx's inference runs with data
propagation, and where tensors stay unknown the constant shape arithmetic is evaluated
(edgegate.model.fold), injected as initializers, and inference runs again.
"""

from __future__ import annotations

import onnx
from onnx import numpy_helper, shape_inference

from edgegate.errors import ModelError
from edgegate.model.graph import AnalyzedGraph, analyze_graph, subgraphs

MAX_ROUNDS = 4


def clear_stale_shapes(graph: onnx.GraphProto) -> None:
    """Drop inferred/declared intermediate and output shapes so inference recomputes them."""
    del graph.value_info[:]
    for value in graph.output:
        if value.type.HasField("tensor_type"):
            value.type.tensor_type.ClearField("shape")
    for node in graph.node:
        for sub in subgraphs(node):
            clear_stale_shapes(sub)


def _infer(model: onnx.ModelProto) -> onnx.ModelProto:
    try:
        return shape_inference.infer_shapes(model, data_prop=True)
    except (shape_inference.InferenceError, onnx.checker.ValidationError, RuntimeError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelError(f"shape inference failed: {first}") from None


def _unknown_shapes(analyzed: AnalyzedGraph) -> bool:
    return any(
        t is not None and not t.known
        for node in analyzed.nodes
        for t in (*node.info.inputs, *node.info.outputs)
    )


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


def infer_and_analyze(model: onnx.ModelProto) -> tuple[onnx.ModelProto, AnalyzedGraph]:
    """Infer shapes (folding constant shape arithmetic between rounds) and analyze the graph.

    ``model`` must have bound inputs; it is modified in place (stale shapes cleared, folded
    nodes replaced by initializers).
    """
    clear_stale_shapes(model.graph)
    for _ in range(MAX_ROUNDS):
        inferred = _infer(model)
        analyzed = analyze_graph(inferred.graph)
        if not _unknown_shapes(analyzed) or not _inject(model, analyzed.folded):
            break
    return inferred, analyzed
