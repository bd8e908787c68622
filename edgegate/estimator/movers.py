"""Data movers the cost model treats apart: no-ops at their bound shapes, and selections.

Exporters write the same network with different movers: one writes ``x[:, :C]`` on a tensor
of C channels as a full-range Slice, another writes nothing; one splits q/k/v with a Split,
another with three Slices. So a mover that changes nothing at the bound shapes (full-range
Slice, identity Transpose, Cast to the same type, Expand or Tile to the same shape, zero Pad,
single-input Concat, one-piece Split, Gather of every index in order) is a view, and a
selection (Slice, Split, Gather with constant indices) reads only the bytes it outputs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from edgegate.model.info import NodeInfo, TensorInfo
from edgegate.model.tensors import malformed


def _value(tensor: TensorInfo | None) -> np.ndarray | None:
    return None if tensor is None or tensor.value is None else np.asarray(tensor.value)


def _same_tensor(node: NodeInfo) -> bool:
    """Input 0 and output 0 have the same known shape and the same dtype."""
    source, result = node.input(0), node.output(0)
    return (
        source is not None
        and result is not None
        and source.known
        and source.shape == result.shape
        and bool(source.dtype)
        and source.dtype == result.dtype
    )


def _all(tensor: TensorInfo | None, number: int) -> bool:
    """True when the constant input's values are all ``number``."""
    values = _value(tensor)
    return values is not None and bool(np.all(values == number))


def _slice(node: NodeInfo) -> bool:
    """Full range with step 1 (steps, when given, must be known to be all 1)."""
    if "steps" in node.attrs or (node.input(4) is not None and not _all(node.input(4), 1)):
        return False
    return _same_tensor(node)


def _transpose(node: NodeInfo) -> bool:
    """A permutation that keeps the order of every axis longer than 1: memory is unchanged."""
    source = node.input(0)
    if source is None or not source.known:
        return False
    rank = len(source.shape or ())
    perm = node.attr("perm") or tuple(reversed(range(rank)))
    moved = [axis % rank for axis in perm if (source.shape or ())[axis % rank] != 1] if rank else []
    return moved == sorted(moved) and _same_dtype(node)


def _same_dtype(node: NodeInfo) -> bool:
    source, result = node.input(0), node.output(0)
    return source is not None and result is not None and source.dtype == result.dtype


def _pad(node: NodeInfo) -> bool:
    """Pads (input or attribute) all zero."""
    pads = node.attr("pads")
    if pads is not None:
        return not any(pads) and _same_tensor(node)
    return _all(node.input(1), 0) and _same_tensor(node)


def _concat(node: NodeInfo) -> bool:
    return sum(t is not None for t in node.inputs) == 1 and _same_tensor(node)


def _split(node: NodeInfo) -> bool:
    return len(node.present_outputs()) == 1 and _same_tensor(node)


def _gather(node: NodeInfo) -> bool:
    """Indices are every position along the axis, in order (0, 1, ..., n - 1)."""
    source, indices = node.input(0), _value(node.input(1))
    if source is None or not source.known or indices is None or indices.ndim != 1:
        return False
    shape = source.shape or ()
    if not shape:
        return False
    length = shape[int(node.attr("axis", 0)) % len(shape)]
    if indices.size != length:  # before np.arange: a hostile dim may be 2^62
        return False
    normalized = np.where(indices < 0, indices + length, indices)
    return bool(np.array_equal(normalized, np.arange(length))) and _same_tensor(node)


NOOPS: dict[str, Callable[[NodeInfo], bool]] = {
    "Cast": _same_tensor,
    "CastLike": _same_tensor,
    "Concat": _concat,
    "Expand": _same_tensor,
    "Gather": _gather,
    "Pad": _pad,
    "Slice": _slice,
    "Split": _split,
    "Tile": _same_tensor,
    "Transpose": _transpose,
}
"""Default-domain movers, each with the test that it changes nothing at the bound shapes."""


def is_noop(node: NodeInfo) -> bool:
    """True when the mover's output is its input unchanged: it is a view (never a node whose
    attributes are mistyped: that one stays unestimated, with the reason)."""
    test = NOOPS.get(node.op_type) if node.domain == "" else None
    return test is not None and malformed(node.attrs) is None and test(node)


SELECTIONS: dict[str, int | None] = {
    "Gather": 1,
    "GatherElements": 1,
    "GatherND": 1,
    "Slice": None,
    "Split": None,
}
"""Selection movers and the index input that must be constant for them to select (None: any)."""


def selected_input(node: NodeInfo) -> str | None:
    """The input a selection reads only in part (the bytes it outputs), or None."""
    if node.domain != "" or node.op_type not in SELECTIONS:
        return None
    index = SELECTIONS[node.op_type]
    if index is not None:
        indices = node.input(index)
        if indices is None or not indices.is_constant:
            return None
    source = node.input(0)
    return source.name if source is not None else None
