"""What a rule looks at: one model under one budget, estimated, with the facts read from its file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from edgegate.estimator.result import Estimate
from edgegate.model.domains import DEFAULT_DOMAINS, op_key
from edgegate.policy.types import Budget
from edgegate.rules.findings import Finding
from edgegate.target.roofline import TargetReport
from edgegate.target.types import Target

if TYPE_CHECKING:
    import onnx


@dataclass(frozen=True)
class NodeFact:
    """A node of the graph or of a subgraph: name and qualified op type (``domain.Op`` if custom)."""

    name: str
    op: str


@dataclass(frozen=True)
class InputFact:
    """A graph input that is not an initializer: its dims (int, a symbol, or None) and dtype."""

    name: str
    dims: tuple[int | str | None, ...]
    dtype: int


@dataclass(frozen=True)
class ModelFacts:
    """What lint rules read from the ONNX file itself, beyond the estimate."""

    opsets: Mapping[str, int]
    nodes: tuple[NodeFact, ...]
    inputs: tuple[InputFact, ...]
    weights: tuple[tuple[str, int], ...]
    file_bytes: int


def read_facts(model: onnx.ModelProto, file_bytes: int) -> ModelFacts:
    """The lint facts of ``model``: opsets, every node (subgraphs too), inputs, weight dtypes.

    Weights are constant tensors of rank >= 2 (kernels, matrices); biases, scales and zero
    points have rank <= 1 and are not weights for the dtypes rule.
    """
    graph = model.graph
    initializers = {tensor.name for tensor in graph.initializer}
    inputs = tuple(
        InputFact(value.name, _dims(value.type), value.type.tensor_type.elem_type)
        for value in graph.input if value.name not in initializers
    )
    weights = [(t.name, t.data_type) for t in graph.initializer if len(t.dims) >= 2]
    nodes = []
    for node in _all_nodes(graph):
        nodes.append(NodeFact(node.name or f"<{node.op_type}>", op_key(node.op_type, node.domain)))
        if node.op_type == "Constant" and node.domain in DEFAULT_DOMAINS:
            weights.extend((node.output[0], a.t.data_type) for a in node.attribute
                           if a.name == "value" and len(a.t.dims) >= 2)
    opsets = {(entry.domain or "ai.onnx"): entry.version for entry in model.opset_import}
    return ModelFacts(opsets, tuple(nodes), inputs, tuple(weights), file_bytes)


def _dims(value_type: onnx.TypeProto) -> tuple[int | str | None, ...]:
    """Each dim of a tensor type: its value, its symbol, or None when neither is set."""
    if not value_type.tensor_type.HasField("shape"):
        return ()
    return tuple(
        dim.dim_value if dim.HasField("dim_value") else (dim.dim_param or None)
        for dim in value_type.tensor_type.shape.dim
    )


def _all_nodes(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    """The nodes of ``graph`` and of every subgraph (If/Loop/Scan bodies), in order."""
    found = []
    for node in graph.node:
        found.append(node)
        for attribute in node.attribute:
            if attribute.HasField("g"):
                found.extend(_all_nodes(attribute.g))
            for subgraph in attribute.graphs:
                found.extend(_all_nodes(subgraph))
    return found


@dataclass(frozen=True)
class Subject:
    """One model under one budget: the estimate, its metrics (model, target and file) and facts.

    ``custom_flops`` holds the nodes the policy's ``custom_ops`` formulas costed, with their FLOPs.
    """

    model: str
    budget: Budget
    estimate: Estimate
    facts: ModelFacts
    metrics: Mapping[str, int | float]
    target: Target | None = None
    report: TargetReport | None = None
    custom_flops: Mapping[str, int] = field(default_factory=dict)

    def finding(self, rule: str, severity: str, passed: bool, message: str, **fields: Any) -> Finding:
        """A Finding about this subject (model and budget filled in)."""
        return Finding(rule, severity, passed, self.model, message, budget=self.budget.name, **fields)
