"""Estimate and Layer: the result objects the estimator returns and every output reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

ESTIMATE_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Layer:
    """One executed layer: a node, or a fused chain (Conv+BN+Relu) at its anchor's position.

    ``reads``/``writes`` name the activation tensors the layer reads from and writes to
    memory (their sizes are in ``Estimate.tensor_bytes``); ``weights`` the constants it reads.
    """

    index: int
    name: str
    op_types: tuple[str, ...]
    nodes: tuple[str, ...]
    macs: int
    flops: int
    params: int
    weight_bytes: int
    input_bytes: int
    output_bytes: int
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    weights: tuple[str, ...] = ()
    work_bytes: int = 0

    @property
    def dram_bytes(self) -> int:
        """Weights read + input activations read + outputs written, per inference."""
        return self.weight_bytes + self.input_bytes + self.output_bytes

    @property
    def arithmetic_intensity(self) -> float:
        """FLOPs per DRAM byte of this layer (0 when it moves nothing)."""
        return self.flops / self.dram_bytes if self.dram_bytes else 0.0


@dataclass(frozen=True)
class Unestimated:
    """A node that no formula could cost; its cost is missing from the totals."""

    node: str
    op_type: str
    domain: str
    reason: str


@dataclass(frozen=True)
class Settings:
    """The choices that shaped the numbers: bindings, precision, fusion, given input values
    and Loop trip counts."""

    dims: Mapping[str, int] = field(default_factory=dict)
    input_shapes: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    precision: str = "model"
    fusion: str = "paper"
    input_values: Mapping[str, float] = field(default_factory=dict)
    loop_trips: Mapping[str, int] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """The settings as plain data; input values and loop trips only when given."""
        record = asdict(self)
        for key in OPTIONAL_SETTINGS:
            if not record[key]:
                del record[key]
        return record


OPTIONAL_SETTINGS = ("input_values", "loop_trips")
"""Settings recorded only when given, so records of runs that set none keep their shape."""


@dataclass(frozen=True)
class Estimate:
    """Everything the estimator measured about one model; totals are sums over ``layers``."""

    model: str
    settings: Settings
    layers: tuple[Layer, ...]
    unestimated: tuple[Unestimated, ...]
    tensor_bytes: Mapping[str, int]
    macs: int
    flops: int
    params: int
    weight_bytes: int
    peak_activation_bytes: int
    dram_bytes: int
    node_count: int
    info: Mapping[str, Any] = field(default_factory=dict)
    computed_constant_bytes: int = 0

    @property
    def arithmetic_intensity(self) -> float:
        """FLOPs per byte of DRAM traffic for the whole inference."""
        return self.flops / self.dram_bytes if self.dram_bytes else 0.0

    @property
    def lower_bound(self) -> bool:
        """True when some nodes could not be costed, so every total is a lower bound."""
        return bool(self.unestimated)

    def metrics(self) -> dict[str, int | float]:
        """The model-level metrics, keyed by the names in ``edgegate.metrics.METRICS``."""
        return {
            "arithmetic_intensity": self.arithmetic_intensity,
            "computed_constant_bytes": self.computed_constant_bytes,
            "dram_bytes": self.dram_bytes,
            "flops": self.flops,
            "macs": self.macs,
            "params": self.params,
            "peak_activation_bytes": self.peak_activation_bytes,
            "weight_bytes": self.weight_bytes,
        }
