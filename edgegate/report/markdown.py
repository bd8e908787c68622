"""The run as GitHub-flavoured markdown for the job summary (``$GITHUB_STEP_SUMMARY``).

A headline with the counts; one compact table, model x metric, with every checked model's
values, limits and headroom (failing models first); then the details: the checks that failed
the gate, the warnings, the models that could not be checked (each check with value, limit,
excess, advice and top layers) and, with ``--changed-since`` or ``--baseline``, each changed
model's headline metrics before and after (:mod:`edgegate.report.delta_lines`).

Text from model and policy files renders as plain text: names (paths, budgets, checks, layers,
nodes) sit in code spans, where GitHub makes no link, mention or HTML; prose (messages,
advice) is backslash-escaped, ``:`` included so that no URL autolinks. GitHub refuses a step
summary over 1 MiB, so the output stays under a byte limit, dropping the rows that do not fit
and saying how many.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO

from edgegate.report.facts import (
    Record,
    check_name,
    failing,
    has_limit,
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

SUMMARY_BYTES = 1024 * 1024
"""GitHub's limit on one step's summary."""

_NOTE_RESERVE = 256
"""Bytes kept free for the truncation note."""

_ESCAPED = str.maketrans({char: "\\" + char for char in "\\`*_{}[]()<>#+-.!|~&:"})
_ICONS = {"FAIL": "❌", "warn": "⚠️", "pass": "✅"}

_DETAIL_HEAD = ("| model | budget | check | value | limit | excess | detail |\n"
                "| --- | --- | --- | ---: | ---: | ---: | --- |\n")
_FAILED_HEAD = "\n#### Checks that failed\n\n" + _DETAIL_HEAD
_WARNINGS_HEAD = "\n#### Warnings\n\n" + _DETAIL_HEAD
_ERRORS_HEAD = "\n#### Models that could not be checked\n\n| model | budget | error |\n| --- | --- | --- |\n"


def write(records: Record, out: TextIO, limit: int = SUMMARY_BYTES) -> None:
    """Write the summary, at most ``limit`` bytes of UTF-8 (rows past it dropped, with a note)."""
    head = _headline(records)
    sections = [(_table_head(records), list(_model_rows(records))),
                (_FAILED_HEAD, list(_detail_rows(records, "FAIL"))),
                (_WARNINGS_HEAD, list(_detail_rows(records, "warn"))),
                (_ERRORS_HEAD, list(_error_rows(records)))]
    if records.get("deltas"):
        from edgegate.report import delta_lines  # 2 ms with regression.deltas: only a run with deltas

        sections.append((delta_lines.markdown_head(records, cell),
                         list(delta_lines.markdown_rows(records, code, cell))))
    dropped = _write_sections(out, head, sections, limit - _NOTE_RESERVE, _size)
    if dropped:
        out.write(f"\n_{dropped} more table rows not shown: GitHub limits a step summary to 1 MiB."
                  " The JSON and JUnit reports have every check._\n")


def _write_sections(out: TextIO, head: str, sections: Sequence[tuple[str, Sequence[str]]], budget: int,
                   measure: Callable[[str], int]) -> int:
    """Write ``head`` and each (section head, rows) while they fit in ``budget`` as counted by
    ``measure``; rows are dropped whole. Returns how many rows were dropped (nothing is written,
    and 0 returned, when not even ``head`` fits)."""
    if measure(head) > budget:
        return 0
    out.write(head)
    budget -= measure(head)
    dropped = 0
    for section_head, rows in sections:
        if not rows:
            continue
        if dropped or measure(section_head) + measure(rows[0]) > budget:
            dropped += len(rows)
            continue
        out.write(section_head)
        budget -= measure(section_head)
        for number, row in enumerate(rows):
            if measure(row) > budget:
                dropped += len(rows) - number
                break
            out.write(row)
            budget -= measure(row)
    return dropped


def cell(value: str) -> str:
    """Prose from a file as one table cell: control characters shown as escapes, markdown
    punctuation backslash-escaped (renders as itself, never as a link, image, HTML or ``|``)."""
    return printable(value).translate(_ESCAPED)


def code(value: str) -> str:
    """A name from a file as an inline code span that renders exactly as the name (GitHub makes
    no link, mention, emoji or HTML inside one); '' for an empty name.

    The fence is one backtick longer than the longest run inside, padded with a space when the
    name starts or ends with a backtick or a space; ``|`` is escaped for table cells. A name with
    a backslash right before a ``|`` cannot be written in a code span inside a table, and falls
    back to :func:`cell`.
    """
    text = printable(value)
    if not text:
        return ""
    if "\\|" in text:
        return cell(value)
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"


def _headline(records: Record) -> str:
    """``### edgegate: FAILED``, the counts line and the models no budget selects."""
    counts = records["summary"]
    verdict = "passed" if records["passed"] else "FAILED"
    if records["no_fail"] and not records["passed"]:
        verdict += " (reporting only)"
    lines = [f"### edgegate: {verdict}\n",
             f"Policy {code(records['policy'])}: {_plural(counts['checked'], 'model check')},"
             f" {counts['passed']} passed, {counts['failed']} failed ({_plural(counts['errors'], 'error')},"
             f" {_plural(counts['warnings'], 'warning')}).\n"]
    if records["skipped"]:
        lines.append(f"Not selected by any budget: {', '.join(code(path) for path in records['skipped'])}.\n")
    return "\n".join(lines)


