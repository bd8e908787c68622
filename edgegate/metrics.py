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
    "bandwidth_at_fps": Metric(
        "B/s",
        "DRAM bandwidth the model needs at the policy's frame rate on the target:"
        " dram_bytes_onchip * fps.",
        needs_target=True,
    ),
    "computed_constant_bytes": Metric(
        "B",
        "Bytes of the distinct constants computed at estimate time from shapes (masks,"
        " position ranges) that layers read: not params; their reads are in dram_bytes.",
    ),
    "dram_bytes": Metric(
        "B",
        "Bytes moved between DRAM and the chip per inference: every layer reads its weights and"
        " input activations and writes its outputs.",
    ),
    "dram_bytes_onchip": Metric(
        "B",
        "DRAM bytes per inference on the target: intermediates that fit in its on-chip memory"
        " stay there, resident weights are not re-read; equals dram_bytes with no on-chip memory.",
        needs_target=True,
    ),
    "file_bytes": Metric("B", "Size of the .onnx file itself (external data files not counted)."),
    "flops": Metric("FLOP", "Arithmetic operations per inference; one MAC is 2 FLOPs."),
    "latency_ms": Metric(
        "ms",
        "Roofline latency on the target: the sum over layers of max(FLOPs / peak FLOP/s,"
        " DRAM bytes / DRAM bandwidth).",
        needs_target=True,
    ),
    "macs": Metric("MAC", "Multiply-accumulates per inference (Conv, Gemm, MatMul, ...)."),
    "params": Metric("param", "Elements of the distinct constant tensors layers read as data."),
    "peak_activation_bytes": Metric(
        "B", "Largest sum of live activation bytes while any layer runs (liveness walk)."
    ),
    "weight_bytes": Metric("B", "Bytes of those parameters at the chosen precision."),
}
