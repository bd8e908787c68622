"""Coverage: how much of a model's cost came from edgegate's own formulas.

A node counts as custom only when a policy's ``custom_ops`` formula really costed it: the
estimator calls those formulas only for nodes its registry has no formula for, so
:class:`CustomTally` wraps them and records each node they cost, with its FLOPs.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from edgegate.cost.types import CostFn, OpCost
from edgegate.estimator.result import Estimate
from edgegate.model.info import NodeInfo


@dataclass
class CustomTally:
    """The nodes the policy's custom formulas costed during one estimate: name -> FLOPs."""

    flops: dict[str, int] = field(default_factory=dict)

    def wrap(self, costs: Mapping[str, CostFn]) -> dict[str, CostFn]:
        """``costs`` with every formula recording the nodes it costs in this tally."""
        return {key: functools.partial(self._record, cost) for key, cost in costs.items()}

    def _record(self, cost: CostFn, node: NodeInfo) -> OpCost:
        """Cost ``node`` with ``cost`` and remember it (a formula that raises records nothing)."""
        found = cost(node)
        self.flops[node.name] = found.flops
        return found


def coverage(estimate: Estimate, custom: Mapping[str, int]) -> dict[str, Any]:
    """The share of nodes costed by known formulas, and of FLOPs that came from them.

    ``custom`` maps the nodes a policy's ``custom_ops`` costed to their FLOPs
    (:attr:`CustomTally.flops`); those and unestimated nodes are not known formulas. Only the
    graph's own nodes count: a node inside an If/Loop/Scan body is part of that node's layer.
    """
    costed = [name for layer in estimate.layers for name in layer.nodes if name in custom]
    custom_flops = sum(custom[name] for name in costed)
    unestimated = len(estimate.unestimated)
    known = max(estimate.node_count - unestimated - len(costed), 0)
    return {
        "nodes": estimate.node_count,
        "known_nodes": known,
        "custom_nodes": len(costed),
        "unestimated_nodes": unestimated,
        "node_share": known / estimate.node_count if estimate.node_count else 1.0,
        "flop_share": (estimate.flops - custom_flops) / estimate.flops if estimate.flops else 1.0,
    }
