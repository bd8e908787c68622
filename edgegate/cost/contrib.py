"""com.microsoft fusions of elementwise and normalization ops (onnxruntime transformer exports).

Each counts what its unfused ops would: one FLOP per element per elementwise op folded in,
and the norm.py per-element formulas for the normalization.
"""

from __future__ import annotations

from edgegate.cost.common import has, need, per_output, result
from edgegate.cost.norm import NORMALIZE, RMS_NORMALIZE
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo


def bias_elementwise(node: NodeInfo) -> OpCost:
    """BiasGelu (bias add + Gelu), BiasAdd (X + bias + skip): 2 FLOPs per output element."""
    return per_output(node, 2)


def fast_gelu(node: NodeInfo) -> OpCost:
    """FastGelu: 1 FLOP per output element, + 1 when a bias (input 1) is added first."""
    return per_output(node, 1 + (1 if has(node, 1) else 0))


def skip_layer_norm(node: NodeInfo) -> OpCost:
    """SkipLayerNormalization: 7 to 9 FLOPs per element.

    The skip add 1 (+ 1 with bias, input 4), normalize 5, gamma 1 (+ 1 with beta, input 3).
    """
    adds = 1 + (1 if has(node, 4) else 0)
    return per_output(node, adds + NORMALIZE + 1 + (1 if has(node, 3) else 0))


def skip_simplified_layer_norm(node: NodeInfo) -> OpCost:
    """SkipSimplifiedLayerNormalization: 5 or 6 FLOPs per element.

    The skip add 1 (+ 1 with bias, input 3), RMS-normalize 3, gamma 1.
    """
    adds = 1 + (1 if has(node, 3) else 0)
    return per_output(node, adds + RMS_NORMALIZE + 1)


def embed_layer_norm(node: NodeInfo) -> OpCost:
    """EmbedLayerNormalization: 8 or 9 FLOPs per output element, + 1 per mask element.

    Word + position add 1 (+ 1 with the segment embedding, input 4), normalize 5, gamma and
    beta 2; the mask (input 7) is reduced to its index, one FLOP per element. The embedding
    lookups are gathers (data movement). QEmbedLayerNormalization has the same inputs 0 to 7
    (its tables int8) and costs the same: dequantizing what it reads is free (the QDQ rule).
    """
    adds = 1 + (1 if has(node, 4) else 0)
    mask = need(node, 7, "mask").numel if has(node, 7) else 0
    return OpCost(0, (adds + NORMALIZE + 2) * result(node).numel + mask)
