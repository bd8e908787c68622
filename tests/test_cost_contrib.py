"""com.microsoft fused elementwise and normalization ops (onnxruntime transformer exports)."""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node

MS = "com.microsoft"
BERT = (1, 128, 768)


def ms(op_type, inputs, out):
    """A com.microsoft node with one output of shape ``out``."""
    return node(op_type, inputs, [("y", out)], None, MS)


X = ("x", (2, 8, 64))
BIAS = ("bias", (64,))
EMBED = [
    ("ids", (1, 128)),
    None,
    ("word", (30522, 768)),
    ("pos", (512, 768)),
    None,
    ("g", (768,)),
    ("b", (768,)),
]

CASES = [
    # Gelu and QuickGelu: one per element, 1*197*3072 = 605,184.
    *(
        case(ms(op, [("x", (1, 197, 3072))], (1, 197, 3072)), 0, 605_184)
        for op in ("Gelu", "QuickGelu")
    ),
    # FastGelu: 1 per element, 2*8*64 = 1,024; with a bias 2 per element, 2,048.
    case(ms("FastGelu", [X], (2, 8, 64)), 0, 1_024, "no-bias"),
    case(ms("FastGelu", [X, BIAS], (2, 8, 64)), 0, 2_048, "bias"),
    # BiasGelu (add + Gelu) and BiasAdd (X + bias + skip): 2 per element, 2 * 1,024.
    case(ms("BiasGelu", [X, BIAS], (2, 8, 64)), 0, 2_048),
    case(ms("BiasAdd", [X, BIAS, ("skip", (2, 8, 64))], (2, 8, 64)), 0, 2_048),
    # SkipLayerNorm with beta and bias: (1 + 1 + 5 + 1 + 1) * 128*768 = 9 * 98,304 = 884,736.
    case(
        ms(
            "SkipLayerNormalization",
            [("x", BERT), ("s", BERT), ("g", (768,)), ("b", (768,)), ("bias", (768,))],
            BERT,
        ),
        0,
        884_736,
        "beta-bias",
    ),
    # Gamma only: (1 + 5 + 1) * 98,304 = 688,128.
    case(
        ms("SkipLayerNormalization", [("x", BERT), ("s", BERT), ("g", (768,))], BERT),
        0,
        688_128,
        "gamma",
    ),
    # Skip RMS norm: (1 + 3 + 1) * 16*2048 = 5 * 32,768 = 163,840; with bias 6 * 32,768 = 196,608.
    case(
        ms(
            "SkipSimplifiedLayerNormalization",
            [("x", (1, 16, 2048)), ("s", (1, 16, 2048)), ("g", (2048,))],
            (1, 16, 2048),
        ),
        0,
        163_840,
        "no-bias",
    ),
    case(
        ms(
            "SkipSimplifiedLayerNormalization",
            [("x", (1, 16, 2048)), ("s", (1, 16, 2048)), ("g", (2048,)), ("bias", (2048,))],
            (1, 16, 2048),
        ),
        0,
        196_608,
        "bias",
    ),
    # SimplifiedLayerNormalization (RMS norm; onnxruntime writes it in the default domain,
    # where it goes by this key): as RMSNormalization, (3 + 1) * 16*2048 = 131,072.
    case(ms("SimplifiedLayerNormalization", [("x", (1, 16, 2048)), ("g", (2048,))], (1, 16, 2048)),
         0, 131_072),
    # BERT embeddings, word + position only: (1 + 5 + 2) * 98,304 = 786,432.
    case(ms("EmbedLayerNormalization", EMBED, BERT), 0, 786_432, "no-segment"),
    # With segment embedding and mask: (2 + 5 + 2) * 98,304 + 1*128 (mask) = 884,736 + 128.
    case(
        ms(
            "EmbedLayerNormalization",
            [
                EMBED[0],
                ("seg_ids", (1, 128)),
                *EMBED[2:4],
                ("seg", (2, 768)),
                *EMBED[5:],
                ("mask", (1, 128)),
            ],
            BERT,
        ),
        0,
        884_864,
        "segment-mask",
    ),
    # QEmbedLayerNormalization (int8 tables, inputs 0 to 7 as EmbedLayerNormalization's, then
    # scales and zero points), S=16, hidden 64, segment and mask: (2 + 5 + 2) * 16*64 + 16
    # (mask) = 9,216 + 16 = 9,232, what the float op costs.
    case(
        ms(
            "QEmbedLayerNormalization",
            [
                ("ids", (1, 16)),
                ("seg_ids", (1, 16)),
                ("word", (100, 64)),
                ("pos", (64, 64)),
                ("seg", (2, 64)),
                ("g", (64,)),
                ("b", (64,)),
                ("mask", (1, 16)),
                *((f"scale{i}", ()) for i in range(5)),
                *((f"zero{i}", ()) for i in range(5)),
            ],
            (1, 16, 64),
        ),
        0,
        9_232,
    ),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected
