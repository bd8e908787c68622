"""Group active nodes into layers, as inference engines fuse them (the paper's assumption).

A fusion anchor (Conv, ConvTranspose, Gemm, MatMul and their quantized forms) takes a
BatchNormalization that directly follows it (folded), then one activation (or SiLU's
Sigmoid+Mul pair), then a QuantizeLinear, each only when the tensor between them has no other
reader and is no graph output. View ops and activation DequantizeLinear nodes alias their
input instead of forming layers. ``fusion="none"`` runs every non-view node on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgegate.model import roles
from edgegate.model.graph import ActiveNode

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
        "Clip",
        "HardSigmoid",
        "HardSwish",
        "LeakyRelu",
        "PRelu",
        "Relu",
        "Sigmoid",
        "Swish",
        "Tanh",
    }
)
FUSIONS = ("paper", "none")


@dataclass(frozen=True)
class Plan:
    """Layers as lists of node indices (anchor first), the folded BN per layer, and aliases."""

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

    def __init__(self, nodes: list[ActiveNode], outputs: set[str]) -> None:
        self.nodes = nodes
        self.outputs = outputs
        self.readers: dict[str, list[int]] = {}
        for index, node in enumerate(nodes):
            for name in node.data_inputs:
                self.readers.setdefault(name, []).append(index)

    def _sole_reader(self, index: int) -> int | None:
        outs = [t.name for t in self.nodes[index].info.present_outputs()]
        if not outs or outs[0] in self.outputs:
            return None
        readers = self.readers.get(outs[0], [])
        return readers[0] if len(readers) == 1 else None

    def _op(self, index: int) -> str:
        return self.nodes[index].info.op_type

    def _silu(self, tail: int) -> list[int] | None:
        """[Sigmoid, Mul] when ``tail``'s output feeds exactly a SiLU pair, else None."""
        out = self.nodes[tail].info.outputs[0]
        if out is None or out.name in self.outputs:
            return None
        readers = self.readers.get(out.name, [])
        if len(readers) != 2:
            return None
        sigmoid, mul = sorted(readers, key=lambda i: self._op(i) != "Sigmoid")
        if self._op(sigmoid) != "Sigmoid" or self._op(mul) != "Mul":
            return None
        gate = self.nodes[sigmoid].info.outputs[0]
        if gate is None or gate.name in self.outputs or self.readers.get(gate.name) != [mul]:
            return None
        return [sigmoid, mul]

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
                chain.extend(self._silu(chain[-1]) or [])
        nxt = self._sole_reader(chain[-1])
        if nxt is not None and self._op(nxt) == "QuantizeLinear":
            chain.append(nxt)
        return chain, bn


def plan_layers(nodes: list[ActiveNode], outputs: list[str], fusion: str) -> Plan:
    """Decide which nodes form which layer and which outputs alias an input."""
    output_set = set(outputs)
    aliases: dict[str, str] = {}
    chains: list[list[int]] = []
    folded: dict[int, int] = {}
    fuser = _Fuser(nodes, output_set)
    taken: set[int] = set()
    for index, node in enumerate(nodes):
        if index in taken:
            continue
        info = node.info
        is_view = roles.is_view(node.info.op_type, node.info.domain)
        if is_view or (fusion == "paper" and _is_dequantize_alias(node, output_set)):
            if info.inputs and info.inputs[0] is not None and info.outputs[0] is not None:
                aliases[info.outputs[0].name] = info.inputs[0].name
                continue
        if fusion == "paper":
            chain, bn = fuser.chain(index)
        else:
            chain, bn = [index], None
        taken.update(chain)
        if bn is not None:
            folded[len(chains)] = bn
        chains.append(chain)
    return Plan(chains, folded, aliases)
