"""The data a cost formula reads (NodeInfo) and returns (OpCost), and the registry entry type.

A formula is a small pure function ``NodeInfo -> OpCost``. The proto is parsed once, in
``edgegate.model``; formulas never see protobuf objects, only shapes, dtypes, attributes with
the ONNX spec defaults settled, and the values of small constant inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np


class Uncostable(Exception):
    """Raised by a formula when this node cannot be costed; the node becomes unestimated."""


@dataclass(frozen=True)
class TensorInfo:
    """One tensor as the estimator sees it: name, inferred shape, ONNX dtype, constness."""

    name: str
    shape: tuple[int, ...] | None
    dtype: int
    is_constant: bool = False
    value: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def known(self) -> bool:
        """True when every dimension is a known non-negative integer."""
        return self.shape is not None

    @property
    def numel(self) -> int:
        """Element count; raises Uncostable when the shape is unknown."""
        if self.shape is None:
            raise Uncostable(f"shape of tensor '{self.name}' is unknown")
        return math.prod(self.shape)

    @property
    def rank(self) -> int:
        """Number of dimensions; raises Uncostable when the shape is unknown."""
        if self.shape is None:
            raise Uncostable(f"shape of tensor '{self.name}' is unknown")
        return len(self.shape)


@dataclass(frozen=True)
class NodeInfo:
    """One ONNX node, decoded: attributes as Python values, inputs/outputs as TensorInfo.

    An omitted optional input or output is ``None``. ``attrs`` holds only the attributes the
    node sets; formulas pass the ONNX spec default to :meth:`attr`.
    """

    name: str
    op_type: str
    domain: str
    attrs: Mapping[str, Any]
    inputs: tuple[TensorInfo | None, ...]
    outputs: tuple[TensorInfo | None, ...]

    def attr(self, key: str, default: Any = None) -> Any:
        """The attribute's value, or ``default`` (the spec default) when the node omits it."""
        return self.attrs.get(key, default)

    def input(self, index: int) -> TensorInfo | None:
        """The index-th input, or None when it is absent or omitted."""
        return self.inputs[index] if index < len(self.inputs) else None

    def output(self, index: int) -> TensorInfo | None:
        """The index-th output, or None when it is absent or omitted."""
        return self.outputs[index] if index < len(self.outputs) else None

    def present_outputs(self) -> list[TensorInfo]:
        """The outputs the node actually produces (omitted optional ones dropped)."""
        return [t for t in self.outputs if t is not None]


@dataclass(frozen=True)
class OpCost:
    """What one node computes: multiply-accumulates and all arithmetic operations."""

    macs: int = 0
    flops: int = 0

    def __add__(self, other: OpCost) -> OpCost:
        return OpCost(self.macs + other.macs, self.flops + other.flops)

    def __mul__(self, times: int) -> OpCost:
        return OpCost(self.macs * times, self.flops * times)


CostFn = Callable[[NodeInfo], OpCost]


@dataclass(frozen=True)
class OpSpec:
    """A registry row: the op's formula and how its inputs and outputs use memory.

    ``shape_inputs`` are input indices that carry shape-like data (Reshape's shape, Slice's
    starts...): never params, never DRAM traffic. A ``view`` op aliases its input (no layer).
    """

    cost: CostFn
    shape_inputs: frozenset[int] = frozenset()
    view: bool = False

