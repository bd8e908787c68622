"""Recurrent layers: LSTM, GRU, RNN, per time step, batch element and direction.

With G gates, hidden size H and input size I, each step multiplies [x; h] by the gate weights:
G * H * (I + H) MACs. Elementwise work per step: one FLOP per gate activation and per
add/multiply of the cell update, one add per bias element (Wb and Rb both, as the spec
writes them), and with ``clip`` one FLOP per gate input. The whole sequence is assumed to
run (sequence_lens only shortens it at run time).
"""

from __future__ import annotations

from edgegate.cost.common import dims, has, need
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo, Uncostable


def _steps(node: NodeInfo, gates: int) -> tuple[int, int, int]:
    """(seq_length * batch * directions, input size I, hidden size H), checked against W."""
    x = dims(need(node, 0, "X"))
    w = dims(need(node, 1, "W"))
    r = dims(need(node, 2, "R"))
    if len(x) != 3 or len(w) != 3 or len(r) != 3 or w[1] != gates * r[2]:
        raise Uncostable(f"{node.op_type} node '{node.name}' has shapes X {x}, W {w}, R {r}")
    return x[0] * x[1] * w[0], w[2], r[2]


def _recurrent(node: NodeInfo, gates: int, cell: int, extra: int = 0) -> OpCost:
    """MACs = steps * gates * H * (I + H); FLOPs = 2 * MACs + steps * H * (per-step counts)."""
    steps, inputs, hidden = _steps(node, gates)
    macs = steps * gates * hidden * (inputs + hidden)
    per_step = cell + extra + (2 * gates if has(node, 3) else 0)
    per_step += gates if node.attr("clip") is not None else 0
    return OpCost(macs, 2 * macs + steps * hidden * per_step)


def lstm(node: NodeInfo) -> OpCost:
    """LSTM: MACs = steps * 4H(I + H); FLOPs = 2 * MACs + steps * H * (9, +8 B, +6 P, +4 clip).

    9: four gate activations, c = f*c + i*g (3), h = o*tanh(c) (2); P: 3 peephole
    multiply-adds; steps = seq_length * batch * directions.
    """
    return _recurrent(node, 4, 9, 6 if has(node, 7) else 0)


def gru(node: NodeInfo) -> OpCost:
    """GRU: MACs = steps * 3H(I + H); FLOPs = 2 * MACs + steps * H * (8, +6 B, +3 clip).

    8: two sigmoid gates, r applied to the hidden path (1), tanh (1), h = (1-z)*h~ + z*h (4).
    """
    return _recurrent(node, 3, 8)


def rnn(node: NodeInfo) -> OpCost:
    """RNN: MACs = steps * H(I + H); FLOPs = 2 * MACs + steps * H * (1, +2 B, +1 clip).

    1: the activation.
    """
    return _recurrent(node, 1, 1)
