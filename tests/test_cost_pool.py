"""Pooling formulas: average (prod(kernel) per output), max (0), global, Lp and ROI pools."""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node

from edgegate.model.info import Uncostable


def pool(op_type, x, y, attrs=None, extra=()):
    """A pooling node from shape ``x`` to ``y``."""
    return node(op_type, [("x", x), *extra], [("y", y)], attrs)


ROIS = (("rois", (100, 4)), ("batch", (100,)))

CASES = [
    # Inception 3x3 stride-1 pad-1 average: 9 per output element, 9 * 1*64*35*35 = 705,600,
    # padding or not.
    case(
        pool(
            "AveragePool",
            (1, 64, 35, 35),
            (1, 64, 35, 35),
            {"kernel_shape": (3, 3), "pads": (1, 1, 1, 1), "count_include_pad": 0},
        ),
        0,
        705_600,
        "padded",
    ),
    # DenseNet transition 2x2/2: 4 * 1*128*28*28 = 4 * 100,352 = 401,408.
    case(
        pool(
            "AveragePool",
            (1, 128, 56, 56),
            (1, 128, 28, 28),
            {"kernel_shape": (2, 2), "strides": (2, 2)},
        ),
        0,
        401_408,
        "2x2",
    ),
    # Max pooling: 0 FLOPs (the paper's negligible compares).
    case(pool("MaxPool", (1, 64, 112, 112), (1, 64, 56, 56), {"kernel_shape": (3, 3)}), 0, 0),
    # Global average: C*H*W per image, 2048*7*7 = 100,352.
    case(pool("GlobalAveragePool", (1, 2048, 7, 7), (1, 2048, 1, 1)), 0, 100_352),
    case(pool("GlobalMaxPool", (1, 2048, 7, 7), (1, 2048, 1, 1)), 0, 0),
    case(
        pool("MaxRoiPool", (1, 256, 50, 50), (100, 256, 7, 7), {"pooled_shape": (7, 7)}, ROIS[:1]),
        0,
        0,
    ),
    # LpPool 2x2: (2*4 + 1) * 1*8*4*4 = 9 * 128 = 1,152.
    case(
        pool("LpPool", (1, 8, 8, 8), (1, 8, 4, 4), {"kernel_shape": (2, 2), "strides": (2, 2)}),
        0,
        1_152,
    ),
    # GlobalLpPool: 2 * 1*8*4*4 + 1*8 roots = 256 + 8 = 264.
    case(pool("GlobalLpPool", (1, 8, 4, 4), (1, 8, 1, 1)), 0, 264),
    # RoiAlign avg, sampling 2: 2*2*8 = 32 per output element, 32 * 100*256*7*7 = 40,140,800.
    case(
        pool("RoiAlign", (1, 256, 50, 50), (100, 256, 7, 7), {"sampling_ratio": 2}, ROIS),
        0,
        40_140_800,
        "avg",
    ),
    # RoiAlign max: 2*2*7 = 28 per output element, 28 * 1,254,400 = 35,123,200.
    case(
        pool(
            "RoiAlign",
            (1, 256, 50, 50),
            (100, 256, 7, 7),
            {"sampling_ratio": 2, "mode": "max"},
            ROIS,
        ),
        0,
        35_123_200,
        "max",
    ),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected


@pytest.mark.parametrize(
    "info",
    [
        pool("AveragePool", (1, 8, 4, 4), (1, 8, 2, 2)),
        pool("RoiAlign", (1, 8, 16, 16), (10, 8, 7, 7), {}, ROIS),
    ],
    ids=["no-kernel-shape", "adaptive-sampling"],
)
def test_uncostable(info):
    with pytest.raises(Uncostable):
        cost_of(info)
