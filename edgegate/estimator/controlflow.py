"""Cost If, Loop and Scan by costing their subgraphs (never skipped).

If: a constant condition picks its branch; otherwise the costlier branch by FLOPs (then
on a tie); a branch whose shapes cannot be inferred makes the node unestimated. Loop: the
body runs as many times as its trip count, or as its condition allows when that can be
stepped from known values (edgegate.model.trips), or as the settings say (``loop_trips``:
by node name, or ``default``). Scan: the scanned axis length multiplies its body. Tensors a
subgraph reads from the outer graph count as the node's inputs. Every subgraph's stored
constants are params, whichever branch is costed and whether or not the node can be.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import onnx

from edgegate.cost.types import OpCost
from edgegate.estimator.layers import LayerDraft, StoredConstant, stored_constant
from edgegate.estimator.memory import resolve, size_in_bytes
from edgegate.estimator.result import Unestimated
from edgegate.model.graph import ActiveNode, Scope
from edgegate.model.info import NodeInfo, TensorInfo, Uncostable
from edgegate.model.trips import MAX_STEPPED_NODES, count_trips


class SubCost(Protocol):
    """What costing a subgraph yields (edgegate.estimator.estimate.GraphCost)."""

    macs: int
    flops: int
    weight_reads: int
    input_reads: int
    output_writes: int
    peak: int
    constants: dict[str, StoredConstant]
    computed: dict[str, int]
    unestimated: list[Unestimated]
    shapes_known: bool


CostGraph = Callable[[onnx.GraphProto, Scope], SubCost]


@dataclass
class Choice:
    """The subgraph cost to charge and how many times, or why there is none; ``seen`` are all
    the subgraphs costed (their stored constants are params either way)."""

    seen: list[SubCost] = field(default_factory=list)
    charged: SubCost | None = None
    trips: int = 1
    problem: str = ""


def _scalar(tensor: TensorInfo | None) -> float | None:
    return None if tensor is None else tensor.scalar()


def _formal_scope(graph: onnx.GraphProto, known: list[TensorInfo | None], scope: Scope) -> Scope:
    """The subgraph's formal inputs, typed from the node's inputs where the graph omits shapes."""
    inner = Scope(parent=scope)
    for formal, tensor in zip(graph.input, known):
        if tensor is not None:
            inner.tensors[formal.name] = TensorInfo(formal.name, tensor.shape, tensor.dtype)
    return inner


def _loop_body_scope(node: ActiveNode, scope: Scope) -> Scope:
    """A Loop body's formal inputs: the iteration number, the condition, the carried values."""
    known: list[TensorInfo | None] = [
        TensorInfo("", (), onnx.TensorProto.INT64), TensorInfo("", (), onnx.TensorProto.BOOL),
        *node.info.inputs[2:],
    ]
    return _formal_scope(node.info.attrs["body"], known, scope)


def _scan_body_scope(node: ActiveNode, scope: Scope, count: int, axes: tuple[int, ...]) -> Scope:
    """A Scan body's formal inputs: the states, then one slice of each scanned input."""
    info = node.info
    states = len(info.inputs) - count
    known = list(info.inputs[:states])
    for index, tensor in enumerate(info.inputs[states:]):
        if tensor is None or tensor.shape is None or not tensor.shape:
            known.append(None)
            continue
        shape = list(tensor.shape)
        del shape[(axes[index] if index < len(axes) else 0) % len(shape)]
        known.append(TensorInfo(tensor.name, tuple(shape), tensor.dtype))
    return _formal_scope(info.attrs["body"], known, scope)


def _trips(value: float | int | None, what: str) -> int | str:
    """A repeat count as a non-negative int, or the problem with it."""
    if value is None:
        return f"{what} is not a constant"
    if not np.isfinite(value) or value < 0 or value != int(value):
        return f"{what} {value:g} is not a count"
    return int(value)


def _graph(info: NodeInfo, name: str) -> onnx.GraphProto:
    """The node's subgraph attribute ``name``; Uncostable when the node lacks it."""
    graph = info.attrs.get(name)
    if not isinstance(graph, onnx.GraphProto):
        raise Uncostable(f"{info.op_type} node has no '{name}' graph")
    return graph


def _if(node: ActiveNode, scope: Scope, cost_graph: CostGraph, loops: Mapping[str, int]) -> Choice:
    """The branch a constant condition picks, else the costlier branch by FLOPs (then on a tie)."""
    info = node.info
    then_cost = cost_graph(_graph(info, "then_branch"), scope)
    other_cost = cost_graph(_graph(info, "else_branch"), scope)
    choice = Choice([then_cost, other_cost])
    condition = _scalar(info.input(0))
    if condition is not None:
        choice.charged = then_cost if condition else other_cost
    elif not (then_cost.shapes_known and other_cost.shapes_known):
        choice.problem = "If branches' shapes cannot be inferred"
    else:
        choice.charged = other_cost if other_cost.flops > then_cost.flops else then_cost
    return choice


