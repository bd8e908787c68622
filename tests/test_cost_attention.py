"""com.microsoft Attention and MultiHeadAttention against hand-computed counts.

Per score: 1 (scale) + 5 (softmax) + 1 with a mask or causal masking + 1 with attention_bias.
"""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node

from edgegate.cost.types import Uncostable

MS = "com.microsoft"


def attention(inputs, out, **attrs):
    """A com.microsoft.Attention node."""
    return node("Attention", inputs, [("y", out)], {"num_heads": 12, **attrs}, MS)


def mha(inputs, outputs, heads):
    """A com.microsoft.MultiHeadAttention node."""
    return node("MultiHeadAttention", inputs, outputs, {"num_heads": heads}, MS)


GPT2_STEP = [("x", (1, 1, 768)), ("w", (768, 2304)), None, None]

CASES = [
    # BERT-base layer, S=128, mask: MACs 128*768*2304 (QKV) + 2 * 128*128*768 (scores, context)
    # = 226,492,416 + 25,165,824 = 251,658,240. FLOPs 2x + 128*2304 bias + 12*128*128 * 7
    # = 503,316,480 + 294,912 + 1,376,256 = 504,987,648.
    case(
        attention(
            [("x", (1, 128, 768)), ("w", (768, 2304)), ("b", (2304,)), ("m", (1, 128))],
            (1, 128, 768),
        ),
        251_658_240,
        504_987_648,
        "bert",
    ),
    # GPT-2 decode step, past of 9: L = 10; MACs 768*2304 + 2 * 1*10*768 = 1,784,832;
    # FLOPs 3,569,664 + 12*1*10 scores * 7 (causal) = 3,570,504.
    case(
        attention([*GPT2_STEP, ("past", (2, 1, 12, 9, 64))], (1, 1, 768), unidirectional=1),
        1_784_832,
        3_570_504,
        "past",
    ),
    # Shared past buffer of 32 with past_sequence_length 9: same L = 10, same counts.
    case(
        attention(
            [*GPT2_STEP, ("past", (2, 1, 12, 32, 64)), None, ("len", (1,), [9])],
            (1, 1, 768),
            unidirectional=1,
            past_present_share_buffer=1,
        ),
        1_784_832,
        3_570_504,
        "shared-buffer",
    ),
    # qkv_hidden_sizes (64, 64, 32), B=2, S=4, 2 heads, attention_bias: MACs 2*4*48*160
    # + 2*4*4*64 + 2*4*4*32 = 61,440 + 2,048 + 1,024 = 64,512;
    # FLOPs 129,024 + 2*2*4*4 * 7 = 129,472.
    case(
        node(
            "Attention",
            [("x", (2, 4, 48)), ("w", (48, 160)), None, None, None, ("ab", (2, 2, 4, 4))],
            [("y", (2, 4, 32))],
            {"num_heads": 2, "qkv_hidden_sizes": (64, 64, 32)},
            MS,
        ),
        64_512,
        129_472,
        "qkv-sizes",
    ),
    # Cross attention, Dq 256, Dv 128, L 20, 8 heads, bias and padding mask: MACs 2*10*20*384
    # = 153,600; FLOPs 307,200 + 2*(10*256 + 20*384) bias + 2*8*10*20 * 7
    # = 307,200 + 20,480 + 22,400.
    case(
        mha(
            [
                ("q", (2, 10, 256)),
                ("k", (2, 20, 256)),
                ("v", (2, 20, 128)),
                ("b", (640,)),
                ("m", (2, 20)),
            ],
            [("y", (2, 10, 128))],
            8,
        ),
        153_600,
        350_080,
        "cross",
    ),
    # Packed QKV (1, 16, 4 heads, 3, 32): width 128, L 16; MACs 16*16*256 = 65,536;
    # FLOPs 131,072 + 4*16*16 * 6 = 137,216.
    case(mha([("qkv", (1, 16, 4, 3, 32))], [("y", (1, 16, 128))], 4), 65_536, 137_216, "packed"),
    # One new token after 7 past keys, present_key gives L = 8: MACs 1*8*(64+64) = 1,024;
    # FLOPs 2,048 + 2*1*8 * 6 = 2,144.
    case(
        mha(
            [
                ("q", (1, 1, 64)),
                ("k", (1, 1, 64)),
                ("v", (1, 1, 64)),
                None,
                None,
                None,
                ("pk", (1, 2, 7, 32)),
                ("pv", (1, 2, 7, 32)),
            ],
            [("y", (1, 1, 64)), ("present_k", (1, 2, 8, 32)), ("present_v", (1, 2, 8, 32))],
            2,
        ),
        1_024,
        2_144,
        "past",
    ),
    # Same without present outputs: L = 1 new + 7 past = 8, same counts.
    case(
        mha(
            [
                ("q", (1, 1, 64)),
                ("k", (1, 1, 64)),
                ("v", (1, 1, 64)),
                None,
                None,
                None,
                ("pk", (1, 2, 7, 32)),
                ("pv", (1, 2, 7, 32)),
            ],
            [("y", (1, 1, 64))],
            2,
        ),
        1_024,
        2_144,
        "past-no-present",
    ),
    # Keys already in (B, N, L, H) form, L = 5: MACs 3*5*128 = 1,920;
    # FLOPs 3,840 + 2*3*5 * 6 = 4,020.
    case(
        mha(
            [("q", (1, 3, 64)), ("k", (1, 2, 5, 32)), ("v", (1, 2, 5, 32))], [("y", (1, 3, 64))], 2
        ),
        1_920,
        4_020,
        "bnlh-keys",
    ),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected


@pytest.mark.parametrize(
    "info",
    [
        node("Attention", [("x", (1, 4, 8)), ("w", (8, 24))], [("y", (1, 4, 8))], {}, MS),
        attention(
            [*GPT2_STEP, ("past", (2, 1, 12, 32, 64))], (1, 1, 768), past_present_share_buffer=1
        ),
        attention([("x", (4, 8)), ("w", (8, 24))], (4, 8)),
        mha([("q", (1, 4, 64))], [("y", (1, 4, 64))], 2),
    ],
    ids=["no-heads", "shared-buffer-no-length", "input-rank-2", "mha-no-key"],
)
def test_uncostable(info):
    with pytest.raises(Uncostable):
        cost_of(info)
