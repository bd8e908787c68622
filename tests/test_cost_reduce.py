"""Reductions (one FLOP per input element), ArgMax/ArgMin, TopK, CumSum and CumProd."""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node

REDUCE = (
    "ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd"
    " ReduceSum ReduceSumSquare"
).split()

CASES = [
    # Each reduction over axis 1 of (2,3,4): one per input element, 24.
    *(
        case(node(op, [("x", (2, 3, 4)), ("axes", (1,), [1])], [("y", (2, 4))]), 0, 24)
        for op in REDUCE
    ),
    # MobileNet's global mean as ReduceMean (axes attribute): 1*1280*7*7 = 62,720.
    case(
        node("ReduceMean", [("x", (1, 1280, 7, 7))], [("y", (1, 1280, 1, 1))], {"axes": (2, 3)}),
        0,
        62_720,
        "attr-axes",
    ),
    # No axes, noop_with_empty_axes=0: reduce everything, 24.
    case(node("ReduceSum", [("x", (2, 3, 4))], [("y", (1, 1, 1))]), 0, 24, "all"),
    # No axes and noop_with_empty_axes=1: identity, 0.
    case(
        node("ReduceSum", [("x", (2, 3, 4))], [("y", (2, 3, 4))], {"noop_with_empty_axes": 1}),
        0,
        0,
        "noop",
    ),
    # An empty axes input (shape (0,)) with noop_with_empty_axes=1: identity, 0.
    case(
        node(
            "ReduceMax",
            [("x", (2, 3, 4)), ("axes", (0,))],
            [("y", (2, 3, 4))],
            {"noop_with_empty_axes": 1},
        ),
        0,
        0,
        "noop-empty-input",
    ),
    # ArgMax/ArgMin over 1000 classes: 8*1000 = 8,000.
    case(node("ArgMax", [("x", (8, 1000))], [("y", (8, 1))], {"axis": 1}), 0, 8_000),
    case(node("ArgMin", [("x", (8, 1000))], [("y", (8,))], {"axis": 1, "keepdims": 0}), 0, 8_000),
    # Top-5: ceil(log2 5) = 3 compares per input element, 3 * 8,000 = 24,000.
    case(
        node("TopK", [("x", (8, 1000)), ("k", (1,), [5])], [("v", (8, 5)), ("i", (8, 5))]),
        0,
        24_000,
        "k5",
    ),
    # Top-1 on axis 0: at least one compare per element, 8,000.
    case(
        node(
            "TopK",
            [("x", (1000, 8)), ("k", (1,), [1])],
            [("v", (1, 8)), ("i", (1, 8))],
            {"axis": 0},
        ),
        0,
        8_000,
        "k1",
    ),
    # CumSum: one add per element, 4*10 = 40.
    case(node("CumSum", [("x", (4, 10)), ("axis", (), 1)], [("y", (4, 10))]), 0, 40),
    # CumProd: one multiply per element, exclusive and reversed alike, 3*7 = 21.
    case(
        node(
            "CumProd",
            [("x", (3, 7)), ("axis", (), 0)],
            [("y", (3, 7))],
            {"exclusive": 1, "reverse": 1},
        ),
        0,
        21,
    ),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected
