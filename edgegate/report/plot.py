"""Pictures of what the seed paper draws: FLOPs per model; compute against DRAM traffic with a
target's roofline ridge; and, from the history, a metric over time. SVG or PNG.

matplotlib is an optional extra (``pip install 'edgegate[plot]'``); without it :func:`pyplot`
raises a UsageError that says so. The data each chart shows is computed without matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgegate.errors import UsageError
from edgegate.estimator.result import Estimate
from edgegate.metrics import METRICS
from edgegate.regression.history import Series
from edgegate.target.types import Target, compute_precision
from edgegate.units import format_quantity

INSTALL_HINT = "edgegate plot needs matplotlib: pip install 'edgegate[plot]'"
FORMATS = (".svg", ".png")


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
    """One model on the compute-vs-traffic chart."""

    label: str
    flops: int
    dram_bytes: int
    precision: str

    @property
    def intensity(self) -> float:
        """FLOPs per DRAM byte."""
        return self.flops / self.dram_bytes if self.dram_bytes else 0.0


def model_points(estimates: Sequence[Estimate]) -> list[ModelPoint]:
    """Each estimate's FLOPs, DRAM bytes and compute precision, labelled by path."""
    return [ModelPoint(e.model, e.flops, e.dram_bytes, compute_precision(e)) for e in estimates]


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


def _save(figure: Any, path: str) -> None:
    """Write ``figure`` as SVG or PNG (by suffix) without a timestamp, then close it."""
    suffix = Path(path).suffix.lower()
    metadata = {"Date": None} if suffix == ".svg" else {"Software": None}
    figure.savefig(path, format=suffix[1:], metadata=metadata, bbox_inches="tight")
    figure.clear()


def draw_flops(points: Sequence[ModelPoint], path: str) -> None:
    """A bar per model: FLOPs per inference."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(max(4.0, 0.6 * len(points) + 2), 4))
    axes.bar([p.label for p in points], [p.flops for p in points], color="tab:blue")
    axes.set_ylabel("FLOPs per inference")
    axes.set_title("Compute per model")
    for index, point in enumerate(points):
        axes.annotate(format_quantity(point.flops, "FLOP"), (index, point.flops),
                      ha="center", va="bottom", fontsize=8)
    axes.tick_params(axis="x", labelrotation=45)
    _save(figure, path)
    plt.close(figure)


def draw_roofline(points: Sequence[ModelPoint], target: Target, path: str) -> None:
    """Compute (FLOPs) against DRAM traffic (bytes) per model, log-log, with the target's ridge
    line FLOPs = ridge x bytes: models above it are compute-bound, below it bandwidth-bound."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(6, 4.5))
    axes.set_xscale("log")
    axes.set_yscale("log")
    xs = [max(p.dram_bytes, 1) for p in points]
    low, high = min(xs) / 4, max(xs) * 4
    for precision, ridge in ridges(points, target).items():
        axes.plot([low, high], [ridge * low, ridge * high], linestyle="--",
                  label=f"{target.name} {precision} ridge {format_quantity(ridge, 'FLOP/B')}")
    for point in points:
        axes.scatter(max(point.dram_bytes, 1), max(point.flops, 1), zorder=3)
        axes.annotate(point.label, (max(point.dram_bytes, 1), max(point.flops, 1)),
                      textcoords="offset points", xytext=(4, 4), fontsize=8)
    axes.set_xlabel("DRAM traffic per inference (bytes)")
    axes.set_ylabel("FLOPs per inference")
    axes.set_title("Compute vs DRAM traffic (above the ridge: compute-bound)")
    axes.legend(fontsize=8)
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
