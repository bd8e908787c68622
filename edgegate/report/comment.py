"""The pull-request comment (``check --pr-comment FILE``): one markdown body a workflow posts
and keeps updated on the pull request (a sticky comment).

It opens with a hidden marker (:data:`MARKER`) by which a workflow finds its earlier comment,
then a verdict heading and one row per model and budget, failing rows first: the check that
speaks for the model (the one that fails, else warns, else has the least headroom) with its
value, limit and headroom or excess, and with ``--changed-since`` or ``--baseline`` that
metric's before -> after change; then, collapsed in ``<details>``, the heaviest layers behind
each failing check. Names are in code spans, prose escaped, as in the job summary.

GitHub refuses a comment over 65,536 characters (counted in UTF-16 units); the body stays
under that less :data:`STICKY_RESERVE`, which a sticky-comment action needs for its own
marker, by dropping whole rows and ending with how many were dropped and where the rest is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO

from edgegate.metrics import METRICS
from edgegate.report import delta_lines
from edgegate.report.facts import (
    Record,
    check_name,
    failing,
    fails,
    has_limit,
    layer_shares,
    ordered,
    quantity,
    room,
    status,
)
from edgegate.report.markdown import cell, code

MARKER = "<!-- edgegate:pr-comment -->"
"""The first line of every comment: find it to update the comment instead of adding one."""

COMMENT_CHARS = 65_536
"""GitHub's limit on an issue or pull-request comment body, in UTF-16 code units."""

STICKY_RESERVE = 512
"""Characters left free for what a sticky-comment action appends (its own marker)."""

_ICONS = {"FAIL": "❌", "warn": "⚠️", "pass": "✅"}
_TABLE_HEAD = ("| | model | budget | check | value | limit | headroom | change |\n"
               "| --- | --- | --- | --- | ---: | ---: | ---: | ---: |\n")
_LAYERS_HEAD = ("\n<details><summary>Heaviest layers behind the failing checks</summary>\n\n"
                "| model | check | layer | value | share |\n| --- | --- | --- | ---: | ---: |\n")
_LAYERS_TAIL = "\n</details>\n"
_NOTE_RESERVE = 400
"""Characters kept for the truncation note."""


def write(records: Record, out: TextIO, limit: int = COMMENT_CHARS - STICKY_RESERVE,
          environ: Mapping[str, str] = os.environ) -> None:
    """Write the comment body, at most ``limit`` UTF-16 code units (rows past it dropped, with
    a note linking the job summary of this run when ``environ`` names it)."""
    budget = limit - _NOTE_RESERVE
    head = f"{MARKER}\n{_headline(records)}\n" + _TABLE_HEAD
    out.write(head)
    budget -= chars(head)
    rows = list(_rows(records))
    shown = 0
    for row in rows:
        if chars(row) > budget:
            break
        out.write(row)
        budget -= chars(row)
        shown += 1
    layers = list(_layer_rows(records))
    if layers and shown == len(rows):
        kept = []
        room_left = budget - chars(_LAYERS_HEAD) - chars(_LAYERS_TAIL)
        for row in layers:
            if chars(row) > room_left:
                break
            kept.append(row)
            room_left -= chars(row)
        if kept:
            out.write(_LAYERS_HEAD + "".join(kept) + _LAYERS_TAIL)
    if shown < len(rows):
        out.write(f"\n_{len(rows) - shown} more model checks not shown: a pull-request comment holds at"
                  f" most {COMMENT_CHARS:,} characters. Every check is in the {_summary_link(environ)}._\n")


