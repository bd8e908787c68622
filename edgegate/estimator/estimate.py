"""The estimator: ONNX model in, Estimate out, exactly as docs/metrics.md and the cost model say.

load (no weights) -> bind dimensions -> inline local functions -> shape inference with folding
-> active nodes -> layers (fusion) -> per-layer cost and memory -> totals and liveness peak.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import onnx
import onnx.inliner

from edgegate.cost.dtypes import PRECISION_BITS
from edgegate.cost.registry import Lookup, lookup_with
from edgegate.cost.types import CostFn
from edgegate.errors import EdgegateError, ModelError, UsageError
from edgegate.estimator.controlflow import CONTROL_FLOW, draft_control_flow
from edgegate.estimator.fusion import FUSIONS, plan_layers
from edgegate.estimator.layers import LayerDraft, StoredConstant, draft_layer, stored_constant
from edgegate.estimator.memory import peak_activation, resolve, size_in_bytes
from edgegate.estimator.result import Estimate, Layer, Settings, Unestimated
from edgegate.model.bind import bind_inputs
from edgegate.model.functions import check_local_functions
from edgegate.model.graph import AnalyzedGraph, Scope, analyze_graph
from edgegate.model.isolate import in_child
from edgegate.model.load import load_model, normalize
from edgegate.model.shapes import infer_and_analyze


@dataclass
class GraphCost:
    """A costed graph: its layers, distinct constants read, and totals the caller needs."""

    layers: list[Layer]
    constants: dict[str, StoredConstant]
    computed: dict[str, int]
    sizes: dict[str, int]
    unestimated: list[Unestimated]
    peak: int
    shapes_known: bool
    macs: int = 0
    flops: int = 0
    weight_reads: int = 0
    input_reads: int = 0
    output_writes: int = 0
    outputs: list[str] = field(default_factory=list)


def _layer(index: int, draft: LayerDraft, writes: list[str], sizes: Mapping[str, int]) -> Layer:
    params = 0
    for stored in draft.constants.values():
        params += stored.numel
    weight_bytes = sum(draft.constant_reads.values())
    output_bytes = 0
    for name in writes:
        output_bytes += sizes[name]
    input_bytes = 0
    for name in draft.reads:
        input_bytes += min(sizes[name], output_bytes) if name == draft.selected else sizes[name]
    return Layer(
        index=index,
        name=draft.name,
        op_types=draft.op_types,
        nodes=draft.nodes,
        macs=draft.cost.macs,
        flops=draft.cost.flops,
        params=params,
        weight_bytes=weight_bytes if draft.weight_reads is None else draft.weight_reads,
        input_bytes=input_bytes if draft.input_reads is None else draft.input_reads,
        output_bytes=output_bytes if draft.output_writes is None else draft.output_writes,
        reads=tuple(draft.reads),
        writes=tuple(writes),
        weights=tuple(draft.constant_reads),
        work_bytes=draft.work_bytes,
    )


def cost_graph(
    analyzed: AnalyzedGraph,
    precision: str,
    fusion: str,
    find: Lookup,
    loops: Mapping[str, int] | None = None,
) -> GraphCost:
    """Group an analyzed graph's nodes into layers and cost each one by the formulas ``find``
    gives; ``loops`` gives trip counts of Loops whose count cannot be derived."""
    plan = plan_layers(analyzed.nodes, analyzed.outputs, fusion)
    scope = analyzed.scope
    trips = loops or {}

    def cost_subgraph(graph: onnx.GraphProto, parent: Scope) -> GraphCost:
        sub = analyze_graph(graph, parent=parent, injected=analyzed.injected)
        return cost_graph(sub, precision, fusion, find, trips)

    drafts: list[LayerDraft] = []
    for index, chain_indices in enumerate(plan.chains):
        chain = [plan.nodes[i] for i in chain_indices]
        anchor = chain[0]
        if anchor.info.op_type in CONTROL_FLOW and anchor.info.domain == "":
            drafts.append(draft_control_flow(anchor, scope, plan.aliases, precision, cost_subgraph, trips))
            continue
        bn_index = plan.folded_bn.get(index)
        bn = plan.nodes[bn_index] if bn_index is not None else None
        drafts.append(draft_layer(chain, bn, scope, plan, precision, find))
    outputs = [resolve(name, plan.aliases) for name in analyzed.outputs]
    read = {name for d in drafts for name in d.reads} | set(outputs)
    sizes: dict[str, int] = {}
    layers: list[Layer] = []
    constants: dict[str, StoredConstant] = {}
    computed: dict[str, int] = {}
    unestimated: list[Unestimated] = []
    for index, draft in enumerate(drafts):
        writes = [name for name in draft.outputs if name in read]
        for name in [*draft.reads, *writes]:
            if name not in sizes:
                sizes[name] = size_in_bytes(scope.get(name), precision)
        layers.append(_layer(index, draft, writes, sizes))
        constants.update(draft.constants)
        computed.update(draft.computed)
        unestimated.extend(draft.unestimated)
    for name in analyzed.inputs:
        sizes.setdefault(name, size_in_bytes(scope.get(name), precision))
    for branch in analyzed.dropped:
        constants.update(cost_subgraph(branch, scope).constants)
    for condition in analyzed.conditions:
        for stored in scope.stored_of(condition):
            tensor = scope.get(stored)
            if tensor is not None:
                constants[stored] = stored_constant(tensor, precision)
    return GraphCost(
        layers=layers,
        constants=constants,
        computed=computed,
        sizes=sizes,
        unestimated=unestimated,
        peak=peak_activation(layers, sizes, analyzed.inputs, outputs),
        shapes_known=analyzed.shapes_known,
        macs=sum(layer.macs for layer in layers),
        flops=sum(layer.flops for layer in layers),
        weight_reads=sum(layer.weight_bytes for layer in layers),
        input_reads=sum(layer.input_bytes for layer in layers),
        output_writes=sum(layer.output_bytes for layer in layers),
        outputs=outputs,
    )


def inline_functions(model: onnx.ModelProto) -> onnx.ModelProto:
    """``model`` with its local functions inlined by onnx's (native) inliner, run in a child
    process (edgegate.model.isolate); ModelError when it refuses them (a recursive, duplicated
    or too-deeply nested function, a call with too many inputs) or dies on them."""
    check_local_functions(model)
    inlined = onnx.ModelProto()
    inlined.ParseFromString(in_child(_inlined_bytes, model, "onnx's function inliner"))
    return inlined


def _inlined_bytes(model: onnx.ModelProto) -> bytes:
    """``model`` with its local functions inlined, serialized; ModelError when onnx refuses."""
    try:
        return onnx.inliner.inline_local_functions(model).SerializeToString()
    except (onnx.checker.ValidationError, RuntimeError, ValueError, TypeError, MemoryError) as error:
        text = str(error).strip()
        first = text.splitlines()[0][:200] if text else type(error).__name__
        raise ModelError(f"local functions cannot be inlined: {first}") from None


def _check_options(precision: str, fusion: str) -> None:
    if precision not in PRECISION_BITS:
        raise UsageError(f"unknown precision '{precision}' (use one of: {', '.join(PRECISION_BITS)})")
    if fusion not in FUSIONS:
        raise UsageError(f"unknown fusion '{fusion}' (use one of: {', '.join(FUSIONS)})")


def _model_info(
    model: onnx.ModelProto, path: str, file_bytes: int | None, outputs: list[str]
) -> dict:
    return {
        "outputs": outputs,
        "path": path,
        "file_bytes": file_bytes,
        "ir_version": model.ir_version,
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
        "opsets": {(o.domain or "ai.onnx"): o.version for o in model.opset_import},
    }


def estimate_model(
    model: onnx.ModelProto,
    *,
    path: str | None = None,
    dims: Mapping[str, int] | None = None,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    input_values: Mapping[str, float] | None = None,
    precision: str = "model",
    fusion: str = "paper",
    file_bytes: int | None = None,
    custom_costs: Mapping[str, CostFn] | None = None,
    loop_trips: Mapping[str, int] | None = None,
) -> Estimate:
    """Estimate an in-memory ModelProto (modified in place: bound, inlined, inferred)."""
    _check_options(precision, fusion)
    node_count = len(model.graph.node)
    try:
        bind_inputs(model, dims or {}, input_shapes or {}, input_values)
        if model.functions:
            model.CopyFrom(inline_functions(model))
        inferred, analyzed = infer_and_analyze(model, dims or {}, input_values or {})
        graph = cost_graph(analyzed, precision, fusion, lookup_with(custom_costs or {}), loop_trips)
    except EdgegateError as error:
        error.path = path or error.path
        raise
    distinct = {stored.key: stored for stored in graph.constants.values()}
    return Estimate(
        model=path or "<model>",
        settings=Settings(
            dims=dict(dims or {}),
            input_shapes={k: tuple(v) for k, v in (input_shapes or {}).items()},
            precision=precision,
            fusion=fusion,
            input_values=dict(input_values or {}),
            loop_trips=dict(loop_trips or {}),
        ),
        layers=tuple(graph.layers),
        unestimated=tuple(graph.unestimated),
        tensor_bytes=graph.sizes,
        macs=graph.macs,
        flops=graph.flops,
        params=sum(stored.numel for stored in distinct.values()),
        weight_bytes=sum(stored.size for stored in distinct.values()),
        computed_constant_bytes=sum(graph.computed.values()),
        peak_activation_bytes=graph.peak,
        dram_bytes=graph.weight_reads + graph.input_reads + graph.output_writes,
        node_count=node_count,
        info=_model_info(inferred, path or "<model>", file_bytes, graph.outputs),
    )


def estimate(
    model: str | os.PathLike[str] | onnx.ModelProto,
    *,
    dims: Mapping[str, int] | None = None,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    input_values: Mapping[str, float] | None = None,
    precision: str = "model",
    fusion: str = "paper",
    custom_costs: Mapping[str, CostFn] | None = None,
    loop_trips: Mapping[str, int] | None = None,
) -> Estimate:
    """Estimate one model (a path, or a ModelProto that is left unchanged) from its graph alone.

    ``custom_costs`` gives formulas (keyed ``domain.OpType`` or ``OpType``) for ops the registry
    has none for, such as a vendor's custom op. ``loop_trips`` gives the trip count of Loops
    whose count cannot be derived (by node name, or ``default`` for any). Raises ModelError
    for an unreadable model and BindingError for an unbound input dimension.
    """
    if isinstance(model, onnx.ModelProto):
        proto = onnx.ModelProto()
        proto.CopyFrom(model)
        normalize(proto)
        return estimate_model(
            proto, dims=dims, input_shapes=input_shapes, input_values=input_values,
            precision=precision, fusion=fusion, custom_costs=custom_costs, loop_trips=loop_trips,
        )
    path = os.fspath(model)
    proto = load_model(path)
    return estimate_model(
        proto,
        path=path,
        dims=dims,
        input_shapes=input_shapes,
        input_values=input_values,
        precision=precision,
        fusion=fusion,
        file_bytes=Path(path).stat().st_size,
        custom_costs=custom_costs,
        loop_trips=loop_trips,
    )
