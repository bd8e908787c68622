"""Pictures for people (``edgegate plot``), SVG or PNG: FLOPs per model (the seed paper's
figure 7), a real roofline with the models (or one model's layers) on it, compute against DRAM
traffic per model (the paper's figure 9) and, from the history, a metric over time.

matplotlib is an optional extra (``pip install 'edgegate[plot]'``); without it :func:`pyplot`
raises a UsageError that says so. The data each chart shows is computed without matplotlib
(:mod:`edgegate.report.charts`); labels are short names, placed so they do not collide.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgegate.errors import UsageError
from edgegate.estimator.result import Estimate
from edgegate.metrics import METRICS
from edgegate.regression.history import Series
from edgegate.report.charts import COLORS, PRECISION_ORDER, Box, Chart, Dot, Roof, axis_range, place_labels
from edgegate.report.facts import short_names
from edgegate.rules.layer_times import heaviest_layers
from edgegate.target.roofline import TargetReport, evaluate
from edgegate.target.types import Target, compute_precision
from edgegate.units import format_quantity

INSTALL_HINT = "edgegate plot needs matplotlib: pip install 'edgegate[plot]'"
FORMATS = (".svg", ".png")
_FONT = 8
_BOUND_COLORS = {"bandwidth": "#d62728", "compute": "#1f77b4"}
LOG_SPAN = 20
"""Largest over smallest value past which a bar chart uses a log axis."""
LABELLED_SHARE = 0.02
"""Compute-bound layers under this share of the model's time get no label (their discs are still
drawn); memory-bound layers are always labelled, they are what the chart is for."""


def pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend, with stable SVG ids; UsageError without it."""
    try:
        import matplotlib
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "edgegate"
    import matplotlib.pyplot as plt

    return plt


def check_output(path: str) -> None:
    """UsageError unless ``path`` ends in .svg or .png."""
    if Path(path).suffix.lower() not in FORMATS:
        raise UsageError(f"--out '{path}': give a .svg or .png file name")


@dataclass(frozen=True)
class ModelPoint:
    """One model on the FLOPs and compute-vs-traffic charts."""

    label: str
    flops: int
    dram_bytes: int
    precision: str


def model_points(estimates: Sequence[Estimate]) -> list[ModelPoint]:
    """Each estimate's FLOPs, DRAM bytes and compute precision, labelled by its short name."""
    names = short_names([e.model for e in estimates])
    return [ModelPoint(names[e.model], e.flops, e.dram_bytes, compute_precision(e)) for e in estimates]


def ridges(points: Sequence[ModelPoint], target: Target) -> dict[str, float]:
    """The target's ridge point (FLOP/B) at each precision the models compute in; UsageError when
    the target lists no peak for one."""
    found = {}
    for precision in sorted({p.precision for p in points}):
        ridge = target.ridge_point(precision)
        if ridge is None:
            raise UsageError(f"--target: {target.missing_peak(precision)}; pass --precision")
        found[precision] = ridge
    return found


def _on_target(estimate: Estimate, target: Target) -> TargetReport:
    """The estimate evaluated on ``target`` at its compute precision (UsageError when the target
    lists no peak for it)."""
    precision = compute_precision(estimate)
    if target.peak_for(precision) is None:
        raise UsageError(f"--target: {target.missing_peak(precision)}; pass --precision")
    return evaluate(estimate, target, precision, None)


def _roofs(target: Target) -> tuple[Roof, ...]:
    """A roof for every precision the target lists."""
    rank = {name: index for index, name in enumerate(PRECISION_ORDER)}
    return tuple(Roof(p, peak, target.dram_bandwidth)
                 for p, peak in sorted(target.peak.items(), key=lambda item: rank.get(item[0], 9)))


