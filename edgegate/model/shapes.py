"""Shape inference that finishes what onnx's own stops short of.

Declared shapes that exporters leave stale are cleared, nodes a converter appended out of
order are sorted, onnx's inference runs with data propagation (seeing through onnxruntime's
contrib ops by stand-ins, edgegate.model.proxies), and where tensors stay unknown the
constant shape arithmetic is evaluated (edgegate.model.fold), injected as initializers, and
inference runs again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference

from edgegate.errors import ModelError
from edgegate.model.domains import INFERRED_DOMAINS
from edgegate.model.graph import AnalyzedGraph, Folding, Provenance, analyze_graph, fold_graph, provenance
from edgegate.model.info import TensorInfo
from edgegate.model.isolate import in_child, retire
from edgegate.model.lookahead import LookAhead, replay
from edgegate.model.order import GRAPH_OPS, captured_names, subgraphs, topological
from edgegate.model.proxies import ranks_of, restore, with_proxies
from edgegate.model.screen import INFERENCE_BYTES, infer_screened, memory_cap
from edgegate.model.subgraphs import Completion, complete_subgraphs, inline_known_ifs
from edgegate.model.tensors import checked_shape, value_info, value_shape


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


def _in_file_order(graph: onnx.GraphProto) -> bool:
    """True when every node of ``graph`` reads only graph inputs, initializers and what the
    nodes before it write (including what its subgraphs read from this graph)."""
    seen = {v.name for v in graph.input} | {t.name for t in graph.initializer}
    for node in graph.node:
        reads = list(node.input)
        if node.op_type in GRAPH_OPS:
            reads.extend(name for sub in subgraphs(node) for name in captured_names(sub))
        if not all(not name or name in seen for name in reads):
            return False
        seen.update(node.output)
    return True


def sort_nodes(graph: onnx.GraphProto) -> None:
    """Put ``graph.node`` in a topological order, in place, when the file's order is not one.

    onnx's shape inference visits nodes in file order and leaves a node whose input is
    written further down without shapes, and everything after it. Converters that append
    nodes write such files (onnxruntime's float16 converter puts the input Cast last), and
    onnxruntime runs them; a cycle or an input nothing writes is a ModelError naming the node.
    """
    if _in_file_order(graph):
        return
    ordered = []
    for raw in topological(graph, ()):
        node = onnx.NodeProto()
        node.CopyFrom(raw.proto)
        ordered.append(node)
    del graph.node[:]
    graph.node.extend(ordered)


def check_sizes(graph: onnx.GraphProto) -> None:
    """ModelError when an input or initializer is too big for 64-bit sizes.

    Checked before onnx's shape inference, whose int64 arithmetic would wrap around on them.
    """
    for value in graph.input:
        value_shape(value)
    for tensor in graph.initializer:
        checked_shape(tensor.name, tuple(tensor.dims))


def _inferred_bytes(model: onnx.ModelProto) -> bytes:
    """onnx's (screened) inference of ``model``, serialized: run in a child process
    (edgegate.model.isolate), whose result crosses back as bytes. ModelError when it fails."""
    try:
        return infer_screened(model).SerializeToString()
    except (
        shape_inference.InferenceError,
        onnx.checker.ValidationError,
        RuntimeError,
        ValueError,
    ) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelError(f"shape inference failed: {first}") from None


def _infer(model: onnx.ModelProto, ranks: Mapping[str, int]) -> tuple[onnx.ModelProto, int]:
    """onnx's inference, seeing through contrib ops by their stand-ins (edgegate.model.proxies).

    Returns the inferred model (with ``model``'s own nodes) and how many contrib outputs the
    stand-ins covered.
    """
    proxied, covered = with_proxies(model, ranks)
    inferred = onnx.ModelProto()
    inferred.ParseFromString(in_child(_inferred_bytes, proxied or model, "onnx's shape inference"))
    if proxied is not None:
        restore(inferred, model)
    return inferred, covered


def _as_initializer(value: np.ndarray, name: str) -> onnx.TensorProto | None:
    """A folded value as an initializer, or None when ONNX has no tensor for it (an object
    array holding something other than text, folded from a malformed string constant)."""
    try:
        return numpy_helper.from_array(value, name)
    except (NotImplementedError, TypeError, ValueError):
        return None


def _inject(graph: onnx.GraphProto, folding: Folding, injected: dict[str, Provenance]) -> bool:
    """Replace nodes whose outputs were all folded by initializers; True if any changed.

    Each injected initializer's provenance goes into ``injected``: a constant computed
    from shapes must not turn into a stored tensor (a param) by being injected.
    """
    existing = {t.name for t in graph.initializer}
    fresh = {name: tensor for name, value in folding.folded.items()
             if name not in existing and (tensor := _as_initializer(value, name)) is not None}
    keep = [node for node in graph.node if not (node.output and all(o in fresh for o in node.output))]
    if len(keep) == len(graph.node):
        return False
    produced = {o for node in keep for o in node.output}
    for name, tensor in fresh.items():
        if name not in produced:
            graph.initializer.append(tensor)
            injected[name] = provenance(folding.scope, name)
    del graph.node[:]
    graph.node.extend(keep)
    return True


@dataclass
class Speculation:
    """A round folded on guessed shapes: the graph and provenance before it, and the guesses."""

    graph: onnx.GraphProto
    injected: dict[str, Provenance]
    guesses: dict[str, TensorInfo]

    def confirmed(self, inferred: onnx.GraphProto) -> bool:
        """True when whole-graph inference gives each guessed tensor its guessed shape and type."""
        values = {value.name: value for values in (inferred.value_info, inferred.output) for value in values}
        for name, guess in self.guesses.items():
            value = values.get(name)
            if value is None:
                return False
            info = value_info(value)
            if info.shape != guess.shape or info.dtype != guess.dtype:
                return False
        return True

    def undo(self, model: onnx.ModelProto, completion: Completion) -> None:
        """Put ``model``'s graph and the injected provenance back as they were before."""
        model.graph.CopyFrom(self.graph)
        completion.injected.clear()
        completion.injected.update(self.injected)


def _guessed_shapes(inferred: onnx.ModelProto) -> bytes:
    """The shapes a LookAhead guesses while folding ``inferred`` and how many constants that
    folds, as JSON: run in a child process (edgegate.model.isolate), since the guesses come
    from onnx's native per-node inference."""
    try:
        with memory_cap(INFERENCE_BYTES):
            folding = fold_graph(inferred.graph, look_ahead=LookAhead(inferred))
    except MemoryError:
        retire()
        return json.dumps({"folded": 0, "guesses": {}}).encode()
    guesses = {name: [list(info.shape or ()), info.dtype] for name, info in folding.speculated.items()}
    return json.dumps({"folded": len(folding.folded), "guesses": guesses}).encode()


def _guesses(inferred: onnx.ModelProto, folded: int) -> dict[str, TensorInfo]:
    """The look-ahead's guesses for ``inferred`` when they fold more than the ``folded``
    constants folding without them did; none when they do not, or the child refuses or crashes."""
    try:
        found = json.loads(in_child(_guessed_shapes, inferred, "onnx's shape inference of single nodes"))
    except ModelError:
        return {}
    if found["folded"] <= folded:
        return {}
    return {name: TensorInfo(name, tuple(shape), dtype) for name, (shape, dtype) in found["guesses"].items()}


def _speculate(model: onnx.ModelProto, inferred: onnx.ModelProto, completion: Completion,
               folded: int) -> Speculation | None:
    """Fold ``inferred`` on past the shapes inference left unknown, by the look-ahead's guesses,
    and inject what that folds into ``model``. Returns what undoes it (with the guesses to
    check) when it folds more than the ``folded`` constants folding without guesses did."""
    guesses = _guesses(inferred, folded)
    if not guesses:
        return None
    try:
        folding = fold_graph(inferred.graph, injected=completion.injected, look_ahead=replay(guesses))
    except ModelError:  # what is wrong with the model, folding without guesses says
        return None
    before = onnx.GraphProto()
    before.CopyFrom(model.graph)
    injected = dict(completion.injected)
    if not _inject(model.graph, folding, completion.injected):
        return None
    return Speculation(before, injected, folding.speculated)


def _complete(model: onnx.ModelProto, completion: Completion) -> tuple[onnx.ModelProto, Folding]:
    """Infer ``model``'s shapes, folding constant shape arithmetic between rounds.

    Each round folds what the previous inference made constant. A chain of shape arithmetic
    that onnx's data propagation cannot follow would take one round per link, so a round that
    leaves shapes unknown after an earlier round's folding (most models need no more than that
    one) also folds on past them by guessed shapes (edgegate.model.lookahead);
    the next round checks every guess against whole-graph inference and, should one differ,
    undoes that round and goes on without guessing. An If whose condition became constant is
    replaced by its taken branch, and every If/Loop/Scan body is completed the same way as a
    model of its own (edgegate.model.subgraphs). Rounds stop only when shapes are complete or
    folding makes no progress. ``model`` is modified in place.
    """
    ranks = ranks_of(model.graph)
    guessing, folded_before = True, False
    pending: Speculation | None = None
    while True:
        inferred, covered = _infer(model, ranks)
        if pending is not None:
            if not pending.confirmed(inferred.graph):
                pending.undo(model, completion)
                pending, guessing = None, False
                continue
            pending = None
        folding = fold_graph(inferred.graph, injected=completion.injected)
        if inline_known_ifs(model.graph, folding.scope, completion):
            continue
        nested = complete_subgraphs(model, folding, completion, _complete)
        if folding.shapes_known and not nested:
            break
        if guessing and folded_before and not folding.shapes_known:
            pending = _speculate(model, inferred, completion, len(folding.folded))
            if pending is not None:
                continue
            guessing = False
        ranks = ranks_of(inferred.graph)
        changed = _inject(model.graph, folding, completion.injected)
        folded_before = folded_before or changed
        if not (changed or nested) and with_proxies(model, ranks)[1] <= covered:
            break
    return inferred, folding


def infer_and_analyze(
    model: onnx.ModelProto, dims: Mapping[str, int], given: Iterable[str] = ()
) -> tuple[onnx.ModelProto, AnalyzedGraph]:
    """Infer shapes (folding constant shape arithmetic between rounds) and analyze the graph.

    ``model`` must have bound inputs; it is modified in place (stale shapes cleared, folded
    nodes replaced by initializers, Ifs with a known condition by their taken branch).
    ``given`` names the initializers that stand for input values the user gave: the file does
    not store them, so they are no params.
    """
    check_sizes(model.graph)
    clear_stale_shapes(model.graph, dims)
    sort_nodes(model.graph)
    completion = Completion(injected={name: ((name,), ()) for name in given})
    inferred, folding = _complete(model, completion)
    analyzed = analyze_graph(inferred.graph, folding=folding, injected=completion.injected)
    analyzed.dropped.extend(completion.dropped)
    analyzed.conditions.extend(completion.conditions)
    return inferred, analyzed
