"""Small accessors the cost formulas share: required inputs, shapes, broadcasting.

Each raises Uncostable with a reason naming the node, so a formula reads as its arithmetic.
"""

from __future__ import annotations

from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo, TensorInfo, Uncostable


def need(node: NodeInfo, index: int, what: str) -> TensorInfo:
    """The index-th input; raises Uncostable when the node omits it."""
    tensor = node.input(index)
    if tensor is None:
        raise Uncostable(f"{node.op_type} node '{node.name}' has no {what} input")
    return tensor


def has(node: NodeInfo, index: int) -> bool:
    """True when the node gives its index-th (optional) input."""
    return node.input(index) is not None


def result(node: NodeInfo, index: int = 0) -> TensorInfo:
    """The index-th output; raises Uncostable when the node omits it."""
    tensor = node.output(index)
    if tensor is None:
        raise Uncostable(f"{node.op_type} node '{node.name}' has no output {index}")
    return tensor


def dims(tensor: TensorInfo) -> tuple[int, ...]:
    """The tensor's concrete shape; raises Uncostable when it is unknown."""
    if tensor.shape is None:
        raise Uncostable(f"shape of tensor '{tensor.name}' is unknown")
    return tensor.shape


def out_numel(node: NodeInfo) -> int:
    """Element count of the node's first output."""
    return result(node).numel


def per_output(node: NodeInfo, flops: int) -> OpCost:
    """``flops`` FLOPs per element of the first output, no MACs."""
    return OpCost(0, flops * out_numel(node))


def broadcast(left: tuple[int, ...], right: tuple[int, ...]) -> tuple[int, ...]:
    """Numpy-style broadcast of two shapes; raises Uncostable when they do not broadcast."""
    rank = max(len(left), len(right))
    a = (1,) * (rank - len(left)) + left
    b = (1,) * (rank - len(right)) + right
    shape = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise Uncostable(f"shapes {left} and {right} do not broadcast")
        shape.append(y if x == 1 else x)
    return tuple(shape)


def axis_of(axis: int, rank: int, node: NodeInfo) -> int:
    """A possibly negative axis attribute as an index in [0, rank)."""
    if not -rank <= axis < rank:
        raise Uncostable(f"{node.op_type} node '{node.name}' has axis {axis} for rank {rank}")
    return axis % rank
