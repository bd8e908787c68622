"""Cost one layer: sum its nodes' formulas, apply BN folding, collect weights and reads."""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from edgegate.cost.registry import Lookup
from edgegate.cost.types import OpCost
from edgegate.estimator.fusion import Plan
from edgegate.estimator.memory import resolve, size_in_bytes
from edgegate.estimator.movers import selected_input
from edgegate.estimator.result import Unestimated
from edgegate.model.graph import ActiveNode, Scope
from edgegate.model.info import TensorInfo, Uncostable
from edgegate.model.tensors import malformed

BIAS_INPUT: dict[str, int] = {"Conv": 2, "ConvTranspose": 2, "Gemm": 2, "QLinearConv": 8}
ABSORBED = frozenset({"QuantizeLinear"})
NO_COST = OpCost()
"""What a layer computes before its nodes are added (OpCost is immutable: one is enough)."""
SMALL_CONSTANT = 32
"""Elements up to which a stored constant is identified by its values (scalars, small
vectors): their payload is always in the file as read, whatever the dtype, so the same
scalar stored once or once per use counts once either way."""


class StoredConstant(NamedTuple):
    """A tensor the file stores, as params count it: elements, bytes at the precision, and
    the key that identifies it (its values when they are small enough to be read, so the
    same scalar stored twice counts once; else its name)."""

    numel: int
    size: int
    key: Hashable


@dataclass
class LayerDraft:
    """A layer before memory is settled: cost, constants read, activation tensors read.

    ``constants`` are the stored tensors behind the constants the layer reads (its params);
    ``constant_reads`` the bytes it reads for them from DRAM (a copy reads its source, a
    selection or a computed constant itself); ``computed`` those computed at estimate time
    from shapes, which store nothing. ``selected`` names an input the layer reads only in
    part: a selection reads the bytes it writes.
    """

    name: str
    op_types: tuple[str, ...]
    nodes: tuple[str, ...]
    cost: OpCost
    constants: dict[str, StoredConstant] = field(default_factory=dict)
    constant_reads: dict[str, int] = field(default_factory=dict)
    computed: dict[str, int] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    selected: str | None = None
    weight_reads: int | None = None
    input_reads: int | None = None
    output_writes: int | None = None
    work_bytes: int = 0
    unestimated: list[Unestimated] = field(default_factory=list)


def node_cost(node: ActiveNode, find: Lookup) -> OpCost:
    """The node's cost by the formula ``find`` gives (a composite: the sum of the formulas of
    the ops it costs as); Uncostable says why there is none."""
    info = node.info
    problem = malformed(info.attrs)
    if problem is not None:
        raise Uncostable(f"malformed node: {problem}")
    macs = flops = 0
    for op_type in node.costs_as or (info.op_type,):
        formula = find(op_type, info.domain)
        if formula is None:
            where = f"{info.domain}." if info.domain else ""
            raise Uncostable(f"no cost formula for op {where}{op_type}")
        try:
            cost = formula(info)
        except (ArithmeticError, ValueError, TypeError, IndexError, KeyError, AttributeError) as error:
            text = str(error).splitlines()[0][:200] if str(error) else ""
            raise Uncostable(f"malformed node: cannot cost it ({type(error).__name__}: {text})") from None
        macs, flops = macs + _count(cost.macs), flops + _count(cost.flops)
    return OpCost(macs, flops)


def _count(value: object) -> int:
    """A formula's count as an int; Uncostable when it is not a whole number >= 0. An attribute
    of an op onnx has no schema for (com.microsoft) can be of any type: a MatMulNBits whose N is
    a tensor made its MACs an array."""
    if isinstance(value, (int, np.integer)) and value >= 0:
        return int(value)
    raise Uncostable(f"malformed node: its attributes give a count of {type(value).__name__}, not a number")


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
    members = [member for n in chain for member in (n.members or (n.info,))]
    draft = LayerDraft(
        name=anchor.info.name,
        op_types=tuple([m.op_type for m in members]),
        nodes=tuple([m.name for m in members]),
        cost=NO_COST,
    )
    selected = selected_input(anchor.info) if len(chain) == 1 else None
    draft.selected = resolve(selected, plan.aliases) if selected is not None else None
    produced = {t.name for n in chain[:-1] for t in n.info.outputs if t is not None}
    macs = flops = 0
    for position, node in enumerate(chain):
        if position and (node is folded_bn or node.info.op_type in ABSORBED):
            continue
        try:
            cost = node_cost(node, find)
            macs, flops = macs + cost.macs, flops + cost.flops
        except Uncostable as error:
            draft.unestimated.append(unestimated(node, error))
        _add_reads(draft, node, scope, plan.aliases, produced, precision)
    draft.cost = OpCost(macs, flops)
    if folded_bn is not None:
        _fold_batchnorm(draft, anchor, folded_bn, precision)
    draft.outputs = [t.name for t in chain[-1].info.outputs if t is not None]
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
                size = size_in_bytes(scope.get(origin) or tensor, precision)
                draft.constant_reads[origin] = size
                if not scope.stored_of(origin):
                    draft.computed[origin] = size
            for stored in scope.stored_of(name):
                draft.constants[stored] = stored_constant(scope.get(stored) or tensor, precision)
        else:
            root = resolve(name, aliases)
            if name not in produced and root not in produced and root not in draft.reads:
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
    size = size_in_bytes(scale, precision)
    draft.constants[name] = StoredConstant(scale.numel, size, name)
    draft.constant_reads[name] = size
    draft.cost = draft.cost + OpCost(0, output.numel)


def stored_constant(tensor: TensorInfo, precision: str) -> StoredConstant:
    """``tensor`` as params count it; a small tensor whose values are read is keyed by them."""
    numel = math.prod(tensor.shape) if tensor.shape is not None else 0
    key: Hashable = tensor.name
    value = tensor.value
    if value is not None and value.size <= SMALL_CONSTANT and value.dtype.kind != "O":
        key = ("value", tensor.dtype, tensor.shape, np.ascontiguousarray(value).tobytes())
    return StoredConstant(numel, size_in_bytes(tensor, precision), key)
