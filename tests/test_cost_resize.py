"""Resize/Upsample and GridSample: 2 FLOPs per interpolation tap, nearest free; AffineGrid."""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node

from edgegate.model.info import Uncostable


def resize(x, y, mode=None, op_type="Resize", **attrs):
    """A Resize (scales given as a constant) from shape ``x`` to ``y``."""
    if mode:
        attrs["mode"] = mode
    scales = ("scales", (len(x),), [b / a for a, b in zip(x, y)])
    inputs = [("x", x), None, scales] if op_type == "Resize" else [("x", x), scales]
    return node(op_type, inputs, [("y", y)], attrs)


def grid(x, y, mode=None):
    """A GridSample from ``x`` onto an output of shape ``y``."""
    grid_shape = (y[0], *y[2:], len(y) - 2)
    return node(
        "GridSample", [("x", x), ("g", grid_shape)], [("y", y)], {"mode": mode} if mode else {}
    )


CASES = [
    # Nearest (the default mode) copies: 0.
    case(resize((1, 256, 20, 20), (1, 256, 40, 40)), 0, 0, "nearest"),
    # Bilinear 2x: 2*2 taps, 8 FLOPs per output element, 8 * 1*256*40*40 = 8 * 409,600.
    case(resize((1, 256, 20, 20), (1, 256, 40, 40), "linear"), 0, 3_276_800, "linear"),
    # Bicubic: 4*4 taps, 32 per output element, 32 * 409,600 = 13,107,200.
    case(resize((1, 256, 20, 20), (1, 256, 40, 40), "cubic"), 0, 13_107_200, "cubic"),
    # Linear along one axis only: 2 taps, 4 per output element, 4 * 1*3*20 = 240.
    case(resize((1, 3, 10), (1, 3, 20), "linear"), 0, 240, "1-axis"),
    # Same size: nothing interpolates, 0.
    case(resize((1, 3, 8, 8), (1, 3, 8, 8), "linear"), 0, 0, "same-size"),
    # Antialiased 2x downscale: 2*ceil(2) = 4 taps per axis, 16 taps, 32 per output, 32 * 16 = 512.
    case(resize((1, 1, 8, 8), (1, 1, 4, 4), "linear", antialias=1), 0, 512, "antialias"),
    # Upsample-9 linear 2x: 8 per output element, 8 * 1*3*8*8 = 1,536.
    case(resize((1, 3, 4, 4), (1, 3, 8, 8), "linear", "Upsample"), 0, 1_536, "linear"),
    case(resize((1, 3, 4, 4), (1, 3, 8, 8), None, "Upsample"), 0, 0, "nearest"),
    # GridSample default bilinear: 8 per output element, 8 * 1*3*8*8 = 1,536.
    case(grid((1, 3, 16, 16), (1, 3, 8, 8)), 0, 1_536, "bilinear"),
    # Bicubic: 2 * 4^2 = 32 per output element, 32 * 192 = 6,144.
    case(grid((1, 3, 16, 16), (1, 3, 8, 8), "bicubic"), 0, 6_144, "bicubic"),
    case(grid((1, 3, 16, 16), (1, 3, 8, 8), "nearest"), 0, 0, "nearest"),
    # Opset-20 volumetric linear: 2 * 2^3 = 16 per output element, 16 * 1*2*3*3*3 = 864.
    case(grid((1, 2, 4, 4, 4), (1, 2, 3, 3, 3), "linear"), 0, 864, "3d"),
    # AffineGrid 2-D: grid (2, 16, 24, 2) = 1,536 values, 2 MACs each: 3,072 MACs, 6,144 FLOPs.
    case(
        node(
            "AffineGrid", [("t", (2, 2, 3)), ("s", (4,), [2, 3, 16, 24])], [("g", (2, 16, 24, 2))]
        ),
        3_072,
        6_144,
    ),
    # AffineGrid 3-D: grid (1, 4, 8, 8, 3) = 768 values, 3 MACs each: 2,304 MACs.
    case(
        node(
            "AffineGrid",
            [("t", (1, 3, 4)), ("s", (5,), [1, 1, 4, 8, 8])],
            [("g", (1, 4, 8, 8, 3))],
        ),
        2_304,
        4_608,
        "3d",
    ),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected


@pytest.mark.parametrize(
    "info",
    [
        resize((1, 3, 4, 4), (1, 3, 8, 8), "area"),
        node("Resize", [("x", (1, 3, 4, 4))], [("y", (1, 3, 8))], {"mode": "linear"}),
        node("Resize", [("x", (1, 3, 4, 4))], [("y", None)], {"mode": "linear"}),
    ],
    ids=["unknown-mode", "rank-change", "output-unknown"],
)
def test_uncostable(info):
    with pytest.raises(Uncostable):
        cost_of(info)
