"""``edgegate check`` with its reporters, through cli.main on a real repo: several reports in
one run, ``--format auto`` under GitHub Actions with the step summary, an unreadable model in
every format, and the usage errors of the report options."""

from __future__ import annotations

import json

import pytest
from gate_helpers import conv_relu, save, write
from junitparser import Error, Failure, JUnitXml

from edgegate.cli import main
from edgegate.errors import ExitCode
from edgegate.report.markdown import SUMMARY_BYTES

# conv_relu(3, 8, 16): Conv 8 x 16 x 16 x 3 x 9 = 55296 MACs = 110592 FLOPs + Relu 2048 = 112640
# FLOPs; conv_relu(3, 32, 16) has 4x the conv: 442368 + Relu 8192 = 450560 FLOPs > 200 kFLOP.
POLICY = """\
version: 1
budgets:
  all:
    limits:
      flops: {max: 200 kFLOP}
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """models/small.onnx passes (112640 FLOPs), models/big.onnx fails (450560 FLOPs)."""
    monkeypatch.chdir(tmp_path)
    save(conv_relu(3, 8, 16), tmp_path / "models" / "small.onnx")
    save(conv_relu(3, 32, 16), tmp_path / "models" / "big.onnx")
    write(tmp_path / "edgegate.yaml", POLICY)
    return tmp_path


def test_several_reports_in_one_run(repo, capsys):
    code = main(["check", "--junit-xml", "out/junit.xml", "--json", "out/run.json",
                 "--sarif", "out/run.sarif", "--format", "markdown:out/summary.md"])
    assert code == ExitCode.GATE_FAILED == 1
    assert "models/big.onnx [budget all]: FAILED" in capsys.readouterr().out  # auto: text on stdout
    records = json.loads((repo / "out" / "run.json").read_text())
    assert [(m["model"], m["passed"]) for m in records["models"]] == [("models/big.onnx", False),
                                                                       ("models/small.onnx", True)]
    suites = list(JUnitXml.fromfile(str(repo / "out" / "junit.xml")))
    assert [(s.name, s.failures) for s in suites] == [("models/big.onnx [budget all]", 1),
                                                      ("models/small.onnx [budget all]", 0)]
    results = json.loads((repo / "out" / "run.sarif").read_text())["runs"][0]["results"]
    assert [r["message"]["text"] for r in results] == [
        "flops 451 kFLOP exceeds max 200 kFLOP (excess 125.3%)"]
    assert (repo / "out" / "summary.md").read_text().startswith("### edgegate: FAILED\n")


def test_an_unreadable_model_is_an_error_in_every_format_and_the_others_are_checked(repo, capsys):
    write(repo / "models" / "broken.onnx", "this is not a model\n")
    code = main(["check", "--format", "github", "--junit-xml", "j.xml", "--json", "r.json",
                 "--sarif", "r.sarif"])
    assert code == ExitCode.MODEL_ERROR == 3  # the exit-code table: an unreadable model wins
    out = capsys.readouterr().out
    assert "::error file=models/broken.onnx,title=edgegate [budget all]%3A model cannot be checked::" in out
    assert "::error file=models/big.onnx," in out
    records = json.loads((repo / "r.json").read_text())
    assert [m["model"] for m in records["models"] if m["error"]] == ["models/broken.onnx"]
    assert len(records["models"]) == 3
    suites = {s.name: s for s in JUnitXml.fromfile(str(repo / "j.xml"))}
    assert [type(r) for case in suites["models/broken.onnx [budget all]"] for r in case.result] == [Error]
    assert [type(r) for case in suites["models/big.onnx [budget all]"] for r in case.result] == [Failure]
    results = json.loads((repo / "r.sarif").read_text())["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == ["limits/flops", "model-error"]


def test_auto_is_github_under_actions_and_appends_the_step_summary(repo, capsys, monkeypatch):
    summary = repo / "summary.md"
    summary.write_text("earlier step content\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("::group::models/big.onnx [budget all]: FAILED\n::stop-commands::edgegate-")
    text = summary.read_text()
    assert text.startswith("earlier step content\n### edgegate: FAILED\n")
    assert "| `models/big.onnx` | `all` | `flops max` | 451 kFLOP | max 200 kFLOP | 125.3% |" in text


def test_no_step_summary_without_the_github_format(repo, capsys, monkeypatch):
    summary = repo / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(["check", "--format", "text"]) == 1
    assert not summary.exists()
    assert main(["check", "--format", "text", "--github-summary", "s.md"]) == 1
    assert (repo / "s.md").read_text().startswith("### edgegate: FAILED\n")


def test_the_step_summary_keeps_within_what_is_left_of_one_mebibyte(repo, capsys):
    summary = repo / "summary.md"
    summary.write_text("x" * (SUMMARY_BYTES - 300))  # 300 bytes left: less than the headline needs
    assert main(["check", "--format", "github", "--github-summary", str(summary)]) == 1
    assert summary.stat().st_size == SUMMARY_BYTES - 300  # nothing appended rather than too much


@pytest.mark.parametrize(("argv", "message"), [
    (["--format", "yaml"], "--format: unknown format 'yaml' (choose from auto, comment, github, html,"
                           " json, junit, markdown, sarif, text)"),
    (["--format", "text", "--format", "json"], "--format: only one report can go to standard output;"
                                                " give the others a file (--format NAME:PATH)"),
    (["--format", "junit:"], "--format: 'junit:' names no file after the colon"),
])
def test_report_usage_errors(repo, capsys, argv, message):
    assert main(["check", *argv]) == ExitCode.USAGE == 2
    assert capsys.readouterr().err == f"edgegate: error: {message}\n"


def test_an_unwritable_report_is_a_usage_error(repo, capsys):
    (repo / "taken").mkdir()
    assert main(["check", "--junit-xml", "taken"]) == 2
    assert capsys.readouterr().err == "edgegate: error: --junit-xml: cannot write 'taken': a directory, not a file\n"


def test_passing_run_exits_0_with_reports(repo, capsys):
    write(repo / "edgegate.yaml", POLICY.replace("200 kFLOP", "1 MFLOP"))
    assert main(["check", "--format", "json", "--junit-xml", "j.xml"]) == 0
    assert json.loads(capsys.readouterr().out)["passed"] is True
    assert [s.failures for s in JUnitXml.fromfile(str(repo / "j.xml"))] == [0, 0]
