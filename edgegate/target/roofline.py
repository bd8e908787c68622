"""A model on a target: DRAM traffic with on-chip memory, roofline latency, bandwidth at a frame rate.

The walk follows the cost model's "Targets" section: layers run in order; a layer's output
stays on chip when it fits beside the activations already held there (their bytes + its
bytes <= capacity) and some later layer reads it; otherwise it is written to DRAM and read
back by each consumer. A held tensor frees its space after its last reader. Graph outputs
always go to DRAM. With no on-chip memory every layer's traffic is its ``Layer.dram_bytes``.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgegate.estimator.result import Estimate, Layer
from edgegate.target.types import Target


@dataclass(frozen=True)
class LayerTiming:
    """One layer on the target: its DRAM bytes there, roofline time, and what bounds it."""

    name: str
    dram_bytes: int
    seconds: float
    bound: str


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

    def metrics(self) -> dict[str, int | float]:
        """The target-derived metrics, keyed by their names in ``edgegate.metrics.METRICS``."""
        values: dict[str, int | float] = {
            "dram_bytes_onchip": self.dram_bytes,
            "latency_ms": self.latency_ms,
        }
        if self.bandwidth_at_fps is not None:
            values["bandwidth_at_fps"] = self.bandwidth_at_fps
        return values


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


def evaluate(estimate: Estimate, target: Target, precision: str, fps: float | None) -> TargetReport:
    """Roofline latency, DRAM traffic and bandwidth of ``estimate`` on ``target`` at ``precision``.

    The caller checks that the target lists a peak for ``precision``.
    """
    peak = target.peak[precision]
    resident = target.weights_resident(estimate.weight_bytes)
    traffic = onchip_dram_per_layer(estimate, target.onchip_bytes, resident)
    layers = tuple(_timing(layer, dram, peak, target.dram_bandwidth)
                   for layer, dram in zip(estimate.layers, traffic))
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
    )


def _timing(layer: Layer, dram: int, peak: float, bandwidth: float) -> LayerTiming:
    """The roofline time of one layer: the slower of its compute and its memory traffic."""
    compute, memory = layer.flops / peak, dram / bandwidth
    bound = "compute" if compute >= memory else "memory"
    return LayerTiming(layer.name, dram, max(compute, memory), bound)
