"""Conv, ConvTranspose, ConvInteger, DeformConv, CausalConvWithState, FusedConv, by hand."""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node

from edgegate.cost.types import OpCost
from edgegate.model.info import Uncostable

CASES = [
    # ResNet stem: 1*64*112*112 * 3*7*7 = 118,013,952 MACs; FLOPs 2x, no bias.
    case(
        node(
            "Conv",
            [("x", (1, 3, 224, 224)), ("w", (64, 3, 7, 7))],
            [("y", (1, 64, 112, 112))],
            {"strides": (2, 2), "pads": (3, 3, 3, 3)},
        ),
        118_013_952,
        236_027_904,
        "stem",
    ),
    # Same with a bias: + 1*64*112*112 = 802,816 adds -> 236,027,904 + 802,816.
    case(
        node(
            "Conv",
            [("x", (1, 3, 224, 224)), ("w", (64, 3, 7, 7)), ("b", (64,))],
            [("y", (1, 64, 112, 112))],
        ),
        118_013_952,
        236_830_720,
        "bias",
    ),
    # Grouped, g=4: 1*64*56*56 * (32/4)*3*3 = 64*3136*72 = 14,450,688.
    case(
        node(
            "Conv",
            [("x", (1, 32, 56, 56)), ("w", (64, 8, 3, 3))],
            [("y", (1, 64, 56, 56))],
            {"group": 4},
        ),
        14_450_688,
        28_901_376,
        "grouped",
    ),
    # Depthwise, g=32: 1*32*112*112 * 1*3*3 = 3,612,672.
    case(
        node(
            "Conv",
            [("x", (1, 32, 112, 112)), ("w", (32, 1, 3, 3))],
            [("y", (1, 32, 112, 112))],
            {"group": 32},
        ),
        3_612_672,
        7_225_344,
        "depthwise",
    ),
    # Conv1D with bias: 2*16*96 * 8*5 = 122,880 MACs; FLOPs 245,760 + 2*16*96 = 248,832.
    case(
        node(
            "Conv",
            [("x", (2, 8, 100)), ("w", (16, 8, 5)), ("b", (16,))],
            [("y", (2, 16, 96))],
        ),
        122_880,
        248_832,
        "1d",
    ),
    # Conv3D: 1*64*16*56*56 * 3*3*7*7 = 3,211,264 * 441 = 1,416,167,424.
    case(
        node(
            "Conv",
            [("x", (1, 3, 16, 112, 112)), ("w", (64, 3, 3, 7, 7))],
            [("y", (1, 64, 16, 56, 56))],
            {"strides": (1, 2, 2), "pads": (1, 3, 3, 1, 3, 3)},
        ),
        1_416_167_424,
        2_832_334_848,
        "3d",
    ),
    # ConvTranspose 2x up: N*Cin*prod(in) * (Cout/g)*prod(k) = 1*64*28*28 * 32*4*4 = 25,690,112;
    # bias adds 1*32*56*56 = 100,352 -> FLOPs 51,380,224 + 100,352.
    case(
        node(
            "ConvTranspose",
            [("x", (1, 64, 28, 28)), ("w", (64, 32, 4, 4)), ("b", (32,))],
            [("y", (1, 32, 56, 56))],
            {"strides": (2, 2), "pads": (1, 1, 1, 1)},
        ),
        25_690_112,
        51_480_576,
        "bias",
    ),
    # Grouped ConvTranspose, g=4, Cout=8: 1*16*8*8 * (8/4)*3*3 = 18,432.
    case(
        node(
            "ConvTranspose",
            [("x", (1, 16, 8, 8)), ("w", (16, 2, 3, 3))],
            [("y", (1, 8, 17, 17))],
            {"group": 4, "strides": (2, 2)},
        ),
        18_432,
        36_864,
        "grouped",
    ),
    # ConvInteger: 1*8*30*30 * 3*3*3 = 194,400; input 2 is x_zero_point, not a bias.
    case(
        node(
            "ConvInteger",
            [("x", (1, 3, 32, 32)), ("w", (8, 3, 3, 3)), ("xz", ())],
            [("y", (1, 8, 30, 30))],
        ),
        194_400,
        388_800,
    ),
    # FusedConv 1x1 with bias, Relu and a residual Z: MACs 1*32*8*8 * 16 = 32,768;
    # FLOPs 65,536 + 3 * 2,048 (bias, activation, Z add per output element) = 71,680.
    case(
        node(
            "FusedConv",
            [("x", (1, 16, 8, 8)), ("w", (32, 16, 1, 1)), ("b", (32,)), ("z", (1, 32, 8, 8))],
            [("y", (1, 32, 8, 8))],
            {"activation": "Relu"},
            domain="com.microsoft",
        ),
        32_768,
        71_680,
    ),
    # DeformConv 3x3, 64 -> 64 on 32x32: MACs 1*64*32*32 * 64*9 = 65,536 * 576 = 37,748,736;
    # samples 1*64 (Cin) * 32*32 * 9 = 589,824, 7 each (bilinear): FLOPs 75,497,472 + 4,128,768.
    case(
        node(
            "DeformConv",
            [("x", (1, 64, 32, 32)), ("w", (64, 64, 3, 3)), ("off", (1, 18, 32, 32))],
            [("y", (1, 64, 32, 32))],
            {"pads": (1, 1, 1, 1)},
        ),
        37_748_736,
        79_626_240,
    ),
    # DCNv2 with bias and mask: + 65,536 bias adds + 589,824 mask multiplies = 80,281,600.
    case(
        node(
            "DeformConv",
            [
                ("x", (1, 64, 32, 32)),
                ("w", (64, 64, 3, 3)),
                ("off", (1, 18, 32, 32)),
                ("b", (64,)),
                ("mask", (1, 9, 32, 32)),
            ],
            [("y", (1, 64, 32, 32))],
            {"pads": (1, 1, 1, 1)},
        ),
        37_748_736,
        80_281_600,
        "bias-mask",
    ),
    # 1-D, 2 groups: MACs 2*6*8 * 2*3 = 576; samples 2*8 * 4*3 = 192, linear (2 taps) 3 each:
    # FLOPs 1,152 + 576 = 1,728.
    case(
        node(
            "DeformConv",
            [("x", (2, 4, 10)), ("w", (6, 2, 3)), ("off", (2, 6, 8))],
            [("y", (2, 6, 8))],
            {"group": 2},
        ),
        576,
        1_728,
        "1d",
    ),
    # CausalConvWithState decode step (1 token, 1024 channels, k = 4) with bias and silu:
    # MACs 1024 * 4 = 4,096; FLOPs 8,192 + 2 * 1,024 (bias, activation) = 10,240.
    case(
        node(
            "CausalConvWithState",
            [("x", (1, 1024, 1)), ("w", (1024, 1, 4)), ("b", (1024,)), ("s", (1, 1024, 3))],
            [("y", (1, 1024, 1)), ("s1", (1, 1024, 3))],
            {"activation": "silu"},
        ),
        4_096,
        10_240,
    ),
    # Prefill of 16 positions, no bias or activation: 2*8*16 * 4 = 1,024 MACs.
    case(
        node("CausalConvWithState", [("x", (2, 8, 16)), ("w", (8, 1, 4))], [("y", (2, 8, 16))]),
        1_024,
        2_048,
        "prefill",
    ),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected


def test_dilation_does_not_change_macs():
    # Same output size with dilation 2 (pads 2) or 1 (pads 1): 16*32*32 * 16*3*3 = 2,359,296.
    ports = ([("x", (1, 16, 32, 32)), ("w", (16, 16, 3, 3))], [("y", (1, 16, 32, 32))])
    dilated = node("Conv", *ports, {"dilations": (2, 2), "pads": (2, 2, 2, 2)})
    plain = node("Conv", *ports, {"pads": (1, 1, 1, 1)})
    assert cost_of(dilated) == cost_of(plain) == OpCost(2_359_296, 4_718_592)


@pytest.mark.parametrize(
    "info",
    [
        node("Conv", [("x", (1, 3, 8, 8)), ("w", None)], [("y", (1, 4, 6, 6))]),
        node("Conv", [("x", (1, 3, 8, 8)), ("w", (4, 3, 3, 3))], [("y", None)]),
        node("Conv", [("x", (1, 3, 8, 8))], [("y", (1, 4, 6, 6))]),
        node("ConvTranspose", [("x", (1, 3, 8, 8)), ("w", (3, 4))], [("y", (1, 4, 8, 8))]),
        node(
            "DeformConv",
            [("x", (1, 4, 8)), ("w", (4, 4, 3, 3)), ("off", (1, 18, 6, 6))],
            [("y", (1, 4, 6, 6))],
        ),
    ],
    ids=[
        "weight-shape-unknown",
        "output-shape-unknown",
        "no-weight",
        "weight-rank-2",
        "deform-rank-mismatch",
    ],
)
def test_uncostable(info):
    with pytest.raises(Uncostable):
        cost_of(info)
