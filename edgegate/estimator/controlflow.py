"""Cost If, Loop and Scan by costing their subgraphs (never skipped).

If: a constant condition picks its branch; otherwise the costlier branch by FLOPs (then
on a tie); a branch whose shapes cannot be inferred makes the node unestimated. Loop: a
constant trip count multiplies its body. Scan: the scanned axis length multiplies its body.
Tensors a subgraph reads from the outer graph count as the node's inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import onnx

from edgegate.cost.types import OpCost
from edgegate.estimator.layers import LayerDraft
from edgegate.estimator.memory import resolve, size_in_bytes
from edgegate.estimator.result import Unestimated
from edgegate.model.graph import ActiveNode, Scope
from edgegate.model.info import NodeInfo, TensorInfo, Uncostable


class SubCost(Protocol):
    """What costing a subgraph yields (edgegate.estimator.estimate.GraphCost)."""

    macs: int
    flops: int
    weight_reads: int
    input_reads: int
    output_writes: int
    peak: int
    constants: dict[str, tuple[int, int]]
    unestimated: list[Unestimated]
    shapes_known: bool


CostGraph = Callable[[onnx.GraphProto, Scope], SubCost]


def _scalar(tensor: TensorInfo | None) -> float | None:
    if tensor is None or tensor.value is None or np.asarray(tensor.value).size != 1:
        return None
    return float(np.asarray(tensor.value).ravel()[0])


def _loop_body_scope(node: ActiveNode, scope: Scope) -> Scope:
    """The body's formal inputs, typed from the Loop's own inputs where the body omits shapes."""
    body = node.info.attrs["body"]
    inner = Scope(parent=scope)
    carried = node.info.inputs[2:]
    formal = list(body.input)
    known: list[TensorInfo | None] = [
        TensorInfo(formal[0].name, (), onnx.TensorProto.INT64) if formal else None,
        TensorInfo(formal[1].name, (), onnx.TensorProto.BOOL) if len(formal) > 1 else None,
    ]
    known += [
        TensorInfo(f.name, t.shape, t.dtype) if t is not None else None
        for f, t in zip(formal[2:], carried)
    ]
    for tensor in known:
        if tensor is not None:
            inner.tensors[tensor.name] = tensor
    return inner


def _trips(value: float | int | None, what: str) -> int:
    """A repeat count as a non-negative int; Uncostable when it cannot be one."""
    if value is None:
        raise Uncostable(f"{what} is not a constant")
    if not np.isfinite(value) or value < 0 or value != int(value):
        raise Uncostable(f"{what} {value:g} is not a count")
    return int(value)


def _graph(info: NodeInfo, name: str) -> onnx.GraphProto:
    """The node's subgraph attribute ``name``; Uncostable when the node lacks it."""
    graph = info.attrs.get(name)
    if not isinstance(graph, onnx.GraphProto):
        raise Uncostable(f"{info.op_type} node has no '{name}' graph")
    return graph


def _if(node: ActiveNode, scope: Scope, cost_graph: CostGraph) -> tuple[SubCost, int]:
    """The branch a constant condition picks, else the costlier branch by FLOPs (then on a tie)."""
    info = node.info
    then, other = _graph(info, "then_branch"), _graph(info, "else_branch")
    condition = _scalar(info.input(0))
    if condition is not None:
        return cost_graph(then if condition else other, scope), 1
    then_cost, other_cost = cost_graph(then, scope), cost_graph(other, scope)
    if not (then_cost.shapes_known and other_cost.shapes_known):
        raise Uncostable("If branches' shapes cannot be inferred")
    return (other_cost if other_cost.flops > then_cost.flops else then_cost), 1


def _loop(node: ActiveNode, scope: Scope, cost_graph: CostGraph) -> tuple[SubCost, int]:
    """The body, once per trip of a constant trip count."""
    body = _graph(node.info, "body")
    trips = _trips(_scalar(node.info.input(0)), "Loop trip count")
    return cost_graph(body, _loop_body_scope(node, scope)), trips


def _scan(node: ActiveNode, scope: Scope, cost_graph: CostGraph) -> tuple[SubCost, int]:
    """The body, once per step along the first scanned input's scan axis."""
    info = node.info
    body = _graph(info, "body")
    count = info.attr("num_scan_inputs", 0)
    if not isinstance(count, int) or not 0 < count <= len(info.inputs):
        raise Uncostable(f"Scan num_scan_inputs {count!r:.40} is not a count of its"
                         f" {len(info.inputs)} inputs")
    scanned = [t for t in info.inputs[len(info.inputs) - count :] if t is not None]
    axes = info.attr("scan_input_axes", (0,))
    if not isinstance(axes, tuple) or not all(isinstance(axis, int) for axis in axes):
        raise Uncostable("Scan scan_input_axes is not a list of axes")
    shape = scanned[0].shape if scanned else None
    if not shape or not axes:
        raise Uncostable("Scan input shapes are unknown")
    return cost_graph(body, scope), int(shape[axes[0] % len(shape)])


CHOOSERS: dict[str, Callable[[ActiveNode, Scope, CostGraph], tuple[SubCost, int]]] = {
    "If": _if,
    "Loop": _loop,
    "Scan": _scan,
}
"""Per control-flow op: the subgraph cost to charge and how many times it runs."""

CONTROL_FLOW = frozenset(CHOOSERS)


def draft_control_flow(
    node: ActiveNode, scope: Scope, aliases: dict[str, str], precision: str, cost_graph: CostGraph
) -> LayerDraft:
    """One composite layer for an If/Loop/Scan node: its subgraph's cost, times its trips."""
    info = node.info
    draft = LayerDraft(info.name, (info.op_type,), (info.name,), OpCost())
    draft.outputs = [t.name for t in info.present_outputs()]
    for name in node.data_inputs:
        tensor = scope.get(name)
        if tensor is not None and not tensor.is_constant:
            draft.reads.append(resolve(name, aliases))
    try:
        sub, trips = CHOOSERS[info.op_type](node, scope, cost_graph)
    except Uncostable as error:
        draft.unestimated.append(Unestimated(info.name, info.op_type, info.domain, str(error)))
        return draft
    draft.cost = OpCost(sub.macs, sub.flops) * trips
    draft.constants = dict(sub.constants)
    draft.weight_reads = sub.weight_reads * trips
    draft.input_reads = sub.input_reads * trips
    draft.output_writes = sub.output_writes * trips
    boundary = sum(size_in_bytes(scope.get(n), precision) for n in draft.reads + draft.outputs)
    draft.work_bytes = max(0, sub.peak - boundary)
    draft.unestimated.extend(sub.unestimated)
    return draft

