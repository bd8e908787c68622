"""View ops: Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout (inference).

They alias their input (no layer, no new memory; the registry marks them ``view``) and cost
nothing.
"""

from __future__ import annotations

from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo


def view(node: NodeInfo) -> OpCost:
    """View op: 0 MACs, 0 FLOPs; its output is its input."""
    return OpCost()
