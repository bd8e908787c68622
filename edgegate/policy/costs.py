"""Custom op costs from a policy: ``custom_ops: {VendorOp: {flops_per_output: 3}}`` as CostFns.

A custom or vendor op gets FLOPs (and MACs) per output element, or the formula of a named
standard op (``as: Conv``). The estimator calls these for nodes its registry has no formula for.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from edgegate.cost.registry import OPS, lookup
from edgegate.cost.types import CostFn, OpCost
from edgegate.model.info import NodeInfo


def per_output(node: NodeInfo, flops: Fraction, macs: Fraction) -> OpCost:
    """``macs`` MACs and ``flops`` FLOPs per element of every output the node produces.

    A MAC counts 2 FLOPs on top of ``flops``; fractional totals round up (the gate errs high).
    """
    elements = sum(tensor.numel for tensor in node.present_outputs())
    total_macs = math.ceil(macs * elements)
    return OpCost(total_macs, 2 * total_macs + math.ceil(flops * elements))


def as_standard(node: NodeInfo, op_type: str) -> OpCost:
    """The cost the registry's formula for ``op_type`` gives this node."""
    return OPS[op_type](node)


def cost_fn(spec: Mapping[str, Any]) -> CostFn:
    """The CostFn for one validated ``custom_ops`` entry."""
    if "as" in spec:
        return functools.partial(as_standard, op_type=spec["as"])
    return functools.partial(
        per_output,
        flops=Fraction(spec.get("flops_per_output", 0)),
        macs=Fraction(spec.get("macs_per_output", 0)),
    )


def standard_ops() -> list[str]:
    """The op types a custom op may borrow a formula from (default ONNX domain)."""
    return sorted(name for name in OPS if "." not in name)


def has_formula(key: str) -> bool:
    """True when the registry costs the ``custom_ops`` key ``key`` itself: ``domain.OpType``
    names that domain, a bare ``OpType`` the default one."""
    domain, _, op_type = key.rpartition(".")
    return lookup(op_type, domain) is not None
