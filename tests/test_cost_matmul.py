"""Gemm, MatMul and the contrib matrix products against hand-computed counts."""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node

from edgegate.model.info import Uncostable

MS = "com.microsoft"

CASES = [
    # ResNet-50 classifier, transB=1 with C: 1*2048*1000 = 2,048,000 MACs; + 1*1000 for C.
    case(
        node(
            "Gemm",
            [("a", (1, 2048)), ("b", (1000, 2048)), ("c", (1000,))],
            [("y", (1, 1000))],
            {"transB": 1},
        ),
        2_048_000,
        4_097_000,
        "transB-C",
    ),
    # transA: A (64, 32) read as (32, 64); B (64, 16): 32*64*16 = 32,768; no C.
    case(
        node("Gemm", [("a", (64, 32)), ("b", (64, 16))], [("y", (32, 16))], {"transA": 1}),
        32_768,
        65_536,
        "transA",
    ),
    # No transposes, no C, alpha/beta free: 8*16*4 = 512.
    case(
        node("Gemm", [("a", (8, 16)), ("b", (16, 4))], [("y", (8, 4))], {"alpha": 2.0}),
        512,
        1_024,
        "plain",
    ),
    # Both transposed with C: M=8, K=16, N=4 -> 512 MACs; FLOPs 1,024 + 8*4 = 1,056.
    case(
        node(
            "Gemm",
            [("a", (16, 8)), ("b", (4, 16)), ("c", (8, 4))],
            [("y", (8, 4))],
            {"transA": 1, "transB": 1, "beta": 0.5},
        ),
        512,
        1_056,
        "both-C",
    ),
    # 2-D: 128*64*32 = 262,144.
    case(node("MatMul", [("a", (128, 64)), ("b", (64, 32))], [("y", (128, 32))]), 262_144, 524_288),
    # Broadcast batch (2,1) x (3,) -> (2,3): 6 * 8*16*4 = 3,072.
    case(
        node("MatMul", [("a", (2, 1, 8, 16)), ("b", (3, 16, 4))], [("y", (2, 3, 8, 4))]),
        3_072,
        6_144,
        "broadcast",
    ),
    # 1-D left operand is (1, 16): batch 2 * 1*16*4 = 128.
    case(node("MatMul", [("a", (16,)), ("b", (2, 16, 4))], [("y", (2, 4))]), 128, 256, "1d-left"),
    # 1-D right operand is (16, 1): 3 * 5*16*1 = 240.
    case(node("MatMul", [("a", (3, 5, 16)), ("b", (16,))], [("y", (3, 5))]), 240, 480, "1d-right"),
    # Dot product of two 1-D operands: 1*16*1 = 16.
    case(node("MatMul", [("a", (16,)), ("b", (16,))], [("y", ())]), 16, 32, "dot"),
    # ViT-B/16 attention scores: 1*12 * 197*64*197 = 29,805,312.
    case(
        node(
            "MatMul", [("q", (1, 12, 197, 64)), ("k", (1, 12, 64, 197))], [("y", (1, 12, 197, 197))]
        ),
        29_805_312,
        59_610_624,
        "attention",
    ),
    # Integer matmul, zero points given: 1 * 128*768*768 = 75,497,472.
    case(
        node(
            "MatMulInteger",
            [("a", (1, 128, 768)), ("b", (768, 768)), ("az", ()), ("bz", ())],
            [("y", (1, 128, 768))],
        ),
        75_497_472,
        150_994_944,
    ),
    # FusedMatMul transB: B (2, 4, 16) read as (2, 16, 4): 2 * 8*16*4 = 1,024.
    case(
        node(
            "FusedMatMul",
            [("a", (2, 8, 16)), ("b", (2, 4, 16))],
            [("y", (2, 8, 4))],
            {"transB": 1, "alpha": 0.125},
            MS,
        ),
        1_024,
        2_048,
        "transB",
    ),
    # FusedMatMul transA: A (16, 8) read as (8, 16): 8*16*4 = 512.
    case(
        node("FusedMatMul", [("a", (16, 8)), ("b", (16, 4))], [("y", (8, 4))], {"transA": 1}, MS),
        512,
        1_024,
        "transA",
    ),
    # FusedGemm with C and Relu: 4*8*3 = 96 MACs; FLOPs 192 + 12 (C) + 12 (activation) = 216.
    case(
        node(
            "FusedGemm",
            [("a", (4, 8)), ("b", (8, 3)), ("c", (3,))],
            [("y", (4, 3))],
            {"activation": "Relu"},
            MS,
        ),
        96,
        216,
    ),
    # 4-bit weights, K=4096, N=11008, bias: 5*4096 * 11008 = 225,443,840 MACs; + 5*11008 bias.
    case(
        node(
            "MatMulNBits",
            [
                ("a", (1, 5, 4096)),
                ("b", (11008, 128, 16)),
                ("s", (11008, 128)),
                None,
                None,
                ("bias", (11008,)),
            ],
            [("y", (1, 5, 11008))],
            {"K": 4096, "N": 11008, "bits": 4, "block_size": 32},
            MS,
        ),
        225_443_840,
        450_942_720,
    ),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected


@pytest.mark.parametrize(
    "info",
    [
        node("Gemm", [("a", (2, 3, 4)), ("b", (4, 5))], [("y", (2, 3, 5))]),
        node("Gemm", [("a", (3, 4)), ("b", (5, 6))], [("y", (3, 6))]),
        node("MatMul", [("a", (3, 4)), ("b", (5, 6))], [("y", (3, 6))]),
        node("MatMul", [("a", (2, 3, 4)), ("b", (3, 4, 5))], [("y", None)]),
        node("MatMul", [("a", ()), ("b", (4,))], [("y", (4,))]),
        node(
            "FusedMatMul",
            [("a", (2, 3, 4)), ("b", (2, 4, 5))],
            [("y", None)],
            {"transBatchA": 1},
            MS,
        ),
        node("MatMulNBits", [("a", (1, 64)), ("b", (8, 2, 16))], [("y", (1, 8))], {"N": 8}, MS),
    ],
    ids=[
        "gemm-3d",
        "gemm-inner",
        "matmul-inner",
        "batch-mismatch",
        "scalar",
        "trans-batch",
        "nbits-no-K",
    ],
)
def test_uncostable(info):
    with pytest.raises(Uncostable):
        cost_of(info)
