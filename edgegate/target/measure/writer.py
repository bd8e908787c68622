"""Write a measured device as a target file: the shipped format plus ``efficiency:`` and a
``sources:`` record of what was measured, where, when and by which edgegate version.

Each figure gets a comment saying how it was measured, as the shipped targets cite theirs.
Strings are written as JSON strings, which YAML reads as double-quoted scalars.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from edgegate.target.efficiency import CLASSES_VERSION, OP_CLASSES
from edgegate.target.measure.calibrate import DeviceMeasurement

_PREFIXES = (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3))


@dataclass(frozen=True)
class Provenance:
    """Where and when the measurement ran, for the ``sources:`` record."""

    machine: str
    date: str
    edgegate: str
    command: str
    load: str


def rate_text(value: float, unit: str) -> str:
    """``98.21 GFLOP/s``: four significant digits with the largest decimal prefix that fits."""
    for prefix, scale in _PREFIXES:
        if value >= scale:
            return f"{value / scale:.4g} {prefix}{unit}"
    return f"{value:.4g} {unit}"


def _peak_unit(precision: str) -> str:
    """OP/s for int8, FLOP/s otherwise, as the shipped targets write them."""
    return "OP/s" if precision == "int8" else "FLOP/s"


def measured_what(measured: DeviceMeasurement) -> str:
    """``peak (fp32, int8), dram_bandwidth, efficiency (fp32, int8)``."""
    parts = [f"peak ({', '.join(measured.peak)})", "dram_bandwidth"]
    if measured.efficiency:
        parts.append(f"efficiency ({', '.join(measured.efficiency)})")
    return ", ".join(parts)


def render_target(measured: DeviceMeasurement, provenance: Provenance) -> str:
    """The target file's text."""
    q = json.dumps
    runtime = f"{measured.runtime}, {measured.threads} threads"
    cpu = provenance.machine.split(",")[0]
    lines = [
        f"# Measured by `{provenance.command}` on {provenance.machine}, {provenance.date}.",
        "# A measured target: the roofline uses these achieved rates, and each op class's share of",
        "# the peak (efficiency), so its latency is a prediction rather than a lower bound.",
        "version: 1",
        f"description: {q(f'{cpu}, measured ({runtime})')}",
        "peak:",
    ]
    for precision, rate in measured.peak.items():
        lines += [f"  # {rate.method}", f"  {precision}: {rate_text(rate.value, _peak_unit(precision))}"]
    lines += [f"# {measured.bandwidth.method}",
              f"dram_bandwidth: {rate_text(measured.bandwidth.value, 'B/s')}"]
    if measured.efficiency:
        lines += ["# the share of each precision's peak that layers of each op class reach on onnxruntime",
                  f"# ({runtime}), measured on representative layers (op classes version {CLASSES_VERSION},",
                  "# docs/targets.md)",
                  "efficiency:", f"  version: {CLASSES_VERSION}"]
        for precision, table in measured.efficiency.items():
            lines.append(f"  {precision}:")
            lines += [f"    {name}: {table[name]:.3g}" for name in OP_CLASSES if name in table]
    lines += _sources(measured, provenance, runtime)
    return "\n".join(lines) + "\n"


def _sources(measured: DeviceMeasurement, provenance: Provenance, runtime: str) -> list[str]:
    """The ``sources:`` record."""
    q = json.dumps
    record: Mapping[str, str] = {
        "measured": measured_what(measured),
        "machine": provenance.machine,
        "date": provenance.date,
        "edgegate": provenance.edgegate,
        "runtime": runtime,
        "command": provenance.command,
        "load": provenance.load,
    }
    lines = ["sources:"]
    for number, (key, value) in enumerate(record.items()):
        lines.append(f"  {'- ' if number == 0 else '  '}{key}: {q(value)}")
    return lines
