"""Cost one layer: sum its nodes' formulas, apply BN folding, collect weights and reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from edgegate.cost.registry import Lookup
from edgegate.cost.types import OpCost
from edgegate.estimator.fusion import Plan
from edgegate.estimator.memory import resolve, size_in_bytes
from edgegate.estimator.result import Unestimated
from edgegate.model.graph import ActiveNode, Scope
from edgegate.model.info import Uncostable
from edgegate.model.tensors import malformed

BIAS_INPUT: dict[str, int] = {"Conv": 2, "ConvTranspose": 2, "Gemm": 2, "QLinearConv": 8}
ABSORBED = frozenset({"QuantizeLinear"})


@dataclass
class LayerDraft:
    """A layer before memory is settled: cost, constants read, activation tensors read."""

    name: str
    op_types: tuple[str, ...]
    nodes: tuple[str, ...]
    cost: OpCost
    constants: dict[str, tuple[int, int]] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    weight_reads: int | None = None
    input_reads: int | None = None
    output_writes: int | None = None
    work_bytes: int = 0
    unestimated: list[Unestimated] = field(default_factory=list)


def node_cost(node: ActiveNode, find: Lookup) -> OpCost:
    """The node's cost by the formula ``find`` gives; Uncostable says why there is none."""
    info = node.info
    formula = find(info.op_type, info.domain)
    if formula is None:
        where = f"{info.domain}." if info.domain else ""
        raise Uncostable(f"no cost formula for op {where}{info.op_type}")
    problem = malformed(info.attrs)
    if problem is not None:
        raise Uncostable(f"malformed node: {problem}")
    try:
        return formula(info)
    except (ArithmeticError, ValueError, TypeError, IndexError, KeyError, AttributeError) as error:
        text = str(error).splitlines()[0][:200] if str(error) else ""
        raise Uncostable(f"malformed node: cannot cost it ({type(error).__name__}: {text})") from None


def unestimated(node: ActiveNode, error: Uncostable) -> Unestimated:
    """The record of a node that could not be costed, with the reason."""
    info = node.info
    return Unestimated(info.name, info.op_type, info.domain, str(error))


def draft_layer(
    chain: list[ActiveNode],
    folded_bn: ActiveNode | None,
    scope: Scope,
    plan: Plan,
    precision: str,
    find: Lookup,
) -> LayerDraft:
    """Cost a fused chain (anchor first) as one layer."""
    anchor = chain[0]
    skipped = {id(n) for n in chain[1:] if n is folded_bn or n.info.op_type in ABSORBED}
    draft = LayerDraft(
        name=anchor.info.name,
        op_types=tuple(n.info.op_type for n in chain),
        nodes=tuple(n.info.name for n in chain),
        cost=OpCost(),
    )
    produced = {t.name for n in chain[:-1] for t in n.info.present_outputs()}
    for node in chain:
        if id(node) in skipped:
            continue
        try:
            draft.cost = draft.cost + node_cost(node, find)
        except Uncostable as error:
            draft.unestimated.append(unestimated(node, error))
        _add_reads(draft, node, scope, plan.aliases, produced, precision)
    if folded_bn is not None:
        _fold_batchnorm(draft, anchor, folded_bn, precision)
    draft.outputs = [t.name for t in chain[-1].info.present_outputs()]
    return draft


def _add_reads(
    draft: LayerDraft,
    node: ActiveNode,
    scope: Scope,
    aliases: dict[str, str],
    produced: set[str],
    precision: str,
) -> None:
    """Record what the node reads from outside the chain: constants (as the tensors the file
    stores) and activations (through view aliases)."""
    for name in node.data_inputs:
        tensor = scope.get(name)
        if tensor is not None and tensor.is_constant:
            for origin in scope.origin(name):
                stored = scope.get(origin) or tensor
                numel = stored.numel if stored.known else 0
                draft.constants[origin] = (numel, size_in_bytes(stored, precision))
        elif name not in produced:
            root = resolve(name, aliases)
            if root not in draft.reads:
                draft.reads.append(root)


def _fold_batchnorm(draft: LayerDraft, anchor: ActiveNode, bn: ActiveNode, precision: str) -> None:
    """BN folds into the anchor; a bias-less anchor gains a bias of BN's channel count."""
    bias_index = BIAS_INPUT.get(anchor.info.op_type)
    if bias_index is not None and anchor.info.input(bias_index) is not None:
        return
    scale = bn.info.input(1)
    output = bn.info.output(0)
    if scale is None or output is None or not scale.known or not output.known:
        return
    name = f"{bn.info.name}:folded_bias"
    draft.constants[name] = (scale.numel, size_in_bytes(scale, precision))
    draft.cost = draft.cost + OpCost(0, output.numel)
