"""Matrix products: Gemm, MatMul (batched, broadcast), MatMulInteger and the contrib fusions."""

from __future__ import annotations

import math

from edgegate.cost.common import broadcast, dims, has, need, result
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo, Uncostable


def matmul_macs(a: tuple[int, ...], b: tuple[int, ...], node: NodeInfo) -> int:
    """prod(broadcast batch dims) * M * K * N for numpy-style matmul of shapes ``a`` and ``b``.

    A 1-D operand is a matrix with a unit dimension, as the ONNX spec says: (K,) @ B is (1, K) @ B.
    """
    if not a or not b:
        raise Uncostable(f"{node.op_type} node '{node.name}' multiplies a scalar")
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        raise Uncostable(f"{node.op_type} node '{node.name}': inner dimensions {a} x {b} differ")
    batch = broadcast(a2[:-2], b2[:-2])
    return math.prod(batch) * a2[-2] * a2[-1] * b2[-1]


def gemm_macs(node: NodeInfo, a_index: int = 0, b_index: int = 1) -> tuple[int, int]:
    """(M * K * N, M * N) of a Gemm-shaped node, honouring transA/transB."""
    a = dims(need(node, a_index, "A"))
    b = dims(need(node, b_index, "B"))
    if len(a) != 2 or len(b) != 2:
        raise Uncostable(f"{node.op_type} node '{node.name}' needs 2-D A and B, got {a} and {b}")
    m, k = reversed(a) if node.attr("transA", 0) else a
    k2, n = reversed(b) if node.attr("transB", 0) else b
    if k != k2:
        raise Uncostable(f"{node.op_type} node '{node.name}': inner dimensions {k} and {k2} differ")
    return m * k * n, m * n


def gemm(node: NodeInfo) -> OpCost:
    """Gemm: MACs = M * K * N (transA/transB honoured); FLOPs = 2 * MACs, + M * N when C is given.

    alpha and beta add no FLOPs (the cost model's precise rules).
    """
    macs, outputs = gemm_macs(node)
    return OpCost(macs, 2 * macs + (outputs if has(node, 2) else 0))


def matmul(node: NodeInfo) -> OpCost:
    """MatMul, MatMulInteger: MACs = prod(broadcast batch dims) * M * K * N; FLOPs = 2 * MACs."""
    a = dims(need(node, 0, "A"))
    b = dims(need(node, 1, "B"))
    macs = matmul_macs(a, b, node)
    return OpCost(macs, 2 * macs)


def fused_matmul(node: NodeInfo) -> OpCost:
    """com.microsoft.FusedMatMul: MatMul after transposing A/B's last two axes (transA/transB).

    alpha adds no FLOPs; transBatchA/transBatchB are not supported (Uncostable).
    """
    if node.attr("transBatchA", 0) or node.attr("transBatchB", 0):
        raise Uncostable(f"FusedMatMul node '{node.name}' uses transBatchA/transBatchB")
    a = dims(need(node, 0, "A"))
    b = dims(need(node, 1, "B"))
    if node.attr("transA", 0):
        a = _swap_last(a)
    if node.attr("transB", 0):
        b = _swap_last(b)
    macs = matmul_macs(a, b, node)
    return OpCost(macs, 2 * macs)


def _swap_last(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape with its last two axes swapped (a 1-D shape is unchanged)."""
    return shape[:-2] + shape[-2:][::-1] if len(shape) >= 2 else shape


def fused_gemm(node: NodeInfo) -> OpCost:
    """com.microsoft.FusedGemm: Gemm, + one FLOP per output element for its activation (if set)."""
    macs, outputs = gemm_macs(node)
    extra = (1 if has(node, 2) else 0) + (1 if node.attr("activation", "") else 0)
    return OpCost(macs, 2 * macs + extra * outputs)


def matmul_nbits(node: NodeInfo) -> OpCost:
    """com.microsoft.MatMulNBits: MACs = numel(A) / K * K * N = numel(A) * N (attributes K, N).

    FLOPs = 2 * MACs, + one add per output element when bias (input 5) is given; the weight
    dequantization is absorbed, as in the QDQ rule.
    """
    a = need(node, 0, "A")
    k, n = node.attr("K"), node.attr("N")
    if not k or not n or dims(a)[-1] != k:
        raise Uncostable(f"MatMulNBits node '{node.name}' has no usable K/N attributes")
    macs = a.numel * n
    return OpCost(macs, 2 * macs + (result(node).numel if has(node, 5) else 0))
