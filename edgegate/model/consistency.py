"""Check onnx's inferred shapes where they must add up, before any formula reads them.

onnx's shape inference computes some output dimensions in 32-bit arithmetic: Concat's sum of
its inputs along the axis (before onnx 1.23) and Split's parts (measured up to 1.23.2) wrap at
2^31. A model with a dimension that large gets an output far smaller than it is (two Concat
operands of 3e9 give 1,705,032,704 under onnx 1.22), and every node after it would be costed
on it, so the model would pass budgets it exceeds. Where an op's output follows from its
inputs by a sum or by keeping the element count, :func:`inconsistency` says how the inferred
shapes disagree, and the graph's analysis refuses the model. Small shapes that disagree come
from a malformed model (a Reshape to a shape of another size, which onnx does not check).
"""


from __future__ import annotations

import math
from collections.abc import Callable

from edgegate.model.info import NodeInfo

WRAP = 1 << 31
"""Element counts from here on can hold a dimension onnx computes in 32 bits."""


def _shapes(info: NodeInfo) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]] | None:
    """(input shapes, output shapes), or None unless every input and output is present and known."""
    tensors = (info.inputs, info.outputs)
    if any(t is None or t.shape is None for group in tensors for t in group):
        return None
    return ([t.shape for t in info.inputs if t is not None and t.shape is not None],
            [t.shape for t in info.outputs if t is not None and t.shape is not None])


def _axis(info: NodeInfo, rank: int, default: int | None) -> int | None:
    """The node's ``axis`` attribute within ``rank``; None when it is missing (and has no
    default), mistyped or out of range (the formulas say so)."""
    axis = info.attr("axis", default)
    if not isinstance(axis, int) or not -rank <= axis < rank:
        return None
    return axis % rank


def _concat(info: NodeInfo) -> str | None:
    shapes = _shapes(info)
    if shapes is None or len(shapes[1]) != 1:
        return None
    inputs, (output,) = shapes
    axis = _axis(info, len(output), None)
    if axis is None or any(len(shape) != len(output) for shape in inputs):
        return None
    total = sum(shape[axis] for shape in inputs)
    if output[axis] != total:
        return f"its inputs add up to {total} along axis {axis}, its output has {output[axis]}"
    return None


def _split(info: NodeInfo) -> str | None:
    shapes = _shapes(info)
    if shapes is None or not shapes[0]:
        return None
    (data, *_), outputs = shapes
    axis = _axis(info, len(data), 0)
    if axis is None or any(len(shape) != len(data) for shape in outputs):
        return None
    total = sum(shape[axis] for shape in outputs)
    if total != data[axis]:
        return f"its input has {data[axis]} along axis {axis}, its outputs add up to {total}"
    return None


def _same_count(info: NodeInfo) -> str | None:
    shapes = _shapes(info)
    if shapes is None or not shapes[0] or len(shapes[1]) != 1:
        return None
    before, after = math.prod(shapes[0][0]), math.prod(shapes[1][0])
    if before != after:
        return f"its input has {before} elements, its output {after}"
    return None


CHECKS: dict[str, Callable[[NodeInfo], str | None]] = {
    "Concat": _concat,
    "Flatten": _same_count,
    "Reshape": _same_count,
    "Split": _split,
}
"""Default-domain ops whose inferred output shape must follow from their input shapes."""


def inconsistency(info: NodeInfo) -> str | None:
    """How ``info``'s inferred shapes disagree with each other and why they can, or None (also
    when the op has no check, or a shape is unknown)."""
    check = CHECKS.get(info.op_type)
    if check is None or info.domain != "":
        return None
    problem = check(info)
    if problem is None:
        return None
    shapes = [t.shape for t in (*info.inputs, *info.outputs) if t is not None and t.shape is not None]
    if any(math.prod(shape) >= WRAP for shape in shapes):
        return f"{problem} (onnx wraps some dimensions of 2^31 or more)"
    return f"{problem}: the model is malformed, or a dimension is bound to a size it cannot take"
