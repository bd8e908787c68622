"""Quantized ops: (De)QuantizeLinear standing alone, and the integer and QLinear products.

A quantized product costs what its float form costs: the cost model runs the QDQ form
DequantizeLinear -> Conv -> QuantizeLinear as an int8 Conv whose absorbed (de)quantization is
free, so the requantization inside QLinearConv, QLinearMatMul, QGemm... is free as well.
"""

from __future__ import annotations

from edgegate.cost.common import dims, has, need, per_output, result
from edgegate.cost.conv import conv_macs
from edgegate.cost.matmul import gemm_macs, matmul_macs
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo

DYNAMIC_QUANTIZE = 2
"""FLOPs per element to quantize dynamically: one min/max reduction pass, one quantize."""


def quantize(node: NodeInfo) -> OpCost:
    """QuantizeLinear, DequantizeLinear standing alone: one FLOP (the scale) per element.

    Absorbed into a QDQ layer they cost nothing; that fusion is the estimator's job.
    """
    return per_output(node, 1)


def dynamic_quantize_linear(node: NodeInfo) -> OpCost:
    """DynamicQuantizeLinear: 2 FLOPs per input element (min/max reduction, quantize)."""
    return OpCost(0, DYNAMIC_QUANTIZE * need(node, 0, "x").numel)


def qlinear_conv(node: NodeInfo) -> OpCost:
    """QLinearConv: MACs as for Conv (W is input 3); FLOPs = 2 * MACs.

    + one add per output element when B (input 8) is given.
    """
    macs = conv_macs(node, weight_index=3)
    return OpCost(macs, 2 * macs + (result(node).numel if has(node, 8) else 0))


def qlinear_matmul(node: NodeInfo) -> OpCost:
    """QLinearMatMul: MACs as for MatMul of inputs 0 and 3; FLOPs = 2 * MACs."""
    macs = matmul_macs(dims(need(node, 0, "a")), dims(need(node, 3, "b")), node)
    return OpCost(macs, 2 * macs)


def qgemm(node: NodeInfo) -> OpCost:
    """com.microsoft.QGemm: MACs as for Gemm of inputs 0 and 3; FLOPs = 2 * MACs (+ M*N for C)."""
    macs, outputs = gemm_macs(node, 0, 3)
    return OpCost(macs, 2 * macs + (outputs if has(node, 6) else 0))


def matmul_integer_to_float(node: NodeInfo) -> OpCost:
    """com.microsoft.MatMulIntegerToFloat: as MatMul of inputs 0 and 1.

    + one add per output element when bias (input 6) is given.
    """
    macs = matmul_macs(dims(need(node, 0, "A")), dims(need(node, 1, "B")), node)
    return OpCost(macs, 2 * macs + (result(node).numel if has(node, 6) else 0))


def dynamic_quantize_matmul(node: NodeInfo) -> OpCost:
    """com.microsoft.DynamicQuantizeMatMul: MatMul of A and B, + 2 FLOPs per element of A.

    Quantizing A dynamically costs 2 per element (as DynamicQuantizeLinear); + one add per
    output element when bias (input 4) is given.
    """
    a = need(node, 0, "A")
    macs = matmul_macs(dims(a), dims(need(node, 1, "B")), node)
    bias = result(node).numel if has(node, 4) else 0
    return OpCost(macs, 2 * macs + DYNAMIC_QUANTIZE * a.numel + bias)
