"""Analyze one ONNX graph after shape inference: constants, shape arithmetic, active nodes.

Per the cost model's precise rules: initializers, Constant nodes and nodes whose data inputs
are all constant are constants (folded, no layer); a node whose outputs only feed shape-like
inputs is shape arithmetic (free, no layer). What remains are the active nodes, each decoded
into a NodeInfo for the cost formulas, in topological order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx

from edgegate.errors import ModelError
from edgegate.model.consistency import CHECKS, inconsistency
from edgegate.model.domains import DEFAULT_DOMAINS
from edgegate.model.fold import evaluate
from edgegate.model.info import NodeInfo, TensorInfo
from edgegate.model.lookahead import Guess
from edgegate.model.order import RawNode, captured_names, topological
from edgegate.model.roles import is_view, shape_inputs
from edgegate.model.tensors import (
    Attributes,
    array_info,
    attribute_problem,
    constant_info,
    decode_attribute,
    malformed,
    value_info,
)


@dataclass
class Scope:
    """What is known about each tensor of one graph, falling back to the enclosing graph.

    A folded constant has two kinds of provenance: ``origins``, the tensors a layer reading
    it reads from memory (a copy reads its source), and ``stored``, the tensors the file
    stores that it is computed from (its params). Initializers and Constant nodes are their
    own origin and stored tensor; a constant computed from shapes alone stores nothing.
    """

    tensors: dict[str, TensorInfo] = field(default_factory=dict)
    parent: Scope | None = None
    origins: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stored: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def get(self, name: str) -> TensorInfo | None:
        """The tensor's info from this graph or an enclosing one."""
        found = self.tensors.get(name)
        if found is not None or self.parent is None:
            return found
        scope: Scope | None = self.parent
        while scope is not None:
            found = scope.tensors.get(name)
            if found is not None:
                return found
            scope = scope.parent
        return None

    def _provenance(self, table: str, name: str) -> tuple[str, ...]:
        """The entry of ``name`` in ``table`` of this scope or the nearest enclosing one that
        has one; ``(name,)`` when none does."""
        scope: Scope | None = self
        while scope is not None:
            found = getattr(scope, table).get(name)
            if found is not None:
                return found
            scope = scope.parent
        return (name,)

    def origin(self, name: str) -> tuple[str, ...]:
        """The constants a layer reading ``name`` reads from memory (itself unless a copy).

        A weight reached through a view, Identity, Transpose, Expand, Tile, Cast or
        DequantizeLinear is read as the tensors it copies; any other folded constant (a
        selection, arithmetic) is read as itself, at its bound size.
        """
        return self._provenance("origins", name)

    def stored_of(self, name: str) -> tuple[str, ...]:
        """The stored tensors (initializers, Constant nodes) ``name`` is computed from.

        Empty for a constant computed from shapes alone (a mask, a position range): it is
        not a param, so params never depend on a binding.
        """
        return self._provenance("stored", name)


# Folding these over stored constants only copies, relayouts or dequantizes them: a layer
# reading the result reads the tensors the file stores (a class token expanded per batch is
# still 768 values read).
STORED_AS_SOURCE = frozenset(
    {"Cast", "DequantizeLinear", "Expand", "Identity", "Tile", "Transpose"}
)

Provenance = tuple[tuple[str, ...], tuple[str, ...]]
"""A folded constant's origins and stored tensors (see :class:`Scope`)."""


@dataclass(frozen=True, eq=False)
class ActiveNode:
    """A node that runs at inference: its decoded info and its data (not shape-like) inputs.

    A composite node stands for a chain of ``members`` (an activation an exporter wrote as
    elementwise nodes); it is costed as the ops ``costs_as`` applied to ``info``.
    """

    info: NodeInfo
    data_inputs: tuple[str, ...]
    members: tuple[NodeInfo, ...] = ()
    costs_as: tuple[str, ...] = ()


@dataclass
class AnalyzedGraph:
    """The active nodes of a graph in order, its tensors, and its inputs and outputs."""

    nodes: list[ActiveNode]
    scope: Scope
    inputs: list[str]
    outputs: list[str]
    folded: dict[str, np.ndarray]
    shapes_known: bool
    injected: Mapping[str, Provenance] = field(default_factory=dict)
    dropped: list[onnx.GraphProto] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)


def _collect_scope(graph: onnx.GraphProto, parent: Scope | None) -> Scope:
    scope = Scope(parent=parent)
    tensors = scope.tensors
    for values in (graph.input, graph.value_info, graph.output):
        for value in values:
            info = value_info(value)
            if info.shape is None and parent is not None:
                outer = parent.get(info.name)
                if outer is not None and outer.known:
                    continue
            tensors[info.name] = info
    for tensor in graph.initializer:
        scope.tensors[tensor.name] = constant_info(tensor)
    return scope


