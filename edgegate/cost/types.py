"""What a cost formula returns (OpCost), and the formula type itself (CostFn).

A formula is a small pure function ``NodeInfo -> OpCost``. The proto is parsed once, in
``edgegate.model`` (which builds the NodeInfo); formulas never see protobuf objects, only
shapes, dtypes, attributes with the ONNX spec defaults settled, and the values of small
constant inputs. A formula raises ``Uncostable`` when a node cannot be costed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from edgegate.model.info import NodeInfo


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
