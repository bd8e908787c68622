"""The run as GitHub-flavoured markdown: the job summary (``$GITHUB_STEP_SUMMARY``) or a
pull-request comment.

A headline with the counts, a table of every check that failed or warned (value, limit,
excess, advice, top layers) and of every model that could not be checked, with
``--changed-since`` a table of each changed model's headline metrics before and after
(:mod:`edgegate.report.delta_lines`), then a table of all models. Text from model and policy files
is escaped so it renders as plain text in its cell: no link, image or HTML. GitHub refuses a
step summary over 1 MiB, so the output stays under a byte limit, dropping the rows that do
not fit and saying how many.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

from edgegate.report import delta_lines
from edgegate.report.facts import (
    Record,
    check_name,
    failing,
    has_limit,
    printable,
    quantity,
    status,
    top_layers,
)

SUMMARY_BYTES = 1024 * 1024
"""GitHub's limit on one step's summary."""

_NOTE_RESERVE = 256
"""Bytes kept free for the truncation note."""

_ESCAPED = str.maketrans({char: "\\" + char for char in "\\`*_{}[]()<>#+-.!|~&"})

_CHECKS_HEAD = ("\n#### Checks that failed or warned\n\n"
                "| model | budget | check | status | value | limit | excess | detail |\n"
                "| --- | --- | --- | --- | ---: | ---: | ---: | --- |\n")
_MODELS_HEAD = "\n#### Models\n\n| | model | budget | failing checks |\n| --- | --- | --- | --- |\n"


def write(records: Record, out: TextIO, limit: int = SUMMARY_BYTES) -> None:
    """Write the summary, at most ``limit`` bytes of UTF-8 (rows past it dropped, with a note)."""
    budget = limit - _NOTE_RESERVE
    head = _headline(records)
    if _size(head) > budget:
        return
    out.write(head)
    budget -= _size(head)
    dropped = 0
    for section_head, rows in ((_CHECKS_HEAD, list(_check_rows(records))),
                               (delta_lines.markdown_head(records, cell),
                                list(delta_lines.markdown_rows(records, cell))),
                               (_MODELS_HEAD, list(_model_rows(records)))):
        if not rows:
            continue
        if dropped or _size(section_head) + _size(rows[0]) > budget:
            dropped += len(rows)
            continue
        out.write(section_head)
        budget -= _size(section_head)
        for number, row in enumerate(rows):
            if _size(row) > budget:
                dropped += len(rows) - number
                break
            out.write(row)
            budget -= _size(row)
    if dropped:
        out.write(f"\n_{dropped} more table rows not shown: GitHub limits a step summary to 1 MiB."
                  " The JSON and JUnit reports have every check._\n")


def cell(value: str) -> str:
    """Text from a file as one table cell: control characters shown as escapes, markdown
    punctuation backslash-escaped (renders as itself, never as a link, image, HTML or ``|``)."""
    return printable(value).translate(_ESCAPED)


def _headline(records: Record) -> str:
    """``### edgegate: FAILED`` and the counts line."""
    counts = records["summary"]
    verdict = "passed" if records["passed"] else "FAILED"
    if records["no_fail"] and not records["passed"]:
        verdict += " (reporting only)"
    lines = [f"### edgegate: {verdict}\n",
             f"Policy {cell(records['policy'])}: {_plural(counts['checked'], 'model check')},"
             f" {counts['passed']} passed, {counts['failed']} failed ({_plural(counts['errors'], 'error')},"
             f" {_plural(counts['warnings'], 'warning')}).\n"]
    if records["skipped"]:
        lines.append(f"Not selected by any budget: {cell(', '.join(records['skipped']))}.\n")
    return "\n".join(lines)


def _check_rows(records: Record) -> Iterator[str]:
    """One row per model error and per check that failed or warned."""
    for model in records["models"]:
        where = f"| {cell(model['model'])} | {cell(model['budget'])} "
        if model["error"] is not None:
            yield f"{where}| model | ❌ ERROR | | | | {cell(model['error'])} |\n"
            continue
        for finding in failing(model):
            yield (f"{where}| {cell(check_name(finding))} | {_status(finding, records['strict'])}"
                   f" | {_numbers(finding)} | {_detail(model, finding)} |\n")


def _model_rows(records: Record) -> Iterator[str]:
    """One row per model: verdict, path, budget and the names of its failing checks."""
    for model in records["models"]:
        names = "cannot be checked" if model["error"] is not None else ", ".join(
            check_name(finding) for finding in failing(model))
        mark = "✅" if model["passed"] else "❌"
        yield f"| {mark} | {cell(model['model'])} | {cell(model['budget'])} | {cell(names)} |\n"


def _status(finding: Record, strict: bool) -> str:
    """``❌ FAIL`` or ``⚠️ warn``."""
    return "❌ FAIL" if status(finding, strict) == "FAIL" else "⚠️ warn"


def _numbers(finding: Record) -> str:
    """The value, limit and excess cells: a metric's against its limit or, for ``max_increase``,
    against the most its baseline allows; empty for a lint rule."""
    if not (has_limit(finding) or _is_increase(finding)):
        return "| |"
    headroom = finding["headroom_percent"]
    excess = "" if headroom is None else f"{-headroom:.1f}%"
    return f"{quantity(finding, 'value')} | {finding['bound']} {quantity(finding, 'limit')} | {excess}"


def _is_increase(finding: Record) -> bool:
    """True for a ``max_increase`` finding with its value and largest allowed value."""
    return finding["rule"] == "max_increase" and finding["value"] is not None and finding["limit"] is not None


def _detail(model: Record, finding: Record) -> str:
    """The message (lint rules and ``max_increase``, which names the metric and the baseline),
    advice and top layers, escaped, separated by ``<br>``."""
    parts = [] if has_limit(finding) else [cell(finding["message"])]
    if finding["advice"]:
        parts.append(cell(finding["advice"]))
    layers = top_layers(model, finding)
    if layers:
        parts.append(f"top layers: {cell(layers)}")
    return "<br>".join(parts)


def _plural(count: int, noun: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _size(text: str) -> int:
    """Bytes of ``text`` as UTF-8."""
    return len(text.encode("utf-8"))
