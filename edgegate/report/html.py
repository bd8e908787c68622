"""The run as one self-contained HTML page (``check --html FILE``), for a CI artifact: inline
CSS and SVG only, no script and nothing fetched from the network, so it opens anywhere.

In the spirit of Lighthouse's report: the verdict and counts first; a table of every model
with each limited metric's value against its limit as a bar (failing models first); each check
that failed or warned with its numbers, advice and the layers behind it; the models that could
not be checked; the roofline chart of each target with the models on it, and per model its
heaviest layers on the roof (:mod:`edgegate.report.svg`); with ``--changed-since`` or
``--baseline``, each changed model's metrics before and after. Every name and message from a
model or policy file is escaped and shown on one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from typing import TextIO

from edgegate.metrics import METRICS
from edgegate.regression.deltas import MetricDelta, format_change
from edgegate.report import delta_lines
from edgegate.report.charts import charts_of, layer_chart
from edgegate.report.facts import (
    Record,
    check_name,
    failing,
    label,
    layer_shares,
    limited_metrics,
    ordered,
    other_checks,
    printable,
    quantity,
    room,
    status,
    worst_limit,
)
from edgegate.report.svg import roofline_svg
from edgegate.units import format_quantity

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1f24}
body{background:#f6f8fa}
main{max-width:1180px;margin:0 auto;padding:24px}
header{display:flex;align-items:center;gap:20px;flex-wrap:wrap;margin-bottom:8px}
h1{font-size:22px;margin:0}
h2{font-size:18px;margin:28px 0 10px}
.verdict{font-weight:700;padding:4px 12px;border-radius:14px;color:#fff}
.verdict.fail{background:#d62728}
.verdict.pass{background:#2b8a3e}
.verdict.warn{background:#b7791f}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:10px 16px;min-width:110px}
.card b{display:block;font-size:24px}
table{border-collapse:collapse;background:#fff;border:1px solid #d0d7de;width:100%;margin-bottom:8px}
th,td{border-bottom:1px solid #eaeef2;padding:6px 10px;text-align:left;vertical-align:top}
th{background:#f0f3f6;font-weight:600}
td.num{text-align:right;white-space:nowrap}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eff1f3;padding:1px 4px}
code{border-radius:4px;overflow-wrap:anywhere}
.bar{height:6px;background:#eaeef2;border-radius:3px;margin-top:3px;min-width:90px}
.bar span{display:block;height:6px;border-radius:3px}
.FAIL{color:#d62728}
.warn{color:#b7791f}
.pass{color:#2b8a3e}
.bar .FAIL{background:#d62728}
.bar .warn{background:#e6a700}
.bar .pass{background:#2b8a3e}
.check{background:#fff;border:1px solid #d0d7de;border-left:4px solid #d62728;border-radius:6px}
.check{padding:10px 14px;margin:10px 0}
.check.warning{border-left-color:#e6a700}
.check h3{font-size:15px;margin:0 0 4px}
.muted{color:#57606a}
.layer{display:grid;grid-template-columns:minmax(120px,2fr) 3fr 90px 46px;gap:8px}
.layer{align-items:center;margin:3px 0}
.layer .bar{margin:0}
.layer code{justify-self:start}
svg.roofline{background:#fff;border:1px solid #d0d7de;border-radius:6px;max-width:100%;height:auto}
svg .plot{fill:#fff;stroke:#d0d7de}
svg .grid{stroke:#eaeef2}
svg text{font:11px system-ui,sans-serif;fill:#1b1f24}
svg .title{font-size:13px;font-weight:600}
svg .tick{fill:#57606a}
svg .axis{font-size:12px}
svg .label{font-size:11px}
svg .ridge-label{font-size:11px;font-weight:600}
details{margin:8px 0}
summary{cursor:pointer;font-weight:600}
.up{color:#d62728}
.down{color:#2b8a3e}
.note{color:#57606a;font-size:12px}
footer{margin:32px 0 8px;color:#57606a;font-size:12px}
"""


def write(records: Record, out: TextIO) -> None:
    """Write the whole page."""
    verdict = "passed" if records["passed"] else "FAILED"
    out.write(f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              f"<title>edgegate: {verdict}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n")
    for part in (_header(records), _models(records), _checks(records, "FAIL"), _checks(records, "warn"),
                 _errors(records), _rooflines(records), _deltas(records), _footer(records)):
        out.write(part)
    out.write("</main>\n</body>\n</html>\n")


def _t(text: str) -> str:
    """Text from a file, on one line and escaped."""
    return escape(printable(text))


