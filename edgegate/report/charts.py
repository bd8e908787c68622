"""The data and geometry of a roofline chart, shared by the HTML report's SVG and the
``edgegate plot`` PNG/SVG (matplotlib): roofs, points, log axes and label placement.

A roofline chart is log-log: x the arithmetic intensity (FLOP per DRAM byte), y the attainable
FLOP/s. A roof per precision is ``min(peak, bandwidth x intensity)``, bending at the ridge point
``peak / bandwidth``. A model sits at its intensity on the target (FLOPs / DRAM bytes there) and
its achieved rate (FLOPs / roofline latency), under the roof; a layer sits on the roof at its own
intensity, sized by its share of the model's time, so the bandwidth-bound layers (left of the
ridge) stand out. Nothing here draws: it computes what a drawing needs, in plain numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from edgegate.report.facts import Record, label, printable, short_names

PRECISION_ORDER = ("fp32", "fp16", "int8")
COLORS = {"fp32": "#1f77b4", "fp16": "#2ca02c", "int8": "#ff7f0e"}
"""One colour per precision, for its roof and the points computed at it."""


@dataclass(frozen=True)
class Roof:
    """A target's roof at one precision: peak FLOP/s and DRAM bytes/s."""

    precision: str
    peak: float
    bandwidth: float

    @property
    def ridge(self) -> float:
        """The intensity (FLOP/B) where compute and bandwidth take equal time."""
        return self.peak / self.bandwidth

    def attainable(self, intensity: float) -> float:
        """The roof at ``intensity``: min(peak, bandwidth x intensity)."""
        return min(self.peak, self.bandwidth * intensity)


@dataclass(frozen=True)
class Dot:
    """A point on the chart: a model (``share`` None) or one of its layers (``share`` its part
    of the model's time); ``status`` is pass, warn or FAIL for a model."""

    label: str
    intensity: float
    rate: float
    precision: str
    share: float | None = None
    status: str = "pass"
    bound: str = ""


@dataclass(frozen=True)
class Chart:
    """One roofline chart: a title, the roofs, and the dots on it."""

    title: str
    roofs: tuple[Roof, ...]
    dots: tuple[Dot, ...]


def model_dot(model: Record, name: str) -> Dot | None:
    """``model`` on its target's roofline, or None when it has no target or nothing to place
    (no FLOPs, no DRAM traffic or no latency: a log axis has no zero)."""
    target, metrics = model["target"], model["metrics"]
    if target is None or model["error"] is not None:
        return None
    flops = metrics.get("flops") or 0
    traffic = metrics.get("dram_bytes_onchip", metrics.get("dram_bytes")) or 0
    seconds = (metrics.get("latency_ms") or 0) / 1000
    if not (flops > 0 and traffic > 0 and seconds > 0):
        return None
    state = "pass" if model["passed"] else "FAIL"
    if state == "pass" and any(not finding["passed"] for finding in model["findings"]):
        state = "warn"
    return Dot(name, flops / traffic, flops / seconds, target["precision"], status=state)


def layer_dots(model: Record) -> list[Dot]:
    """The model's recorded heaviest layers on its target's roof (those with FLOPs and traffic)."""
    target = model["target"]
    if target is None:
        return []
    return [Dot(printable(layer["layer"]), layer["flops"] / layer["dram_bytes"],
                layer["flops"] / layer["seconds"], target["precision"], share=layer["share"],
                bound=layer["bound"])
            for layer in model.get("layers", ())
            if layer["flops"] > 0 and layer["dram_bytes"] > 0 and layer["seconds"] > 0]


def roof_of(target: Record) -> Roof:
    """The roof a model record's target gives at the model's precision."""
    return Roof(target["precision"], target["peak_flops"], target["dram_bandwidth"])


def charts_of(records: Record) -> list[Chart]:
    """One chart per target with the models checked on it (roofs at the precisions they use)."""
    placed = [m for m in records["models"] if m["target"] is not None and m["error"] is None]
    names = model_labels(placed)
    by_target: dict[str, list[Record]] = {}
    for model in placed:
        by_target.setdefault(model["target"]["name"], []).append(model)
    charts = []
    for target, models in by_target.items():
        roofs = {roof_of(m["target"]) for m in models}
        dots = [dot for m in models if (dot := model_dot(m, names[(m["model"], m["budget"])])) is not None]
        if dots:
            charts.append(Chart(f"Models on {target}", sort_roofs(roofs), tuple(dots)))
    return charts


def layer_chart(model: Record) -> Chart | None:
    """One model's heaviest layers on its target's roof; None without a target or layers."""
    dots = layer_dots(model)
    if not dots:
        return None
    title = printable(f"Layers of {label(model)} on {model['target']['name']}")
    return Chart(title, (roof_of(model["target"]),), tuple(dots))


