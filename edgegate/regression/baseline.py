"""Baseline files: every metric of every checked model, recorded to be committed and compared to.

A baseline is JSON with sorted keys and two-space indentation, one entry per model and budget
(``models[path][budget]``), so a change to one model is a small diff. Each entry holds the
model file's sha256, the settings that shaped its numbers (:data:`SHAPING`: bindings,
precision, fusion, target and frame rate, plus the target's figures) and its metrics. A run
under other settings is refused rather than compared wrongly (:meth:`Baseline.require_same`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgegate.documents import require
from edgegate.errors import UsageError
from edgegate.files import size_of, write_text
from edgegate.jsonfile import dumps, read_json
from edgegate.regression.deltas import metric_deltas
from edgegate.regression.refs import ModelDelta
from edgegate.rules.findings import ModelResult, RunResult
from edgegate.version import __version__

BASELINE_SCHEMA = "edgegate.baseline"
BASELINE_VERSION = 1
SHAPING: tuple[str, ...] = ("dims", "input_shapes", "precision", "fusion", "target", "fps")
"""Budget settings that change the numbers (``unestimated`` only changes the verdict)."""
SHAPING_WHEN_SET: tuple[str, ...] = ("input_values", "loop_trips")
"""Settings that change the numbers, recorded only when a budget sets them (so baselines
written before they existed still compare)."""
TARGET_FIGURES: tuple[str, ...] = ("precision", "peak_flops", "dram_bandwidth", "onchip_bytes")
"""Target facts that change the target metrics (latency, on-chip DRAM bytes, bandwidth)."""


def sha256_file(path: str | Path) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def shaping(settings: Mapping[str, Any], target: Mapping[str, Any] | None) -> dict[str, Any]:
    """The budget ``settings`` and ``target`` record (as in a ModelResult) that shape the
    numbers, as plain JSON data."""
    shaped = {key: settings.get(key) for key in SHAPING}
    shaped.update({key: settings[key] for key in SHAPING_WHEN_SET if settings.get(key)})
    if target is not None:
        shaped["target_figures"] = {key: target.get(key) for key in TARGET_FIGURES}
    return json.loads(json.dumps(shaped))


def entry_record(result: ModelResult, root: Path) -> dict[str, Any]:
    """One model result as a baseline entry: sha256, shaping settings, metrics."""
    return {
        "sha256": sha256_file(root / result.model),
        "settings": shaping(result.settings, result.target),
        "metrics": dict(result.metrics),
    }


def baseline_document(result: RunResult, root: Path,
                      keep: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The baseline of every estimated model in ``result`` (errors are left out), over the
    entries of ``keep`` (an older baseline's ``models``) for models this run did not check."""
    models: dict[str, dict[str, Any]] = {path: dict(budgets) for path, budgets in (keep or {}).items()}
    checked = {model.model for model in result.results}
    for path in checked:
        models.pop(path, None)
    for model in result.results:
        if model.error is None:
            models.setdefault(model.model, {})[model.budget] = entry_record(model, root)
    return {"schema": BASELINE_SCHEMA, "schema_version": BASELINE_VERSION,
            "edgegate_version": __version__, "policy": result.policy, "models": models}


def write_baseline(document: Mapping[str, Any], path: str | Path) -> None:
    """Write ``document`` as stable, diff-friendly JSON (sorted keys, indent 2, final newline),
    all at once (a temporary file renamed over ``path``)."""
    write_text(path, dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n", "--out")


def check_baseline_target(path: str | Path) -> None:
    """UsageError when ``path`` holds a file that is not an edgegate baseline: ``baseline
    --out`` replaces a baseline, never a file of another kind (a typo must not cost a file)."""
    if not size_of(path):
        return  # missing or empty (or not a regular file: the writer says what it is)
    try:
        load_baseline(path)
    except UsageError:
        raise UsageError(f"--out: '{path}' exists and is not an edgegate baseline; edgegate only"
                         " replaces a baseline: remove it or choose another path") from None


@dataclass(frozen=True)
class BaselineEntry:
    """One model under one budget as recorded: file hash, shaping settings, metrics."""

    model: str
    budget: str
    sha256: str
    settings: Mapping[str, Any]
    metrics: Mapping[str, int | float]


@dataclass(frozen=True)
class Baseline:
    """A loaded baseline file: who wrote it and the entries by (model, budget)."""

    path: str
    edgegate_version: str
    entries: Mapping[tuple[str, str], BaselineEntry]
    document: Mapping[str, Any]

    def entry(self, model: str, budget: str) -> BaselineEntry | None:
        """The entry of ``model`` under ``budget``, or None when the baseline lacks it."""
        return self.entries.get((model, budget))

    def require_same(self, entry: BaselineEntry, now: Mapping[str, Any]) -> None:
        """UsageError unless ``now`` (this run's shaping settings) equals the recorded ones."""
        if dict(entry.settings) == dict(now):
            return
        keys = sorted(set(entry.settings) | set(now))
        changed = [f"{key} {_shown(entry.settings.get(key))} -> {_shown(now.get(key))}"
                   for key in keys if entry.settings.get(key) != now.get(key)]
        raise UsageError(
            f"{entry.model} [budget {entry.budget}] was recorded under other settings"
            f" ({'; '.join(changed)}): comparing would be wrong; re-record the baseline with"
            " `edgegate baseline --out` under the current policy", self.path)


def _shown(value: Any) -> str:
    """A settings value as compact JSON (``null`` when unset)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def load_baseline(path: str | Path) -> Baseline:
    """Read a baseline file; UsageError naming the file when it is missing or not a baseline."""
    shown = str(path)
    data = read_json(path, "baseline", missing="--baseline: no such file")
    if not isinstance(data, dict) or data.get("schema") != BASELINE_SCHEMA:
        raise UsageError(f"not a baseline: no \"schema\": \"{BASELINE_SCHEMA}\""
                         " (write one with `edgegate baseline --out`)", shown)
    if data.get("schema_version") != BASELINE_VERSION:
        version = data.get("schema_version")
        shown_version = repr(version) if isinstance(version, (int, str)) and len(repr(version)) < 40 else "?"
        raise UsageError(f"baseline schema_version {shown_version} is not"
                         f" {BASELINE_VERSION}: re-record it with this edgegate", shown)
    require("baseline", data, "baseline", shown)
    entries = {
        (model, budget): BaselineEntry(model, budget, record["sha256"], record["settings"], record["metrics"])
        for model, budgets in data["models"].items() for budget, record in budgets.items()
    }
    return Baseline(shown, str(data.get("edgegate_version", "")), entries, data)


def baseline_deltas(baseline: Baseline, results: Sequence[ModelResult]) -> list[ModelDelta]:
    """The deltas of ``results`` against ``baseline``, for the reports' "changes" sections: a
    model whose metrics differ from its entry (``modified``) or that has no entry (``added``);
    a model that could not be checked, with its error. Unchanged models are left out."""
    found = []
    for result in results:
        entry = baseline.entry(result.model, result.budget)
        status = "added" if entry is None else "modified"
        if result.error is not None:
            found.append(ModelDelta(result.model, result.budget, status, None, (), f"now: {result.error}"))
            continue
        before = None if entry is None else entry.metrics
        deltas = metric_deltas(before, result.metrics)
        if any(delta.before != delta.after for delta in deltas):
            found.append(ModelDelta(result.model, result.budget, status, None, deltas))
    return found
