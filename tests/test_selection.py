"""No model escapes unseen: a model no budget selects (a stray) is a finding of rule
``unselected`` in every format, with the policy's ``unselected: error | warning | off``; a
budget whose include matches no model of the tree is a warning of rule ``unused_budget``.
Through cli.main on real repos."""

from __future__ import annotations

import json

import pytest
from gate_helpers import conv_relu, save, untimed, write
from junitparser import Failure, JUnitXml

from edgegate.cli import main
from edgegate.scale.parallel import shard_of

# conv_relu(3, 8, 16): 112640 FLOPs, under 200 kFLOP
POLICY = """\
version: 1
budgets:
  all:
    include: ["models/*.onnx"]
    limits:
      flops: {max: 200 kFLOP}
"""
STRAY = ("no budget selects this model, so no limit checks it: add it to a budget's include (or add"
         " a budget for it)")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """models/m.onnx (selected, passes) and extra/stray.onnx (no budget selects it)."""
    monkeypatch.chdir(tmp_path)
    save(conv_relu(3, 8, 16), tmp_path / "models" / "m.onnx")
    save(conv_relu(3, 8, 16), tmp_path / "extra" / "stray.onnx")
    write(tmp_path / "edgegate.yaml", POLICY)
    return tmp_path


def _reports(repo, *argv: str) -> tuple[int, str]:
    """Run check with every report (github on standard output, the summary in summary.md)."""
    code = main(["check", *argv, "--format", "github", "--github-summary", "summary.md",
                 "--junit-xml", "junit.xml", "--json", "run.json", "--sarif", "run.sarif"])
    return code, (repo / "summary.md").read_text()


def test_a_stray_model_is_a_warning_in_every_format(repo, capsys):
    code, summary = _reports(repo)
    assert code == 0
    out = capsys.readouterr().out
    # text (inside the github format's group) and the annotation
    assert f"extra/stray.onnx [no budget]: PASSED\n  warn  unselected             {STRAY}\n" in out
    assert ("::warning file=extra/stray.onnx,title=edgegate [no budget]%3A 1 warning::"
            "no budget selects this model, so no limit checks it: add it to a budget's include (or"
            " add a budget for it)\n") in out
    assert "2 model checks: 2 passed, 0 failed (0 errors, 1 warning)\n" in out
    # the job summary: the model's row, and a row in the table of warnings
    assert "| ⚠️ | `extra/stray.onnx` |  |  | ⚠️ `unselected` |" in summary
    assert "| `extra/stray.onnx` |  | `unselected` | | | | no budget selects this model" in summary
    # JUnit: a suite for the stray, its case skipped with the warning (as consumers show it)
    suites = {suite.name: suite for suite in JUnitXml.fromfile(str(repo / "junit.xml"))}
    (case,) = suites["extra/stray.onnx [no budget]"]
    (skipped,) = case.result
    assert (case.name, case.classname, type(skipped).__name__, skipped.message) == (
        "unselected", "edgegate.unselected", "Skipped", f"warning: {STRAY}")
    # JSON: still listed in `skipped` (the contract), and a selection record with the finding
    records = json.loads((repo / "run.json").read_text())
    assert records["skipped"] == ["extra/stray.onnx"]
    stray = records["models"][-1]
    assert (stray["model"], stray["budget"], stray["kind"], stray["passed"]) == (
        "extra/stray.onnx", "", "selection", True)
    assert [(f["rule"], f["severity"], f["passed"]) for f in stray["findings"]] == [
        ("unselected", "warning", False)]
    # SARIF: a warning result at the file, under a described rule
    run = json.loads((repo / "run.sarif").read_text())["runs"][0]
    (result,) = run["results"]
    assert (result["ruleId"], result["level"]) == ("unselected", "warning")
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "extra/stray.onnx"
    (rule,) = run["tool"]["driver"]["rules"]
    assert rule["shortDescription"]["text"] == "Every model is selected by a budget (the policy's `unselected` setting)."


def test_a_stray_model_is_an_error_under_unselected_error(repo, capsys):
    write(repo / "edgegate.yaml", POLICY + "unselected: error\n")
    code, summary = _reports(repo)
    assert code == 1  # the gate fails
    out = capsys.readouterr().out
    assert f"extra/stray.onnx [no budget]: FAILED\n  FAIL  unselected             {STRAY}\n" in out
    assert "::error file=extra/stray.onnx,title=edgegate [no budget]%3A 1 check failed::" in out
    assert "| ❌ | `extra/stray.onnx` |  |  | ❌ `unselected` |" in summary
    assert "| `extra/stray.onnx` |  | `unselected` | | | | no budget selects this model" in summary
    suites = {suite.name: suite for suite in JUnitXml.fromfile(str(repo / "junit.xml"))}
    (case,) = suites["extra/stray.onnx [no budget]"]
    (failure,) = case.result
    assert isinstance(failure, Failure) and failure.message == STRAY
    assert main(["check", "--no-fail"]) == 0  # report only