def model_labels(models: Sequence[Record]) -> dict[tuple[str, str], str]:
    """A short label per (model, budget): the model's short name, with the budget added when the
    same model is under several budgets."""
    short = short_names(sorted({m["model"] for m in models}))
    count: dict[str, int] = {}
    for model in models:
        count[model["model"]] = count.get(model["model"], 0) + 1
    return {(m["model"], m["budget"]): _with_budget(short[m["model"]], m["budget"], count[m["model"]] > 1)
            for m in models}


def _with_budget(name: str, budget: str, shared: bool) -> str:
    """``name``, or ``name [budget]`` when the model is under several budgets; on one line."""
    return printable(f"{name} [{budget}]" if shared else name)


def sort_roofs(roofs: set[Roof] | Sequence[Roof]) -> tuple[Roof, ...]:
    """Roofs in precision order (fp32, fp16, int8), then by peak."""
    rank = {name: index for index, name in enumerate(PRECISION_ORDER)}
    return tuple(sorted(roofs, key=lambda r: (rank.get(r.precision, len(rank)), r.peak, r.bandwidth)))


def axis_range(values: Sequence[float], extra: Sequence[float] = ()) -> tuple[float, float]:
    """A log axis from a power of ten below the smallest value to one above the largest."""
    every = [v for v in (*values, *extra) if v > 0]
    low, high = min(every), max(every)
    return 10.0 ** math.floor(math.log10(low) - 0.3), 10.0 ** math.ceil(math.log10(high) + 0.3)


def decades(low: float, high: float) -> list[float]:
    """The powers of ten from ``low`` to ``high`` (both powers of ten)."""
    return [10.0 ** exponent for exponent in range(round(math.log10(low)), round(math.log10(high)) + 1)]


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in drawing units (x right, y down)."""

    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        """True when the two rectangles share any area."""
        return (self.left < other.right and other.left < self.right
                and self.top < other.bottom and other.top < self.bottom)

    def inside(self, area: Box) -> bool:
        """True when this rectangle lies within ``area``."""
        return (area.left <= self.left and self.right <= area.right
                and area.top <= self.top and self.bottom <= area.bottom)


@dataclass(frozen=True)
class Placed:
    """A label's position: the text's anchor point, its alignment (start/end/middle) and box."""

    x: float
    y: float
    anchor: str
    box: Box


MOST_LABELS = 60
"""Points labelled on one chart at most (the first ones given); a chart of thousands of models
stays readable, and placing labels stays quick."""

_OFFSETS = ((1, -1, "start"), (1, 1, "start"), (-1, -1, "end"), (-1, 1, "end"), (0, -1, "middle"),
            (0, 1, "middle"))


def place_labels(points: Sequence[tuple[float, float, float]], labels: Sequence[str], area: Box,
                 char_width: float, line_height: float, blocked: Sequence[Box] = ()) -> list[Placed | None]:
    """A position for each label next to its point (x, y, marker radius) in drawing units, such
    that no two labels overlap, no label covers a point's marker or a ``blocked`` box (another
    text), and every label stays in ``area``; None for a label that fits nowhere near its point,
    and for every label past the first :data:`MOST_LABELS`. Earlier labels are placed first."""
    markers = [Box(x - r, y - r, x + r, y + r) for x, y, r in points]
    taken: list[Box] = list(blocked)
    found: list[Placed | None] = []
    for index, ((x, y, radius), text) in enumerate(zip(points, labels)):
        if index >= MOST_LABELS:
            found.append(None)
            continue
        width = len(text) * char_width
        reach = Box(x - width - radius - 40, y - radius - 40 - line_height, x + width + radius + 40,
                    y + radius + 40 + line_height)
        others = [m for number, m in enumerate(markers) if number != index and m.overlaps(reach)]
        chosen = None
        for distance in (radius + 3, radius + 10, radius + 22):
            for dx, dy, anchor in _OFFSETS:
                ax = x + dx * distance
                ay = y + dy * distance + (line_height * 0.8 if dy > 0 else 0)
                left = {"start": ax, "end": ax - width, "middle": ax - width / 2}[anchor]
                box = Box(left, ay - line_height * 0.8, left + width, ay + line_height * 0.2)
                if box.inside(area) and not any(box.overlaps(b) for b in taken + others):
                    chosen = Placed(ax, ay, anchor, box)
                    break
            if chosen is not None:
                break
        if chosen is not None:
            taken.append(chosen.box)
        found.append(chosen)
    return found
