"""ONNX Attention, com.microsoft Attention, QAttention and MultiHeadAttention, RotaryEmbedding, by hand.

Per score: 1 (scale) + 5 (softmax) + 1 with a mask or causal masking + 1 with attention_bias
(com.microsoft) or + 3 with softcap (ONNX Attention).
"""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node

from edgegate.cost.types import OpCost
from edgegate.model.info import Uncostable

MS = "com.microsoft"


def attention(inputs, out, **attrs):
    """A com.microsoft.Attention node."""
    return node("Attention", inputs, [("y", out)], {"num_heads": 12, **attrs}, MS)


def mha(inputs, outputs, heads):
    """A com.microsoft.MultiHeadAttention node."""
    return node("MultiHeadAttention", inputs, outputs, {"num_heads": heads}, MS)


def sdpa(inputs, outputs, **attrs):
    """An ONNX (opset 23+) Attention node."""
    return node("Attention", inputs, outputs, attrs)


LLAMA_QKV = [("q", (1, 32, 128, 64)), ("k", (1, 8, 128, 64)), ("v", (1, 8, 128, 64))]
DECODE_QKV = [("q", (2, 1, 512)), ("k", (2, 1, 128)), ("v", (2, 1, 128)), None]
DECODE_PAST = [("pk", (2, 2, 15, 64)), ("pv", (2, 2, 15, 64))]
LINEAR_QKV = [("q", (1, 2, 32)), ("k", (1, 2, 32)), ("v", (1, 2, 32))]
LINEAR_HEADS = {"q_num_heads": 2, "kv_num_heads": 2}
LINEAR_OUT = [("o", (1, 2, 32))]


GPT2_STEP = [("x", (1, 1, 768)), ("w", (768, 2304)), None, None]
QBERT = [("x", (1, 16, 64)), ("w", (64, 192)), ("b", (192,)), ("xs", ()), ("ws", ())]


def qattention(inputs, **attrs):
    """A com.microsoft.QAttention node of 4 heads with a (1, 16, 64) output."""
    return node("QAttention", inputs, [("y", (1, 16, 64))], {"num_heads": 4, **attrs}, MS)


