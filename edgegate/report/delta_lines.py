"""Pull-request deltas in reports: what each changed model's numbers were at REF and are now.

Reads the ``deltas`` section of a check's records (``edgegate check --changed-since REF``, or
``--baseline PATH``): the text report lists every metric per changed model; the markdown
summary has one row per model with the headline metrics, ``before → after (change)``; the
pull-request comment and the HTML report look up one model's deltas. A new model has no
"before", a deleted one no "after".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from edgegate.metrics import METRICS
from edgegate.regression.deltas import MetricDelta, format_change, metric_table
from edgegate.report.facts import Record, printable
from edgegate.units import format_quantity

SUMMARY_METRICS: tuple[str, ...] = ("flops", "params", "peak_activation_bytes", "dram_bytes",
                                    "latency_ms")
"""Columns of the markdown table (latency only when some model has a target)."""
_TITLES = {"flops": "FLOPs", "params": "params", "peak_activation_bytes": "peak activation",
           "dram_bytes": "DRAM traffic", "latency_ms": "latency"}


def _deltas(model: Record) -> list[MetricDelta]:
    """A delta record's metrics as MetricDeltas, in name order."""
    return [MetricDelta(name, item["before"], item["after"])
            for name, item in sorted(model["metrics"].items())]


def _status(model: Record) -> str:
    """``modified``, ``added``, ``deleted``, or ``renamed from models/old.onnx``."""
    status = str(model["status"])
    if status in ("renamed", "copied") and model["old_path"]:
        status += f" from {model['old_path']}"
    return status


def _title(model: Record) -> str:
    """``models/m.onnx [budget all] (renamed from models/old.onnx)``."""
    return f"{model['model']} [budget {model['budget']}] ({_status(model)})"


def since(section: Record) -> str:
    """What the deltas compare with: ``REF`` or ``baseline PATH``."""
    prefix = "baseline " if section.get("against") == "baseline" else ""
    return f"{prefix}{section['ref']}"


def by_model(records: Record) -> dict[tuple[str, str], dict[str, MetricDelta]]:
    """Each changed (model, budget)'s deltas by metric name ({} without a deltas section)."""
    section = records.get("deltas") or {"models": []}
    return {(model["model"], model["budget"]): {d.metric: d for d in _deltas(model)}
            for model in section["models"]}


def text_lines(records: Record) -> list[str]:
    """The text report's ``changes since REF`` section (empty without deltas)."""
    section = records.get("deltas")
    if not section:
        return []
    lines = [f"changes since {printable(since(section))}:"]
    if not section["models"]:
        lines.append("  no model changed")
    for model in section["models"]:
        lines.append(f"  {printable(_title(model))}")
        if model["error"]:
            lines.append(f"    not compared: {printable(model['error'])}")
            continue
        lines.extend(metric_table(_deltas(model), indent="    "))
    return lines


def change_cell(delta: MetricDelta | None, unit: str) -> str:
    """``4.97 MFLOP → 5.20 MFLOP (+4.6%)``; one side only for a new or deleted model."""
    if delta is None:
        return ""
    if delta.before is None:
        return f"{format_quantity(delta.after or 0, unit)} (new)"
    if delta.after is None:
        return f"{format_quantity(delta.before, unit)} (deleted)"
    return (f"{format_quantity(delta.before, unit)} → {format_quantity(delta.after, unit)}"
            f" ({format_change(delta)})")


def markdown_head(records: Record, escape: Callable[[str], str]) -> str:
    """The heading and table head of the summary's deltas section ('' without deltas)."""
    section = records.get("deltas")
    if not section:
        return ""
    columns = _columns(records)
    titles = " | ".join(_TITLES[name] for name in columns)
    rule = " | ".join("---:" for _ in columns)
    return (f"\n#### Changes since {escape(since(section))}\n\n"
            f"| model | budget | status | {titles} |\n| --- | --- | --- | {rule} |\n")


def _columns(records: Record) -> list[str]:
    """SUMMARY_METRICS that some delta has."""
    present = {name for model in records["deltas"]["models"] for name in model["metrics"]}
    return [name for name in SUMMARY_METRICS if name in present]


def markdown_rows(records: Record, name: Callable[[str], str], prose: Callable[[str], str]) -> Iterator[str]:
    """One summary row per changed model and budget (names through ``name``, an error through
    ``prose``)."""
    section = records.get("deltas")
    if not section:
        return
    columns = _columns(records)
    for model in section["models"]:
        by_name = {delta.metric: delta for delta in _deltas(model)}
        if model["error"]:
            cells = [prose(model["error"])] + [""] * (len(columns) - 1)
        else:
            cells = [change_cell(by_name.get(metric), METRICS[metric].unit) for metric in columns]
        status = model["status"] if model["status"] not in ("renamed", "copied") or not model["old_path"] \
            else f"{model['status']} from {name(model['old_path'])}"
        yield (f"| {name(model['model'])} | {name(model['budget'])} | {status} | "
               + " | ".join(cells) + " |\n")
