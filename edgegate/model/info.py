"""The tensors and nodes of a graph as the estimator sees them: TensorInfo and NodeInfo.

``edgegate.model`` builds them from the protos once; cost formulas read them and raise
Uncostable when a node cannot be costed (an unknown shape, an unsupported attribute value).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

    def scalar(self) -> float | None:
        """The value when it is known and holds one real number (bool, int or float, any
        rank); None for strings, complex numbers and anything larger."""
        if self.value is None:
            return None
        import numpy as np  # not at the top: `policy validate` reads NodeInfo's module, not numpy
        values = np.asarray(self.value)
        if values.size != 1 or values.dtype.kind not in "biuf":
            return None
        return float(values.reshape(-1)[0])

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
