"""How many times a Loop runs when its condition, not its trip count, ends it.

torch.while_loop exports as a Loop with no trip count whose condition compares a carried
counter with a bound (``i + 1 < n``). When everything the condition depends on is known (the
counter's start, the bound, constants), the condition is stepped forward trip by trip with
the folding evaluator (edgegate.model.fold) until it turns false.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import onnx

from edgegate.model.domains import DEFAULT_DOMAINS
from edgegate.model.fold import evaluate
from edgegate.model.order import subgraphs
from edgegate.model.tensors import Attributes, tensor_value

MAX_STEPPED_NODES = 20_000
"""Node evaluations stepping may take (trips x the condition's nodes: 10,000 trips of a
counter and a comparison, about a second); a loop still running after them has no count
edgegate can derive, unless its trip count input bounds it."""

Lookup = Callable[[str], "np.ndarray | None"]
"""The value of an outer tensor, or None when it is not a known constant."""


def _slice(body: onnx.GraphProto) -> list[onnx.NodeProto] | None:
    """The body's nodes the next condition depends on, through carried values; None when one
    of them cannot be evaluated here."""
    carried_in = [v.name for v in body.input[2:]]
    carried_out = {name: body.output[1 + i].name for i, name in enumerate(carried_in)
                   if 1 + i < len(body.output)}
    producers = {out: node for node in body.node for out in node.output if out}
    needed = [body.output[0].name]
    chosen: dict[int, onnx.NodeProto] = {}
    seen: set[str] = set()
    while needed:
        name = needed.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in carried_out:
            needed.append(carried_out[name])
        node = producers.get(name)
        if node is None or id(node) in chosen:
            continue
        if node.domain not in DEFAULT_DOMAINS or subgraphs(node):
            return None
        chosen[id(node)] = node
        needed.extend(n for n in node.input if n)
    return [node for node in body.node if id(node) in chosen]


def _run(nodes: Sequence[onnx.NodeProto], values: dict[str, np.ndarray | None]) -> bool:
    """Evaluate ``nodes`` in order into ``values``; False when one cannot be evaluated."""
    for node in nodes:
        attrs = Attributes(node)
        if node.op_type == "Constant":
            found = [tensor_value(a.t) for a in node.attribute if a.name == "value"]
            outputs = [found[0]] if found and found[0] is not None else None
        else:
            inputs = [values.get(n) if n else None for n in node.input]
            if any(n and values.get(n) is None for n in node.input):
                return False
            outputs = evaluate(node.op_type, attrs, inputs)
        if outputs is None:
            return False
        values.update(zip(node.output, outputs))
    return True


def count_trips(
    body: onnx.GraphProto,
    limit: int | None,
    condition: bool,
    carried: Sequence[np.ndarray | None],
    outer: Lookup,
) -> int | None:
    """The Loop's trip count, stepping its condition; None when it cannot be derived.

    ``limit`` is the trip count input when constant (None: no limit), ``condition`` the
    initial condition, ``carried`` the carried values' initial values.
    """
    nodes = _slice(body)
    if nodes is None or len(body.input) < 2:
        return None
    names = [v.name for v in body.input]
    constants: dict[str, np.ndarray | None] = {t.name: tensor_value(t) for t in body.initializer}
    produced = {out for node in nodes for out in node.output} | set(names) | set(constants)
    for node in nodes:
        for name in node.input:
            if name and name not in produced and name not in constants:
                constants[name] = outer(name)
    state = dict(zip(names[2:], carried))
    read = {name for node in nodes for name in node.input}
    # a condition that reads neither the iteration number nor a carried value repeats itself
    # from the third trip on: if it has not ended by then, it never does
    cap = 3 if read.isdisjoint([names[0], *names[2:]]) else max(1, MAX_STEPPED_NODES // max(len(nodes), 1))
    if limit is not None:
        cap = min(cap, limit)
    trips, going = 0, condition
    while going and trips < cap:
        values: dict[str, np.ndarray | None] = {
            **constants, **state,
            names[0]: np.asarray(trips, np.int64), names[1]: np.asarray(going),
        }
        if not _run(nodes, values):
            return None
        result = values.get(body.output[0].name)
        if result is None or np.asarray(result).size != 1:
            return None
        going = bool(np.asarray(result).reshape(-1)[0])
        state = {name: values.get(body.output[1 + i].name) for i, name in enumerate(names[2:])
                 if 1 + i < len(body.output)}
        trips += 1
    if not going or (limit is not None and trips >= limit):
        return trips
    return limit

