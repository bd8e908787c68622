"""Read RunResult JSON documents back (``RunResult.as_records()``) and merge shards into one.

``edgegate check --shard K/N --json shard-K.json`` in each job of a CI matrix, then
``edgegate merge shard-*.json``: the merged document equals the one an unsharded run writes,
because shards partition models by path and a serial run lists models in path order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from edgegate.documents import require
from edgegate.errors import ExitCode, UsageError
from edgegate.jsonfile import read_json
from edgegate.rules.findings import (
    RECORDS_SCHEMA_VERSION,
    Contributor,
    Finding,
    LayerTime,
    ModelResult,
    RunResult,
)

_FINDING_FIELDS = ("rule", "severity", "passed", "model", "message", "budget", "metric", "value",
                   "limit", "bound", "unit", "node", "suggestion", "advice")
_ERROR_CODES = {int(ExitCode.MODEL_ERROR), int(ExitCode.POLICY_ERROR), int(ExitCode.BINDING_ERROR)}


def load_records(path: str | Path) -> dict[str, Any]:
    """A check's JSON document from ``path``; UsageError naming the file when it is not one."""
    shown = str(path)
    data = read_json(path, "check result")
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise UsageError("not a check result: no 'models' list (write one with"
                         " `edgegate check --json PATH`)", shown)
    if data.get("schema_version") != RECORDS_SCHEMA_VERSION:
        version = data.get("schema_version")
        shown_version = repr(version) if isinstance(version, (int, str)) and len(repr(version)) < 40 else "?"
        raise UsageError(f"check result schema_version {shown_version} is not"
                         f" {RECORDS_SCHEMA_VERSION}", shown)
    require("check", data, "check result", shown)
    return data


def _model_result(record: Mapping[str, Any], document_code: int) -> ModelResult:
    """One model record as a ModelResult.

    A model error's exit code is the record's ``exit_code`` when present, else the document's
    (its first error's code), else 3 (unreadable model).
    """
    error = record.get("error")
    code = record.get("exit_code", document_code if document_code in _ERROR_CODES else 3)
    return ModelResult(
        model=record["model"],
        budget=record["budget"],
        findings=tuple(Finding(**{key: item.get(key) for key in _FINDING_FIELDS if key in item})
                       for item in record.get("findings", ())),
        metrics=dict(record.get("metrics", {})),
        settings=dict(record.get("settings", {})),
        target=record.get("target"),
        coverage=dict(record.get("coverage", {})),
        contributors={metric: tuple(Contributor(**item) for item in items)
                      for metric, items in record.get("contributors", {}).items()},
        layers=tuple(LayerTime(item["layer"], tuple(item["op_types"]), item["flops"], item["dram_bytes"],
                               item["seconds"], item["share"], item["bound"])
                     for item in record.get("layers", ())),
        error=error,
        exit_code=int(code) if error is not None else 0,
        seconds=record.get("seconds"),
        kind=str(record.get("kind", "check")),
        dims_used=None if record.get("dims_used") is None else dict(record["dims_used"]),
    )


def run_result(document: Mapping[str, Any], source: str = "<document>") -> RunResult:
    """The RunResult that wrote ``document``; UsageError (naming ``source``) if malformed."""
    try:
        records = [_model_result(record, int(document.get("exit_code", 0))) for record in document["models"]]
    except (KeyError, TypeError, ValueError) as error:
        raise UsageError(f"not a check result: malformed model record ({error!r})", source) from None
    return RunResult(str(document.get("policy", "")), tuple(r for r in records if r.kind == "check"),
                     bool(document.get("strict")), bool(document.get("no_fail")),
                     tuple(document.get("skipped", ())), tuple(r for r in records if r.kind != "check"))


def merge_results(parts: Sequence[RunResult], sources: Sequence[str]) -> RunResult:
    """One RunResult from shard results: models in path order (a model's budgets stay in
    their order), skipped paths sorted. Shards must agree on policy, strict and no_fail."""
    if not parts:
        raise UsageError("merge: give at least one check result")
    first = parts[0]
    for part, source in zip(parts[1:], sources[1:]):
        for name in ("policy", "strict", "no_fail"):
            if getattr(part, name) != getattr(first, name):
                raise UsageError(f"cannot merge: {name} is {getattr(part, name)!r} here but"
                                 f" {getattr(first, name)!r} in {sources[0]}", source)
    seen: dict[tuple[str, str], str] = {}
    for part, source in zip(parts, sources):
        for result in (*part.results, *part.notices):
            key = (result.model, result.budget)
            if key in seen:
                raise UsageError(f"cannot merge: {result.model} [budget {result.budget}] is also"
                                 f" in {seen[key]} (overlapping shards?)", source)
            seen[key] = source
    results = sorted((r for part in parts for r in part.results), key=lambda r: r.model)
    notices = sorted((r for part in parts for r in part.notices), key=lambda r: r.model)
    skipped = sorted({path for part in parts for path in part.skipped})
    return RunResult(first.policy, tuple(results), first.strict, first.no_fail, tuple(skipped),
                     tuple(notices))
