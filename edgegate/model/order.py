"""Read each node's proto fields once, and put a graph's nodes in a topological order.

Protobuf field access is the estimator's hot path in Python, so every later pass works on
RawNode tuples; a graph that is not topologically sorted is sorted, and a cycle or a dangling
input is a ModelError naming the node.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

import onnx

from edgegate.errors import ModelError
from edgegate.model.domains import DEFAULT_DOMAINS

GRAPH_OPS = frozenset({"If", "Loop", "Scan", "SequenceMap"})


class RawNode(NamedTuple):
    """A node's proto fields read once: protobuf field access is the hot path in Python.

    A named tuple (immutable, as a frozen dataclass would be) since a graph makes one per
    node and a tuple is several times cheaper to build.
    """

    proto: onnx.NodeProto
    op_type: str
    domain: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    graphs: tuple[onnx.GraphProto, ...]

    @property
    def label(self) -> str:
        """The node's name, or a stand-in built from its op type and first output."""
        return self.proto.name or f"{self.op_type}:{self.outputs[0] if self.outputs else '?'}"


def raw_node(node: onnx.NodeProto) -> RawNode:
    """Read a node's fields once (subgraphs only where an op can carry them)."""
    op_type, domain = node.op_type, node.domain
    graphs = tuple(subgraphs(node)) if op_type in GRAPH_OPS or domain not in DEFAULT_DOMAINS else ()
    return RawNode(node, op_type, domain, tuple(node.input), tuple(node.output), graphs)


def subgraphs(node: onnx.NodeProto) -> list[onnx.GraphProto]:
    """The graphs held in a node's attributes (If branches, Loop/Scan bodies)."""
    found: list[onnx.GraphProto] = []
    for attribute in node.attribute:
        if attribute.type == onnx.AttributeProto.GRAPH:
            found.append(attribute.g)
        elif attribute.type == onnx.AttributeProto.GRAPHS:
            found.extend(attribute.graphs)
    return found


def all_graphs(model: onnx.ModelProto) -> Iterator[onnx.GraphProto | onnx.FunctionProto]:
    """Every graph of the model (control-flow bodies too, where :func:`raw_node` looks for
    them) and every local function, without recursion."""
    stack: list[onnx.GraphProto | onnx.FunctionProto] = [model.graph, *model.functions]
    while stack:
        graph = stack.pop()
        yield graph
        for node in graph.node:
            if node.op_type in GRAPH_OPS or node.domain not in DEFAULT_DOMAINS:
                stack.extend(subgraphs(node))


def captured_names(graph: onnx.GraphProto) -> set[str]:
    """Names a graph (or its nested graphs) reads from enclosing scopes."""
    defined = {v.name for v in graph.input} | {t.name for t in graph.initializer}
    read: set[str] = set()
    for node in graph.node:
        read.update(name for name in node.input if name)
        for sub in subgraphs(node):
            read |= captured_names(sub)
        defined.update(node.output)
    read.update(v.name for v in graph.output)
    return read - defined


def node_reads(node: RawNode) -> list[str]:
    """All names a node reads: its inputs and what its subgraphs capture."""
    names = [name for name in node.inputs if name]
    for sub in node.graphs:
        names.extend(sorted(captured_names(sub)))
    return names


def _check_single_assignment(nodes: Sequence[RawNode], own: set[str]) -> None:
    """ModelError when a node writes a value the graph already has (SSA form is broken)."""
    written = set(own)
    for node in nodes:
        for name in node.outputs:
            if not name:
                continue
            if name in written:
                raise ModelError(f"node '{node.label}' writes '{name}', which the graph already has"
                                 " (an ONNX graph names each value once)")
            written.add(name)


def _in_order(nodes: Sequence[RawNode], available: set[str]) -> bool:
    """True when every node reads only what ``available`` or an earlier node holds."""
    seen = set(available)
    for node in nodes:
        for name in node_reads(node) if node.graphs else node.inputs:
            if name and name not in seen:
                return False
        seen.update(node.outputs)
    return True


def topological(graph: onnx.GraphProto, outer: Iterable[str]) -> list[RawNode]:
    """graph.node in a topological order (kept as is when it already is one).

    Raises ModelError for a cycle, an input that nothing produces, or a value written twice
    (by two nodes, or by a node over a graph input or initializer): ONNX graphs name each
    value once, and every pass after this one relies on it.
    """
    own = {v.name for v in graph.input} | {t.name for t in graph.initializer}
    available = set(outer) | own
    nodes = [raw_node(node) for node in graph.node]
    _check_single_assignment(nodes, own)
    if _in_order(nodes, available):
        return nodes
    pending = nodes
    ordered: list[RawNode] = []
    while pending:
        waiting = []
        for node in pending:
            if all(name in available for name in node_reads(node)):
                ordered.append(node)
                available.update(node.outputs)
            else:
                waiting.append(node)
        if len(waiting) == len(pending):
            produced = {out for node in waiting for out in node.outputs}
            node = waiting[0]
            missing = next(n for n in node_reads(node) if n not in available)
            label = node.label
            if missing in produced:
                raise ModelError(f"the graph has a cycle through node '{label}'")
            raise ModelError(f"node '{label}' reads '{missing}', which nothing produces")
        pending = waiting
    return ordered