def _code(text: str) -> str:
    return f"<code>{_t(text)}</code>"


def _header(records: Record) -> str:
    """The verdict, the policy and the counts as cards."""
    counts = records["summary"]
    warned = any(True for m in records["models"] for _ in failing(m))
    kind = "fail" if not records["passed"] else "warn" if warned else "pass"
    verdict = "FAILED" if not records["passed"] else "passed with warnings" if warned else "passed"
    if records["no_fail"] and not records["passed"]:
        verdict += " (reporting only)"
    cards = "".join(f'<div class="card"><b>{value}</b>{name}</div>' for name, value in (
        ("model checks", counts["checked"]), ("passed", counts["passed"]), ("failed", counts["failed"]),
        ("errors", counts["errors"]), ("warnings", counts["warnings"])))
    skipped = ""
    if records["skipped"]:
        skipped = (f'<p class="muted">Not selected by any budget: '
                   f'{", ".join(_code(path) for path in records["skipped"])}</p>\n')
    return (f'<header><h1>edgegate</h1><span class="verdict {kind}">{escape(verdict)}</span>'
            f'<span class="muted">policy {_code(records["policy"])}</span></header>\n'
            f'<div class="cards">{cards}</div>\n{skipped}')


def _models(records: Record) -> str:
    """The model x metric table, failing models first."""
    metrics = limited_metrics(records)
    strict = records["strict"]
    head = "".join(f"<th>{_code(name)}</th>" for name in metrics)
    rows = []
    for model in ordered(records):
        state = "pass" if model["passed"] else "FAIL"
        if model["passed"] and any(True for _ in failing(model)):
            state = "warn"
        cells = "".join(f"<td>{_metric(worst_limit(model, name, strict), strict)}</td>" for name in metrics)
        rows.append(f'<tr><td class="{state}">{_ICON[state]}</td><td>{_code(model["model"])}</td>'
                    f'<td>{_code(model["budget"])}</td>{cells}<td>{_others(model, strict)}</td></tr>')
    return (f'<h2>Models</h2>\n<table class="models"><thead><tr><th></th><th>model</th><th>budget</th>{head}'
            f'<th>other checks</th></tr></thead>\n<tbody>\n' + "\n".join(rows) + "\n</tbody></table>\n")


_ICON = {"FAIL": "✗", "warn": "⚠", "pass": "✓"}
LAYER_CHARTS = 50
"""Models whose layers get their own chart (failing first): the page stays a few megabytes."""


def _metric(finding: Record | None, strict: bool) -> str:
    """A value against its limit: the numbers, the headroom and a bar of the limit used."""
    if finding is None:
        return ""
    state = status(finding, strict)
    used = finding["value"] / finding["limit"] if finding["limit"] else 1.0
    if finding["bound"] == "min":
        used = finding["limit"] / finding["value"] if finding["value"] else 1.0
    width = max(0.0, min(used, 1.0)) * 100
    return (f'<span class="{state}">{escape(quantity(finding, "value"))}</span>'
            f' <span class="muted">{escape(finding["bound"])} {escape(quantity(finding, "limit"))}</span>'
            f'<div class="bar"><span class="{state}" style="width:{width:.0f}%"></span></div>'
            f'<span class="muted">{escape(room(finding))}</span>')


def _others(model: Record, strict: bool) -> str:
    """The other checks that failed or warned, by name; else how many passed."""
    if model["error"] is not None:
        return '<span class="FAIL">cannot be checked</span>'
    checks = other_checks(model)
    bad = sorted({(status(f, strict), check_name(f)) for f in checks if not f["passed"]})
    if bad:
        return ", ".join(f'<span class="{state}">{_ICON[state]}</span> {_code(name)}' for state, name in bad)
    return f'<span class="pass">✓</span> {len(checks)} passed' if checks else ""


def _checks(records: Record, wanted: str) -> str:
    """Each check that failed the gate (``FAIL``) or only warned (``warn``), as a card."""
    cards = list(_cards(records, wanted))
    if not cards:
        return ""
    title = "Checks that failed" if wanted == "FAIL" else "Warnings"
    return f"<h2>{title}</h2>\n" + "\n".join(cards) + "\n"


