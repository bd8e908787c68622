"""Baselines: `edgegate baseline` writes every metric with settings and hashes as stable JSON;
reading it back; runs under other settings are refused; max_increase against it."""

from __future__ import annotations

import hashlib
import json

import pytest
from gate_helpers import conv_relu, save, write

from edgegate import __version__
from edgegate.cli import main
from edgegate.errors import UsageError
from edgegate.regression.baseline import load_baseline
from edgegate.scale.parallel import CheckSpec, run_checks

# conv_relu(3, 8, 16): MACs 8 x 16 x 16 x 3 x 9 = 55296, FLOPs 2 x 55296 + Relu 8 x 256 = 112640,
# params 8 x 3 x 9 = 216. conv_relu(3, 16, 16) doubles each: 110592 MACs, 225280 FLOPs, 432 params.
POLICY = """\
version: 1
budgets:
  all:
    limits:
      flops: {max: 1 MFLOP, max_increase: 5%}
      params: {max_increase: 10}
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """Two models (a: 112640 FLOPs, b: 225280 FLOPs) and POLICY; the working directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    save(conv_relu(3, 8, 16), tmp_path / "models" / "a.onnx")
    save(conv_relu(3, 16, 16), tmp_path / "models" / "b.onnx")
    write(tmp_path / "edgegate.yaml", POLICY)
    return tmp_path


def test_baseline_records_metrics_settings_hash_as_sorted_json(repo, capsys):
    assert main(["baseline", "--out", "base.json"]) == 0
    assert capsys.readouterr().out == "base.json: 2 baseline entries for 2 models\n"
    text = (repo / "base.json").read_text()
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True) + "\n"  # stable, diff-friendly
    assert (data["schema"], data["schema_version"], data["edgegate_version"]) == (
        "edgegate.baseline", 1, __version__)
    entry = data["models"]["models/a.onnx"]["all"]
    assert entry["sha256"] == hashlib.sha256((repo / "models" / "a.onnx").read_bytes()).hexdigest()
    assert entry["settings"] == {"dims": {}, "input_shapes": {}, "precision": "model",
                                 "fusion": "paper", "target": None, "fps": None}
    assert (entry["metrics"]["flops"], entry["metrics"]["macs"], entry["metrics"]["params"]) == (
        112640, 55296, 216)
    assert data["models"]["models/b.onnx"]["all"]["metrics"]["flops"] == 225280
    main(["baseline", "--out", "again.json"])
    assert (repo / "again.json").read_text() == text  # same inputs, same bytes


def test_load_baseline_reads_entries_back(repo):
    main(["baseline", "--out", "base.json"])
    baseline = load_baseline("base.json")
    assert baseline.edgegate_version == __version__
    assert sorted(baseline.entries) == [("models/a.onnx", "all"), ("models/b.onnx", "all")]
    assert baseline.entry("models/b.onnx", "all").metrics["params"] == 432
    assert baseline.entry("models/c.onnx", "all") is None


def test_update_keeps_models_not_checked(repo):
    main(["baseline", "--out", "base.json"])
    save(conv_relu(3, 16, 16), repo / "models" / "a.onnx")  # a grows to b's size
    assert main(["baseline", "models/a.onnx", "--out", "base.json", "--update"]) == 0
    data = json.loads((repo / "base.json").read_text())
    assert data["models"]["models/a.onnx"]["all"]["metrics"]["flops"] == 225280
    assert data["models"]["models/b.onnx"]["all"]["metrics"]["flops"] == 225280
    assert main(["baseline", "models/a.onnx", "--out", "base.json"]) == 0
    assert list(json.loads((repo / "base.json").read_text())["models"]) == ["models/a.onnx"]


def test_max_increase_against_the_baseline(repo):
    main(["baseline", "--out", "base.json"])
    save(conv_relu(3, 16, 16), repo / "models" / "a.onnx")
    result = run_checks(CheckSpec("edgegate.yaml", str(repo), 3, "base.json"), None).result
    a, b = result.results
    increases = {f.metric: f for f in a.findings if f.rule == "max_increase"}
    # flops 112640 -> 225280 is +100% > 5%; params 216 -> 432 is +216 > 10
    assert not increases["flops"].passed and increases["flops"].limit == pytest.approx(112640 * 1.05)
    assert not increases["params"].passed and increases["params"].limit == 226
    assert all(f.passed for f in b.findings if f.rule == "max_increase")  # b did not change
    assert result.exit_code() == 1