def _constant_node_info(node: RawNode) -> TensorInfo | None:
    """The output of a Constant node, from whichever value attribute it sets (None when that
    attribute is mistyped or its value cannot be read: the node then stays unestimated)."""
    for attribute in node.proto.attribute:
        if attribute_problem(node.op_type, node.domain, attribute) is not None or not node.outputs:
            return None
        if attribute.name in ("value", "sparse_value"):
            tensor = attribute.t if attribute.name == "value" else attribute.sparse_tensor.values
            dims = attribute.t.dims if attribute.name == "value" else attribute.sparse_tensor.dims
            info = constant_info(tensor, node.outputs[0])
            return TensorInfo(info.name, tuple(dims), info.dtype, True, info.value)
        value = decode_attribute(attribute)
        if value is not None:
            dtype: type = np.float32 if "float" in attribute.name else np.int64
            if attribute.name.endswith("string") or attribute.name.endswith("strings"):
                dtype = np.object_
            try:
                return array_info(node.outputs[0], np.asarray(value, dtype=dtype))
            except (ValueError, TypeError, OverflowError):
                return None
    return None


def _fold_shape_query(
    node: RawNode, scope: Scope, attrs: Mapping[str, Any]
) -> list[TensorInfo] | None:
    """Shape and Size of a tensor whose shape is known: constants. Of a tensor with an
    unknown shape: not constant. Of a tensor nothing declares: as any other op."""
    source = scope.get(node.inputs[0]) if node.inputs and node.inputs[0] else None
    if source is None:
        return _fold_generic(node, scope, attrs)
    if not source.known:
        return None
    shape = np.asarray(source.shape, dtype=np.int64)
    if node.op_type == "Size":
        return [array_info(node.outputs[0], np.asarray(np.prod(shape), dtype=np.int64))]
    return [array_info(node.outputs[0], shape[attrs.get("start", 0) : attrs.get("end")])]


def _fold_constant(node: RawNode, scope: Scope, attrs: Mapping[str, Any]) -> list[TensorInfo] | None:
    """A Constant node's output, from whichever value attribute it sets."""
    info = _constant_node_info(node)
    return [info] if info is not None else None


def _fold_never(node: RawNode, scope: Scope, attrs: Mapping[str, Any]) -> list[TensorInfo] | None:
    """Ops that draw new values at every inference: never constant."""
    return None


def _data_inputs_constant(node: RawNode, scope: Scope) -> bool:
    """True when every data (not shape-like) input the node names is a constant; stops at
    the first that is not (most nodes of a network: their first input is an activation)."""
    shape_like = shape_inputs(node.op_type, node.domain)
    for index, name in enumerate(node.inputs):
        if name and index not in shape_like:
            tensor = scope.get(name)
            if tensor is None or not tensor.is_constant:
                return False
    return True


def _fold_generic(node: RawNode, scope: Scope, attrs: Mapping[str, Any]) -> list[TensorInfo] | None:
    """Output infos when every data input is constant (with values when numpy can evaluate
    the op), else None."""
    if not _data_inputs_constant(node, scope):
        return None
    inputs = [scope.get(name) if name else None for name in node.inputs]
    values = None
    if node.domain in DEFAULT_DOMAINS and all(t is None or t.value is not None for t in inputs):
        values = evaluate(node.op_type, attrs, [t.value if t else None for t in inputs])
    outputs = []
    for index, name in enumerate(node.outputs):
        if values is not None and index < len(values):
            outputs.append(array_info(name, values[index]))
            continue
        known = scope.get(name)
        outputs.append(TensorInfo(name, known.shape if known else None, known.dtype if known else 0, True))
    return outputs


Folder = Callable[[RawNode, Scope, Mapping[str, Any]], "list[TensorInfo] | None"]

FOLDERS: dict[str, Folder] = {
    "Bernoulli": _fold_never,
    "Constant": _fold_constant,
    "Multinomial": _fold_never,
    "RandomNormal": _fold_never,
    "RandomNormalLike": _fold_never,
    "RandomUniform": _fold_never,
    "RandomUniformLike": _fold_never,
    "Shape": _fold_shape_query,
    "Size": _fold_shape_query,
}
"""Default-domain ops folded their own way; every other op folds by :func:`_fold_generic`."""


