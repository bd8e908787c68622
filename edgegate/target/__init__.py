"""Hardware targets: peak compute, DRAM bandwidth and on-chip memory, and what a model costs there."""

from __future__ import annotations

from edgegate.target.roofline import TargetReport, evaluate, onchip_dram_per_layer
from edgegate.target.types import Target, compute_precision

__all__ = ["Target", "TargetReport", "compute_precision", "evaluate", "onchip_dram_per_layer"]
