"""Facts every reporter derives from the versioned JSON document of a check run
(``RunResult.as_records()``), computed one way: which findings fail the gate, a check's stable
name, and a finding's numbers as words. Reporters read records only, so ``edgegate merge``-style
tools can render a document read back from JSON.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from edgegate.metrics import METRICS
from edgegate.printable import printable
from edgegate.units import format_quantity

Record = Mapping[str, Any]

def fails(finding: Record, strict: bool) -> bool:
    """True when ``finding`` fails the gate (a warning only under ``strict``)."""
    return not finding["passed"] and (finding["severity"] == "error" or strict)


def level(finding: Record, strict: bool) -> str:
    """``error`` for a finding that fails the gate, ``warning`` for one that only warns."""
    return "error" if fails(finding, strict) else "warning"


def status(finding: Record, strict: bool) -> str:
    """``pass``, ``FAIL`` (fails the gate) or ``warn`` (a warning that does not)."""
    if finding["passed"]:
        return "pass"
    return "FAIL" if fails(finding, strict) else "warn"


def check_name(finding: Record) -> str:
    """A check's stable name: ``flops max`` for a limit, the rule id (``ops``) otherwise."""
    if finding["rule"] == "limits" and finding["metric"]:
        return f"{finding['metric']} {finding['bound']}"
    return str(finding["rule"])


def rule_id(finding: Record) -> str:
    """The rule a finding reports under: ``limits/flops`` for a limit, else the rule id."""
    if finding["rule"] == "limits" and finding["metric"]:
        return f"limits/{finding['metric']}"
    return str(finding["rule"])


def label(model: Record) -> str:
    """``models/m.onnx [budget edge]``: one model under one budget, as every report names it."""
    return f"{model['model']} [{budget_label(model)}]"


def budget_label(model: Record) -> str:
    """``budget edge``, or ``no budget`` for a model no budget selects."""
    return f"budget {model['budget']}" if model["budget"] else "no budget"


def quantity(finding: Record, key: str) -> str:
    """``finding[key]`` (value or limit) with its unit, e.g. ``11.6 MFLOP``."""
    return format_quantity(finding[key], finding["unit"] or "")


def room(finding: Record) -> str:
    """``headroom 65.6%`` or ``excess 131.3%``; '' without a numeric limit."""
    headroom = finding["headroom_percent"]
    if headroom is None:
        return ""
    return f"headroom {headroom:.1f}%" if headroom >= 0 else f"excess {-headroom:.1f}%"


def one_line(finding: Record) -> str:
    """``flops 11.6 MFLOP exceeds max 5 MFLOP (excess 131.3%): advice``, printable."""
    line = printable(finding["message"])
    if room(finding):
        line += f" ({room(finding)})"
    if finding["advice"]:
        line += f": {printable(finding['advice'])}"
    return line


def has_limit(finding: Record) -> bool:
    """True for a metric checked against a numeric limit (value, limit and bound known)."""
    return finding["rule"] == "limits" and finding["value"] is not None and finding["limit"] is not None


def failing(model: Record) -> Iterator[Record]:
    """The findings of ``model`` that did not pass (gate failures and warnings)."""
    return (finding for finding in model["findings"] if not finding["passed"])


def layer_shares(model: Record, finding: Record) -> list[tuple[str, str, float]]:
    """(layer name, value with unit, share) of the layers behind a failing metric, heaviest
    first; empty for a passing one. Names are raw: each format escapes them its own way."""
    layers = model["contributors"].get(finding["metric"] or "", ()) if not finding["passed"] else ()
    return [(c["layer"], format_quantity(c["value"], c["unit"]), c["share"]) for c in layers]


def top_layers(model: Record, finding: Record) -> str:
    """``conv1 9.47 MFLOP (82%), ...``: the layers behind a failing metric; '' when none."""
    return ", ".join(f"{printable(name)} {value} ({share:.0%})"
                     for name, value, share in layer_shares(model, finding))


def rank(model: Record) -> int:
    """0: the model fails the gate (or cannot be checked); 1: it passes with warnings; 2: it
    passes clean."""
    if not model["passed"]:
        return 0
    return 1 if next(failing(model), None) is not None else 2


def ordered(records: Record) -> list[Record]:
    """The models, failing first, then those with warnings, then clean passes (run order kept
    within each group), as Lighthouse CI orders its assertions."""
    return sorted(records["models"], key=rank)


def limited_metrics(records: Record) -> list[str]:
    """The metrics some budget limits (a ``limits`` finding), in the metrics table's order."""
    found = {f["metric"] for m in records["models"] for f in m["findings"] if has_limit(f)}
    return [name for name in METRICS if name in found] + sorted(found - set(METRICS))


def worst_limit(model: Record, metric: str, strict: bool) -> Record | None:
    """The finding that speaks for ``metric`` of ``model``: one that fails the gate, else one
    that warns, else the limit with the least headroom; None when no limit covers it."""
    found = [f for f in model["findings"] if has_limit(f) and f["metric"] == metric]
    if not found:
        return None
    order = {"FAIL": 0, "warn": 1, "pass": 2}
    return min(found, key=lambda f: (order[status(f, strict)], f["headroom_percent"] or 0.0))


def other_checks(model: Record) -> list[Record]:
    """The findings that are not a metric against a limit (lint rules, ``max_increase``)."""
    return [finding for finding in model["findings"] if not has_limit(finding)]


def short_names(paths: Sequence[str]) -> dict[str, str]:
    """A short label per path for charts: the file name without ``.onnx``, with as many parent
    folders as it takes to tell paths with the same file name apart."""
    parts = {path: PurePosixPath(path).with_suffix("").parts or (path,) for path in paths}
    names: dict[str, str] = {}
    for path, segments in parts.items():
        for depth in range(1, len(segments) + 1):
            tail = segments[-depth:]
            clash = any(other != path and parts[other][-depth:] == tail for other in parts)
            if not clash or depth == len(segments):
                names[path] = "/".join(tail)
                break
    return names
