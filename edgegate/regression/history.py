"""The metrics history: each run appends one JSON line per model and budget to a JSON Lines file,
and ``edgegate trend`` reads them back as each model's metrics over time.

A line is ``{"schema": "edgegate.history", "time", "commit", "edgegate_version", "model",
"budget", "passed", "metrics"}``; lines of one run share ``time`` and ``commit``. Appending
never rewrites earlier lines, so the file can live in a CI cache or an artifact store.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgegate.documents import require
from edgegate.errors import UsageError
from edgegate.files import append_text, read_tail, read_text
from edgegate.jsonfile import MAX_JSON_BYTES, dumps, parse_json
from edgegate.rules.findings import RunResult
from edgegate.version import __version__

HISTORY_SCHEMA = "edgegate.history"


def now() -> str:
    """The current UTC time as ``2026-01-31T12:00:00Z``."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def current_commit(root: Path) -> str | None:
    """The commit being checked: ``$GITHUB_SHA`` in GitHub Actions, else ``git rev-parse HEAD``
    in ``root``, else None."""
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"]
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=False, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def history_lines(result: RunResult, time: str, commit: str | None) -> list[dict[str, Any]]:
    """One history record per estimated model result of ``result`` (errors have no metrics)."""
    return [
        {"schema": HISTORY_SCHEMA, "time": time, "commit": commit, "edgegate_version": __version__,
         "model": model.model, "budget": model.budget, "passed": model.passed(result.strict),
         "metrics": dict(model.metrics)}
        for model in result.results if model.error is None
    ]


def check_history_target(path: str | Path) -> None:
    """UsageError unless ``path`` is missing, empty, or a history whose last line is a history
    record: ``--history`` appends, and never to a file of another kind."""
    tail = read_tail(path, 1 << 16).decode("utf-8", "replace").strip()
    if not tail:
        return
    last = tail.splitlines()[-1]
    try:
        record = parse_json(last)
    except ValueError:
        record = None
    if not isinstance(record, dict) or record.get("schema") != HISTORY_SCHEMA:
        raise UsageError(f"--history: '{path}' is not an edgegate history (its last line is no"
                         " history record); edgegate only appends to one: choose another path")


def append_history(path: str | Path, result: RunResult, time: str, commit: str | None) -> int:
    """Append ``result``'s records to the JSON Lines file ``path``; return how many."""
    check_history_target(path)
    lines = history_lines(result, time, commit)
    text = "".join(dumps(line, sort_keys=True) + "\n" for line in lines)
    append_text(path, text, "--history")
    return len(lines)


@dataclass(frozen=True)
class Point:
    """One model's metrics in one run."""

    time: str
    commit: str | None
    passed: bool
    metrics: Mapping[str, int | float]


@dataclass(frozen=True)
class Series:
    """One model under one budget over time, oldest first."""

    model: str
    budget: str
    points: tuple[Point, ...]


def read_history(path: str | Path) -> list[dict[str, Any]]:
    """Every record of the history file; UsageError naming file:line for a bad line (each is
    checked against ``edgegate/schemas/history.schema.json``)."""
    shown = str(path)
    text = read_text(path, "history", MAX_JSON_BYTES, missing="no such history file")
    records = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = parse_json(line)
        except json.JSONDecodeError as error:
            raise UsageError(f"not a history line: {error.msg}", shown, number) from None
        except ValueError as error:
            raise UsageError(f"not a history line: {str(error)[:200]}", shown, number) from None
        if not isinstance(record, dict) or record.get("schema") != HISTORY_SCHEMA:
            raise UsageError(f"not a history line: no \"schema\": \"{HISTORY_SCHEMA}\"", shown, number)
        require("history", record, "history line", shown, number)
        records.append(record)
    return records


def series(records: Sequence[Mapping[str, Any]]) -> list[Series]:
    """The records grouped per (model, budget), in model order; points by time (file order
    breaks ties)."""
    grouped: dict[tuple[str, str], list[Point]] = {}
    for record in sorted(records, key=lambda r: str(r.get("time", ""))):
        key = (record["model"], str(record.get("budget", "")))
        grouped.setdefault(key, []).append(Point(
            str(record.get("time", "")), record.get("commit"), bool(record.get("passed", True)),
            dict(record.get("metrics", {}))))
    return [Series(model, budget, tuple(points)) for (model, budget), points in sorted(grouped.items())]
