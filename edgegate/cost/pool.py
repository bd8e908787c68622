"""Pooling: average, max, Lp, their global forms, and the ROI pools."""

from __future__ import annotations

import math

from edgegate.cost.common import need, out_numel, per_output
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo, Uncostable


def kernel_size(node: NodeInfo) -> int:
    """prod(kernel_shape); raises Uncostable when the attribute is missing."""
    kernel = node.attr("kernel_shape")
    if not kernel:
        raise Uncostable(f"{node.op_type} node '{node.name}' has no kernel_shape")
    return math.prod(kernel)


def average_pool(node: NodeInfo) -> OpCost:
    """AveragePool: prod(kernel) FLOPs per output element (kernel-1 adds, 1 divide), any padding."""
    return per_output(node, kernel_size(node))


def max_pool(node: NodeInfo) -> OpCost:
    """MaxPool, GlobalMaxPool, MaxRoiPool: 0 FLOPs (compares are negligible, as in the paper)."""
    return OpCost()


def global_average_pool(node: NodeInfo) -> OpCost:
    """GlobalAveragePool: C * H * W FLOPs per image, i.e. one per input element."""
    return OpCost(0, need(node, 0, "data").numel)


def lp_pool(node: NodeInfo) -> OpCost:
    """LpPool: 2 * prod(kernel) + 1 FLOPs per output element (power and add per tap, one root)."""
    return per_output(node, 2 * kernel_size(node) + 1)


def global_lp_pool(node: NodeInfo) -> OpCost:
    """GlobalLpPool: 2 FLOPs per input element (power, add) + 1 per output element (root)."""
    return OpCost(0, 2 * need(node, 0, "data").numel + out_numel(node))


def roi_align(node: NodeInfo) -> OpCost:
    """RoiAlign: s * s * 8 (avg) or s * s * 7 (max) FLOPs per output element, s = sampling_ratio.

    Each sample is a bilinear interpolation (4 multiplies, 3 adds); avg mode adds one per sample
    (kernel-1 adds + 1 divide). sampling_ratio 0 (adaptive, from each ROI's size) depends on
    the data: Uncostable.
    """
    ratio = node.attr("sampling_ratio", 0)
    if ratio <= 0:
        raise Uncostable(f"RoiAlign node '{node.name}' samples adaptively (sampling_ratio=0)")
    per_sample = 8 if node.attr("mode", "avg") == "avg" else 7
    return per_output(node, ratio * ratio * per_sample)