CASES = [
    # QAttention, a small BERT layer (S=16, Din 64, 4 heads) with mask_index (input 5): MACs
    # 16*64*192 (QKV) + 16*16*(64+64) = 196,608 + 32,768 = 229,376; FLOPs 2x + 16*192 bias
    # + 4*16*16 scores * 7 = 458,752 + 3,072 + 7,168 = 468,992 (what Attention costs).
    case(qattention([*QBERT, ("mask", (1,))]), 229_376, 468_992, "mask"),
    # With a past of 8 (input 8, (2, B, N, 8, H)) and causal masking: L = 24; MACs 196,608
    # + 16*24*128 = 245,760; FLOPs 491,520 + 3,072 + 4*16*24 * 7 = 505,344.
    case(
        qattention([*QBERT, None, None, None, ("past", (2, 1, 4, 8, 16))], unidirectional=1),
        245_760,
        505_344,
        "past",
    ),
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
    # com.microsoft.GroupQueryAttention, packed QKV (8 query + 2*2 KV heads of 16: width 192),
    # decode after 32 past keys, present_key gives L = 33: MACs 1*1*33 * (128 + 128) = 8,448;
    # FLOPs 16,896 + 8*1*33 scores * 7 (scale, softmax, causal mask) = 16,896 + 1,848 = 18,744.
    case(
        node(
            "GroupQueryAttention",
            [("qkv", (1, 1, 192)), None, None, ("pk", (1, 2, 32, 16)), ("pv", (1, 2, 32, 16))],
            [("y", (1, 1, 128)), ("present_k", (1, 2, 33, 16)), ("present_v", (1, 2, 33, 16))],
            {"num_heads": 8, "kv_num_heads": 2},
            MS,
        ),
        8_448,
        18_744,
        "gqa-packed-decode",
    ),
    # Separate Q (1, 4, 128), K and V (1, 4, 32), no cache, rotary: L = S = 4, H = 128 / 8 = 16;
    # MACs 1*4*4 * 256 = 4,096; FLOPs 8,192 + 8*4*4 * 7 = 896, + rotary 3 per rotated element
    # of Q and K: 3 * 4 * (8 + 2) * 16 = 1,920 -> 11,008.
    case(
        node(
            "GroupQueryAttention",
            [("q", (1, 4, 128)), ("k", (1, 4, 32)), ("v", (1, 4, 32))],
            [("y", (1, 4, 128))],
            {"num_heads": 8, "kv_num_heads": 2, "do_rotary": 1},
            MS,
        ),
        4_096,
        11_008,
        "gqa-rotary-prefill",
    ),
    # ONNX Attention, Llama GQA prefill (32 query heads share 8 KV heads), causal, S = L = 128:
    # MACs 1*128*128 * (32*64 + 32*64) = 16,384 * 4,096 = 67,108,864 (GQA adds no products);
    # FLOPs 134,217,728 + 32*128*128 scores * 7 = 134,217,728 + 3,670,016 = 137,887,744.
    case(
        sdpa(LLAMA_QKV, [("y", (1, 32, 128, 64))], is_causal=1),
        67_108_864,
        137_887_744,
        "gqa-causal",
    ),
    # 3-D decode step, 8 query heads over 2 KV heads, 15 past keys + 1 new: L = 16 (from
    # present_key); MACs 2*1*16 * (512 + 512) = 32,768; FLOPs 65,536 + 2*8*1*16 * 6 = 67,072.
    case(
        sdpa(
            DECODE_QKV + DECODE_PAST,
            [("y", (2, 1, 512)), ("pk1", (2, 2, 16, 64)), ("pv1", (2, 2, 16, 64))],
            q_num_heads=8,
            kv_num_heads=2,
        ),
        32_768,
        67_072,
        "decode-past",
    ),
    # Same without present outputs: L = 1 new + 15 past = 16, same counts.
    case(
        sdpa(DECODE_QKV + DECODE_PAST, [("y", (2, 1, 512))], q_num_heads=8, kv_num_heads=2),
        32_768,
        67_072,
        "decode-past-no-present",
    ),
    # Float mask and softcap (Gemma 2), value head 32 != key head 16: MACs 1*10*10 * (4*16 +
    # 4*32) = 100 * 192 = 19,200; FLOPs 38,400 + 4*10*10 * (1 + 5 + 1 + 3) = 38,400 + 4,000.
    case(
        sdpa(
            [
                ("q", (1, 4, 10, 16)),
                ("k", (1, 4, 10, 16)),
                ("v", (1, 4, 10, 32)),
                ("m", (1, 1, 10, 10)),
            ],
            [("y", (1, 4, 10, 32))],
            softcap=50.0,
        ),
        19_200,
        42_400,
        "mask-softcap",
    ),
    # Sliding window alone masks: MACs 8*8 * (2*16 + 2*16) = 4,096; FLOPs 8,192 + 2*8*8 * 7
    # = 8,192 + 896 = 9,088.
    case(
        sdpa(
            [("q", (1, 2, 8, 16)), ("k", (1, 2, 8, 16)), ("v", (1, 2, 8, 16))],
            [("y", (1, 2, 8, 16))],
            left_window_size=4,
        ),
        4_096,
        9_088,
        "window",
    ),
    # External cache: K/V hold all 64 slots, nonpad_kv_seqlen masks the padding; every slot
    # is counted. MACs 1*1*64 * (256 + 256) = 32,768; FLOPs 65,536 + 4*1*64 * 7 = 67,328.
    case(
        sdpa(
            [("q", (1, 1, 256)), ("k", (1, 64, 256)), ("v", (1, 64, 256)), None, None, None]
            + [("n", (1,))],
            [("y", (1, 1, 256))],
            q_num_heads=4,
            kv_num_heads=4,
        ),
        32_768,
        67_328,
        "nonpad-kv",
    ),
    # RoPE on (B, N, S, H) = (1, 32, 128, 64), full rotation: 3 * 1*32*128 * 64 = 786,432.
    case(
        node(
            "RotaryEmbedding",
            [LLAMA_QKV[0], ("cos", (128, 32)), ("sin", (128, 32))],
            [("y", (1, 32, 128, 64))],
        ),
        0,
        786_432,
        "4d",
    ),
    # 3-D X (2, 10, 512), 8 heads of 64, half rotated (dim 32), with position_ids:
    # 3 * 2*10*8 * 32 = 15,360.
    case(
        node(
            "RotaryEmbedding",
            [("x", (2, 10, 512)), ("cos", (4096, 16)), ("sin", (4096, 16)), ("p", (2, 10))],
            [("y", (2, 10, 512))],
            {"num_heads": 8, "rotary_embedding_dim": 32},
        ),
        0,
        15_360,
        "3d-partial",
    ),
    # LinearAttention, linear rule, 2 query heads per KV head: B*T = 6 tokens, dk 8, dv 16;
    # state updates 6 * 2 * 8*16 = 1,536 MACs, readouts 6 * 4 * 8*16 = 3,072: 4,608 MACs;
    # FLOPs 9,216 + 6 * 4 * 16 output scales = 9,600.
    case(
        node(
            "LinearAttention",
            [("q", (2, 3, 32)), ("k", (2, 3, 16)), ("v", (2, 3, 32))],
            [("o", (2, 3, 64))],
            {"q_num_heads": 4, "kv_num_heads": 2, "update_rule": "linear"},
        ),
        4_608,
        9_600,
        "linear",
    ),
    # Gated DeltaNet decode step, 16 heads of dk = dv = 128: state 16 * 128*128 = 262,144;
    # MACs 2 * 262,144 (S^T k, k (x) w) + 262,144 (readout) = 786,432; FLOPs 1,572,864
    # + 2,048 scales + 262,144 decays + 16 exps + 2 * 16*128 delta = 1,841,168.
    case(
        node(
            "LinearAttention",
            [
                ("q", (1, 1, 2048)),
                ("k", (1, 1, 2048)),
                ("v", (1, 1, 2048)),
                ("s", (1, 16, 128, 128)),
                ("g", (1, 1, 16)),
                ("beta", (1, 1, 16)),
            ],
            [("o", (1, 1, 2048)), ("s1", (1, 16, 128, 128))],
            {"q_num_heads": 16, "kv_num_heads": 16},
        ),
        786_432,
        1_841_168,
        "gated-delta",
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
        sdpa([("q", (1, 4, 64)), ("k", (1, 4, 64)), ("v", (1, 4, 64))], [("y", (1, 4, 64))]),
        sdpa([("q", (4, 64)), ("k", (4, 64)), ("v", (4, 64))], [("y", (4, 64))], q_num_heads=1),
        node("RotaryEmbedding", [("x", (1, 4, 64)), ("c", (4, 32)), ("s", (4, 32))], [("y", None)]),
        node(
            "RotaryEmbedding",
            [LLAMA_QKV[0], ("c", (128, 40)), ("s", (128, 40))],
            [("y", (1, 32, 128, 64))],
            {"rotary_embedding_dim": 80},
        ),
        node("LinearAttention", LINEAR_QKV, LINEAR_OUT, {"q_num_heads": 2}),
        node("LinearAttention", LINEAR_QKV, LINEAR_OUT, {**LINEAR_HEADS, "update_rule": "rwkv"}),
        node("LinearAttention", LINEAR_QKV, LINEAR_OUT, LINEAR_HEADS),
    ],
    ids=[
        "no-heads",
        "shared-buffer-no-length",
        "input-rank-2",
        "mha-no-key",
        "sdpa-3d-no-heads",
        "sdpa-rank-2",
        "rope-3d-no-heads",
        "rope-dim-over-head",
        "linear-attention-no-heads",
        "linear-attention-rule",
        "linear-attention-no-decay",
    ],
)
def test_uncostable(info):
    with pytest.raises(Uncostable):
        cost_of(info)


