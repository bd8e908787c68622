"""Fused attention (com.microsoft Attention and MultiHeadAttention).

Batch B, query length S, total key length L (past + new), heads N, query width Dq = N * head
size, value width Dv. Scores Q K^T cost B * S * L * Dq MACs and the weighted sum of values
B * S * L * Dv. Per score (B * N * S * L of them): 1 FLOP for the scale, 5 for softmax (as
Softmax), and 1 each for a mask (or causal masking) and an additive attention bias when given.
"""

from __future__ import annotations

from edgegate.cost.common import dims, has, need, result
from edgegate.cost.norm import SOFTMAX
from edgegate.cost.types import NodeInfo, OpCost, Uncostable


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


def _scores(node: NodeInfo, scores: int, mask_index: int, bias_index: int) -> int:
    """FLOPs per score times the score count: scale, softmax, mask and bias when present."""
    masked = has(node, mask_index) or bool(node.attr("unidirectional", 0))
    return scores * (1 + SOFTMAX + int(masked) + int(has(node, bias_index)))


def attention(node: NodeInfo) -> OpCost:
    """com.microsoft.Attention: QKV projection B*S*Din*(Dq+Dk+Dv) MACs, + B*S*L*(Dq+Dv) MACs.

    FLOPs = 2 * MACs + B*S*(Dq+Dk+Dv) bias adds (when given) + 6 to 8 per score (see module).
    L = S + past length (past input, or past_sequence_length with a shared buffer).
    """
    batch, seq, width = _rank(node, 0, "input", (3,))
    projected = dims(need(node, 1, "weights"))[-1]
    sizes = node.attr("qkv_hidden_sizes") or (projected // 3,) * 3
    total = seq + _past_length(node)
    heads = _heads(node)
    macs = batch * seq * width * projected + batch * seq * total * (sizes[0] + sizes[2])
    flops = 2 * macs + (batch * seq * projected if has(node, 2) else 0)
    return OpCost(macs, flops + _scores(node, batch * heads * seq * total, 3, 5))


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
    total = new_keys + (dims(node.input(6))[2] if has(node, 6) else 0)
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