def _fold_node(node: RawNode, scope: Scope, attrs: Mapping[str, Any]) -> list[TensorInfo] | None:
    """Output infos when the node is constant, else None. A node with subgraphs never is, nor
    one with a mistyped attribute (it stays, to be unestimated with the reason). A node with
    a data input that is not constant is left first: that is most nodes, and it needs no
    attribute read."""
    if node.domain in DEFAULT_DOMAINS and node.op_type in FOLDERS:
        if malformed(attrs) is not None:
            return None
        return FOLDERS[node.op_type](node, scope, attrs)
    if node.graphs or not _data_inputs_constant(node, scope) or malformed(attrs) is not None:
        return None
    return _fold_generic(node, scope, attrs)


def _node_info(node: RawNode, attrs: Mapping[str, Any], scope: Scope,
               outputs: tuple[TensorInfo | None, ...] | None = None) -> NodeInfo:
    """The node decoded; its ``outputs`` as given (a folded node's constants), else from the scope."""
    return NodeInfo(
        name=node.label,
        op_type=node.op_type,
        domain=node.domain if node.domain != "ai.onnx" else "",
        attrs=attrs,
        inputs=_tensors(scope, node.inputs),
        outputs=_tensors(scope, node.outputs) if outputs is None else outputs,
    )


def _folded_info(node: RawNode, attrs: Mapping[str, Any], scope: Scope,
                 constants: list[TensorInfo]) -> NodeInfo:
    """A folded node's info: its outputs are the ``constants`` it folded to."""
    folded = {constant.name: constant for constant in constants}
    return _node_info(node, attrs, scope, tuple(folded.get(name) if name else None for name in node.outputs))


def _tensors(scope: Scope, names: tuple[str, ...]) -> tuple[TensorInfo | None, ...]:
    """The named tensors' infos (unknown shape when nothing declares one; None for ''), in one
    pass: every active node's inputs and outputs go through here."""
    get = scope.get
    return tuple([(get(name) or TensorInfo(name, None, 0)) if name else None for name in names])


def _shape_arithmetic(candidates: list[RawNode], graph_outputs: set[str]) -> set[int]:
    """Indices of candidate nodes whose outputs only feed shape-like inputs (or each other)."""
    produced = {name for node in candidates for name in node.outputs}
    shape_fed = {
        node.inputs[i]
        for node in candidates
        for i in shape_inputs(node.op_type, node.domain)
        if i < len(node.inputs)
    }
    if produced.isdisjoint(shape_fed):
        return set()
    uses: dict[str, list[tuple[int, bool]]] = {}
    for index, node in enumerate(candidates):
        shape_like = shape_inputs(node.op_type, node.domain)
        for position, name in enumerate(node.inputs):
            if name:
                uses.setdefault(name, []).append((index, position in shape_like))
        for sub in node.graphs:
            for name in captured_names(sub):
                uses.setdefault(name, []).append((index, False))
    free: set[int] = set()
    for index in range(len(candidates) - 1, -1, -1):
        node = candidates[index]
        if any(name in graph_outputs for name in node.outputs):
            continue
        readers = [use for name in node.outputs if name for use in uses.get(name, ())]
        if readers and all(is_shape or reader in free for reader, is_shape in readers):
            free.add(index)
    return free


@dataclass
class Folding:
    """A graph after constant folding: its scope, the nodes left to run, folded values."""

    scope: Scope
    candidates: list[RawNode]
    attrs: list[Attributes]
    folded: dict[str, np.ndarray]
    shapes_known: bool
    speculated: dict[str, TensorInfo] = field(default_factory=dict)


def provenance(scope: Scope, name: str) -> Provenance:
    """The origins and stored tensors of ``name``, to carry it over as an initializer."""
    return scope.origin(name), scope.stored_of(name)


def fold_graph(
    graph: onnx.GraphProto,
    parent: Scope | None = None,
    outer: Iterable[str] = (),
    injected: Mapping[str, Provenance] | None = None,
    look_ahead: Guess | None = None,
) -> Folding:
    """Fold the constants of ``graph`` (after shape inference); say whether shapes are complete.

    ``injected`` gives the provenance of initializers that earlier folding rounds put in
    place of computed nodes, so they keep counting as what they were computed from.
    ``look_ahead`` guesses the shapes inference left unknown (edgegate.model.lookahead), so
    folding goes on past them; the guesses are in ``speculated`` and count as unknown.
    """
    scope = _collect_scope(graph, parent)
    for name, (origins, stored) in (injected or {}).items():
        scope.origins[name] = origins
        scope.stored[name] = stored
    outer_names = set(outer)
    if parent is not None:
        outer_names |= captured_names(graph)
    folding = Folding(scope, [], [], {}, True)
    for node in topological(graph, outer_names):
        attrs = Attributes(node.proto)
        constants = _fold_node(node, scope, attrs)
        if constants is None:
            folding.candidates.append(node)
            folding.attrs.append(attrs)
            if (folding.shapes_known or look_ahead is not None) and not _outputs_known(node, scope):
                folding.shapes_known = False
                guesses = look_ahead(node, scope) if look_ahead is not None else None
                for guess in guesses or ():
                    scope.tensors[guess.name] = guess
                    folding.speculated[guess.name] = guess
            continue
        if node.op_type in CHECKS and any(constant.value is None for constant in constants):
            # folded without values: its shapes came from inference, as an active node's do
            _check_consistent(_folded_info(node, attrs, scope, constants))
        if any(constant.shape is None for constant in constants):
            folding.shapes_known = False
            if look_ahead is not None:
                constants = _guessed_constants(node, scope, constants, look_ahead, folding.speculated)
        _record_provenance(node, constants, scope)
        for constant in constants:
            scope.tensors[constant.name] = constant
            if constant.value is not None:
                folding.folded[constant.name] = constant.value
    return folding


