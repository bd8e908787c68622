"""`edgegate check` with the regression options: --baseline, --jobs, --shard with `merge`
(JSON and JUnit from the merged result), --all, --history with `trend`."""

from __future__ import annotations

import json

import junitparser
import pytest
from gate_helpers import conv_relu, save, untimed, untimed_junit, write

from edgegate.cli import main

# conv_relu(3, c, 16): FLOPs 2 x c x 256 x 27 + c x 256 = 14080 x c, params 27 x c
POLICY = """\
version: 1
budgets:
  all:
    limits:
      flops: {max: 100 kFLOP, max_increase: 5%}
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """Nine models m1..m9 with c = 1..9 channels (flops 14080 x c: c >= 8 is over 100 kFLOP)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    for channels in range(1, 10):
        save(conv_relu(3, channels, 16), tmp_path / "models" / f"m{channels}.onnx")
    write(tmp_path / "edgegate.yaml", POLICY)
    return tmp_path


def _json(path):
    return untimed(json.loads(path.read_text()))


def test_check_against_a_baseline(repo, capsys):
    assert main(["baseline", "--out", "base.json"]) == 0
    save(conv_relu(3, 2, 16), repo / "models" / "m1.onnx")  # m1 doubles: 14080 -> 28160
    capsys.readouterr()
    assert main(["check", "models/m1.onnx", "--baseline", "base.json", "--format", "text"]) == 1
    out = capsys.readouterr().out
    assert ("  FAIL  max_increase           flops 28.2 kFLOP is +100.0% against the baseline"
            " 14.1 kFLOP: exceeds max_increase 5% (at most 14.8 kFLOP)\n") in out  # 14080 x 1.05 = 14784
    write(repo / "edgegate.yaml", POLICY.replace("  all:\n", "  all:\n    fusion: none\n"))
    assert main(["check", "--baseline", "base.json"]) == 2
    assert capsys.readouterr().err.startswith(
        "edgegate: error: base.json: models/m1.onnx [budget all] was recorded under other settings"
        ' (fusion "paper" -> "none")')


def test_jobs_and_all(repo):
    assert main(["check", "--jobs", "2", "--json", "two.json", "--no-fail"]) == 0
    assert main(["check", "--json", "one.json", "--no-fail"]) == 0
    assert _json(repo / "two.json") == _json(repo / "one.json")
    assert main(["check", "models/m1.onnx", "--all", "--json", "all.json"]) == 1  # m8, m9 fail
    assert _json(repo / "all.json") == _json(repo / "one.json") | {"no_fail": False, "exit_code": 1}


def test_sharded_checks_merged_equal_one_run(repo):
    main(["check", "--json", "whole.json", "--junit-xml", "whole.xml"])
    for index in (1, 2, 3):
        main(["check", "--shard", f"{index}/3", "--json", f"shard{index}.json", "--format", "text:log"])
    shards = [_json(repo / f"shard{index}.json") for index in (1, 2, 3)]
    assert sorted(m["model"] for s in shards for m in s["models"]) == [
        f"models/m{c}.onnx" for c in range(1, 10)]  # each model in exactly one shard
    code = main(["merge", "shard1.json", "shard2.json", "shard3.json", "--json", "merged.json",
                 "--junit-xml", "merged.xml", "--quiet"])
    assert code == 1 and _json(repo / "merged.json") == _json(repo / "whole.json")
    assert untimed_junit((repo / "merged.xml").read_text()) == untimed_junit((repo / "whole.xml").read_text())
    suites = list(junitparser.JUnitXml.fromfile(str(repo / "merged.xml")))
    assert len(suites) == 9


def test_history_and_trend(repo, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_SHA", "0123456789abcdef")
    main(["check", "models/m1.onnx", "--history", "h.jsonl"])
    save(conv_relu(3, 2, 16), repo / "models" / "m1.onnx")
    main(["check", "models/m1.onnx", "--history", "h.jsonl"])
    lines = [json.loads(line) for line in (repo / "h.jsonl").read_text().splitlines()]
    assert [(line["model"], line["metrics"]["flops"], line["commit"]) for line in lines] == [
        ("models/m1.onnx", 14080, "0123456789abcdef"), ("models/m1.onnx", 28160, "0123456789abcdef")]
    capsys.readouterr()
    assert main(["trend", "h.jsonl", "--metric", "flops", "--format", "json"]) == 0
    (series,) = json.loads(capsys.readouterr().out)["models"]
    assert [p["metrics"]["flops"] for p in series["points"]] == [14080, 28160]