def roofline_chart(estimates: Sequence[Estimate], target: Target) -> Chart:
    """The models on ``target``'s roofline: each at FLOPs / DRAM bytes there and FLOPs / latency."""
    names = short_names([e.model for e in estimates])
    dots = []
    for found in estimates:
        report = _on_target(found, target)
        seconds = report.latency_ms / 1000
        if found.flops > 0 and report.dram_bytes > 0 and seconds > 0:
            dots.append(Dot(names[found.model], found.flops / report.dram_bytes, found.flops / seconds,
                            report.precision, bound=report.bound))
    return Chart(f"Roofline of {target.name}", _roofs(target), tuple(dots))


def layers_chart(found: Estimate, target: Target) -> Chart:
    """One model's layers on ``target``'s roofline, each sized by its share of the model's time."""
    report = _on_target(found, target)
    layers = heaviest_layers(found, report, count=len(found.layers))
    dots = tuple(Dot(t.layer, t.flops / t.dram_bytes, t.flops / t.seconds, report.precision, share=t.share,
                     bound=t.bound) for t in layers if t.flops > 0 and t.dram_bytes > 0 and t.seconds > 0)
    return Chart(f"Layers of {found.model} on {target.name}", _roofs(target), dots)


def _save(figure: Any, path: str) -> None:
    """Write ``figure`` as SVG or PNG (by suffix) without a timestamp, then close it."""
    suffix = Path(path).suffix.lower()
    metadata = {"Date": None} if suffix == ".svg" else {"Software": None}
    figure.savefig(path, format=suffix[1:], metadata=metadata, bbox_inches="tight", dpi=150)
    figure.clear()


def _label_points(figure: Any, axes: Any, xs: Sequence[float], ys: Sequence[float], radii: Sequence[float],
                  labels: Sequence[str], texts: Sequence[Any] = ()) -> list[str]:
    """Write each label beside its point where it collides with no other label, point or one of
    the ``texts`` already drawn; returns the labels that fit nowhere (radii in points)."""
    figure.canvas.draw()
    height = figure.bbox.height
    scale = figure.dpi / 72
    bbox = axes.get_window_extent()
    area = Box(bbox.x0, height - bbox.y1, bbox.x1, height - bbox.y0)
    blocked = [Box(e.x0, height - e.y1, e.x1, height - e.y0) for e in (t.get_window_extent() for t in texts)]
    spots = []
    for x, y, radius in zip(xs, ys, radii):
        px, py = axes.transData.transform((x, y))
        spots.append((px, height - py, radius * scale))
    placed = place_labels(spots, labels, area, _FONT * 0.62 * scale, _FONT * 1.3 * scale, blocked)
    missing = []
    inverse = axes.transData.inverted()
    for text, spot in zip(labels, placed):
        if spot is None:
            missing.append(text)
            continue
        x, y = inverse.transform((spot.x, height - spot.y))
        align = {"start": "left", "end": "right", "middle": "center"}[spot.anchor]
        axes.text(x, y, text, fontsize=_FONT, ha=align, va="baseline", zorder=5)
    return missing


