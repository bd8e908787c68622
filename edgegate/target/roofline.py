"""A model on a target: DRAM traffic with on-chip memory, roofline latency, bandwidth at a frame rate.

The walk follows the cost model's "Targets" section: layers run in order; a layer's output
stays on chip when it fits beside the activations already held there (their bytes + its
bytes <= capacity) and some later layer reads it; otherwise it is written to DRAM and read
back by each consumer. A held tensor frees its space after its last reader. Graph outputs
always go to DRAM. With no on-chip memory every layer's traffic is its ``Layer.dram_bytes``.

A layer's time is max(FLOPs / (peak x efficiency of its op class), DRAM bytes / bandwidth);
the efficiency is 1 for every class on a target without an ``efficiency:`` table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from edgegate.estimator.result import Estimate, Layer
from edgegate.target.efficiency import compute_seconds
from edgegate.target.types import Target


@dataclass(frozen=True)
class LayerTiming:
    """One layer on the target: its DRAM bytes there, roofline time, what bounds it (compute or
    bandwidth), its op class ('' when not needed, so not read) and that class's efficiency."""

    name: str
    dram_bytes: int
    seconds: float
    bound: str
    op_class: str = ""
    efficiency: float = 1.0

    def record(self) -> dict[str, Any]:
        """This layer's timing as JSON data (``latency_ms`` in milliseconds)."""
        return {"op_class": self.op_class, "efficiency": self.efficiency, "dram_bytes": self.dram_bytes,
                "latency_ms": self.seconds * 1000, "bound": self.bound}


@dataclass(frozen=True)
class TargetReport:
    """The target-derived numbers for one estimate (metrics ``latency_ms``, ``bandwidth_at_fps``,
    ``dram_bytes_onchip``) and the facts behind them."""

    target: str
    precision: str
    peak: float
    dram_bandwidth: float
    ridge_point: float
    bound: str
    dram_bytes: int
    latency_ms: float
    bandwidth_at_fps: float | None
    onchip_bytes: int
    weights_resident: bool
    fits_onchip: bool
    layers: tuple[LayerTiming, ...]
    efficiency: Mapping[str, float] = field(default_factory=dict)
    description: str = ""

    def metrics(self) -> dict[str, int | float]:
        """The target-derived metrics, keyed by their names in ``edgegate.metrics.METRICS``."""
        values: dict[str, int | float] = {
            "dram_bytes_onchip": self.dram_bytes,
            "latency_ms": self.latency_ms,
        }
        if self.bandwidth_at_fps is not None:
            values["bandwidth_at_fps"] = self.bandwidth_at_fps
        return values

    def record(self) -> dict[str, Any]:
        """The target facts behind the numbers, as JSON data (``efficiency``: the op classes the
        target states a share of the peak for, at this precision; empty for a datasheet roofline)."""
        return {
            "name": self.target, "description": self.description,
            "precision": self.precision, "peak_flops": self.peak, "dram_bandwidth": self.dram_bandwidth,
            "ridge_point": self.ridge_point, "bound": self.bound, "latency_ms": self.latency_ms,
            "dram_bytes": self.dram_bytes, "onchip_bytes": self.onchip_bytes,
            "weights_resident": self.weights_resident, "efficiency": dict(self.efficiency),
        }


def onchip_dram_per_layer(estimate: Estimate, capacity: int, weights_resident: bool) -> list[int]:
    """DRAM bytes of each layer when ``capacity`` bytes of on-chip memory hold intermediates.

    With ``capacity`` 0 and weights not resident this is each ``Layer.dram_bytes`` exactly.
    """
    outputs = set(estimate.info.get("outputs", ()))
    last_read: dict[str, int] = {}
    for layer in estimate.layers:
        for name in layer.reads:
            last_read[name] = layer.index
    held: dict[str, int] = {}
    traffic = []
    for layer in estimate.layers:
        # a selection reads only part of its input: it saves at most what it reads
        saved = sum(min(held[name], layer.input_bytes) for name in set(layer.reads) if name in held)
        for name in layer.writes:
            size = estimate.tensor_bytes.get(name, 0)
            later = last_read.get(name, -1) > layer.index
            if later and name not in outputs and sum(held.values()) + size <= capacity:
                held[name] = size
                saved += size
        for name in set(layer.reads):
            if last_read[name] == layer.index:
                held.pop(name, None)
        weights = 0 if weights_resident else layer.weight_bytes
        traffic.append(weights + layer.input_bytes + layer.output_bytes - saved)
    return traffic


def evaluate(estimate: Estimate, target: Target, precision: str, fps: float | None,
             classes: Sequence[str] | None = None) -> TargetReport:
    """Roofline latency, DRAM traffic and bandwidth of ``estimate`` on ``target`` at ``precision``.

    ``classes`` are the layers' op classes; by default they are read from the model file when
    the target states efficiencies at ``precision`` (and not needed otherwise). The caller
    checks that the target lists a peak for ``precision``.
    """
    peak = target.peak[precision]
    resident = target.weights_resident(estimate.weight_bytes)
    traffic = onchip_dram_per_layer(estimate, target.onchip_bytes, resident)
    if classes is None and target.efficiency.get(precision) and estimate.layers:
        # classify reads the model with onnx: imported here, so that loading targets and
        # policies (`policy validate`) never imports onnx
        from edgegate.target.classify import layer_classes

        classes = layer_classes(estimate)
    classes = classes if classes is not None else ("",) * len(estimate.layers)
    layers = tuple(_timing(layer, dram, peak, target.dram_bandwidth, op_class,
                           target.efficiency_for(precision, op_class))
                   for layer, dram, op_class in zip(estimate.layers, traffic, classes))
    dram = sum(traffic)
    ridge = peak / target.dram_bandwidth
    intensity = estimate.flops / dram if dram else float("inf")
    return TargetReport(
        target=target.name,
        precision=precision,
        peak=peak,
        dram_bandwidth=target.dram_bandwidth,
        ridge_point=ridge,
        bound="compute" if intensity >= ridge else "bandwidth",
        dram_bytes=dram,
        latency_ms=sum(timing.seconds for timing in layers) * 1000,
        bandwidth_at_fps=None if fps is None else dram * fps,
        onchip_bytes=target.onchip_bytes,
        weights_resident=resident,
        fits_onchip=estimate.peak_activation_bytes <= target.onchip_bytes,
        layers=layers,
        efficiency=dict(target.efficiency.get(precision, {})),
        description=target.description,
    )


def _timing(layer: Layer, dram: int, peak: float, bandwidth: float, op_class: str,
            efficiency: float) -> LayerTiming:
    """The roofline time of one layer: the slower of its compute (at its class's share of the
    peak) and its DRAM traffic."""
    compute, memory = compute_seconds(layer.flops, peak, efficiency), dram / bandwidth
    bound = "compute" if compute >= memory else "bandwidth"
    return LayerTiming(layer.name, dram, max(compute, memory), bound, op_class, efficiency)
