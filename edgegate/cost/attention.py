"""Attention: ONNX Attention, com.microsoft Attention, QAttention and MultiHeadAttention, RoPE, and
LinearAttention (a recurrence over a per-head state, costed apart: see its formula).

Batch B, query length S, total key length L (past + new), query heads N, query width Dq = N *
head size, value width Dv = N * value head size. Scores Q K^T cost B * S * L * Dq MACs and the
weighted sum of values B * S * L * Dv, however many key/value heads the query heads share
(grouped-query attention repeats K and V, it does not add products). Per score (B * N * S * L
of them): 1 FLOP for the scale, 5 for softmax (as Softmax), and 1 each for a mask (or causal
masking) and an additive attention bias when given; ONNX Attention's softcap adds 3.
"""

from __future__ import annotations

from edgegate.cost.common import dims, has, need, result
from edgegate.cost.norm import SOFTMAX
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo, Uncostable


def _rank(node: NodeInfo, index: int, what: str, ranks: tuple[int, ...]) -> tuple[int, ...]:
    """The input's shape, checked to have one of ``ranks``."""
    shape = dims(need(node, index, what))
    if len(shape) not in ranks:
        raise Uncostable(f"{node.op_type} node '{node.name}' has {what} of shape {shape}")
    return shape


def _heads(node: NodeInfo) -> int:
    """The num_heads attribute (required)."""
    heads = node.attr("num_heads")
    if not heads:
        raise Uncostable(f"{node.op_type} node '{node.name}' has no num_heads")
    return int(heads)


def _scores(node: NodeInfo, scores: int, mask_index: int, bias_index: int | None) -> int:
    """FLOPs per score times the score count: scale, softmax, mask and bias when present.

    ``bias_index`` is None for an op with no additive attention bias input (QAttention).
    """
    masked = has(node, mask_index) or bool(node.attr("unidirectional", 0))
    biased = bias_index is not None and has(node, bias_index)
    return scores * (1 + SOFTMAX + int(masked) + int(biased))


def attention(node: NodeInfo) -> OpCost:
    """com.microsoft.Attention: QKV projection B*S*Din*(Dq+Dk+Dv) MACs, + B*S*L*(Dq+Dv) MACs.

    FLOPs = 2 * MACs + B*S*(Dq+Dk+Dv) bias adds (when given) + 6 to 8 per score (see module).
    L = S + past length (past input, or past_sequence_length with a shared buffer).
    """
    return _self_attention(node, _past_length(node), mask_index=3, bias_index=5)


def qattention(node: NodeInfo) -> OpCost:
    """com.microsoft.QAttention: as Attention, on its int8 input and weight (inputs 0 and 1).

    Its (de)quantization is absorbed, free as in every quantized product (the QDQ rule), so
    the same problem costs what Attention costs. mask_index is input 5 and past (2, B, N, P, H)
    input 8; there is no attention bias input, so 6 or 7 FLOPs per score.
    """
    past = dims(need(node, 8, "past"))[3] if has(node, 8) else 0
    return _self_attention(node, past, mask_index=5, bias_index=None)


