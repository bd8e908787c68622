"""The metrics history (JSON Lines, one line per model and budget per run) and `edgegate trend`."""

from __future__ import annotations

import json

import pytest
from gate_helpers import write

from edgegate import __version__
from edgegate.cli import main
from edgegate.errors import UsageError
from edgegate.regression.history import append_history, read_history, series
from edgegate.rules.findings import ModelResult, RunResult


def _run(flops, params, error=False):
    results = [ModelResult("models/a.onnx", "all", metrics={"flops": flops, "params": params}),
               ModelResult("models/b.onnx", "all", metrics={"flops": 10, "params": 1})]
    if error:
        results.append(ModelResult("models/c.onnx", "all", error="bad", exit_code=3))
    return RunResult("edgegate.yaml", tuple(results))


def test_history_round_trip(tmp_path):
    path = tmp_path / "history.jsonl"
    assert append_history(path, _run(1000, 50, error=True), "2026-01-01T00:00:00Z", "aaaa1111") == 2
    assert append_history(path, _run(1100, 50), "2026-01-02T00:00:00Z", None) == 2
    lines = path.read_text().splitlines()
    assert len(lines) == 4  # the errored model has no metrics and no line
    assert json.loads(lines[0]) == {
        "schema": "edgegate.history", "time": "2026-01-01T00:00:00Z", "commit": "aaaa1111",
        "edgegate_version": __version__, "model": "models/a.onnx", "budget": "all", "passed": True,
        "metrics": {"flops": 1000, "params": 50}}
    found = series(read_history(path))
    assert [(s.model, s.budget, len(s.points)) for s in found] == [
        ("models/a.onnx", "all", 2), ("models/b.onnx", "all", 2)]
    assert [p.metrics["flops"] for p in found[0].points] == [1000, 1100]
    assert [p.commit for p in found[0].points] == ["aaaa1111", None]


def test_points_are_ordered_by_time_not_by_line(tmp_path):
    path = tmp_path / "h.jsonl"
    append_history(path, _run(2, 1), "2026-03-01T00:00:00Z", "late")
    append_history(path, _run(1, 1), "2026-02-01T00:00:00Z", "early")  # e.g. a merged old shard
    assert [p.commit for p in series(read_history(path))[0].points] == ["early", "late"]


def test_trend_text_shows_values_and_change_since_the_run_before(tmp_path, capsys):
    path = tmp_path / "h.jsonl"
    append_history(path, _run(1000, 50), "2026-01-01T00:00:00Z", "aaaa1111bbbb")
    append_history(path, _run(1100, 50), "2026-01-02T00:00:00Z", "cccc2222dddd")
    assert main(["trend", str(path), "--model", "models/a.onnx", "--metric", "flops",
                 "--metric", "params"]) == 0
    # 1100 / 1000 = +10.0%; params unchanged shows no change
    assert capsys.readouterr().out == (
        "models/a.onnx [budget all]: 2 runs\n"
        f"  {'time':<20} {'commit':<8} {'flops':>24} {'params':>24}\n"
        f"  {'2026-01-01T00:00:00Z':<20} aaaa1111 {'1 kFLOP':>24} {'50 param':>24}\n"
        f"  {'2026-01-02T00:00:00Z':<20} cccc2222 {'1.10 kFLOP (+10.0%)':>24} {'50 param':>24}\n")


def test_trend_json_and_last(tmp_path, capsys):
    path = tmp_path / "h.jsonl"
    for day, flops in ((1, 1000), (2, 1100), (3, 900)):
        append_history(path, _run(flops, 50), f"2026-01-0{day}T00:00:00Z", None)
    assert main(["trend", str(path), "--format", "json", "--last", "2", "--metric", "flops"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [m["model"] for m in document["models"]] == ["models/a.onnx", "models/b.onnx"]
    assert [p["metrics"]["flops"] for p in document["models"][0]["points"]] == [1100, 900]


def test_bad_history_lines_name_file_and_line(tmp_path, capsys):
    path = write(tmp_path / "h.jsonl", '{"schema": "edgegate.history", "model": "m", "metrics": {}}\n{oops\n')
    with pytest.raises(UsageError) as error:
        read_history(path)
    assert str(error.value) == f"{path}:2: not a history line: Expecting property name enclosed in double quotes"
    write(path, '{"model": "m"}\n')
    assert main(["trend", str(path)]) == 2
    assert capsys.readouterr().err == f'edgegate: error: {path}:1: not a history line: no "schema": "edgegate.history"\n'
    assert main(["trend", str(tmp_path / "none.jsonl")]) == 2
    assert main(["trend", str(path), "--metric", "flop"]) == 2


def test_merge_appends_the_merged_run_to_the_history(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_SHA", "feedbeef")
    write(tmp_path / "r.json", json.dumps(_run(5, 5).as_records()))
    assert main(["merge", "r.json", "--quiet", "--history", "h.jsonl"]) == 0
    (first, second) = read_history(tmp_path / "h.jsonl")
    assert (first["model"], first["commit"], first["metrics"]) == ("models/a.onnx", "feedbeef",
                                                                   {"flops": 5, "params": 5})
    assert second["model"] == "models/b.onnx" and second["time"] == first["time"]
