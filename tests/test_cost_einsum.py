"""Einsum: equation parsing and the pairwise-contraction count, against hand-computed values."""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node

from edgegate.cost.einsum import parse
from edgegate.model.info import Uncostable


def einsum(equation, shapes, out):
    """An Einsum node over inputs of ``shapes``."""
    inputs = [(f"x{i}", s) for i, s in enumerate(shapes)]
    return node("Einsum", inputs, [("y", out)], {"equation": equation})


CASES = [
    # Matrix product: letters i, j, k -> 8*16*4 = 512 MACs.
    case(einsum("ij,jk->ik", [(8, 16), (16, 4)], (8, 4)), 512, 1_024, "matmul"),
    # Batched: b, i, j, k -> 2*8*16*4 = 1,024.
    case(einsum("bij,bjk->bik", [(2, 8, 16), (2, 16, 4)], (2, 8, 4)), 1_024, 2_048, "batched"),
    # Attention scores: b*h*q*k*d = 1*12*197*197*64 = 29,805,312.
    case(
        einsum("bhqd,bhkd->bhqk", [(1, 12, 197, 64), (1, 12, 197, 64)], (1, 12, 197, 197)),
        29_805_312,
        59_610_624,
        "attention",
    ),
    # Outer product, nothing contracted: 5*7 = 35 multiplies, counted as MACs.
    case(einsum("i,j->ij", [(5,), (7,)], (5, 7)), 35, 70, "outer"),
    # Implicit output "ik": 3*4*5 = 60.
    case(einsum("ij,jk", [(3, 4), (4, 5)], (3, 5)), 60, 120, "implicit"),
    # Ellipsis dims (2,3) and (3,) broadcast to (2,3): 2*3 * 4*5*6 = 720.
    case(
        einsum("...ij,...jk->...ik", [(2, 3, 4, 5), (3, 5, 6)], (2, 3, 4, 6)),
        720,
        1_440,
        "ellipsis",
    ),
    # Chain: (ij,jk) costs 2*3*4 = 24 and keeps {i,k}; (ik,kl) costs 2*4*5 = 40; total 64.
    case(einsum("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)], (2, 5)), 64, 128, "chain"),
    # Transpose: data movement only.
    case(einsum("ij->ji", [(3, 4)], (4, 3)), 0, 0, "transpose"),
    # Diagonal: data movement only.
    case(einsum("ii->i", [(5, 5)], (5,)), 0, 0, "diagonal"),
    # Trace: one add per point of the index space {i}: 5.
    case(einsum("ii->", [(5, 5)], ()), 0, 5, "trace"),
    # Row sums: index space i*j = 3*4 = 12 adds.
    case(einsum("ij->i", [(3, 4)], (3,)), 0, 12, "sum"),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected


def test_parse_expands_ellipsis_and_implicit_output():
    operands, output = parse("...ij,jk", [3, 2])
    stand_in = operands[0][0]
    assert operands == [stand_in + "ij", "jk"]
    # Implicit output: the ellipsis dims, then letters used once (i, k) in order.
    assert output == stand_in + "ik"


@pytest.mark.parametrize(
    "info",
    [
        einsum("ij,jk->ik", [(2, 3)], (2, 3)),
        einsum("ij,jk->ik", [(2, 3, 4), (3, 4)], (2, 4)),
        node("Einsum", [("x", (2, 3))], [("y", (2,))]),
    ],
    ids=["operand-count", "rank-mismatch", "no-equation"],
)
def test_uncostable(info):
    with pytest.raises(Uncostable):
        cost_of(info)