def _cards(records: Record, wanted: str) -> Iterator[str]:
    """The cards of :func:`_checks`."""
    for model in ordered(records):
        for finding in failing(model):
            if status(finding, records["strict"]) != wanted:
                continue
            lines = [f'<h3>{_code(label(model))} {_code(check_name(finding))}</h3>',
                     f"<div>{_t(finding['message'])}</div>"]
            if finding["value"] is not None and finding["limit"] is not None and finding["unit"] is not None:
                lines.append(f'<div class="muted">found {escape(quantity(finding, "value"))}, expected'
                             f' {escape(finding["bound"] or "")} {escape(quantity(finding, "limit"))}'
                             f' ({escape(room(finding))})</div>')
            if finding["node"]:
                lines.append(f"<div>node {_code(finding['node'])}</div>")
            if finding["advice"]:
                lines.append(f"<div>advice: {_t(finding['advice'])}</div>")
            for name, value, share in layer_shares(model, finding):
                lines.append(f'<div class="layer">{_code(name)}<div class="bar"><span class="{wanted}"'
                             f' style="width:{share * 100:.0f}%"></span></div>'
                             f'<span class="num">{escape(value)}</span>'
                             f'<span class="num">{share:.0%}</span></div>')
            kind = " warning" if wanted == "warn" else ""
            yield f'<div class="check{kind}">' + "\n".join(lines) + "</div>"


def _errors(records: Record) -> str:
    """The models that could not be checked."""
    rows = [f"<tr><td>{_code(m['model'])}</td><td>{_code(m['budget'])}</td><td>{_t(m['error'])}</td></tr>"
            for m in records["models"] if m["error"] is not None]
    if not rows:
        return ""
    return ("<h2>Models that could not be checked</h2>\n<table><thead><tr><th>model</th><th>budget</th>"
            "<th>error</th></tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n")


def _rooflines(records: Record) -> str:
    """Each target's roofline with its models, then per model its heaviest layers."""
    charts = charts_of(records)
    if not charts:
        return ""
    parts = ["<h2>Roofline</h2>\n<p class=\"muted\">x: FLOPs per DRAM byte on the target; y: FLOPs per"
             " second the roofline latency gives. Below a roof's slope (left of its ridge point) a model is"
             " bandwidth-bound. Layers: disc area = share of the model's time; red = memory-bound.</p>"]
    parts += [roofline_svg(chart) for chart in charts]
    layered = [chart for chart in map(layer_chart, ordered(records)) if chart is not None]
    for chart in layered[:LAYER_CHARTS]:
        parts.append(f"<details><summary>{escape(printable(chart.title))}</summary>\n{roofline_svg(chart)}"
                     "\n</details>")
    if len(layered) > LAYER_CHARTS:
        parts.append(f'<p class="note">Layer charts for the first {LAYER_CHARTS} models (failing first);'
                     f" {len(layered) - LAYER_CHARTS} more in the JSON report's layers.</p>")
    return "\n".join(parts) + "\n"


def _deltas(records: Record) -> str:
    """The changes since the base: each changed model's metrics before and after."""
    section = records.get("deltas")
    if not section:
        return ""
    rows = []
    for model in section["models"]:
        where = (f"<td>{_code(model['model'])}</td><td>{_code(model['budget'])}</td>"
                 f"<td>{escape(model['status'])}</td>")
        if model["error"]:
            rows.append(f"<tr>{where}<td colspan=\"4\">{_t(model['error'])}</td></tr>")
            continue
        for name, item in sorted(model["metrics"].items()):
            delta = MetricDelta(name, item["before"], item["after"])
            rows.append(f"<tr>{where}<td>{_code(name)}</td>{_change(delta)}</tr>")
    return (f"<h2>Changes since {_code(delta_lines.since(section))}</h2>\n<table><thead><tr><th>model</th>"
            "<th>budget</th><th>status</th><th>metric</th><th>before</th><th>after</th><th>change</th></tr></thead>"
            "\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n")


def _change(delta: MetricDelta) -> str:
    """Before, after and the change with an arrow (up: the metric grew)."""
    unit = METRICS[delta.metric].unit if delta.metric in METRICS else ""
    before = "" if delta.before is None else escape(format_quantity(delta.before, unit))
    after = "" if delta.after is None else escape(format_quantity(delta.after, unit))
    change = delta.change or 0
    arrow, kind = ("▲", "up") if change > 0 else ("▼", "down") if change < 0 else ("", "")
    return (f'<td class="num">{before}</td><td class="num">{after}</td>'
            f'<td class="num {kind}">{arrow} {escape(format_change(delta))}</td>')


def _footer(records: Record) -> str:
    return (f"<footer>edgegate {escape(records['edgegate_version'])}: every number can be reproduced from the"
            " model file with the formulas in docs/metrics.md.</footer>\n")