def _self_attention(node: NodeInfo, past: int, mask_index: int, bias_index: int | None) -> OpCost:
    """Attention and QAttention once their past length and mask/bias inputs are known.

    The QKV projection B*S*Din*(Dq+Dk+Dv) MACs (weights (Din, Dq+Dk+Dv), bias input 2), then
    B*S*L*(Dq+Dv) MACs with L = S + ``past``, and the per-score FLOPs.
    """
    batch, seq, width = _rank(node, 0, "input", (3,))
    projected = dims(need(node, 1, "weights"))[-1]
    sizes = node.attr("qkv_hidden_sizes") or (projected // 3,) * 3
    total = seq + past
    heads = _heads(node)
    macs = batch * seq * width * projected + batch * seq * total * (sizes[0] + sizes[2])
    flops = 2 * macs + (batch * seq * projected if has(node, 2) else 0)
    return OpCost(macs, flops + _scores(node, batch * heads * seq * total, mask_index, bias_index))


def _past_length(node: NodeInfo) -> int:
    """Positions held in the past state: its length axis, or past_sequence_length when shared."""
    past = node.input(4)
    if past is None:
        return 0
    if not node.attr("past_present_share_buffer", 0):
        return dims(past)[3]
    length = node.input(6)
    if length is None or length.value is None:
        raise Uncostable(f"Attention node '{node.name}' shares its past buffer; length unknown")
    return int(length.value.reshape(-1)[0])


def multi_head_attention(node: NodeInfo) -> OpCost:
    """com.microsoft.MultiHeadAttention (inputs already projected): B*S*L*(Dq+Dv) MACs.

    FLOPs = 2 * MACs + one add per biased Q/K/V element (when bias is given) + 6 to 8 per score.
    L = new keys + past_key length (or present_key's length when it is an output).
    """
    query = _rank(node, 0, "query", (3, 5))
    batch, seq = query[0], query[1]
    width = query[2] * query[4] if len(query) == 5 else query[2]
    new_keys = seq if len(query) == 5 else _key_length(node)
    total = new_keys + (dims(need(node, 6, "past_key"))[2] if has(node, 6) else 0)
    present = node.output(1)
    if present is not None and present.known:
        total = dims(present)[2]
    heads = _heads(node)
    values = dims(result(node))[-1]
    macs = batch * seq * total * (width + values)
    bias = batch * (seq * width + new_keys * (width + values)) if has(node, 3) else 0
    return OpCost(macs, 2 * macs + bias + _scores(node, batch * heads * seq * total, 4, 5))


def _key_length(node: NodeInfo) -> int:
    """New key positions: key is (B, L, D), packed (B, L, N, 2, H) or past-style (B, N, L, H)."""
    key = _rank(node, 1, "key", (3, 4, 5))
    return key[2] if len(key) == 4 else key[1]


def group_query_attention(node: NodeInfo) -> OpCost:
    """com.microsoft.GroupQueryAttention: B*S*L*(Dq+Dv) MACs, Dq = Dv = num_heads * head size.

    FLOPs = 2 * MACs + 7 per score (scale, softmax 5, the causal mask; + 3 with softcap) + 3 per
    rotated element of Q and K with do_rotary (the RotaryEmbedding rule). query is (B, S, D),
    packed Q, K, V when key is omitted (H = D / (Nq + 2 Nkv)); L is present_key's length when
    known, else past_key's + S.
    """
    batch, seq, width = _rank(node, 0, "query", (3,))
    heads, kv_heads = _heads(node), int(node.attr("kv_num_heads") or 0)
    if not kv_heads:
        raise Uncostable(f"GroupQueryAttention node '{node.name}' has no kv_num_heads")
    head = width // heads if has(node, 1) else width // (heads + 2 * kv_heads)
    total = seq + (dims(need(node, 3, "past_key"))[2] if has(node, 3) else 0)
    present = node.output(1)
    if present is not None and present.known:
        total = dims(present)[2]
    macs = batch * seq * total * 2 * heads * head
    per_score = 1 + SOFTMAX + 1 + (SOFTCAP if node.attr("softcap", 0.0) else 0)
    flops = 2 * macs + batch * heads * seq * total * per_score
    if node.attr("do_rotary", 0):
        flops += 3 * batch * seq * (heads + kv_heads) * head
    return OpCost(macs, flops)


SOFTCAP = 3
"""FLOPs per score of ONNX Attention's softcap * tanh(scores / softcap): divide, tanh, multiply."""


def standard_attention(node: NodeInfo) -> OpCost:
    """Attention (ONNX, opset 23+): B*S*L*(Dq+Dv) MACs; FLOPs = 2 * MACs + 6 to 10 per score.

    Per score: scale 1, softmax 5, + 1 when masked (attn_mask, is_causal, a window or
    nonpad_kv_seqlen), + 3 with softcap. L = K's length + past_key's (present_key's when known).
    """
    query = _rank(node, 0, "Q", (3, 4))
    key = _rank(node, 1, "K", (3, 4))
    out = dims(result(node))
    if len(query) == 4:
        batch, heads, seq, width = query[0], query[1], query[2], query[1] * query[3]
    else:
        batch, seq, width = query
        heads = int(node.attr("q_num_heads") or 0)
        if not heads:
            raise Uncostable(f"Attention node '{node.name}' has 3-D Q and no q_num_heads")
    values = out[1] * out[3] if len(out) == 4 else out[-1]
    total = key[2] if len(key) == 4 else key[1]
    if has(node, 4):
        total += dims(need(node, 4, "past_key"))[2]
    present = node.output(1)
    if present is not None and present.known:
        total = dims(present)[2]
    per_score = 1 + SOFTMAX + int(_masked(node))
    per_score += SOFTCAP if node.attr("softcap", 0.0) else 0
    macs = batch * seq * total * (width + values)
    return OpCost(macs, 2 * macs + batch * heads * seq * total * per_score)


def _masked(node: NodeInfo) -> bool:
    """True when ONNX Attention masks its scores: attn_mask, nonpad_kv_seqlen, causal, window."""
    windowed = any(node.attr(side, -1) >= 0 for side in ("left_window_size", "right_window_size"))
    return has(node, 3) or has(node, 6) or bool(node.attr("is_causal", 0)) or windowed


def rotary_embedding(node: NodeInfo) -> OpCost:
    """RotaryEmbedding: 3 FLOPs per rotated element, B * S * N * rotary_embedding_dim of them.

    Each rotated pair costs 4 multiplies and 2 adds (x1 cos - x2 sin, x1 sin + x2 cos); the
    unrotated rest is copied and the cos/sin lookups by position_ids are gathers.
    """
    x = _rank(node, 0, "X", (3, 4))
    if len(x) == 4:
        rows, head = x[0] * x[1] * x[2], x[3]
    else:
        heads = int(node.attr("num_heads") or 0)
        if not heads or x[2] % heads:
            raise Uncostable(f"RotaryEmbedding node '{node.name}' has 3-D X, no usable num_heads")
        rows, head = x[0] * x[1] * heads, x[2] // heads
    rotated = int(node.attr("rotary_embedding_dim", 0) or head)
    if rotated > head or rotated % 2:
        raise Uncostable(f"RotaryEmbedding node '{node.name}' rotates {rotated} of {head} dims")
    return OpCost(0, 3 * rows * rotated)


LINEAR_UPDATES = {"delta": 2, "gated": 1, "gated_delta": 2, "linear": 1}
"""State-sized products per token and KV head of each LinearAttention update rule: k (x) v,
plus S^T k for the delta rules."""


def linear_attention(node: NodeInfo) -> OpCost:
    """LinearAttention, run as its recurrence: B*T*dk*dv*(u*Hkv + Hq) MACs, u = 1 or 2 (delta).

    Per token: each KV head updates its dk x dv state (k (x) v; delta rules also S^T k), each
    query head reads it out (q^T S). FLOPs = 2 * MACs + the output scale, + a decay multiply
    per state element and an exp per decay element (gated), + 2 per value element (delta).
    """
    query = _rank(node, 0, "query", (3,))
    value = _rank(node, 2, "value", (3,))
    q_heads, kv_heads = int(node.attr("q_num_heads") or 0), int(node.attr("kv_num_heads") or 0)
    rule = node.attr("update_rule", "gated_delta")
    if not q_heads or not kv_heads or rule not in LINEAR_UPDATES:
        raise Uncostable(f"LinearAttention node '{node.name}' needs heads and a known update_rule")
    tokens, key_size, value_size = query[0] * query[1], query[2] // q_heads, value[2] // kv_heads
    state = tokens * kv_heads * key_size * value_size
    macs = LINEAR_UPDATES[rule] * state + tokens * q_heads * key_size * value_size
    flops = 2 * macs + tokens * q_heads * value_size
    if rule.startswith("gated"):
        flops += state + need(node, 4, "decay").numel
    if rule.endswith("delta"):
        flops += 2 * tokens * kv_heads * value_size
    return OpCost(macs, flops)
