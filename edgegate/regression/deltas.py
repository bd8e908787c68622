"""Before/after deltas: each metric's value before, after and change in percent, and the layers
that changed most (layers matched by name).

Used by ``edgegate diff``, by pull-request deltas (``check --changed-since REF``) and by relative
limits. A model with no "before" (added) or no "after" (deleted) keeps ``None`` on that side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from edgegate.estimator.result import Estimate, Layer
from edgegate.metrics import METRICS
from edgegate.printable import printable
from edgegate.units import format_quantity, percent

Number = int | float

LAYER_KEYS: tuple[str, ...] = ("macs", "flops", "params", "weight_bytes", "input_bytes",
                               "output_bytes", "dram_bytes")
"""Per-layer quantities a layer delta carries (all additive, so changes sum to the model's)."""

_LAYER_UNITS = {"macs": "MAC", "flops": "FLOP", "params": "param"}


@dataclass(frozen=True)
class MetricDelta:
    """One metric before and after (either may be None: a new or a deleted model)."""

    metric: str
    before: Number | None
    after: Number | None

    @property
    def change(self) -> Number | None:
        """``after - before``, or None when a side is missing."""
        return None if self.before is None or self.after is None else self.after - self.before

    @property
    def percent(self) -> float | None:
        """The change in percent of ``before`` (None when undefined)."""
        return percent(self.before, self.after)

    def record(self) -> dict[str, Any]:
        """As plain JSON data: metric, unit, before, after, change, change_percent."""
        return {"metric": self.metric, "unit": METRICS[self.metric].unit, "before": self.before,
                "after": self.after, "change": self.change, "change_percent": self.percent}


def metric_deltas(before: Mapping[str, Number] | None,
                  after: Mapping[str, Number] | None) -> tuple[MetricDelta, ...]:
    """A MetricDelta for every known metric either side has, in metric-name order."""
    old, new = before or {}, after or {}
    names = sorted((set(old) | set(new)) & set(METRICS))
    return tuple(MetricDelta(name, old.get(name), new.get(name)) for name in names)


def deltas_record(deltas: Sequence[MetricDelta]) -> dict[str, dict[str, Any]]:
    """``{metric: {before, after, change, change_percent, unit}}`` for a JSON document."""
    return {d.metric: {k: v for k, v in d.record().items() if k != "metric"} for d in deltas}


@dataclass(frozen=True)
class LayerDelta:
    """One layer, matched by name across two estimates; a side is None when the layer is absent."""

    name: str
    op_types: tuple[str, ...]
    before: Mapping[str, int] | None
    after: Mapping[str, int] | None

    def change(self, key: str) -> int:
        """``after - before`` of ``key`` (a missing side counts as 0)."""
        return (self.after or {}).get(key, 0) - (self.before or {}).get(key, 0)

    def record(self) -> dict[str, Any]:
        """As plain JSON data."""
        return {"name": self.name, "op_types": list(self.op_types),
                "before": None if self.before is None else dict(self.before),
                "after": None if self.after is None else dict(self.after),
                "change": {key: self.change(key) for key in LAYER_KEYS}}


def _by_name(layers: Sequence[Layer]) -> dict[str, Layer]:
    """Layers keyed by name; a repeated name gets ``#2``, ``#3``... in graph order."""
    keyed: dict[str, Layer] = {}
    for layer in layers:
        name, count = layer.name, 1
        while name in keyed:
            count += 1
            name = f"{layer.name}#{count}"
        keyed[name] = layer
    return keyed


def _values(layer: Layer | None) -> dict[str, int] | None:
    """A layer's LAYER_KEYS values (None for an absent layer)."""
    return None if layer is None else {key: getattr(layer, key) for key in LAYER_KEYS}


def layer_deltas(old: Estimate, new: Estimate, key: str = "flops",
                 top: int | None = None) -> list[LayerDelta]:
    """Layers whose numbers differ between ``old`` and ``new``, largest ``|change(key)|`` first.

    Layers are matched by name (the anchor node's name); a layer only on one side is added or
    removed. Ties keep the new graph's order, then the old one's.
    """
    before, after = _by_name(old.layers), _by_name(new.layers)
    names = list(after) + [name for name in before if name not in after]
    found = []
    for name in names:
        layer = after.get(name) or before[name]
        delta = LayerDelta(name, layer.op_types, _values(before.get(name)), _values(after.get(name)))
        if delta.before != delta.after:
            found.append(delta)
    found.sort(key=lambda d: -abs(d.change(key)))
    return found if top is None else found[:top]


def format_change(delta: MetricDelta) -> str:
    """``+8.2%``, ``-0.5%``, ``0.0%``, ``new``, ``deleted`` or ``+12 B`` (from zero)."""
    if delta.before is None:
        return "new"
    if delta.after is None:
        return "deleted"
    share = delta.percent
    if share is not None:
        return f"{share:+.1f}%"
    change = delta.change or 0
    sign = "+" if change > 0 else ""
    return f"{sign}{format_quantity(change, METRICS[delta.metric].unit)}" if change else "0.0%"


def metric_table(deltas: Sequence[MetricDelta], indent: str = "  ") -> list[str]:
    """Text lines: ``metric  before  after  change`` (``-`` for a missing side)."""
    lines = [f"{indent}{'metric':<22} {'before':>12} {'after':>12}  change"]
    for delta in deltas:
        unit = METRICS[delta.metric].unit
        old = "-" if delta.before is None else format_quantity(delta.before, unit)
        new = "-" if delta.after is None else format_quantity(delta.after, unit)
        lines.append(f"{indent}{delta.metric:<22} {old:>12} {new:>12}  {format_change(delta)}")
    return lines


def layer_table(deltas: Sequence[LayerDelta], key: str, indent: str = "  ") -> list[str]:
    """Text lines for the layers that changed most: name, ops, ``key`` before -> after, change."""
    unit = _LAYER_UNITS.get(key, "B")
    lines = []
    for delta in deltas:
        old = "-" if delta.before is None else format_quantity(delta.before[key], unit)
        new = "-" if delta.after is None else format_quantity(delta.after[key], unit)
        status = " (added)" if delta.before is None else " (removed)" if delta.after is None else ""
        change = delta.change(key)
        sign = "+" if change > 0 else ""
        lines.append(f"{indent}{printable(delta.name)} [{printable('+'.join(delta.op_types))}]{status}:"
                     f" {key} {old} -> {new}"
                     f" ({sign}{format_quantity(change, unit)})")
    return lines
