"""Build NodeInfo values for cost-formula tests without an ONNX model.

``node("Conv", inputs=[("x", (1, 3, 224, 224)), ("w", (64, 3, 7, 7))], outputs=[("y", ...)])``.
An input is (name, shape) or (name, shape, value) for a constant; None omits an optional one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest
from onnx import TensorProto

from edgegate.cost.registry import lookup
from edgegate.cost.types import OpCost
from edgegate.model.domains import op_key
from edgegate.model.info import NodeInfo, TensorInfo

Port = tuple[str, tuple[int, ...] | None] | tuple[str, tuple[int, ...] | None, Any] | None


def tensor(port: Port, dtype: int = TensorProto.FLOAT) -> TensorInfo | None:
    """TensorInfo from (name, shape[, value]); a value makes it a constant."""
    if port is None:
        return None
    name, shape = port[0], port[1]
    if len(port) == 3:
        return TensorInfo(name, shape, dtype, is_constant=True, value=np.asarray(port[2]))
    return TensorInfo(name, shape, dtype)


def node(
    op_type: str,
    inputs: Sequence[Port] = (),
    outputs: Sequence[Port] = (),
    attrs: Mapping[str, Any] | None = None,
    domain: str = "",
) -> NodeInfo:
    """A NodeInfo named after its op type, with float tensors by default."""
    return NodeInfo(
        name=f"{op_type.lower()}_0",
        op_type=op_type,
        domain=domain,
        attrs=dict(attrs or {}),
        inputs=tuple(tensor(p) for p in inputs),
        outputs=tuple(tensor(p) for p in outputs),
    )


def unary(op_type: str, shape: tuple[int, ...], attrs: Mapping[str, Any] | None = None) -> NodeInfo:
    """A one-input, one-output node whose output has the input's shape."""
    return node(op_type, [("x", shape)], [("y", shape)], attrs)


def cost_of(info: NodeInfo) -> OpCost:
    """Cost of ``info`` through the registry, as the estimator would compute it."""
    formula = lookup(info.op_type, info.domain)
    assert formula is not None, f"no registry entry for {op_key(info.op_type, info.domain)}"
    return formula(info)


def case(info: NodeInfo, macs: int, flops: int, label: str = "") -> Any:
    """A pytest parameter (node, expected OpCost), labelled by op type and ``label``."""
    name = f"{info.domain + '.' if info.domain else ''}{info.op_type}"
    return pytest.param(info, OpCost(macs, flops), id=f"{name}-{label}" if label else name)


def case_key(param: Any) -> str:
    """The registry key a case exercises."""
    info = param.values[0]
    return f"{info.domain}.{info.op_type}" if info.domain else info.op_type
