"""Det, Unique, random draws and Multinomial against hand-computed counts."""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node, unary

from edgegate.model.info import Uncostable

CASES = [
    # Two 3x3 determinants by LU: MACs (3-1)*3*(2*3-1)/6 = 5 each (2^2 + 1^2 trailing updates);
    # FLOPs 2*5 + 3 multiplier divides + 2 diagonal multiplies = 15 each; doubled.
    case(node("Det", [("x", (2, 3, 3))], [("y", (2,))]), 10, 30),
    # One 4x4: MACs 3*4*7/6 = 14 (9 + 4 + 1); FLOPs 28 + 6 + 3 = 37.
    case(node("Det", [("x", (4, 4))], [("y", ())]), 14, 37, "2d"),
    # Unique over 16 elements, output size known: 16 * (ceil(log2 16) + 1) = 16 * 5 = 80.
    case(node("Unique", [("x", (2, 8))], [("y", (5,))]), 0, 80),
    # Unique rows (axis 0) of a (6, 4) tensor: 6 slices, 24 * (ceil(log2 6) + 1) = 24 * 4 = 96.
    case(node("Unique", [("x", (6, 4))], [("y", (3, 4))], {"axis": 0}), 0, 96, "axis"),
    # Random draws: one per output element.
    case(node("RandomNormal", [], [("y", (1, 4, 64, 64))], {"shape": (1, 4, 64, 64)}), 0, 16_384),
    case(node("RandomUniform", [], [("y", (3, 5))], {"shape": (3, 5)}), 0, 15),
    case(unary("RandomNormalLike", (2, 3)), 0, 6),
    case(unary("RandomUniformLike", (2, 3)), 0, 6),
    case(unary("Bernoulli", (10,)), 0, 10),
    # Multinomial, 2 rows of 1000 classes, 5 samples each: CDF 2 * 2,000 = 4,000, then
    # 10 samples * (1 draw + ceil(log2 1000) = 10 compares) = 110; 4,110.
    case(node("Multinomial", [("x", (2, 1000))], [("y", (2, 5))], {"sample_size": 5}), 0, 4_110),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected


@pytest.mark.parametrize(
    "info",
    [
        node("Det", [("x", (2, 3, 4))], [("y", (2,))]),
        node("Unique", [("x", (2, 8))], [("y", None)]),
        node("Multinomial", [("x", (2, 3, 10))], [("y", (2, 1))]),
    ],
    ids=["det-not-square", "unique-size-unknown", "multinomial-rank-3"],
)
def test_uncostable(info):
    with pytest.raises(Uncostable):
        cost_of(info)
