"""LSTM, GRU and RNN per time step, batch element and direction."""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node

from edgegate.model.info import Uncostable


def cell(op_type, x, gates, hidden, dirs=1, bias=False, peep=False, attrs=None):
    """A recurrent node over X of shape ``x`` (input size is x[2]) with ``gates`` gates."""
    inputs = [
        ("x", x),
        ("w", (dirs, gates * hidden, x[2])),
        ("r", (dirs, gates * hidden, hidden)),
        ("b", (dirs, 2 * gates * hidden)) if bias else None,
    ]
    if peep:
        inputs += [None, None, None, ("p", (dirs, 3 * hidden))]
    return node(op_type, inputs, [("y", None), ("yh", (dirs, x[1], hidden))], attrs)


CASES = [
    # LSTM, seq 10, batch 2, I 32, H 64, B: steps 20; MACs 20 * 4*64*(32+64) = 491,520;
    # FLOPs 983,040 + 20*64*(9 + 8) = 983,040 + 21,760 = 1,004,800.
    case(cell("LSTM", (10, 2, 32), 4, 64, bias=True), 491_520, 1_004_800, "bias"),
    # Bidirectional LSTM, batch-first (2, 10, 32), H 16, peepholes, clip: steps 2*10*2 = 40;
    # MACs 40 * 4*16*48 = 122,880; FLOPs 245,760 + 40*16*(9 + 6 + 4) = 245,760 + 12,160.
    case(
        cell("LSTM", (2, 10, 32), 4, 16, dirs=2, peep=True, attrs={"layout": 1, "clip": 3.0}),
        122_880,
        257_920,
        "bidir-peephole-clip",
    ),
    # GRU, seq 5, batch 1, I 10, H 20, B: MACs 5 * 3*20*30 = 9,000;
    # FLOPs 18,000 + 5*20*(8 + 6) = 18,000 + 1,400 = 19,400.
    case(cell("GRU", (5, 1, 10), 3, 20, bias=True), 9_000, 19_400),
    # RNN, seq 4, batch 3, I 8, H 16, B, clip: steps 12; MACs 12 * 16*24 = 4,608;
    # FLOPs 9,216 + 12*16*(1 + 2 + 1) = 9,216 + 768 = 9,984.
    case(cell("RNN", (4, 3, 8), 1, 16, bias=True, attrs={"clip": 1.0}), 4_608, 9_984),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected


@pytest.mark.parametrize(
    "info",
    [
        cell("GRU", (5, 1, 10), 4, 20),
        node("LSTM", [("x", (5, 1, 10)), ("w", (1, 80, 10))], [("y", None)]),
        node("RNN", [("x", None), ("w", (1, 16, 8)), ("r", (1, 16, 16))], [("y", None)]),
    ],
    ids=["gate-count", "no-R", "x-unknown"],
)
def test_uncostable(info):
    with pytest.raises(Uncostable):
        cost_of(info)
