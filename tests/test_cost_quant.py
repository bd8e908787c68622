"""Quantized ops: standalone (de)quantization, integer and QLinear products, QLinear contribs."""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node

MS = "com.microsoft"
SCALE = [("s", ()), ("z", ())]
"""A per-tensor scale and zero point."""


def qlinear(op_type, data, out, attrs=None, domain=MS):
    """A QLinear node: each data input with its scale and zero point, then the output's."""
    inputs = [p for d in data for p in ((d[0], d[1]), *SCALE)] + SCALE
    return node(op_type, inputs, [("y", out)], attrs, domain)


CONV_INPUTS = [("x", (1, 3, 224, 224)), *SCALE, ("w", (64, 3, 7, 7)), *SCALE, *SCALE]

CASES = [
    # Standalone (de)quantization: one per element, 1*3*224*224 = 150,528.
    *(
        case(
            node(op, [("x", (1, 3, 224, 224)), *SCALE], [("y", (1, 3, 224, 224))], None, d),
            0,
            150_528,
        )
        for op in ("QuantizeLinear", "DequantizeLinear")
        for d in ("", MS)
    ),
    # Dynamic quantization: 2 per element, 2 * 1*128*768 = 196,608.
    case(
        node(
            "DynamicQuantizeLinear",
            [("x", (1, 128, 768))],
            [("y", (1, 128, 768)), ("s", ()), ("z", ())],
        ),
        0,
        196_608,
    ),
    # QLinearConv as the ResNet stem with bias (input 8): 118,013,952 MACs;
    # FLOPs 236,027,904 + 1*64*112*112 = 236,830,720.
    case(
        node("QLinearConv", [*CONV_INPUTS, ("b", (64,))], [("y", (1, 64, 112, 112))]),
        118_013_952,
        236_830_720,
    ),
    # Contrib QLinearConv without bias: 2 * 118,013,952.
    case(
        node("QLinearConv", CONV_INPUTS, [("y", (1, 64, 112, 112))], None, MS),
        118_013_952,
        236_027_904,
    ),
    # QLinearMatMul, B is input 3: 1 * 128*768*3072 = 301,989,888.
    case(
        node(
            "QLinearMatMul",
            [("a", (1, 128, 768)), *SCALE, ("b", (768, 3072)), *SCALE, *SCALE],
            [("y", (1, 128, 3072))],
        ),
        301_989_888,
        603_979_776,
    ),
    # QGemm transB with C (input 6): 1*2048*1000 = 2,048,000; + 1,000 for C.
    case(
        node(
            "QGemm",
            [("a", (1, 2048)), *SCALE, ("b", (1000, 2048)), *SCALE, ("c", (1000,)), *SCALE],
            [("y", (1, 1000))],
            {"transB": 1},
            MS,
        ),
        2_048_000,
        4_097_000,
    ),
    # MatMulIntegerToFloat with bias (input 6): 4*16*8 = 512; FLOPs 1,024 + 4*8 = 1,056.
    case(
        node(
            "MatMulIntegerToFloat",
            [("a", (4, 16)), ("b", (16, 8)), ("as", ()), ("bs", ()), None, None, ("bias", (8,))],
            [("y", (4, 8))],
            None,
            MS,
        ),
        512,
        1_056,
    ),
    # DynamicQuantizeMatMul with bias (input 4): 512 MACs; FLOPs 1,024 + 2 * 4*16 (quantize A)
    # + 4*8 (bias) = 1,024 + 128 + 32 = 1,184.
    case(
        node(
            "DynamicQuantizeMatMul",
            [("a", (4, 16)), ("b", (16, 8)), ("bs", ()), None, ("bias", (8,))],
            [("y", (4, 8))],
            None,
            MS,
        ),
        512,
        1_184,
    ),
    # QLinearAdd/QLinearMul: one per output element, 1*64*56*56 = 200,704.
    *(
        case(
            qlinear(op, [("a", (1, 64, 56, 56)), ("b", (1, 64, 56, 56))], (1, 64, 56, 56)),
            0,
            200_704,
        )
        for op in ("QLinearAdd", "QLinearMul")
    ),
    # QLinearSigmoid/QLinearLeakyRelu: 1*16*8*8 = 1,024.
    *(
        case(qlinear(op, [("x", (1, 16, 8, 8))], (1, 16, 8, 8)), 0, 1_024)
        for op in ("QLinearSigmoid", "QLinearLeakyRelu")
    ),
    # QLinearGlobalAveragePool: one per input element, 1*1280*7*7 = 62,720.
    case(qlinear("QLinearGlobalAveragePool", [("x", (1, 1280, 7, 7))], (1, 1280, 1, 1)), 0, 62_720),
    # QLinearAveragePool 2x2: 4 per output element, 4 * 1*8*4*4 = 512.
    case(
        qlinear(
            "QLinearAveragePool", [("x", (1, 8, 8, 8))], (1, 8, 4, 4), {"kernel_shape": (2, 2)}
        ),
        0,
        512,
    ),
    # QLinearConcat moves data: 0.
    case(
        node(
            "QLinearConcat",
            [*SCALE, ("a", (1, 8, 4, 4)), *SCALE, ("b", (1, 8, 4, 4)), *SCALE],
            [("y", (1, 16, 4, 4))],
            {"axis": 1},
            MS,
        ),
        0,
        0,
    ),
    # QLinearSoftmax: 5 per element, 5 * 1000 = 5,000.
    case(qlinear("QLinearSoftmax", [("x", (1, 1000))], (1, 1000), {"axis": -1}), 0, 5_000),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected
