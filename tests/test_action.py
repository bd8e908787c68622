"""The GitHub Action (action.yml) without GitHub: valid against GitHub's action metadata schema
(as check-jsonschema vendors it), inputs reaching scripts only through ``env:``, and its steps
run by bash the way the runner runs them, in a simulated environment (GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH, a shallow checkout of a pull request's head whose base
the action fetches)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from gate_helpers import conv_relu, save, write
from git_helpers import ROOT, commit, git, git_env, init, source_repo
from junitparser import JUnitXml

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
STEPS = ACTION["runs"]["steps"]

# conv_relu(3, 8, 16): 112640 FLOPs, passes 200 kFLOP; conv_relu(3, 32, 16): 450560 FLOPs,
# fails (excess (450560 - 200000) / 200000 = 125.3%); conv_relu(3, 4, 16): 56320 FLOPs, passes.
POLICY = "version: 1\nbudgets:\n  all:\n    limits:\n      flops: {max: 200 kFLOP}\n"


def test_action_yml_is_valid_against_githubs_action_schema(tmp_path):
    check = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-actions"]
    assert subprocess.run([*check, str(ROOT / "action.yml")], capture_output=True).returncode == 0
    broken = tmp_path / "action.yml"
    broken.write_text((ROOT / "action.yml").read_text().replace("using: composite", "using: compose"))
    assert subprocess.run([*check, str(broken)], capture_output=True).returncode == 1  # the check is real


def test_inputs_reach_scripts_only_through_env():
    assert ACTION["runs"]["using"] == "composite"
    for step in STEPS:
        assert "${{" not in step["run"], step["name"]
    env = STEPS[1]["env"]
    assert {f"INPUT_{name.upper().replace('-', '_')}" for name in ACTION["inputs"]} - set(env) == {
        "INPUT_WORKING_DIRECTORY"}  # used as the step's working-directory, not by the script
    for name, value in env.items():
        assert value == f"${{{{ inputs.{name[len('INPUT_'):].lower().replace('_', '-')} }}}}"


def _expand(value: str, context: dict) -> str:
    """``${{ inputs.x }}`` / ``${{ steps.check.outputs.x }}`` as the runner expands them (an
    output a step did not write is empty)."""
    return re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: context.get(m.group(1), ""), value)


def run_action(workspace: Path, runner_temp: Path, event: dict, inputs: dict, steps: list,
               action_path: Path = ROOT) -> tuple[int, str, dict, str]:
    """Run ``steps`` of action.yml like the runner: bash -eo pipefail, each step with its own
    GITHUB_OUTPUT, one GITHUB_STEP_SUMMARY; returns (exit status, stdout, outputs, summary)."""
    context = {f"inputs.{name}": str(inputs.get(name, spec.get("default", "")))
               for name, spec in ACTION["inputs"].items()}
    event_path = runner_temp / "event.json"
    event_path.write_text(json.dumps(event))
    summary = runner_temp / "step_summary"
    env = {**git_env(), "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
           "GITHUB_EVENT_PATH": str(event_path), "GITHUB_STEP_SUMMARY": str(summary),
           "GITHUB_WORKSPACE": str(workspace), "GITHUB_ACTION_PATH": str(action_path),
           "RUNNER_TEMP": str(runner_temp)}
    stdout, status = "", 0
    for number, step in enumerate(steps):
        output_file = runner_temp / f"output_{number}"
        output_file.touch()
        step_env = {**env, "GITHUB_OUTPUT": str(output_file),
                    **{key: _expand(value, context) for key, value in step.get("env", {}).items()}}
        cwd = workspace / _expand(step.get("working-directory", "."), context)
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                              cwd=cwd, env=step_env, capture_output=True, text=True)
        stdout += done.stdout
        for line in output_file.read_text().splitlines():
            name, _, value = line.partition("=")
            context[f"steps.{step.get('id')}.outputs.{name}"] = value
        status = done.returncode
        if status:
            break
    outputs = {name: _expand(spec["value"], context) for name, spec in ACTION["outputs"].items()}
    return status, stdout, outputs, summary.read_text() if summary.exists() else ""


@pytest.fixture
def pull_request(tmp_path):
    """origin: base (policy, legacy.onnx over budget, ok.onnx) -> head (big.onnx added over
    budget, ok.onnx modified, still under). The workspace is a depth-1 clone of head."""
    origin = init(tmp_path / "origin")
    write(origin / "edgegate.yaml", POLICY)
    save(conv_relu(3, 32, 16), origin / "models" / "legacy.onnx")
    save(conv_relu(3, 8, 16), origin / "models" / "ok.onnx")
    base = commit(origin, "base")
    save(conv_relu(3, 32, 16), origin / "models" / "big.onnx")
    save(conv_relu(3, 4, 16), origin / "models" / "ok.onnx")
    commit(origin, "head")
    workspace = tmp_path / "workspace"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{origin}", str(workspace))
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir()
    return workspace, runner_temp, {"pull_request": {"base": {"sha": base}}}


def _stand_in_venv(runner_temp: Path) -> None:
    """What the install step leaves, pointing at this interpreter and checkout instead."""
    python = runner_temp / "edgegate-venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" "$@"\n')
    python.chmod(0o755)


def _assert_blocks_big_model(status, stdout, outputs, summary, workspace, runner_temp):
    # only the changed models are checked: big (450560 FLOPs, fails) and ok (56320, passes);
    # legacy.onnx is over budget too, but unchanged, so not checked
    assert status == 1
    assert outputs == {"violations": "1", "errors": "1", "warnings": "0", "checked": "2", "exit-code": "1",
                       "junit-xml": "edgegate-junit.xml", "json": str(runner_temp / "edgegate-report.json"),
                       "sarif": ""}
    assert ("::error file=models/big.onnx,title=edgegate [budget all]%3A 1 check failed::"
            "flops 451 kFLOP exceeds max 200 kFLOP (excess 125.3%25)\n") in stdout
    assert "legacy" not in stdout and "legacy" not in summary
    assert summary.startswith("### edgegate: FAILED\n")
    assert ("| models/big\\.onnx | all | flops max | ❌ FAIL | 451 kFLOP | max 200 kFLOP | 125.3% |"
            in summary)
    suites = JUnitXml.fromfile(str(workspace / "edgegate-junit.xml"))
    assert [(s.name, s.failures) for s in suites] == [("models/big.onnx", 1), ("models/ok.onnx", 0)]


def test_check_step_blocks_a_pull_request_over_budget(pull_request):
    workspace, runner_temp, event = pull_request
    _stand_in_venv(runner_temp)
    result = run_action(workspace, runner_temp, event, {}, STEPS[1:])
    _assert_blocks_big_model(*result, workspace, runner_temp)
    # the action fetched the base into the shallow checkout
    assert git(workspace, "cat-file", "-t", event["pull_request"]["base"]["sha"]) == "commit"


def test_models_all_checks_the_unchanged_model_too(pull_request):
    workspace, runner_temp, event = pull_request
    _stand_in_venv(runner_temp)
    status, stdout, outputs, _ = run_action(workspace, runner_temp, event, {"models": "all"}, STEPS[1:])
    assert (status, outputs["violations"], outputs["checked"]) == (1, "2", "3")
    assert "::error file=models/legacy.onnx," in stdout


def test_report_only_passes_the_step_and_still_counts(pull_request):
    workspace, runner_temp, event = pull_request
    _stand_in_venv(runner_temp)
    status, _, outputs, _ = run_action(workspace, runner_temp, event,
                                       {"report-only": "true", "sarif": "out/edgegate.sarif"}, STEPS[1:])
    assert (status, outputs["violations"], outputs["exit-code"]) == (0, "1", "0")
    sarif = json.loads((workspace / "out" / "edgegate.sarif").read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["limits/flops"]


def test_an_event_without_a_base_checks_all_models(pull_request):
    workspace, runner_temp, _ = pull_request
    _stand_in_venv(runner_temp)
    status, stdout, outputs, _ = run_action(workspace, runner_temp, {"schedule": "0 3 * * *"}, {}, STEPS[1:])
    assert (status, outputs["checked"]) == (1, "3")
    assert stdout.startswith("edgegate: this event names no base commit; checking all models\n")


@pytest.mark.slow
def test_whole_action_installs_edgegate_from_its_checkout_and_blocks(pull_request, tmp_path):
    # both steps for real: a fresh venv, pip install of the action's checkout (a copy of this
    # tree) with its dependencies, then the check
    workspace, runner_temp, event = pull_request
    action_path = source_repo(tmp_path / "action")
    result = run_action(workspace, runner_temp, event, {}, STEPS, action_path=action_path)
    _assert_blocks_big_model(*result, workspace, runner_temp)
    assert (runner_temp / "edgegate-venv" / "bin" / "edgegate").exists()


def test_an_unknown_models_input_is_a_usage_error(pull_request):
    workspace, runner_temp, event = pull_request
    _stand_in_venv(runner_temp)
    status, _, outputs, _ = run_action(workspace, runner_temp, event, {"models": "some"}, STEPS[1:])
    assert (status, outputs["violations"]) == (2, "")


def test_a_pull_request_that_only_tightens_the_policy_checks_every_model(tmp_path):
    # base: the policy and two models under it; head changes only edgegate.yaml (max 100 kFLOP,
    # which models/ok.onnx, 112640 FLOPs, now exceeds): `models: changed` checks all of them
    origin = init(tmp_path / "origin")
    write(origin / "edgegate.yaml", POLICY)
    save(conv_relu(3, 8, 16), origin / "models" / "ok.onnx")
    save(conv_relu(3, 4, 16), origin / "models" / "small.onnx")
    base = commit(origin, "base")
    write(origin / "edgegate.yaml", POLICY.replace("200 kFLOP", "100 kFLOP"))
    commit(origin, "tighten the budget")
    workspace = tmp_path / "workspace"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{origin}", str(workspace))
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir()
    _stand_in_venv(runner_temp)
    status, stdout, outputs, summary = run_action(
        workspace, runner_temp, {"pull_request": {"base": {"sha": base}}}, {}, STEPS[1:])
    assert (status, outputs["checked"], outputs["violations"]) == (1, "2", "1")
    assert "::error file=models/ok.onnx," in stdout
    assert "| models/ok\\.onnx | all | flops max | ❌ FAIL |" in summary