def test_a_model_missing_from_the_baseline_gets_no_relative_finding(repo):
    main(["baseline", "models/a.onnx", "--out", "base.json"])
    result = run_checks(CheckSpec("edgegate.yaml", str(repo), 3, "base.json"), None).result
    assert [f.rule for f in result.results[1].findings if f.rule == "max_increase"] == []


@pytest.mark.parametrize(("change", "shown"), [
    ("    precision: fp16\n", 'precision "model" -> "fp16"'),
    ("    dims: {batch: 2}\n", "dims {} -> {\"batch\":2}"),
    ("    fusion: none\n", 'fusion "paper" -> "none"'),
])
def test_a_baseline_from_other_settings_is_refused(repo, change, shown):
    main(["baseline", "--out", "base.json"])
    write(repo / "edgegate.yaml", POLICY.replace("  all:\n", "  all:\n" + change))
    with pytest.raises(UsageError) as error:
        _ = run_checks(CheckSpec("edgegate.yaml", str(repo), 3, "base.json"), None).result
    assert str(error.value) == (
        f"base.json: models/a.onnx [budget all] was recorded under other settings ({shown}):"
        " comparing would be wrong; re-record the baseline with `edgegate baseline --out`"
        " under the current policy")


def test_a_refusal_from_a_worker_process_keeps_its_message(repo):
    main(["baseline", "--out", "base.json"])
    write(repo / "edgegate.yaml", POLICY.replace("  all:\n", "  all:\n    precision: int8\n"))
    with pytest.raises(UsageError, match=r"^base.json: models/a.onnx \[budget all\] was recorded"):
        _ = run_checks(CheckSpec("edgegate.yaml", str(repo), 3, "base.json"), None, jobs=2).result


@pytest.mark.parametrize(("content", "message"), [
    (None, "base.json: --baseline: no such file"),
    ("{not json", "base.json: not a baseline: cannot read it as JSON (Expecting property name"
     " enclosed in double quotes: line 1 column 2 (char 1))"),
    ('{"models": {}}', 'base.json: not a baseline: no "schema": "edgegate.baseline" (write one with'
     " `edgegate baseline --out`)"),
    ('{"schema": "edgegate.baseline", "schema_version": 9, "models": {}}',
     "base.json: baseline schema_version 9 is not 1: re-record it with this edgegate"),
    ('{"schema": "edgegate.baseline", "schema_version": 1, "models": {"m": {"b": {}}}}',
     "base.json: not a baseline: models.m.b: 'sha256' is a required property"),
])
def test_unreadable_baselines_are_usage_errors(tmp_path, monkeypatch, content, message):
    monkeypatch.chdir(tmp_path)
    if content is not None:
        write(tmp_path / "base.json", content)
    with pytest.raises(UsageError) as error:
        load_baseline("base.json")
    assert str(error.value) == message and error.value.exit_code == 2


def test_an_unreadable_model_is_left_out_with_its_exit_code(repo, capsys):
    write(repo / "models" / "broken.onnx", "not a model")
    assert main(["baseline", "--out", "base.json"]) == 3
    captured = capsys.readouterr()
    assert "models/broken.onnx" in captured.err and "(not recorded)" in captured.err
    assert "models/broken.onnx" not in json.loads((repo / "base.json").read_text())["models"]


def test_a_policy_selecting_nothing_records_nothing(repo, capsys):
    write(repo / "edgegate.yaml", POLICY.replace("  all:\n", "  all:\n    include: ['modles/*.onnx']\n"))
    # over the whole tree: a usage error, as for check; no file written
    assert main(["baseline", "--out", "base.json"]) == 2
    assert "selects no model under" in capsys.readouterr().err
    assert not (repo / "base.json").exists()
    # with files the policy does not select: nothing to record, exit 0, no file written
    assert main(["baseline", "models/a.onnx", "--out", "base.json"]) == 0
    assert "nothing to record, base.json left as it is" in capsys.readouterr().err
    assert not (repo / "base.json").exists()
