"""GitHub Actions workflow commands: the log grouped per model, and annotations.

Each model's text report sits in a ``::group::``, with command processing stopped around it
(``::stop-commands::TOKEN`` ... ``::TOKEN::``): model paths, node names and policy messages come
from files a pull request controls, and the runner would otherwise act on a ``::command::`` at
the start of any line or a ``##[command]`` anywhere in one. The token is a digest of the block
it guards, so the block cannot contain it. Command data escapes ``%``, CR and LF; properties
also ``:`` and ``,`` (the runner's own escape table).

The runner keeps at most 10 error and 10 warning annotations per step and drops the rest
silently (``_maxCountPerIssueType`` in actions/runner; "10 warning annotations and 10 error
annotations per step" in GitHub's check-runs docs). In a composite action, such as edgegate's
own, the inner steps' annotations all count toward the action's one step. So annotations are
aggregated: one per model and level, the 10th of a level naming every model left over. The
runner cuts a message at 4096 characters and the checks API a title at 255, so both are kept
under that. The job summary (the ``markdown`` reporter) has the full detail.

Every other line edgegate writes, on standard output and standard error, can carry a model
path too, and the runner reads commands there as well (a ``##[name]`` anywhere in a line, a
``::name::`` at its start): :mod:`edgegate.printable` makes such text harmless, and under
GitHub Actions the CLI passes both streams through its ``InertStream``, which this reporter
writes its own commands past (:func:`~edgegate.printable.write_command`).
"""

from __future__ import annotations

import hashlib
import io
from typing import NamedTuple, TextIO

from edgegate.printable import ZWSP, inert, printable, write_command
from edgegate.report.facts import Record, budget_label, failing, label, level, one_line
from edgegate.report.text import write_model, write_tail

ANNOTATIONS_PER_LEVEL = 10
"""Error (and, separately, warning) annotations GitHub shows for one step."""

LINES_PER_ANNOTATION = 20
"""Checks listed in one annotation before ``... and N more``."""

MESSAGE_CHARS = 4096
"""The runner's cut for an annotation message."""

TITLE_CHARS = 255
"""The checks API's limit on an annotation title."""


class Annotation(NamedTuple):
    """One ``::error`` or ``::warning`` command: level, file (or None), title and message lines."""

    level: str
    file: str | None
    title: str
    lines: list[str]


def escape_data(value: str) -> str:
    """Workflow-command data: ``%``, CR and LF percent-encoded (``%`` first), and each ``##[``
    broken as :func:`~edgegate.printable.inert` breaks it."""
    return inert(value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")).lstrip(ZWSP)


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
        title = printable(f"{label(model)}: {'PASSED' if model['passed'] else 'FAILED'}")
        write_command(out, command("group", title) + "\n")
        block = io.StringIO()
        write_model(model, records["strict"], block)
        write_inert(block.getvalue(), out)
        write_command(out, command("endgroup") + "\n")
    tail = io.StringIO()
    write_tail(records, tail)
    write_inert(tail.getvalue(), out)
    for note in annotate(records):
        properties = {"file": note.file} if note.file is not None else {}
        write_command(out, command(note.level, _cut("\n".join(note.lines), MESSAGE_CHARS), **properties,
                                   title=_cut(note.title, TITLE_CHARS)) + "\n")


def write_inert(block: str, out: TextIO) -> None:
    """Write ``block`` with workflow-command processing stopped around it."""
    digest = hashlib.sha256(block.encode("utf-8", "backslashreplace")).hexdigest()
    token = f"edgegate-{digest[:40]}"
    write_command(out, f"::stop-commands::{token}\n")
    out.write(block)
    write_command(out, f"::{token}::\n")


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


def _cut(text: str, most: int) -> str:
    """``text`` in at most ``most`` characters, ending in ``...`` when cut."""
    return text if len(text) <= most else text[:most - 3] + "..."


def _count(count: int, noun: str) -> str:
    """``1 check failed``, ``2 checks failed``; ``1 warning``, ``3 warnings``."""
    if count == 1:
        return f"1 {noun}"
    head, _, tail = noun.partition(" ")
    return f"{count} {head}s{' ' + tail if tail else ''}"