def _table_head(records: Record) -> str:
    """The head of the model x metric table: a column per metric some budget limits."""
    metrics = limited_metrics(records)
    titles = "".join(f" {code(name)} |" for name in metrics)
    rule = "".join(" ---: |" for _ in metrics)
    return f"\n| | model | budget |{titles} other checks |\n| --- | --- | --- |{rule} --- |\n"


def _model_rows(records: Record) -> Iterator[str]:
    """One row per model and budget, failing first: each limited metric's value, limit and
    headroom (or excess), then the other checks that failed or warned."""
    metrics = limited_metrics(records)
    strict = records["strict"]
    for model in ordered(records):
        mark = "✅" if model["passed"] else "❌"
        if model["passed"] and any(True for _ in failing(model)):
            mark = "⚠️"
        cells = [_metric_cell(worst_limit(model, name, strict), strict) for name in metrics]
        yield (f"| {mark} | {code(model['model'])} | {code(model['budget'])} |"
               + "".join(f" {text} |" for text in cells) + f" {_others(model, strict)} |\n")


def _metric_cell(finding: Record | None, strict: bool) -> str:
    """``✅ 38.9 kFLOP ≤ 5 MFLOP<br>headroom 99.2%`` (``>`` and the excess for a max it breaks,
    ``≥``/``<`` for a min); '' without a limit."""
    if finding is None:
        return ""
    relation = {("max", True): "≤", ("max", False): ">", ("min", True): "≥", ("min", False): "<"}
    sign = relation.get((finding["bound"], finding["passed"]), finding["bound"] or "")
    icon = _ICONS[status(finding, strict)]
    return f"{icon} {quantity(finding, 'value')} {sign} {quantity(finding, 'limit')}<br>{room(finding)}"


def _others(model: Record, strict: bool) -> str:
    """The model's other checks: those that failed or warned by name, else how many passed."""
    if model["error"] is not None:
        return "❌ cannot be checked"
    checks = other_checks(model)
    bad: dict[str, list[str]] = {}
    for finding in checks:
        if not finding["passed"]:
            bad.setdefault(check_name(finding), []).append(status(finding, strict))
    if bad:
        return ", ".join(f"{_ICONS['FAIL' if 'FAIL' in states else 'warn']} {code(name)}"
                         + (f" ×{len(states)}" if len(states) > 1 else "") for name, states in bad.items())
    return f"✅ {len(checks)} passed" if checks else ""


def _detail_rows(records: Record, wanted: str) -> Iterator[str]:
    """One row per check that failed the gate (``FAIL``) or only warned (``warn``)."""
    for model in ordered(records):
        for finding in failing(model):
            if status(finding, records["strict"]) == wanted:
                yield (f"| {code(model['model'])} | {code(model['budget'])} | {code(check_name(finding))}"
                       f" | {_numbers(finding)} | {_detail(model, finding)} |\n")


def _error_rows(records: Record) -> Iterator[str]:
    """One row per model that could not be checked."""
    for model in records["models"]:
        if model["error"] is not None:
            yield f"| {code(model['model'])} | {code(model['budget'])} | {cell(model['error'])} |\n"


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
    the node, advice and top layers, separated by ``<br>``."""
    parts = [] if has_limit(finding) else [cell(finding["message"])]
    if finding["node"]:
        parts.append(f"node {code(finding['node'])}")
    if finding["advice"]:
        parts.append(cell(finding["advice"]))
    layers = layer_shares(model, finding)
    if layers:
        parts.append("top layers: " + ", ".join(f"{code(name)} {value} ({share:.0%})"
                                                for name, value, share in layers))
    return "<br>".join(parts)


def _plural(count: int, noun: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _size(text: str) -> int:
    """Bytes of ``text`` as UTF-8."""
    return len(text.encode("utf-8"))