def _loop_trips(node: ActiveNode, scope: Scope, loops: Mapping[str, int]) -> int | str:
    """The trips of a Loop: stepped from its condition when possible, else its trip count
    input, else the settings' count for it; or the problem."""
    info = node.info
    limit = _trips(_scalar(info.input(0)), "Loop trip count") if info.input(0) is not None else None
    initial = info.input(1)
    condition = True if initial is None else _scalar(initial)
    if condition is not None:

        def outer(name: str) -> np.ndarray | None:
            tensor = scope.get(name)
            return None if tensor is None or tensor.value is None else np.asarray(tensor.value)

        carried = [None if t is None or t.value is None else np.asarray(t.value) for t in info.inputs[2:]]
        bound = limit if isinstance(limit, int) else None
        stepped = count_trips(_graph(info, "body"), bound, bool(condition), carried, outer)
        if stepped is not None:
            return stepped
    if isinstance(limit, int):
        return limit
    given = loops.get(info.name, loops.get("default"))
    if given is not None:
        return given
    if limit is None:
        return ("Loop trip count cannot be derived: no trip count, and its condition depends on"
                f" unknown values or runs past {MAX_STEPPED_NODES:,} node evaluations (give it with"
                " --loop-trips NODE=N or the policy's loops)")
    return limit


def _loop(node: ActiveNode, scope: Scope, cost_graph: CostGraph, loops: Mapping[str, int]) -> Choice:
    """The body, once per trip."""
    body = cost_graph(_graph(node.info, "body"), _loop_body_scope(node, scope))
    trips = _loop_trips(node, scope, loops)
    if isinstance(trips, str):
        return Choice([body], problem=trips)
    return Choice([body], body, trips)


def _scan(node: ActiveNode, scope: Scope, cost_graph: CostGraph, loops: Mapping[str, int]) -> Choice:
    """The body, once per step along the first scanned input's scan axis."""
    info = node.info
    count = info.attr("num_scan_inputs", 0)
    if not isinstance(count, int) or not 0 < count <= len(info.inputs):
        raise Uncostable(f"Scan num_scan_inputs {count!r:.40} is not a count of its"
                         f" {len(info.inputs)} inputs")
    axes = info.attr("scan_input_axes", (0,) * count)
    if not isinstance(axes, tuple) or not all(isinstance(axis, int) for axis in axes):
        raise Uncostable("Scan scan_input_axes is not a list of axes")
    body = cost_graph(_graph(info, "body"), _scan_body_scope(node, scope, count, axes))
    scanned = [t for t in info.inputs[len(info.inputs) - count :] if t is not None]
    shape = scanned[0].shape if scanned else None
    if not shape or not axes:
        return Choice([body], problem="Scan input shapes are unknown")
    return Choice([body], body, int(shape[axes[0] % len(shape)]))


CHOOSERS: dict[str, Callable[[ActiveNode, Scope, CostGraph, Mapping[str, int]], Choice]] = {
    "If": _if,
    "Loop": _loop,
    "Scan": _scan,
}
"""Per control-flow op: the subgraph cost to charge and how many times it runs."""

CONTROL_FLOW = frozenset(CHOOSERS)

DATA_FROM = {"If": 1, "Loop": 2, "Scan": 0}
"""The first input each op reads as data (If's condition, Loop's trip count and condition are
control values); a constant data input is a param (a Loop's carried start value)."""


def draft_control_flow(
    node: ActiveNode,
    scope: Scope,
    aliases: dict[str, str],
    precision: str,
    cost_graph: CostGraph,
    loops: Mapping[str, int],
) -> LayerDraft:
    """One composite layer for an If/Loop/Scan node: its subgraph's cost, times its trips."""
    info = node.info
    draft = LayerDraft(info.name, (info.op_type,), (info.name,), OpCost())
    draft.outputs = [t.name for t in info.present_outputs()]
    for name in node.data_inputs:
        tensor = scope.get(name)
        if tensor is not None and not tensor.is_constant:
            draft.reads.append(resolve(name, aliases))
    for tensor in info.inputs[DATA_FROM[info.op_type]:]:
        if tensor is not None and tensor.is_constant:
            for stored in scope.stored_of(tensor.name):
                draft.constants[stored] = stored_constant(scope.get(stored) or tensor, precision)
    try:
        choice = CHOOSERS[info.op_type](node, scope, cost_graph, loops)
    except Uncostable as error:
        choice = Choice(problem=str(error))
    for seen in choice.seen:
        draft.constants.update(seen.constants)
    sub, trips = choice.charged, choice.trips
    if sub is None:
        draft.unestimated.append(Unestimated(info.name, info.op_type, info.domain, choice.problem))
        return draft
    draft.cost = OpCost(sub.macs, sub.flops) * trips
    draft.computed = dict(sub.computed)
    draft.weight_reads = sub.weight_reads * trips
    draft.input_reads = sub.input_reads * trips
    draft.output_writes = sub.output_writes * trips
    boundary = sum(size_in_bytes(scope.get(n), precision) for n in draft.reads + draft.outputs)
    draft.work_bytes = max(0, sub.peak - boundary)
    draft.unestimated.extend(sub.unestimated)
    return draft
