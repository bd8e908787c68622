"""Resampling: Resize/Upsample, GridSample and the AffineGrid that feeds it.

Resize and GridSample are costed by interpolation taps per output element: an interpolated
output element is a weighted sum of its taps, one multiply and one add per tap. Linear
interpolation reads 2 taps along each interpolated axis, cubic 4, so d-linear over r axes
reads 2^r taps (bilinear: 4 taps, 8 FLOPs). Nearest copies: a data mover. Computing source
coordinates is per axis position, not per element, and is not counted.
"""

from __future__ import annotations

import math

from edgegate.cost.common import dims, need, per_output, result
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo, Uncostable

TAPS_PER_AXIS: dict[str, int] = {
    "bicubic": 4,
    "bilinear": 2,
    "cubic": 4,
    "linear": 2,
    "nearest": 0,
}
"""Interpolation taps along one axis, by mode name (GridSample-16 says bilinear/bicubic)."""


def _taps(node: NodeInfo) -> int:
    """Interpolation taps along one axis for the node's mode (0 for nearest)."""
    mode = node.attr("mode", "nearest" if node.op_type != "GridSample" else "bilinear")
    if mode not in TAPS_PER_AXIS:
        raise Uncostable(f"{node.op_type} node '{node.name}' has unsupported mode '{mode}'")
    return TAPS_PER_AXIS[mode]


def resize(node: NodeInfo) -> OpCost:
    """Resize, Upsample: nearest 0 FLOPs; linear/cubic 2 * taps FLOPs per output element.

    taps = product over the axes whose size changes of 2 (linear) or 4 (cubic); with
    antialias, a downscaled axis by factor f reads ceil(f) times as many taps.
    """
    per_axis = _taps(node)
    if per_axis == 0:
        return OpCost()
    x = dims(need(node, 0, "X"))
    y = dims(result(node))
    if len(x) != len(y):
        raise Uncostable(f"{node.op_type} node '{node.name}' changes rank {len(x)} to {len(y)}")
    antialias = node.attr("antialias", 0)
    taps = [
        per_axis * (math.ceil(i / max(o, 1)) if antialias and o < i else 1)
        for i, o in zip(x, y)
        if i != o
    ]
    return per_output(node, 2 * math.prod(taps)) if taps else OpCost()


def grid_sample(node: NodeInfo) -> OpCost:
    """GridSample: nearest 0 FLOPs; else 2 * taps^r FLOPs per output element (r spatial axes)."""
    per_axis = _taps(node)
    if per_axis == 0:
        return OpCost()
    spatial = len(dims(need(node, 0, "X"))) - 2
    return per_output(node, 2 * per_axis**spatial)


def affine_grid(node: NodeInfo) -> OpCost:
    """AffineGrid: r MACs per output coordinate (theta's row times [x, y(, z), 1]); FLOPs 2 * MACs.

    The grid (N, H, W, 2) or (N, D, H, W, 3) holds r = 2 or 3 coordinates per point; each is
    r multiply-adds onto its translation. The base grid is per axis position, not counted.
    """
    grid = dims(result(node))
    macs = math.prod(grid) * grid[-1] if grid else 0
    return OpCost(macs, 2 * macs)