def test_onnx_attention_costs_what_multi_head_attention_costs():
    # The same masked cross attention (Dq 256, Dv 128, S 10, L 20, 8 heads, no bias) as the
    # "cross" case above: 153,600 MACs, 307,200 + 2*8*10*20 * 7 = 329,600 FLOPs, both ways.
    qkv = [("q", (2, 10, 256)), ("k", (2, 20, 256)), ("v", (2, 20, 128))]
    contrib = mha([*qkv, None, ("m", (2, 20))], [("y", (2, 10, 128))], 8)
    standard = sdpa(
        [*qkv, ("m", (2, 1, 10, 20))], [("y", (2, 10, 128))], q_num_heads=8, kv_num_heads=8
    )
    assert cost_of(standard) == cost_of(contrib) == OpCost(153_600, 329_600)


def test_quantized_attention_costs_what_attention_costs():
    # The "mask" QAttention case as a float com.microsoft.Attention (mask_index is its input 3):
    # dequantization is absorbed, so 229,376 MACs and 468,992 FLOPs both ways.
    float_form = node("Attention", [*QBERT[:3], ("mask", (1,))], [("y", (1, 16, 64))], {"num_heads": 4}, MS)
    assert cost_of(qattention([*QBERT, ("mask", (1,))])) == cost_of(float_form) == OpCost(229_376, 468_992)
