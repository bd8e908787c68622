"""Group active nodes into layers, as inference engines fuse them (the paper's assumption).

A fusion anchor (Conv, ConvTranspose, Gemm, MatMul and their quantized forms) takes a
BatchNormalization that directly follows it (folded), then one activation (a single op, or
a decomposed form such as SiLU's Sigmoid+Mul pair: edgegate.estimator.patterns), then a
QuantizeLinear, each only when the tensor between them has no other reader and is no graph
output. View ops, movers that are no-ops at their bound shapes and activation
DequantizeLinear nodes alias their input instead of forming layers; Transposes that follow
one another (through views) are one layer, one permutation, and so are Concats nested along
one axis, one concatenation. ``fusion="none"`` runs every
other node on its own (a decomposed activation still counts as its one op).
"""

from __future__ import annotations

from dataclasses import dataclass

from edgegate.estimator.movers import is_noop
from edgegate.estimator.patterns import Match, find_patterns
from edgegate.model import roles
from edgegate.model.graph import ActiveNode
from edgegate.model.tensors import malformed

ANCHORS = frozenset(
    {
        "Conv",
        "ConvInteger",
        "ConvTranspose",
        "Gemm",
        "MatMul",
        "MatMulInteger",
        "QLinearConv",
        "QLinearMatMul",
    }
)
ACTIVATIONS = frozenset(
    {
        "Celu",
        "Clip",
        "Elu",
        "Gelu",
        "HardSigmoid",
        "HardSwish",
        "LeakyRelu",
        "Mish",
        "PRelu",
        "Relu",
        "Selu",
        "Sigmoid",
        "Softplus",
        "Swish",
        "Tanh",
        "ThresholdedRelu",
    }
)
"""Ops (and composites of decomposed forms, edgegate.estimator.patterns) that fuse into an anchor."""
FUSIONS = ("paper", "none")


@dataclass(frozen=True)
class Plan:
    """Layers as lists of indices into ``nodes`` (anchor first), the folded BN per layer, and
    aliases. ``nodes`` are the graph's active nodes with each decomposed activation or norm
    replaced by its composite node."""

    nodes: list[ActiveNode]
    chains: list[list[int]]
    folded_bn: dict[int, int]
    aliases: dict[str, str]


def _is_dequantize_alias(node: ActiveNode, outputs: set[str]) -> bool:
    info = node.info
    return (
        info.op_type == "DequantizeLinear"
        and info.domain in ("", "com.microsoft")
        and bool(info.outputs)
        and info.outputs[0] is not None
        and info.outputs[0].name not in outputs
    )


