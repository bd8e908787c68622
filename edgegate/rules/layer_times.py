"""The layers that take the most time on the target, for the roofline charts of the reports:
each layer's FLOPs, its DRAM bytes there, its roofline time and share of the latency."""

from __future__ import annotations

from edgegate.estimator.result import Estimate
from edgegate.rules.findings import LayerTime
from edgegate.target.roofline import TargetReport

CHART_LAYERS = 12
"""Layers kept per model: enough to show where the time goes without bloating the records."""


def heaviest_layers(estimate: Estimate, report: TargetReport,
                    count: int = CHART_LAYERS) -> tuple[LayerTime, ...]:
    """The ``count`` layers with the longest roofline time on the target, longest first."""
    total = sum(timing.seconds for timing in report.layers)
    timed = [LayerTime(layer.name, layer.op_types, layer.flops, timing.dram_bytes, timing.seconds,
                       timing.seconds / total if total else 0.0, timing.bound)
             for layer, timing in zip(estimate.layers, report.layers)]
    timed.sort(key=lambda item: -item.seconds)
    return tuple(timed[:count])
