"""Convolutions: Conv, ConvTranspose, ConvInteger, DeformConv, CausalConvWithState, FusedConv,
and onnxruntime's NCHWc (blocked layout) Conv.

Shapes come from the weight (Cout, Cin/g, *kernel) and the inferred output, so groups,
strides, dilations, pads and auto_pad are all already reflected in them.
"""

from __future__ import annotations

import math

from edgegate.cost.common import dims, has, need, result
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo, Uncostable


def conv_macs(node: NodeInfo, weight_index: int = 1) -> int:
    """N * Cout * prod(out spatial) * (Cin/g) * prod(kernel), from Y and W = (Cout, Cin/g, *k)."""
    weight = dims(need(node, weight_index, "weight"))
    if len(weight) < 3:
        raise Uncostable(f"{node.op_type} node '{node.name}' has a weight of rank {len(weight)}")
    return result(node).numel * math.prod(weight[1:])


def conv(node: NodeInfo) -> OpCost:
    """Conv: MACs = N * Cout * prod(out spatial) * (Cin/g) * prod(kernel).

    FLOPs = 2 * MACs, + N * Cout * prod(out spatial) (one add per output) when B is given.
    """
    macs = conv_macs(node)
    bias = result(node).numel if has(node, 2) else 0
    return OpCost(macs, 2 * macs + bias)


def conv_transpose(node: NodeInfo) -> OpCost:
    """ConvTranspose: MACs = N * Cin * prod(in spatial) * (Cout/g) * prod(kernel).

    Every input element is scattered through the kernel; W is (Cin, Cout/g, *kernel).
    FLOPs = 2 * MACs, + one add per output element when B is given.
    """
    x = need(node, 0, "data")
    weight = dims(need(node, 1, "weight"))
    if len(weight) < 3:
        raise Uncostable(f"{node.op_type} node '{node.name}' has a weight of rank {len(weight)}")
    macs = x.numel * math.prod(weight[1:])
    bias = result(node).numel if has(node, 2) else 0
    return OpCost(macs, 2 * macs + bias)


def conv_integer(node: NodeInfo) -> OpCost:
    """ConvInteger: MACs as for Conv; FLOPs = 2 * MACs (zero points are folded by engines)."""
    macs = conv_macs(node)
    return OpCost(macs, 2 * macs)


def fused_conv(node: NodeInfo) -> OpCost:
    """com.microsoft.FusedConv and com.microsoft.nchwc.Conv: as Conv, + 1 FLOP per output element
    per fused op.

    One for the activation (when ``activation`` is set), one for the residual add (input 3: Z,
    or the NCHWc Conv's Sum). An NCHWc Conv's weight and output hold Cout rounded up to the
    block size, so its MACs count the padded channels the kernel computes.
    """
    base = conv(node)
    extra = (1 if node.attr("activation", "") else 0) + (1 if has(node, 3) else 0)
    return OpCost(base.macs, base.flops + extra * result(node).numel)


def deform_conv(node: NodeInfo) -> OpCost:
    """DeformConv: MACs as Conv; FLOPs = 2 * MACs (+ bias) + (2 * 2^r - 1) per sample (+ 1 mask).

    Each of the N * Cin * prod(out spatial) * prod(kernel) samples is an r-linear interpolation
    of 2^r taps (bilinear: 4 multiplies, 3 adds), times the mask (input 4) when given.
    """
    macs = conv_macs(node)
    x, y = dims(need(node, 0, "X")), dims(result(node))
    kernel = dims(need(node, 1, "weight"))[2:]
    if len(x) != len(kernel) + 2 or len(y) != len(x):
        raise Uncostable(f"DeformConv node '{node.name}' has X {x} and Y {y} for a {kernel} kernel")
    samples = y[0] * math.prod(y[2:]) * x[1] * math.prod(kernel)
    per_sample = 2 * 2 ** len(kernel) - 1 + (1 if has(node, 4) else 0)
    bias = result(node).numel if has(node, 3) else 0
    return OpCost(macs, 2 * macs + bias + samples * per_sample)


def causal_conv_with_state(node: NodeInfo) -> OpCost:
    """CausalConvWithState: MACs as a depthwise Conv, B * C * L * k (W is (C, 1, k)).

    FLOPs = 2 * MACs, + one add per output element with bias (input 2), + one for the fused
    silu/swish activation (the elementwise rule); the carried state is data movement.
    """
    macs = conv_macs(node)
    extra = (1 if has(node, 2) else 0) + (0 if node.attr("activation", "none") == "none" else 1)
    return OpCost(macs, 2 * macs + extra * result(node).numel)
