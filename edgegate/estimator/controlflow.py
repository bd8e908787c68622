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
from edgegate.model.info import TensorInfo

CONTROL_FLOW = frozenset({"If", "Loop", "Scan"})


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


def _trips(value: float | int | None, what: str) -> tuple[int, str]:
    """A repeat count as a non-negative int, or 0 and the reason it cannot be one."""
    if value is None:
        return 0, f"{what} is not a constant"
    if not np.isfinite(value) or value < 0 or value != int(value):
        return 0, f"{what} {value:g} is not a count"
    return int(value), ""


def _choose(node: ActiveNode, scope: Scope, cost_graph: CostGraph) -> tuple[SubCost | None, int, str]:
    """The subgraph cost to charge, the times it runs, or the reason it cannot be costed."""
    info = node.info
    wanted = ("then_branch", "else_branch") if info.op_type == "If" else ("body",)
    missing = [name for name in wanted if not isinstance(info.attrs.get(name), onnx.GraphProto)]
    if missing:
        return None, 0, f"{info.op_type} node has no '{missing[0]}' graph"
    if info.op_type == "If":
        condition = _scalar(info.input(0))
        branches = ("then_branch", "else_branch")
        if condition is not None:
            picked = cost_graph(info.attrs[branches[0 if condition else 1]], scope)
            return picked, 1, ""
        then, other = (cost_graph(info.attrs[b], scope) for b in branches)
        if not (then.shapes_known and other.shapes_known):
            return None, 0, "If branches' shapes cannot be inferred"
        return (other if other.flops > then.flops else then), 1, ""
    if info.op_type == "Loop":
        trips, reason = _trips(_scalar(info.input(0)), "Loop trip count")
        if reason:
            return None, 0, reason
        return cost_graph(info.attrs["body"], _loop_body_scope(node, scope)), trips, ""
    count = int(info.attr("num_scan_inputs", 0))
    scanned = [t for t in info.inputs[len(info.inputs) - count :] if t is not None]
    axes = info.attr("scan_input_axes", (0,) * count)
    shape = scanned[0].shape if scanned else None
    if not shape or not axes:
        return None, 0, "Scan input shapes are unknown"
    trips = shape[axes[0] % len(shape)]
    return cost_graph(info.attrs["body"], scope), int(trips), ""


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
    sub, trips, reason = _choose(node, scope, cost_graph)
    if sub is None:
        draft.unestimated.append(Unestimated(info.name, info.op_type, info.domain, reason))
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

