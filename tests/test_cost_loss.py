"""NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: per target element, + LogSoftmax."""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node

SEGMENTATION = [("logp", (2, 5, 4, 4)), ("t", (2, 4, 4)), ("w", (5,))]

CASES = [
    # 8 samples, mean (default), no weight: (pick 1 + sum 1) * 8 = 16.
    case(node("NegativeLogLikelihoodLoss", [("logp", (8, 10)), ("t", (8,))], [("l", ())]), 0, 16),
    # Weighted mean with ignore_index over 2*4*4 = 32 targets: (1 + 1 weight + 1 compare
    # + 1 sum + 1 weight sum) * 32 = 160.
    case(
        node("NegativeLogLikelihoodLoss", SEGMENTATION, [("l", ())], {"ignore_index": 255}),
        0,
        160,
        "weighted-mean",
    ),
    # reduction none, weighted: (1 + 1) * 32 = 64.
    case(
        node("NegativeLogLikelihoodLoss", SEGMENTATION, [("l", (2, 4, 4))], {"reduction": "none"}),
        0,
        64,
        "none",
    ),
    # Classifier head, 4 x 1000 scores: LogSoftmax 5 * 4,000 = 20,000, + 4 labels * (1 + 1 sum).
    case(node("SoftmaxCrossEntropyLoss", [("s", (4, 1000)), ("y", (4,))], [("l", ())]), 0, 20_008),
    # Segmentation, 21 classes on 8x8, weights, sum, with log_prob: 5 * 1*21*8*8 = 6,720,
    # + 64 labels * (1 + 1 weight + 1 sum) = 192; 6,912.
    case(
        node(
            "SoftmaxCrossEntropyLoss",
            [("s", (1, 21, 8, 8)), ("y", (1, 8, 8)), ("w", (21,))],
            [("l", ()), ("logp", (1, 21, 8, 8))],
            {"reduction": "sum"},
        ),
        0,
        6_912,
        "weighted-sum",
    ),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected
