"""GitHub Actions workflow commands: the log grouped per model, and annotations.

Each model's text report sits in a ``::group::``, with command processing stopped around it
(``::stop-commands::TOKEN`` ... ``::TOKEN::``): model paths, node names and policy messages come
from files a pull request controls, and the runner would otherwise act on a ``::command::`` at
the start of any line or a ``##[command]`` anywhere in one. The token is a digest of the block
it guards, so the block cannot contain it. Command data escapes ``%``, CR and LF; properties
also ``:`` and ``,`` (the runner's own escape table).

GitHub shows at most 10 error and 10 warning annotations per step (50 per job) and drops the
rest silently, so annotations are aggregated: one per model and level, the 10th of a level
naming every model left over. The job summary (the ``markdown`` reporter) has the full detail.
"""

from __future__ import annotations

import hashlib
import io
from typing import NamedTuple, TextIO

from edgegate.report.facts import Record, budget_label, failing, label, level, one_line, printable
from edgegate.report.text import write_model, write_tail

ANNOTATIONS_PER_LEVEL = 10
"""Error (and, separately, warning) annotations GitHub shows for one step."""

LINES_PER_ANNOTATION = 20
"""Checks listed in one annotation before ``... and N more``."""


class Annotation(NamedTuple):
    """One ``::error`` or ``::warning`` command: level, file (or None), title and message lines."""

    level: str
    file: str | None
    title: str
    lines: list[str]


def escape_data(value: str) -> str:
    """Workflow-command data: ``%``, CR and LF percent-encoded (``%`` first)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A workflow-command property value: as data, plus ``:`` and ``,``."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(name: str, data: str = "", **properties: str) -> str:
    """``::name key=value,...::data`` with every value escaped."""
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(data)}"


def write(records: Record, out: TextIO) -> None:
    """The text report grouped per model, with commands stopped, then the annotations."""
    for model in records["models"]:
        out.write(command("group", f"{label(model)}: {'PASSED' if model['passed'] else 'FAILED'}") + "\n")
        block = io.StringIO()
        write_model(model, records["strict"], block)
        write_inert(block.getvalue(), out)
        out.write(command("endgroup") + "\n")
    tail = io.StringIO()
    write_tail(records, tail)
    write_inert(tail.getvalue(), out)
    for note in annotate(records):
        properties = {"file": note.file} if note.file is not None else {}
        out.write(command(note.level, "\n".join(note.lines), **properties, title=note.title) + "\n")


def write_inert(block: str, out: TextIO) -> None:
    """Write ``block`` with workflow-command processing stopped around it."""
    digest = hashlib.sha256(block.encode("utf-8", "backslashreplace")).hexdigest()
    token = f"edgegate-{digest[:40]}"
    out.write(f"::stop-commands::{token}\n{block}::{token}::\n")


def annotate(records: Record) -> list[Annotation]:
    """One annotation per model and level (at most :data:`ANNOTATIONS_PER_LEVEL` per level)."""
    by_level: dict[str, list[Annotation]] = {"error": [], "warning": []}
    for model in records["models"]:
        if model["error"] is not None:
            title = _title(model, "model cannot be checked")
            by_level["error"].append(Annotation("error", model["model"], title, [printable(model["error"])]))
            continue
        for name, notes in by_level.items():
            lines = [one_line(f) for f in failing(model) if level(f, records["strict"]) == name]
            if lines:
                noun = "check failed" if name == "error" else "warning"
                notes.append(Annotation(name, model["model"], _title(model, _count(len(lines), noun)),
                                        _capped(lines)))
    return [note for notes in by_level.values() for note in _fold(notes)]


def _title(model: Record, what: str) -> str:
    """``edgegate [budget edge]: 2 checks failed``."""
    return f"edgegate [{printable(budget_label(model))}]: {what}"


def _capped(lines: list[str]) -> list[str]:
    """At most :data:`LINES_PER_ANNOTATION` lines, the last saying how many were left out."""
    if len(lines) <= LINES_PER_ANNOTATION:
        return lines
    kept = lines[:LINES_PER_ANNOTATION - 1]
    return [*kept, f"... and {len(lines) - len(kept)} more (see the job summary)"]


def _fold(notes: list[Annotation]) -> list[Annotation]:
    """Keep the first 9 of more than 10 annotations; the 10th names the models left over."""
    if len(notes) <= ANNOTATIONS_PER_LEVEL:
        return notes
    kept, rest = notes[:ANNOTATIONS_PER_LEVEL - 1], notes[ANNOTATIONS_PER_LEVEL - 1:]
    what = "errors" if rest[0].level == "error" else "warnings"
    title = f"edgegate: {len(rest)} more model{'s' if len(rest) > 1 else ''} with {what}"
    names = _capped([printable(note.file or "") for note in rest])
    return [*kept, Annotation(rest[0].level, None, title, [*names, "full detail in the job summary"])]


def _count(count: int, noun: str) -> str:
    """``1 check failed``, ``2 checks failed``; ``1 warning``, ``3 warnings``."""
    if count == 1:
        return f"1 {noun}"
    head, _, tail = noun.partition(" ")
    return f"{count} {head}s{' ' + tail if tail else ''}"
