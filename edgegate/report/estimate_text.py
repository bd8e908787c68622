"""``edgegate estimate`` for people: totals in human units and a table of the heaviest layers.

Model paths, node, op and domain names and dimension names come from the file: each is
printed through :func:`~edgegate.printable.printable`, so it stays on its line and is never a
workflow command.
"""

from __future__ import annotations

from typing import TextIO

from edgegate.estimator.result import Estimate, Layer
from edgegate.estimator.serialize import LAYER_FIELDS
from edgegate.metrics import METRICS
from edgegate.printable import printable
from edgegate.target.roofline import LayerTiming, TargetReport
from edgegate.units import format_quantity

SORT_KEYS: tuple[str, ...] = tuple(f for f in LAYER_FIELDS if f not in ("name", "op_types"))
TARGET_SORT_KEY = "latency_ms"
"""Sorts layers by their roofline time; needs a target report."""

_TOTALS: tuple[tuple[str, str], ...] = (
    ("macs", "MACs"),
    ("flops", "FLOPs"),
    ("params", "params"),
    ("weight_bytes", "weights"),
    ("peak_activation_bytes", "peak activation"),
    ("dram_bytes", "DRAM traffic"),
    ("arithmetic_intensity", "intensity"),
)

_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("macs", "MACs", ""),
    ("flops", "FLOPs", ""),
    ("params", "params", ""),
    ("weight_bytes", "weights", "B"),
    ("input_bytes", "in", "B"),
    ("output_bytes", "out", "B"),
    ("dram_bytes", "DRAM", "B"),
    ("arithmetic_intensity", "FLOP/B", "FLOP/B"),
)


def _cell(value: int | float, unit: str) -> str:
    if unit == "FLOP/B":
        return f"{value:.1f}"
    return format_quantity(value, unit).strip()


def pick_layers(estimate: Estimate, sort: str, top: int | None,
                report: TargetReport | None = None) -> list[Layer]:
    """Layers sorted by ``sort`` (heaviest first; ``index`` keeps graph order; ``latency_ms``,
    by the time in ``report``), first ``top``."""
    layers = list(estimate.layers)
    if sort == TARGET_SORT_KEY and report is not None:
        layers.sort(key=lambda layer: report.layers[layer.index].seconds, reverse=True)
    elif sort != "index":
        layers.sort(key=lambda layer: getattr(layer, sort), reverse=True)
    return layers if top is None else layers[:top]


def _settings_line(estimate: Estimate) -> str:
    s = estimate.settings
    bound = [f"{printable(k)}={v}" for k, v in s.dims.items()]
    bound += [f"{printable(k)}={'x'.join(map(str, v))}" for k, v in s.input_shapes.items()]
    parts = [", ".join(bound)] if bound else []
    parts += [f"precision {s.precision}", f"fusion {s.fusion}"]
    return "; ".join(parts)


def _target_lines(report: TargetReport, marker: str) -> list[str]:
    """The target, the roofline latency (saying what kind of bound it is) and DRAM traffic there."""
    kind = ("with the target's efficiency table" if report.efficiency
            else "at the peak: a lower bound on latency")
    bounds = [t.bound for t in report.layers]
    return [
        f"  {'target':<16} {printable(report.target)} ({report.precision}: peak"
        f" {format_quantity(report.peak, 'FLOP/s')}, DRAM {format_quantity(report.dram_bandwidth, 'B/s')},"
        f" ridge {report.ridge_point:.2f} FLOP/B)",
        f"  {'latency':<16} {marker}{format_quantity(report.latency_ms, 'ms')} (roofline {kind};"
        f" {bounds.count('compute')} layers compute-bound, {bounds.count('bandwidth')} bandwidth-bound)",
        f"  {'DRAM on target':<16} {marker}{format_quantity(report.dram_bytes, 'B')}",
    ]


def _timing_cells(timing: LayerTiming) -> list[str]:
    """The class, efficiency, time and bound cells of one layer."""
    return [timing.op_class, f"{timing.efficiency:.3g}", format_quantity(timing.seconds * 1000, "ms"),
            timing.bound]


def write_estimate(estimate: Estimate, out: TextIO, sort: str, top: int | None,
                   report: TargetReport | None = None) -> None:
    """Totals, then the layer table (all layers when ``top`` is None); with a target ``report``,
    the roofline latency and, per layer, its op class, efficiency, time and bound."""
    out.write(f"{printable(estimate.model)}  ({_settings_line(estimate)})\n")
    marker = ">= " if estimate.lower_bound else ""
    for name, label in _TOTALS:
        value = estimate.metrics()[name]
        out.write(f"  {label:<16} {marker}{format_quantity(value, METRICS[name].unit)}\n")
    if report is not None:
        out.writelines(line + "\n" for line in _target_lines(report, marker))
    out.write(
        f"  {len(estimate.layers)} layers from {estimate.node_count} nodes;"
        f" {len(estimate.unestimated)} unestimated\n"
    )
    if estimate.unestimated:
        out.write("  totals are lower bounds; these nodes have no cost:\n")
        for item in estimate.unestimated:
            out.write(f"    {printable(item.node)} ({printable(item.op_type)}): {printable(item.reason)}\n")
    layers = pick_layers(estimate, sort, top, report)
    if not layers:
        return
    title = "all layers" if top is None else f"top {len(layers)} layers"
    order = "graph order" if sort == "index" else f"by {sort}"
    out.write(f"\n  {title}, {order}:\n")
    header = ["#", "layer", "ops"] + [label for _, label, _ in _COLUMNS]
    rows = [
        [str(layer.index), printable(layer.name), printable("+".join(layer.op_types))]
        + [_cell(getattr(layer, key), unit) for key, _, unit in _COLUMNS]
        + ([] if report is None else _timing_cells(report.layers[layer.index]))
        for layer in layers
    ]
    if report is not None:
        header += ["class", "eff", "time", "bound"]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    left = {0, 1, 2, len(header) - 1, len(header) - 4} if report is not None else {0, 1, 2}
    for row in [header, *rows]:
        cells = [c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
        out.write("  " + "  ".join(cells).rstrip() + "\n")