def _rate_axis(axes: Any, unit: str) -> None:
    """Log-axis ticks in human units (``1 GFLOP/s``)."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    axes.yaxis.set_major_locator(LogLocator(base=10))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: format_quantity(value, unit)))


def _missing_note(axes: Any, missing: Sequence[str], small: int = 0) -> None:
    """A line under the chart naming the points left unlabelled for lack of room (the first
    five), and counting the layers too small to label."""
    notes = []
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        notes.append(f"not labelled for lack of room: {', '.join(missing[:5])}{more}")
    if small:
        notes.append(f"{small} compute-bound layers under {LABELLED_SHARE:.0%} of the time not labelled")
    if notes:
        text = "\n".join(textwrap.wrap("; ".join(notes), 130))
        axes.annotate(text, (0, -0.14), xycoords="axes fraction", va="top", fontsize=_FONT - 1,
                      color="#57606a")


def draw_roofline(chart: Chart, path: str) -> None:
    """A log-log roofline: a roof per precision with its ridge point marked, the dots on it
    (models as points, layers as discs sized by their share of the time, red when memory-bound)."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(8, 5.5))
    axes.set_xscale("log")
    axes.set_yscale("log")
    x_range = axis_range([d.intensity for d in chart.dots] or [1.0], [r.ridge for r in chart.roofs])
    y_range = axis_range([d.rate for d in chart.dots] or [1.0], [r.peak for r in chart.roofs])
    axes.set_xlim(*x_range)
    axes.set_ylim(*y_range)
    ridge_texts = []
    for roof in chart.roofs:
        color = COLORS.get(roof.precision, "#555555")
        start = max(x_range[0], y_range[0] / roof.bandwidth)
        axes.plot([start, roof.ridge, x_range[1]], [roof.attainable(start), roof.peak, roof.peak],
                  color=color, linewidth=2, label=f"{roof.precision} roof: peak"
                  f" {format_quantity(roof.peak, 'FLOP/s')}, DRAM {format_quantity(roof.bandwidth, 'B/s')}")
        axes.plot([roof.ridge], [roof.peak], marker="D", color=color, markersize=6, zorder=4)
        axes.axvline(roof.ridge, color=color, linestyle=":", linewidth=1)
        ridge_texts.append((roof.ridge, roof.peak, f"ridge {format_quantity(roof.ridge, 'FLOP/B')}", color))
    drawn = [axes.annotate(text, (x, y), textcoords="offset points", xytext=(-6, 6), ha="right",
                           fontsize=_FONT, color=color, fontweight="bold")
             for x, y, text, color in ridge_texts]
    radii = []
    for dot in chart.dots:
        if dot.share is None:
            radius = 4.0
            axes.scatter([dot.intensity], [dot.rate], s=radius ** 2 * 2, zorder=3,
                         color=COLORS.get(dot.precision, "#555555"), edgecolors="#222222")
        else:
            radius = 2.5 + 14 * math.sqrt(dot.share)
            axes.scatter([dot.intensity], [dot.rate], s=math.pi * radius ** 2, zorder=3, alpha=0.55,
                         color=_BOUND_COLORS.get(dot.bound, "#555555"), edgecolors="#222222")
        radii.append(radius)
    axes.set_xlabel("arithmetic intensity (FLOP per DRAM byte on the target)")
    axes.set_ylabel("attainable FLOP/s")
    axes.set_title(chart.title)
    _rate_axis(axes, "FLOP/s")
    axes.grid(True, which="major", color="#e5e5e5", linewidth=0.8)
    if any(dot.share is not None for dot in chart.dots):
        axes.scatter([], [], color=_BOUND_COLORS["bandwidth"], alpha=0.55,
                     label="memory-bound layer (area: share of time)")
        axes.scatter([], [], color=_BOUND_COLORS["compute"], alpha=0.55, label="compute-bound layer")
    axes.legend(fontsize=_FONT, loc="lower right")
    order = sorted(range(len(chart.dots)),
                   key=lambda i: (chart.dots[i].bound != "bandwidth", -(chart.dots[i].share or 1.0)))
    labelled = [i for i in order
                if chart.dots[i].bound == "bandwidth" or (chart.dots[i].share or 1.0) >= LABELLED_SHARE]
    missing = _label_points(figure, axes, [chart.dots[i].intensity for i in labelled],
                            [chart.dots[i].rate for i in labelled], [radii[i] for i in labelled],
                            [chart.dots[i].label for i in labelled], drawn)
    _missing_note(axes, missing, len(order) - len(labelled))
    _save(figure, path)
    plt.close(figure)


