"""Loss ops left in exported training graphs: NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss.

Per element of the target (labels): 1 FLOP to pick and negate the class's log-probability,
+ 1 with class weights, + 1 to compare against ignore_index when it is set, + 1 to sum the
losses with reduction "sum" or "mean", + 1 more to sum the weights for a weighted mean. The
final divide of "mean" is once per loss, not counted.
"""

from __future__ import annotations

from edgegate.cost.common import has, need
from edgegate.cost.norm import SOFTMAX
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo


def _per_target(node: NodeInfo) -> int:
    """FLOPs per target element: pick 1, weight, ignore_index, reduction adds (see module)."""
    weighted = has(node, 2)
    reduction = node.attr("reduction", "mean")
    return (
        1
        + int(weighted)
        + int(node.attr("ignore_index") is not None)
        + int(reduction != "none")
        + int(weighted and reduction == "mean")
    )


def nll_loss(node: NodeInfo) -> OpCost:
    """NegativeLogLikelihoodLoss: 1 to 5 FLOPs per target element (see the module)."""
    return OpCost(0, need(node, 1, "target").numel * _per_target(node))


def softmax_cross_entropy_loss(node: NodeInfo) -> OpCost:
    """SoftmaxCrossEntropyLoss: 5 FLOPs per scores element (LogSoftmax), + the NLL part per label.

    The optional log_prob output is that LogSoftmax, written out: no extra FLOPs.
    """
    scores = need(node, 0, "scores").numel
    return OpCost(0, SOFTMAX * scores + need(node, 1, "labels").numel * _per_target(node))
