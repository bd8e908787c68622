"""Normalizations and softmax: the per-element formulas of docs/metrics.md."""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node, unary

from edgegate.model.info import Uncostable


def norm(op_type, shape, *params, attrs=None, domain=""):
    """A normalization node over ``shape`` with parameter inputs of the given shapes."""
    inputs = [("x", shape), *((f"p{i}", s) for i, s in enumerate(params))]
    return node(op_type, inputs, [("y", shape)], attrs, domain)


CASES = [
    # Standalone BN: 2 per element, 2 * 1*64*56*56 = 2 * 200,704 = 401,408.
    case(norm("BatchNormalization", (1, 64, 56, 56), (64,), (64,), (64,), (64,)), 0, 401_408),
    # LayerNorm with B (ViT-B): (5 + 1 + 1) * 197*768 = 7 * 151,296 = 1,059,072.
    case(
        norm("LayerNormalization", (1, 197, 768), (768,), (768,), attrs={"axis": -1}),
        0,
        1_059_072,
        "B",
    ),
    # LayerNorm without B: 6 * 151,296 = 907,776.
    case(norm("LayerNormalization", (1, 197, 768), (768,)), 0, 907_776, "no-B"),
    # InstanceNorm: 7 * 2*16*32*32 = 7 * 32,768 = 229,376.
    case(norm("InstanceNormalization", (2, 16, 32, 32), (16,), (16,)), 0, 229_376),
    # GroupNorm: 7 * 1*32*16*16 = 7 * 8,192 = 57,344.
    case(
        norm("GroupNormalization", (1, 32, 16, 16), (32,), (32,), attrs={"num_groups": 8}),
        0,
        57_344,
    ),
    # MVN: 5 * 1*3*10*10 = 1,500.
    case(unary("MeanVarianceNormalization", (1, 3, 10, 10)), 0, 1_500),
    # LpNormalization: 3 * 4*10 = 120.
    case(unary("LpNormalization", (4, 10), {"p": 2}), 0, 120),
    # AlexNet LRN, size 5: (2*5 + 3) * 1*96*55*55 = 13 * 290,400 = 3,775,200.
    case(unary("LRN", (1, 96, 55, 55), {"size": 5}), 0, 3_775_200),
    # Softmax over ViT scores: 5 * 12*197*197 = 5 * 465,708 = 2,328,540.
    case(unary("Softmax", (1, 12, 197, 197), {"axis": -1}), 0, 2_328_540),
    # LogSoftmax: 5 * 8*1000 = 40,000.
    case(unary("LogSoftmax", (8, 1000)), 0, 40_000),
    # RMSNormalization (Llama): (3 + 1) * 128*4096 = 4 * 524,288 = 2,097,152.
    case(norm("RMSNormalization", (1, 128, 4096), (4096,)), 0, 2_097_152),
    # Hardmax: one compare per element, 8*1000 = 8,000.
    case(unary("Hardmax", (8, 1000)), 0, 8_000),
    # Contrib LayerNorm with B: 7 * 2*128*256 = 7 * 65,536 = 458,752.
    case(
        norm("LayerNormalization", (2, 128, 256), (256,), (256,), domain="com.microsoft"),
        0,
        458_752,
    ),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected


@pytest.mark.parametrize(
    "info",
    [
        unary("LRN", (1, 8, 4, 4)),
        norm("BatchNormalization", (1, 8), (8,), (8,), (8,), (8,), attrs={"training_mode": 1}),
        node("Softmax", [("x", (2, 3))], [("y", None)]),
    ],
    ids=["lrn-no-size", "bn-training", "shape-unknown"],
)
def test_uncostable(info):
    with pytest.raises(Uncostable):
        cost_of(info)