def chars(text: str) -> int:
    """Length of ``text`` as GitHub counts a comment: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _summary_link(environ: Mapping[str, str]) -> str:
    """``[job summary](https://github.com/o/r/actions/runs/1)`` under GitHub Actions, else the words."""
    parts = [environ.get(name, "") for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    if not all(parts):
        return "job summary of this run"
    server, repository, run = parts
    return f"[job summary]({server}/{repository}/actions/runs/{run})"


def _headline(records: Record) -> str:
    """``### ❌ edgegate: 2 checks failed, 1 warning`` and the counts line."""
    counts = records["summary"]
    models = [m for m in records["models"] if m["error"] is None]
    gate = sum(fails(f, records["strict"]) for m in models for f in failing(m))
    errors = len(records["models"]) - len(models)
    warned = sum(1 for m in models for f in failing(m)) - gate
    parts = []
    if errors:
        parts.append(f"{errors} model{'s' if errors > 1 else ''} cannot be checked")
    if gate:
        parts.append(f"{gate} check{'s' if gate > 1 else ''} failed")
    if warned:
        parts.append(f"{warned} warning{'s' if warned > 1 else ''}")
    icon = "✅" if records["passed"] else "❌"
    checked = counts["checked"]
    verdict = ", ".join(parts) if parts else f"{checked} model check{'s' if checked != 1 else ''} passed"
    if records["passed"] and parts:
        verdict = "passed with " + verdict
    if records["no_fail"] and not records["passed"]:
        verdict += " (reporting only)"
    line = (f"Policy {code(records['policy'])}: {counts['checked']} model checks, {counts['passed']} passed,"
            f" {counts['failed']} failed.")
    section = records.get("deltas")
    if section:
        line += f" Changes since {code(delta_lines.since(section))}."
    return f"### {icon} edgegate: {verdict}\n\n{line}\n"


def _rows(records: Record) -> list[str]:
    """One row per model and budget, failing first."""
    deltas = delta_lines.by_model(records)
    strict = records["strict"]
    rows = []
    for model in ordered(records):
        where = f"| {code(model['model'])} | {code(model['budget'])}"
        if model["error"] is not None:
            rows.append(f"| ❌ {where} | cannot be checked | {cell(model['error'])} | | | |\n")
            continue
        speaker, others = _speaker(model, strict)
        mark = "✅" if model["passed"] else "❌"
        if model["passed"] and any(True for _ in failing(model)):
            mark = "⚠️"
        if speaker is None:
            rows.append(f"| {mark} {where} | no checks | | | | |\n")
            continue
        name = code(check_name(speaker)) + (f" (+{others} more)" if others else "")
        if has_limit(speaker) or _numeric(speaker):
            numbers = (f"{quantity(speaker, 'value')} | {speaker['bound']} {quantity(speaker, 'limit')}"
                       f" | {room(speaker)}")
        else:
            numbers = f"{cell(speaker['message'])} | |"
        change = deltas.get((model["model"], model["budget"]), {}).get(speaker["metric"] or "")
        unit = METRICS[change.metric].unit if change is not None else ""
        rows.append(f"| {_ICONS[status(speaker, strict)]} {where} | {name} | {numbers}"
                    f" | {delta_lines.change_cell(change, unit)} |\n")
    return rows


def _numeric(finding: Record) -> bool:
    """True for a finding with a value and a limit (a ``max_increase`` too)."""
    return finding["value"] is not None and finding["limit"] is not None and finding["unit"] is not None


def _speaker(model: Record, strict: bool) -> tuple[Record | None, int]:
    """The finding a one-row view shows for ``model``, and how many others failed or warned."""
    order = {"FAIL": 0, "warn": 1, "pass": 2}

    def key(finding: Record) -> tuple[int, int, float]:
        headroom = finding["headroom_percent"]
        return (order[status(finding, strict)], 0 if headroom is not None else 1, headroom or 0.0)

    findings = sorted(model["findings"], key=key)
    if not findings:
        return None, 0
    bad = sum(1 for finding in findings if not finding["passed"])
    return findings[0], max(bad - 1, 0)


def _layer_rows(records: Record) -> list[str]:
    """One row per heavy layer behind a failing or warning metric."""
    rows = []
    for model in ordered(records):
        for finding in failing(model):
            for name, value, share in layer_shares(model, finding):
                rows.append(f"| {code(model['model'])} | {code(check_name(finding))} | {code(name)}"
                            f" | {value} | {share:.0%} |\n")
    return rows
