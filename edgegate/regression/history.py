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

from edgegate.errors import UsageError
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


def append_history(path: str | Path, result: RunResult, time: str, commit: str | None) -> int:
    """Append ``result``'s records to the JSON Lines file ``path``; return how many."""
    lines = history_lines(result, time, commit)
    text = "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines)
    try:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as error:
        raise UsageError(f"cannot append to the history: {error.strerror}", str(path)) from None
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
    """Every record of the history file; UsageError naming file:line for a bad line."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError("no such history file", shown) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read the history ({error})", shown) from None
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise UsageError(f"not a history line: {error.msg}", shown, number) from None
        if not isinstance(record, dict) or record.get("schema") != HISTORY_SCHEMA:
            raise UsageError(f"not a history line: no \"schema\": \"{HISTORY_SCHEMA}\"", shown, number)
        if not isinstance(record.get("model"), str) or not isinstance(record.get("metrics"), dict):
            raise UsageError("not a history line: it needs 'model' and 'metrics'", shown, number)
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