def draw_flops(points: Sequence[ModelPoint], path: str) -> None:
    """A bar per model: FLOPs per inference, on a log axis when the values span more than
    :data:`LOG_SPAN` (the smallest bar would be under 5% of the tallest on a linear one)."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(max(4.5, 0.55 * len(points) + 2), 4.2))
    values = [max(p.flops, 1) for p in points]
    logarithmic = wants_log(values)
    if logarithmic:
        axes.set_yscale("log")
    axes.bar(range(len(points)), values, color="#1f77b4")
    axes.set_xticks(range(len(points)), [p.label for p in points], rotation=40, ha="right",
                    fontsize=_FONT + 1)
    axes.set_ylabel("FLOPs per inference" + (" (log scale)" if logarithmic else ""))
    axes.set_title("Compute per model")
    axes.yaxis.set_major_formatter(_quantity_formatter("FLOP"))
    for index, value in enumerate(values):
        axes.annotate(format_quantity(value, "FLOP"), (index, value), ha="center", va="bottom",
                      fontsize=_FONT, textcoords="offset points", xytext=(0, 2))
    axes.margins(y=0.12)
    _save(figure, path)
    plt.close(figure)


def wants_log(values: Sequence[float]) -> bool:
    """True when positive ``values`` span more than :data:`LOG_SPAN` (largest / smallest)."""
    return bool(values) and max(values) / min(values) > LOG_SPAN


def _decimal_bytes(value: float) -> str:
    """Bytes with a decimal prefix (``100 kB``, ``1 MB``): a log axis's ticks are powers of ten."""
    for prefix, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:g} {prefix}B"
    return f"{value:g} B"


def _quantity_formatter(unit: str) -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _: format_quantity(value, unit) if value > 0 else "0")


def draw_traffic(points: Sequence[ModelPoint], target: Target | None, path: str) -> None:
    """Compute (FLOPs) against DRAM traffic (bytes) per model, log-log: the seed paper's compute
    vs memory bandwidth figure. With a target, its ridge lines FLOPs = ridge x bytes: models
    above one are compute-bound at that precision, below it bandwidth-bound."""
    plt = pyplot()
    from matplotlib.ticker import FuncFormatter

    figure, axes = plt.subplots(figsize=(7.5, 5.2))
    axes.set_xscale("log")
    axes.set_yscale("log")
    xs = [max(p.dram_bytes, 1) for p in points]
    ys = [max(p.flops, 1) for p in points]
    x_range, y_range = axis_range(xs), axis_range(ys)
    axes.set_xlim(*x_range)
    axes.set_ylim(*y_range)
    if target is not None:
        for precision, ridge in ridges(points, target).items():
            axes.plot(list(x_range), [ridge * x_range[0], ridge * x_range[1]], linestyle="--",
                      color=COLORS.get(precision, "#555555"),
                      label=f"{target.name} {precision}: ridge {format_quantity(ridge, 'FLOP/B')}")
        axes.legend(fontsize=_FONT, loc="lower right")
    for point, x, y in zip(points, xs, ys):
        axes.scatter([x], [y], s=32, zorder=3, color=COLORS.get(point.precision, "#555555"),
                     edgecolors="#222222")
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: _decimal_bytes(value)))
    axes.yaxis.set_major_formatter(_quantity_formatter("FLOP"))
    axes.set_xlabel("DRAM traffic per inference")
    axes.set_ylabel("FLOPs per inference")
    axes.set_title("Compute vs DRAM traffic per model")
    axes.grid(True, which="major", color="#e5e5e5", linewidth=0.8)
    missing = _label_points(figure, axes, xs, ys, [4.0] * len(points), [p.label for p in points])
    _missing_note(axes, missing)
    _save(figure, path)
    plt.close(figure)


def draw_history(found: Sequence[Series], metric: str, path: str) -> None:
    """``metric`` per run, one line per model (x: run time, in order)."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 4))
    for item in found:
        points = [p for p in item.points if metric in p.metrics]
        axes.plot([p.time for p in points], [p.metrics[metric] for p in points], marker="o",
                  label=f"{item.model} [{item.budget}]")
    axes.set_ylabel(f"{metric} ({METRICS[metric].unit})")
    axes.set_title(f"{metric} over time")
    axes.tick_params(axis="x", labelrotation=45)
    if found:
        axes.legend(fontsize=8)
    _save(figure, path)
    plt.close(figure)