def test_a_warning_fails_with_strict_and_off_reports_nothing(repo, capsys):
    assert main(["check", "--strict"]) == 1
    capsys.readouterr()
    write(repo / "edgegate.yaml", POLICY + "unselected: off\n")  # a bare off is YAML's false
    assert main(["check", "--strict", "--json", "run.json"]) == 0
    out = capsys.readouterr().out
    assert "[no budget]" not in out and "not selected by any budget: extra/stray.onnx\n" in out
    records = json.loads((repo / "run.json").read_text())
    assert (records["skipped"], [m["model"] for m in records["models"]]) == (["extra/stray.onnx"], ["models/m.onnx"])


def test_a_stray_among_the_files_given_is_reported_as_pre_commit_passes_them(repo, capsys):
    write(repo / "edgegate.yaml", POLICY + "unselected: error\n")
    assert main(["check", "--quiet", "extra/stray.onnx", "notes.md"]) == 1
    captured = capsys.readouterr()
    assert captured.out == (f"extra/stray.onnx [no budget]: FAILED\n  FAIL  unselected             {STRAY}\n"
                            "not selected by any budget: extra/stray.onnx\n"
                            "1 model check: 0 passed, 1 failed (1 error, 0 warnings)\n")
    assert captured.err == "edgegate: nothing to check: edgegate.yaml selects none of the 1 file given\n"


def test_a_budget_whose_include_matches_no_model_is_a_warning_naming_it(repo, capsys):
    write(repo / "edgegate.yaml", POLICY + """\
  detectors:
    include: ["detector/*.onnx"]
    limits:
      flops: {max: 1 GFLOP}
  rest:
    exclude: ["models/*.onnx", "extra/*.onnx"]
""")
    # `rest` selects nothing either, but its include (the default, every model) matches: a
    # catch-all waiting for new models, not a typo
    code, summary = _reports(repo)
    assert code == 0
    out = capsys.readouterr().out
    message = ("the include of budget 'detectors' (detector/*.onnx) matches none of the 2 models under"
               " the root: fix its globs or remove the budget")
    assert f"edgegate.yaml [budget detectors]: PASSED\n  warn  unused_budget          {message}\n" in out
    assert ("::warning file=edgegate.yaml,title=edgegate [budget detectors]%3A 1 warning::"
            + message + "\n") in out
    assert "| `edgegate.yaml` | `detectors` | `unused_budget` |" in summary
    records = json.loads((repo / "run.json").read_text())
    assert [(m["model"], m["budget"], m["kind"]) for m in records["models"]] == [
        ("models/m.onnx", "all", "check"), ("edgegate.yaml", "detectors", "selection"),
        ("extra/stray.onnx", "", "selection")]
    assert "rest" not in out
    assert main(["check", "--strict"]) == 1
    capsys.readouterr()
    # only a run over the whole tree can tell: not with files
    assert main(["check", "models/m.onnx"]) == 0
    assert "unused_budget" not in capsys.readouterr().out


def test_shards_report_each_stray_once_and_the_unused_budget_in_shard_1(repo, capsys):
    write(repo / "edgegate.yaml", POLICY + "  detectors:\n    include: [\"detector/*.onnx\"]\n")
    save(conv_relu(3, 8, 16), repo / "extra" / "other.onnx")
    assert main(["check", "--json", "whole.json"]) == 0
    names = []
    for index in (1, 2, 3):
        assert main(["check", "--shard", f"{index}/3", "--json", f"shard{index}.json"]) == 0
        names.append(f"shard{index}.json")
    shard1 = json.loads((repo / "shard1.json").read_text())
    strays_in_1 = [path for path in ("extra/other.onnx", "extra/stray.onnx") if shard_of(path, 3) == 1]
    assert [m["model"] for m in shard1["models"] if m["kind"] == "selection"] == ["edgegate.yaml", *strays_in_1]
    assert main(["merge", *names, "--json", "merged.json", "--quiet"]) == 0
    merged = json.loads((repo / "merged.json").read_text())
    whole = json.loads((repo / "whole.json").read_text())
    assert untimed(merged)["models"] == untimed(whole)["models"] and merged["summary"] == whole["summary"]
    assert whole["summary"]["checked"] == 4  # m.onnx, the unused budget and two strays