def _guessed_constants(node: RawNode, scope: Scope, constants: list[TensorInfo], look_ahead: Guess,
                       speculated: dict[str, TensorInfo]) -> list[TensorInfo]:
    """A folded node's constants whose shapes inference left unknown (they have no values),
    with the shapes ``look_ahead`` guesses for them, recorded in ``speculated``."""
    guesses = {guess.name: guess for guess in look_ahead(node, scope) or ()}
    completed = []
    for constant in constants:
        guess = guesses.get(constant.name)
        if constant.shape is None and guess is not None:
            speculated[guess.name] = guess
            constant = TensorInfo(constant.name, guess.shape, constant.dtype or guess.dtype, True)
        completed.append(constant)
    return completed


def _check_consistent(info: NodeInfo) -> None:
    """ModelError when the node's inferred shapes do not add up (edgegate.model.consistency)."""
    problem = inconsistency(info)
    if problem is not None:
        raise ModelError(f"shape inference gives node '{info.name}' ({info.op_type}) shapes that do"
                         f" not add up: {problem}")


def _outputs_known(node: RawNode, scope: Scope) -> bool:
    """True when every output the node names has a known shape."""
    for name in node.outputs:
        if name:
            tensor = scope.get(name)
            if tensor is None or tensor.shape is None:
                return False
    return True


def _record_provenance(node: RawNode, constants: list[TensorInfo], scope: Scope) -> None:
    """Set the origins and stored tensors of a folded node's outputs from its data inputs."""
    if node.op_type == "Constant":
        return
    shape_like = shape_inputs(node.op_type, node.domain)
    data = [name for index, name in enumerate(node.inputs) if name and index not in shape_like]
    stored = tuple(dict.fromkeys(s for name in data for s in scope.stored_of(name)))
    copies = node.op_type in STORED_AS_SOURCE or is_view(node.op_type, node.domain)
    for constant in constants:
        scope.stored[constant.name] = stored
        if copies:
            scope.origins[constant.name] = tuple(
                dict.fromkeys(o for name in data for o in scope.origin(name))
            )


def _shapes_known(tensors: tuple[TensorInfo | None, ...]) -> bool:
    """True when each tensor present has a known shape."""
    for tensor in tensors:
        if tensor is not None and tensor.shape is None:
            return False
    return True


def analyze_graph(
    graph: onnx.GraphProto,
    parent: Scope | None = None,
    outer: Iterable[str] = (),
    folding: Folding | None = None,
    injected: Mapping[str, Provenance] | None = None,
) -> AnalyzedGraph:
    """Classify every node of ``graph`` (after shape inference) and decode the active ones."""
    folding = folding or fold_graph(graph, parent, outer, injected)
    scope, candidates = folding.scope, folding.candidates
    outputs = [v.name for v in graph.output]
    free = _shape_arithmetic(candidates, set(outputs))
    active = []
    shapes_known = True
    for index, node in enumerate(candidates):
        if index in free:
            continue
        shape_like = shape_inputs(node.op_type, node.domain)
        data = [n for i, n in enumerate(node.inputs) if n and i not in shape_like]
        if node.graphs:
            data += sorted(name for sub in node.graphs for name in captured_names(sub))
        info = _node_info(node, folding.attrs[index], scope)
        _check_consistent(info)
        if shapes_known:
            shapes_known = _shapes_known(info.inputs) and _shapes_known(info.outputs)
        active.append(ActiveNode(info, tuple(dict.fromkeys(data))))
    inputs = [v.name for v in graph.input
              if v.name not in scope.tensors or not scope.tensors[v.name].is_constant]
    return AnalyzedGraph(active, scope, inputs, outputs, folding.folded, shapes_known, injected or {})
