"""The metrics table: every number edgegate reports, with its unit and meaning.

This one table feeds the JSON output, the policy schema's metric names, the rules and
``docs/metrics.md`` (a test keeps the doc in step). Names are a public contract.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """A reported quantity: base unit (as the units module spells it) and a one-line meaning."""

    unit: str
    description: str
    needs_target: bool = False


METRICS: dict[str, Metric] = {
    "arithmetic_intensity": Metric(
        "FLOP/B", "FLOPs per byte of DRAM traffic (compute-to-bandwidth ratio): flops / dram_bytes."
    ),
    "dram_bytes": Metric(
        "B",
        "Bytes moved between DRAM and the chip per inference: every layer reads its weights and"
        " input activations and writes its outputs.",
    ),
    "flops": Metric("FLOP", "Arithmetic operations per inference; one MAC is 2 FLOPs."),
    "macs": Metric("MAC", "Multiply-accumulates per inference (Conv, Gemm, MatMul, ...)."),
    "params": Metric("param", "Elements of the distinct constant tensors layers read as data."),
    "peak_activation_bytes": Metric(
        "B", "Largest sum of live activation bytes while any layer runs (liveness walk)."
    ),
    "weight_bytes": Metric("B", "Bytes of those parameters at the chosen precision."),
}
