"""Activations and normalizations that exporters write as chains of elementwise nodes.

One exporter writes GELU as one Gelu node, another as Div, Erf, Add, Mul, Mul; HardSwish is
one node, or HardSigmoid * x, or x * Clip(x + 3, 0, 6) / 6; LayerNorm below opset 17 is
ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add. Each such chain is matched
structurally against the table in edgegate.estimator.templates and replaced by one composite
node that costs what the single op costs and fuses as it does, so the totals do not depend on
the form.

A match needs: one non-constant input (the activation's x), constants given by value in any
storage (initializer, Constant node, folded scalar), any operand order of Add and Mul, any
grouping of a product, and intermediates that nothing outside the chain reads (and that are
no graph output). The scalars a chain absorbs are part of the op, not params.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import permutations

from edgegate.estimator.templates import (
    ATTR_DEFAULTS,
    PATTERNS,
    RTOL,
    Bind,
    Clip,
    Const,
    Either,
    Op,
    Param,
    Pattern,
    Prod,
    Template,
    Var,
)
from edgegate.model.graph import ActiveNode
from edgegate.model.info import NodeInfo, TensorInfo
from edgegate.model.tensors import malformed


@dataclass(frozen=True)
class _State:
    bindings: Mapping[str, str] = field(default_factory=dict)
    members: frozenset[int] = frozenset()

    def bind(self, key: str, name: str) -> _State:
        return replace(self, bindings={**self.bindings, key: name})

    def add(self, index: int) -> _State:
        return replace(self, members=self.members | {index})


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=RTOL, abs_tol=1e-9)


def _scalar(tensor: TensorInfo | None) -> float | None:
    """The value of a constant holding one real number (any rank), else None."""
    return tensor.scalar() if tensor is not None and tensor.is_constant else None


class _Graph:
    """Producers and readers of tensors, seen through aliases (views, no-op movers)."""

    def __init__(self, nodes: Sequence[ActiveNode], aliases: Mapping[str, str], outputs: set[str]):
        self.nodes = nodes
        self.aliases = aliases
        self.producer: dict[str, int] = {}
        self.readers: dict[str, list[int]] = {}
        self.tensors: dict[str, TensorInfo] = {}
        for index, node in enumerate(nodes):
            for tensor in node.info.inputs:
                if tensor is not None:
                    self.tensors.setdefault(tensor.name, tensor)
            for tensor in node.info.present_outputs():
                self.tensors.setdefault(tensor.name, tensor)
                if tensor.name not in aliases:
                    self.producer[tensor.name] = index
            if node.info.outputs and node.info.outputs[0] is not None \
                    and node.info.outputs[0].name in aliases:
                continue
            for name in node.data_inputs:
                self.readers.setdefault(self.resolve(name), []).append(index)
        self.outputs = {self.resolve(name) for name in outputs}

    def resolve(self, name: str) -> str:
        seen = set()
        while name in self.aliases and name not in seen:
            seen.add(name)
            name = self.aliases[name]
        return name

    def node_of(self, name: str) -> int | None:
        return self.producer.get(self.resolve(name))

    def single_reader(self, name: str) -> bool:
        root = self.resolve(name)
        return len(self.readers.get(root, ())) == 1 and root not in self.outputs

    def constant(self, name: str) -> TensorInfo | None:
        tensor = self.tensors.get(name)
        return tensor if tensor is not None and tensor.is_constant else None


class _Matcher:
    """Matches templates against the graph, backtracking over orders and bindings."""

    def __init__(self, graph: _Graph) -> None:
        self.graph = graph

    def match(self, template: Template, name: str, state: _State) -> Iterator[_State]:
        graph = self.graph
        if isinstance(template, Var):
            yield from self._bind(template.key, graph.resolve(name), state, constant=False)
        elif isinstance(template, Param):
            yield from self._bind(template.key, name, state, constant=True)
        elif isinstance(template, Const):
            value = _scalar(graph.constant(name))
            if value is not None and (template.value is None or _close(value, template.value)):
                yield state
        elif isinstance(template, Bind):
            bound = template.key in state.bindings
            if bound and state.bindings[template.key] == graph.resolve(name):
                yield state
            elif not bound:
                for found in self.match(template.inner, name, state):
                    yield found.bind(template.key, graph.resolve(name))
        elif isinstance(template, Either):
            for option in template.options:
                yield from self.match(option, name, state)
        elif isinstance(template, Op):
            yield from self._op(template, name, state)
        elif isinstance(template, Clip):
            yield from self._clip(template, name, state)
        else:
            yield from self._product(template, name, state)

    def _bind(self, key: str, name: str, state: _State, constant: bool) -> Iterator[_State]:
        if (self.graph.constant(name) is not None) != constant:
            return
        bound = state.bindings.get(key)
        if bound is None:
            yield state.bind(key, name)
        elif bound == name:
            yield state

    def _node(self, name: str, op_type: str, state: _State) -> tuple[int, NodeInfo] | None:
        index = self.graph.node_of(name)
        if index is None or index in state.members:
            return None
        info = self.graph.nodes[index].info
        if info.op_type != op_type or info.domain != "" or malformed(info.attrs) is not None:
            return None
        return index, info

    def _op(self, template: Op, name: str, state: _State) -> Iterator[_State]:
        found = self._node(name, template.op_type, state)
        if found is None:
            return
        index, info = found
        for key, value in template.attrs:
            given = info.attr(key, ATTR_DEFAULTS.get((template.op_type, key)))
            if given is None or not _close(float(given), value):
                return
        operands = [t.name if t is not None else "" for t in info.inputs[: len(template.args)]]
        if len(operands) < len(template.args) or not all(operands):
            return
        orders = permutations(operands) if template.commutative else [operands]
        for order in dict.fromkeys(tuple(o) for o in orders):
            yield from self._all(template.args, order, state.add(index))

    def _all(self, templates: Sequence[Template], names: Sequence[str], state: _State) -> Iterator[_State]:
        if not templates:
            yield state
            return
        for found in self.match(templates[0], names[0], state):
            yield from self._all(templates[1:], names[1:], found)

    def _clip(self, template: Clip, name: str, state: _State) -> Iterator[_State]:
        found = self._node(name, "Clip", state)
        if found is None:
            return
        index, info = found
        low = _scalar(info.input(1)) if info.input(1) is not None else info.attr("min")
        high = _scalar(info.input(2)) if info.input(2) is not None else info.attr("max")
        if low is None or high is None or not (_close(low, template.low) and _close(high, template.high)):
            return
        source = info.input(0)
        if source is not None:
            yield from self.match(template.arg, source.name, state.add(index))

    def _flatten(self, name: str, state: _State) -> tuple[list[str], float, list[int]] | None:
        """The factors, constant scale and nodes of the product that produces ``name``."""
        factors: list[str] = []
        scale = 1.0
        nodes: list[int] = []
        pending = [(name, True)]
        while pending:
            current, top = pending.pop()
            index = self.graph.node_of(current)
            info = self.graph.nodes[index].info if index is not None else None
            inner = (
                info is not None
                and index not in state.members
                and info.domain == ""
                and (info.op_type == "Mul" or (info.op_type == "Div" and _scalar(info.input(1)) is not None))
                and (top or self.graph.single_reader(current))
            )
            if not inner or info is None or index is None:
                if top:
                    return None
                value = _scalar(self.graph.constant(current))
                if value is not None:
                    scale *= value
                else:
                    factors.append(current)
                continue
            nodes.append(index)
            left, right = info.input(0), info.input(1)
            if left is None or right is None:
                return None
            if info.op_type == "Div":
                divisor = _scalar(right)
                if divisor is None or divisor == 0:
                    return None
                scale /= divisor
                pending.append((left.name, False))
            else:
                pending.extend([(right.name, False), (left.name, False)])
        return factors, scale, nodes

    def _product(self, template: Prod, name: str, state: _State) -> Iterator[_State]:
        flat = self._flatten(name, state)
        if flat is None:
            return
        factors, scale, nodes = flat
        if len(factors) != len(template.factors) or not _close(scale, template.scale):
            return
        for index in nodes:
            state = state.add(index)
        seen: set[tuple[str, ...]] = set()
        for order in permutations(factors):
            if order in seen:
                continue
            seen.add(order)
            yield from self._all(template.factors, order, state)


@dataclass(frozen=True)
class Match:
    """A decomposed op found in the graph: its nodes (indices), the last one, and the one
    composite node that stands for them."""

    members: tuple[int, ...]
    tail: int
    node: ActiveNode


def _closed(graph: _Graph, members: frozenset[int], tail: int) -> bool:
    """True when only the chain reads its intermediates, and none is a graph output."""
    for index in members:
        if index == tail:
            continue
        for tensor in graph.nodes[index].info.present_outputs():
            root = graph.resolve(tensor.name)
            if root in graph.outputs or not set(graph.readers.get(root, ())) <= members:
                return False
    return True


def _last_ops(template: Template) -> frozenset[str]:
    """The op types a node matching ``template`` at its top can have."""
    if isinstance(template, Op):
        return frozenset({template.op_type})
    if isinstance(template, Clip):
        return frozenset({"Clip"})
    if isinstance(template, Prod):
        return frozenset({"Mul", "Div"})
    if isinstance(template, Either):
        return frozenset().union(*(_last_ops(option) for option in template.options))
    return frozenset()


def _required_ops(template: Template) -> frozenset[str]:
    """The op types every chain matching ``template`` contains (a product may be Mul or Div,
    so it requires only what its factors require)."""
    if isinstance(template, Op):
        return frozenset({template.op_type}).union(*(_required_ops(arg) for arg in template.args))
    if isinstance(template, Clip):
        return frozenset({"Clip"}) | _required_ops(template.arg)
    if isinstance(template, Prod):
        return frozenset().union(*(_required_ops(factor) for factor in template.factors))
    if isinstance(template, Either):
        return frozenset.intersection(*(_required_ops(option) for option in template.options))
    if isinstance(template, Bind):
        return _required_ops(template.inner)
    return frozenset()


REQUIRED_OPS: dict[Pattern, frozenset[str]] = {p: _required_ops(p.template) for p in PATTERNS}
"""Per pattern, the op types a graph must have for the pattern to match anywhere in it."""

BY_LAST_OP: dict[str, tuple[Pattern, ...]] = {
    op: tuple(p for p in PATTERNS if op in _last_ops(p.template))
    for op in sorted(set().union(*(_last_ops(p.template) for p in PATTERNS)))
}
"""The patterns a chain ending in each op type can match, in PATTERNS order."""


def find_patterns(
    nodes: Sequence[ActiveNode], aliases: Mapping[str, str], outputs: set[str]
) -> list[Match]:
    """Every decomposed activation or normalization among ``nodes``, last tail first."""
    present = {node.info.op_type for node in nodes if node.info.domain == ""}
    candidates = {op: kept for op, patterns in BY_LAST_OP.items()
                  if (kept := tuple(p for p in patterns if REQUIRED_OPS[p] <= present))}
    if not candidates:
        return []
    graph = _Graph(nodes, aliases, outputs)
    matcher = _Matcher(graph)
    taken: set[int] = set()
    found: list[Match] = []
    for tail in range(len(nodes) - 1, -1, -1):
        info = nodes[tail].info
        if tail in taken or not info.outputs or info.outputs[0] is None or info.outputs[0].name in aliases:
            continue
        for pattern in candidates.get(info.op_type, ()) if info.domain == "" else ():
            state = next((state for state in matcher.match(pattern.template, info.outputs[0].name, _State())
                          if tail in state.members and not state.members & taken
                          and _closed(graph, state.members, tail)), None)
            if state is not None:
                taken |= state.members
                members = tuple(sorted(state.members))
                found.append(Match(members, tail, _composite(graph, pattern, members, tail, state)))
                break
    return found


def _composite(
    graph: _Graph, pattern: Pattern, members: tuple[int, ...], tail: int, state: _State
) -> ActiveNode:
    """One node standing for the chain: the canonical op on its input, scale and bias."""
    names = [state.bindings[key] for key in ("x", "scale", "bias") if key in state.bindings]
    inputs = tuple(graph.tensors.get(name) or TensorInfo(name, None, 0) for name in names)
    chain = tuple(graph.nodes[index].info for index in members)
    info = NodeInfo(
        name=chain[0].name,
        op_type=pattern.canonical,
        domain="",
        attrs={},
        inputs=inputs,
        outputs=graph.nodes[tail].info.outputs[:1],
    )
    return ActiveNode(info, tuple(names), members=chain, costs_as=pattern.costs_as)
