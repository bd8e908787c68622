"""The Target dataclass and the choice of which peak-compute figure applies to an estimate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from edgegate.estimator.result import Estimate
from edgegate.target.efficiency import Efficiency, efficiency_of

PRECISIONS = ("fp32", "fp16", "int8")


@dataclass(frozen=True)
class Target:
    """A hardware profile: peak compute per precision (FLOP/s or OP/s), DRAM bandwidth (B/s).

    ``onchip_bytes`` is on-chip memory for activations (0: every intermediate goes to DRAM,
    the paper's assumption); ``weight_store_bytes`` is on-chip memory that keeps weights
    resident between inferences when they fit (0: weights stream from DRAM every inference).
    ``supported_ops`` (None: not stated) lists the ONNX op types the target runs.
    ``efficiency`` gives, per precision, the share of the peak each op class reaches (a class
    not listed reaches all of it: the datasheet roofline, a lower bound on latency).
    """

    name: str
    peak: Mapping[str, float]
    dram_bandwidth: float
    onchip_bytes: int = 0
    weight_store_bytes: int = 0
    supported_ops: frozenset[str] | None = None
    description: str = ""
    source: str = field(default="", compare=False)
    efficiency: Efficiency = field(default_factory=dict)

    def peak_for(self, precision: str) -> float | None:
        """Peak FLOP/s (or OP/s) at ``precision`` (fp32, fp16, int8); None when not listed."""
        return self.peak.get(precision)

    def ridge_point(self, precision: str) -> float | None:
        """FLOP per DRAM byte where compute and bandwidth take equal time at ``precision``."""
        peak = self.peak_for(precision)
        return None if peak is None else peak / self.dram_bandwidth

    def efficiency_for(self, precision: str, op_class: str) -> float:
        """The share of the ``precision`` peak that layers of ``op_class`` reach (1 when not stated)."""
        return efficiency_of(self.efficiency, precision, op_class)

    def missing_peak(self, precision: str) -> str:
        """The message for a budget that computes at a precision this target lists no peak for."""
        return f"target '{self.name}' lists no peak for {precision} (it lists {', '.join(sorted(self.peak))})"

    def weights_resident(self, weight_bytes: int) -> bool:
        """True when ``weight_bytes`` of weights fit in the target's resident weight store."""
        return 0 < weight_bytes <= self.weight_store_bytes


def compute_precision(estimate: Estimate) -> str:
    """The precision the model computes in: the settings' override, else its weights' size.

    Under ``precision: model`` the bytes per parameter decide: 1 -> int8, 2 -> fp16,
    anything else (or no parameters) -> fp32.
    """
    chosen = estimate.settings.precision
    if chosen in PRECISIONS:
        return chosen
    if estimate.params:
        per_param = estimate.weight_bytes / estimate.params
        if per_param <= 1:
            return "int8"
        if per_param <= 2:
            return "fp16"
    return "fp32"
