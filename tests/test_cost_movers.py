"""Views, data movers and misc ops: zero FLOPs where nothing is computed, Uncostable when the
output size depends on the data."""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node

from edgegate.model import roles
from edgegate.model.info import Uncostable

X = ("x", (2, 3, 4))

VIEWS = [
    node("Reshape", [X, ("shape", (2,), [6, 4])], [("y", (6, 4))]),
    node("Flatten", [X], [("y", (2, 12))]),
    node("Squeeze", [("x", (1, 3)), ("axes", (1,), [0])], [("y", (3,))]),
    node("Unsqueeze", [("x", (3,)), ("axes", (1,), [0])], [("y", (1, 3))]),
    node("Identity", [X], [("y", (2, 3, 4))]),
    node("Dropout", [X, ("ratio", (), 0.5)], [("y", (2, 3, 4))]),
]

MOVERS = [
    node("Cast", [X], [("y", (2, 3, 4))], {"to": 10}),
    node("CastLike", [X, ("t", ())], [("y", (2, 3, 4))]),
    node("CenterCropPad", [X, ("s", (3,), [2, 2, 2])], [("y", (2, 2, 2))]),
    node("Concat", [X, X], [("y", (4, 3, 4))], {"axis": 0}),
    node("ConstantOfShape", [("s", (2,), [3, 4])], [("y", (3, 4))]),
    node("DepthToSpace", [("x", (1, 8, 2, 2))], [("y", (1, 2, 4, 4))], {"blocksize": 2}),
    node("Expand", [("x", (3, 1)), ("s", (2,), [3, 4])], [("y", (3, 4))]),
    node("EyeLike", [("x", (3, 3))], [("y", (3, 3))]),
    node("Gather", [("x", (10, 4)), ("i", (3,))], [("y", (3, 4))]),
    node("GatherElements", [("x", (10, 4)), ("i", (2, 4))], [("y", (2, 4))]),
    node("GatherND", [("x", (10, 4)), ("i", (2, 1))], [("y", (2, 4))]),
    node("MaxUnpool", [("x", (1, 1, 2, 2)), ("i", (1, 1, 2, 2))], [("y", (1, 1, 4, 4))]),
    node("OneHot", [("i", (5,)), ("d", (), 10), ("v", (2,))], [("y", (5, 10))]),
    node("Pad", [X, ("pads", (6,), [0, 0, 1, 0, 0, 1])], [("y", (2, 3, 6))]),
    node("ReverseSequence", [X, ("lens", (3,))], [("y", (2, 3, 4))]),
    node("Slice", [X, ("s", (1,), [0]), ("e", (1,), [1])], [("y", (1, 3, 4))]),
    node("SpaceToDepth", [("x", (1, 2, 4, 4))], [("y", (1, 8, 2, 2))], {"blocksize": 2}),
    node("Split", [X], [("a", (1, 3, 4)), ("b", (1, 3, 4))]),
    node("Tile", [X, ("r", (3,), [1, 2, 1])], [("y", (2, 6, 4))]),
    node("Transpose", [X], [("y", (4, 3, 2))], {"perm": (2, 1, 0)}),
    node("Trilu", [("x", (4, 4))], [("y", (4, 4))]),
    node("BitCast", [X], [("y", (2, 3, 4))], {"to": 6}),
    node("Scatter", [("x", (10, 4)), ("i", (2, 4)), ("u", (2, 4))], [("y", (10, 4))]),
    node(
        "TensorScatter",
        [("past", (1, 8, 64, 16)), ("new", (1, 8, 1, 16)), ("at", (1,))],
        [("present", (1, 8, 64, 16))],
    ),
    node("ScatterND", [("x", (10, 4)), ("i", (2, 1)), ("u", (2, 4))], [("y", (10, 4))]),
    node("ScatterElements", [("x", (10, 4)), ("i", (2, 4)), ("u", (2, 4))], [("y", (10, 4))]),
    node("NonZero", [X], [("y", (3, 7))]),
    node("Compress", [X, ("c", (2,))], [("y", (1, 3, 4))], {"axis": 0}),
    node("Shape", [X], [("y", (3,))]),
    node("Size", [X], [("y", ())]),
]

CASES = [
    *(case(info, 0, 0, "view") for info in VIEWS),
    *(case(info, 0, 0) for info in MOVERS),
    # ScatterND with reduction add: one add per updates element, 10*4 = 40.
    case(
        node(
            "ScatterND",
            [("x", (20, 4)), ("i", (10, 1)), ("u", (10, 4))],
            [("y", (20, 4))],
            {"reduction": "add"},
        ),
        0,
        40,
        "add",
    ),
    # ScatterElements with reduction mul: 3*5 = 15.
    case(
        node(
            "ScatterElements",
            [("x", (6, 5)), ("i", (3, 5)), ("u", (3, 5))],
            [("y", (6, 5))],
            {"reduction": "mul"},
        ),
        0,
        15,
        "mul",
    ),
    # Col2Im: 5 channels, 2x2 blocks, 12 blocks onto a 4x5 image: one add per input element,
    # 1*(5*2*2)*12 = 240.
    case(
        node(
            "Col2Im",
            [("c", (1, 20, 12)), ("image", (2,), [4, 5]), ("block", (2,), [2, 2])],
            [("y", (1, 5, 4, 5))],
        ),
        0,
        240,
    ),
    # Range: one add per output element, 10.
    case(node("Range", [("s", (), 0), ("l", (), 10), ("d", (), 1)], [("y", (10,))]), 0, 10),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected


def test_only_the_six_view_ops_are_views():
    assert sorted(roles.VIEWS) == [
        "Dropout",
        "Flatten",
        "Identity",
        "Reshape",
        "Squeeze",
        "Unsqueeze",
    ]


@pytest.mark.parametrize(
    "info",
    [
        node("NonZero", [X], [("y", None)]),
        node("Compress", [X, ("c", (2,))], [("y", None)]),
        node("NonMaxSuppression", [("b", (1, 100, 4)), ("s", (1, 80, 100))], [("y", None)]),
        node("NonMaxSuppression", [("b", (1, 100, 4)), ("s", (1, 80, 100))], [("y", (5, 3))]),
    ],
    ids=["nonzero", "compress", "nms", "nms-known-output"],
)
def test_uncostable(info):
    with pytest.raises(Uncostable):
        cost_of(info)