class _Fuser:
    """One pass over the nodes; keeps the reader map that fusion decisions need."""

    def __init__(self, nodes: list[ActiveNode], outputs: set[str], aliases: dict[str, str]) -> None:
        self.nodes = nodes
        self.outputs = outputs
        self.aliases = aliases
        self.readers: dict[str, list[int]] = {}
        for index, node in enumerate(nodes):
            for name in node.data_inputs:
                self.readers.setdefault(name, []).append(index)

    def _reader_through_views(self, index: int) -> int | None:
        """The one node that reads ``index``'s output, through views (None if not one)."""
        outs = [t.name for t in self.nodes[index].info.present_outputs()]
        name = outs[0] if len(outs) == 1 else None
        while name is not None and name not in self.outputs:
            readers = self.readers.get(name, [])
            if len(readers) != 1:
                return None
            reader = self.nodes[readers[0]].info
            aliased = reader.outputs[0].name if reader.outputs and reader.outputs[0] is not None else None
            if aliased is None or aliased not in self.aliases:
                return readers[0]
            name = aliased
        return None

    def _concat_axis(self, index: int) -> int | None:
        info = self.nodes[index].info
        result = info.outputs[0] if info.outputs else None
        if (info.op_type != "Concat" or info.domain != "" or result is None or result.shape is None
                or malformed(info.attrs) is not None):
            return None
        return int(info.attr("axis", 0)) % max(len(result.shape), 1)

    def concats(self, first: int) -> list[int]:
        """A Concat and the Concats along the same axis that take its output alone: one
        concatenation (dynamo may nest ``cat(cat(a, b), c)`` where the legacy exporter writes
        ``cat(a, b, c)``)."""
        chain = [first]
        axis = self._concat_axis(first)
        while axis is not None:
            nxt = self._sole_reader(chain[-1])
            if nxt is None or self._concat_axis(nxt) != axis:
                break
            chain.append(nxt)
        return chain

    def movers(self, first: int) -> list[int]:
        """The layer a mover starts: consecutive Transposes, or nested Concats, are one."""
        return self.concats(first) if self._op(first) == "Concat" else self.transposes(first)

    def transposes(self, first: int) -> list[int]:
        """A Transpose and the Transposes that follow it alone (through views): one permutation,
        as exporters write it either way (legacy composes them, dynamo may not)."""
        chain = [first]
        while self._op(chain[-1]) == "Transpose" and self.nodes[chain[-1]].info.domain == "":
            nxt = self._reader_through_views(chain[-1])
            if nxt is None or self._op(nxt) != "Transpose":
                break
            chain.append(nxt)
        return chain

    def _sole_reader(self, index: int) -> int | None:
        """The one node that reads ``index``'s first present output (None if not one, or if
        that output is a graph output)."""
        first = next((t.name for t in self.nodes[index].info.outputs if t is not None), None)
        if first is None or first in self.outputs:
            return None
        readers = self.readers.get(first, [])
        return readers[0] if len(readers) == 1 else None

    def _op(self, index: int) -> str:
        return self.nodes[index].info.op_type

    def chain(self, anchor: int) -> tuple[list[int], int | None]:
        """The anchor's fused chain and the index of the BatchNormalization folded into it."""
        chain, bn = [anchor], None
        if self._op(anchor) in ANCHORS:
            nxt = self._sole_reader(anchor)
            if nxt is not None and self._op(nxt) == "BatchNormalization":
                chain.append(nxt)
                bn = nxt
            nxt = self._sole_reader(chain[-1])
            if nxt is not None and self._op(nxt) in ACTIVATIONS:
                chain.append(nxt)
        else:
            chain = self.movers(anchor)
        nxt = self._sole_reader(chain[-1])
        if nxt is not None and self._op(nxt) == "QuantizeLinear":
            chain.append(nxt)
        return chain, bn


def _aliases(nodes: list[ActiveNode], outputs: set[str], fusion: str) -> dict[str, str]:
    """Output -> input of every node that aliases its input: views, no-op movers at their
    bound shapes, and (with fusion) DequantizeLinear of an activation."""
    aliases: dict[str, str] = {}
    for node in nodes:
        info = node.info
        if not (info.inputs and info.inputs[0] is not None and info.outputs and info.outputs[0] is not None):
            continue
        if (
            roles.is_view(info.op_type, info.domain)
            or is_noop(info)
            or (fusion == "paper" and _is_dequantize_alias(node, outputs))
        ):
            aliases[info.outputs[0].name] = info.inputs[0].name
    return aliases


def _with_composites(nodes: list[ActiveNode], matches: list[Match]) -> list[ActiveNode]:
    """``nodes`` with each match's members replaced by its composite, at the last member's place."""
    members = {index for match in matches for index in match.members}
    at_tail = {match.tail: match.node for match in matches}
    return [at_tail.get(index, node) for index, node in enumerate(nodes)
            if index in at_tail or index not in members]


def plan_layers(nodes: list[ActiveNode], outputs: list[str], fusion: str) -> Plan:
    """Decide which nodes form which layer and which outputs alias an input."""
    output_set = set(outputs)
    aliases = _aliases(nodes, output_set, fusion)
    nodes = _with_composites(nodes, find_patterns(nodes, aliases, output_set))
    chains: list[list[int]] = []
    folded: dict[int, int] = {}
    fuser = _Fuser(nodes, output_set, aliases)
    taken: set[int] = set()
    for index, node in enumerate(nodes):
        if index in taken:
            continue
        info = node.info
        if info.outputs and info.outputs[0] is not None and info.outputs[0].name in aliases:
            continue
        if fusion == "paper":
            chain, bn = fuser.chain(index)
        else:
            chain, bn = fuser.movers(index), None
        taken.update(chain)
        if bn is not None:
            folded[len(chains)] = bn
        chains.append(chain)
    return Plan(nodes, chains, folded, aliases)
