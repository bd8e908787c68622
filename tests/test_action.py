"""The GitHub Action (action.yml) without GitHub: valid against GitHub's action metadata schema
(as check-jsonschema vendors it), every output it writes declared, inputs reaching scripts only
through ``env:``, a closed set of pinned install versions, and its ``run`` steps run by bash
the way the runner runs them, in a simulated environment (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
GITHUB_EVENT_PATH, a shallow checkout of a pull request's head whose base the action fetches).
``uses:`` steps (setup-python, the pip cache) are GitHub's own and are skipped here."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from gate_helpers import conv_relu, save, write
from git_helpers import ROOT, commit, git, git_env, init, source_repo
from junitparser import JUnitXml
from onnx_versions import older
from packaging.requirements import Requirement

from edgegate.cli.action import cache_key
from edgegate.report.comment import MARKER
from edgegate.version import __version__

tomllib = pytest.importorskip("tomllib", reason="needs Python 3.11 or later (tomllib) to read pyproject.toml")

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
STEPS = ACTION["runs"]["steps"]
CHECK = [step for step in STEPS if step.get("id") == "check"]
"""The check step alone, run with a stand-in for what the install leaves."""

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
        assert "${{" not in step.get("run", ""), step["name"]
    (check,) = CHECK
    env = check["env"]
    assert {f"INPUT_{name.upper().replace('-', '_')}" for name in ACTION["inputs"]} - set(env) == {
        "INPUT_WORKING_DIRECTORY",  # used as the step's working-directory, not by the script
        "INPUT_PYTHON_VERSION"}  # given to setup-python
    for name, value in env.items():
        assert value == f"${{{{ inputs.{name[len('INPUT_'):].lower().replace('_', '-')} }}}}"


def test_python_version_is_optional_and_never_replaces_the_jobs_python():
    setup = next(step for step in STEPS if step.get("uses", "").startswith("actions/setup-python@"))
    assert ACTION["inputs"]["python-version"]["default"] == ""
    assert setup["if"] == "inputs.python-version != ''"
    assert setup["with"] == {"python-version": "${{ inputs.python-version }}", "update-environment": False}


def test_pip_cache_key_names_os_python_version_and_constraints(tmp_path):
    import hashlib
    import io
    out = io.StringIO()
    assert cache_key({"GITHUB_ACTION_PATH": str(ROOT), "RUNNER_OS": "Linux", "RUNNER_TEMP": str(tmp_path)},
                     out) == 0
    digest = hashlib.sha256((ROOT / "action-constraints.txt").read_bytes()).hexdigest()[:16]
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert out.getvalue() == (f"key=edgegate-pip-Linux-py{python}-{__version__}-{digest}\n"
                              f"pip-cache={tmp_path / 'edgegate-pip-cache'}\n")
    cache = next(step for step in STEPS if step.get("uses", "").startswith("actions/cache@"))
    assert cache["with"] == {"path": "${{ steps.prepare.outputs.pip-cache }}",
                             "key": "${{ steps.prepare.outputs.key }}"}


def test_the_cache_key_needs_nothing_but_the_standard_library(tmp_path):
    # the prepare step runs before edgegate and its dependencies are installed
    blocked = "import sys; sys.modules.update(onnx=None, numpy=None, yaml=None, jsonschema=None, junit_xml=None)"
    run = f"{blocked}; import runpy; sys.argv = ['action', 'cache-key']; runpy.run_module('edgegate.cli.action', run_name='__main__')"
    done = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "RUNNER_OS": "Linux", "RUNNER_TEMP": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("key=edgegate-pip-Linux-")


def _pins() -> dict[str, Requirement]:
    """The action's constraints, by normalized name (those whose marker holds here)."""
    lines = (ROOT / "action-constraints.txt").read_text().splitlines()
    found = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    return {_normal(r.name): r for r in found if r.marker is None or r.marker.evaluate()}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_constraints_pin_every_runtime_dependency_within_pyproject():
    pins = _pins()
    assert all(len(r.specifier) == 1 and next(iter(r.specifier)).operator == "==" for r in pins.values())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for line in project["project"]["dependencies"] + project["build-system"]["requires"]:
        wanted = Requirement(line)
        pinned = next(iter(pins[_normal(wanted.name)].specifier)).version
        assert wanted.specifier.contains(pinned), (wanted, pinned)


def test_constraints_are_closed_under_the_pinned_packages_requirements():
    # every package a pinned one requires (as installed here, at the pinned version) is pinned too
    pins = _pins()
    for name in pins:
        if name == "setuptools":
            continue
        dist = importlib.metadata.distribution(name)
        if dist.version != next(iter(pins[name].specifier)).version and older():
            pytest.skip(f"an older onnx is installed, not the action's pins: {name} {dist.version} is not pinned")
        assert dist.version == next(iter(pins[name].specifier)).version, name
        for line in dist.requires or ():
            needed = Requirement(line)
            if needed.marker is None or needed.marker.evaluate({"extra": ""}):
                assert _normal(needed.name) in pins, f"{name} needs {needed.name}, not pinned"


def _expand(value: str, context: dict) -> str:
    """``${{ inputs.x }}`` / ``${{ steps.check.outputs.x }}`` as the runner expands them (an
    output a step did not write is empty)."""
    return re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: context.get(m.group(1), ""), value)


def run_action(workspace: Path, runner_temp: Path, event: dict, inputs: dict, steps: list,
               action_path: Path = ROOT, timings: dict | None = None) -> tuple[int, str, dict, str]:
    """Run the ``run`` steps of ``steps`` like the runner: bash -eo pipefail, each step with its
    own GITHUB_OUTPUT, one GITHUB_STEP_SUMMARY; ``uses`` steps are skipped. Returns (exit status,
    stdout, outputs, summary); each step's seconds go into ``timings`` by name."""
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
        if "run" not in step:
            continue
        output_file = runner_temp / f"output_{number}"
        output_file.touch()
        step_env = {**env, "GITHUB_OUTPUT": str(output_file),
                    **{key: _expand(value, context) for key, value in step.get("env", {}).items()}}
        cwd = workspace / _expand(step.get("working-directory", "."), context)
        start = time.perf_counter()
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                              cwd=cwd, env=step_env, capture_output=True, text=True)
        if timings is not None:
            timings[step["name"]] = time.perf_counter() - start
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
    comment = str(runner_temp / "edgegate-comment.md")
    assert outputs == {"violations": "1", "errors": "1", "warnings": "0", "checked": "2", "failed": "1",
                       "exit-code": "1", "junit-xml": "edgegate-junit.xml",
                       "json": str(runner_temp / "edgegate-report.json"), "sarif": "", "comment": comment,
                       "html": ""}
    body = Path(comment).read_text()
    assert body.startswith(MARKER + "\n### ❌ edgegate: 1 check failed\n")
    # big.onnx is new in the pull request: 450560 FLOPs against 200 kFLOP, excess 125.3%
    assert ("| ❌ | `models/big.onnx` | `all` | `flops max` | 451 kFLOP | max 200 kFLOP | excess 125.3%"
            " | 451 kFLOP (new) |\n") in body
    assert ("::error file=models/big.onnx,title=edgegate [budget all]%3A 1 check failed::"
            "flops 451 kFLOP exceeds max 200 kFLOP (excess 125.3%25)\n") in stdout
    assert "legacy" not in stdout and "legacy" not in summary
    assert summary.startswith("### edgegate: FAILED\n")
    assert "| ❌ | `models/big.onnx` | `all` | ❌ 451 kFLOP > 200 kFLOP<br>excess 125.3% |" in summary
    suites = JUnitXml.fromfile(str(workspace / "edgegate-junit.xml"))
    assert [(s.name, s.failures) for s in suites] == [("models/big.onnx [budget all]", 1),
                                                      ("models/ok.onnx [budget all]", 0)]


def test_check_step_blocks_a_pull_request_over_budget(pull_request):
    workspace, runner_temp, event = pull_request
    _stand_in_venv(runner_temp)
    result = run_action(workspace, runner_temp, event, {}, CHECK)
    _assert_blocks_big_model(*result, workspace, runner_temp)
    # the action fetched the base into the shallow checkout
    assert git(workspace, "cat-file", "-t", event["pull_request"]["base"]["sha"]) == "commit"


def test_every_output_the_check_step_writes_is_declared(pull_request):
    workspace, runner_temp, event = pull_request
    _stand_in_venv(runner_temp)
    run_action(workspace, runner_temp, event, {"html": "report.html"}, CHECK)
    written = {line.partition("=")[0] for line in (runner_temp / "output_0").read_text().splitlines()}
    assert written == set(ACTION["outputs"])
    assert all(spec["value"] == f"${{{{ steps.check.outputs.{name} }}}}" for name, spec in ACTION["outputs"].items())


def test_models_all_checks_the_unchanged_model_too(pull_request):
    workspace, runner_temp, event = pull_request
    _stand_in_venv(runner_temp)
    status, stdout, outputs, _ = run_action(workspace, runner_temp, event, {"models": "all"}, CHECK)
    assert (status, outputs["violations"], outputs["checked"]) == (1, "2", "3")
    assert "::error file=models/legacy.onnx," in stdout


def test_report_only_passes_the_step_and_still_counts(pull_request):
    workspace, runner_temp, event = pull_request
    _stand_in_venv(runner_temp)
    status, _, outputs, _ = run_action(workspace, runner_temp, event,
                                       {"report-only": "true", "sarif": "out/edgegate.sarif"}, CHECK)
    assert (status, outputs["violations"], outputs["exit-code"]) == (0, "1", "0")
    sarif = json.loads((workspace / "out" / "edgegate.sarif").read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["limits/flops"]


def test_an_event_without_a_base_checks_all_models(pull_request):
    workspace, runner_temp, _ = pull_request
    _stand_in_venv(runner_temp)
    status, stdout, outputs, _ = run_action(workspace, runner_temp, {"schedule": "0 3 * * *"}, {}, CHECK)
    assert (status, outputs["checked"]) == (1, "3")
    assert stdout.startswith("edgegate: this event names no base commit; checking all models\n")


@pytest.mark.slow
def test_whole_action_installs_the_pinned_versions_and_blocks(pull_request, tmp_path):
    # every run step for real: the cache key, a fresh venv, pip install of the action's checkout
    # (a copy of this tree) under the constraints file, then the check
    workspace, runner_temp, event = pull_request
    action_path = source_repo(tmp_path / "action")
    timings: dict = {}
    result = run_action(workspace, runner_temp, event, {}, STEPS, action_path=action_path, timings=timings)
    _assert_blocks_big_model(*result, workspace, runner_temp)
    python = runner_temp / "edgegate-venv" / "bin" / "python"
    frozen = subprocess.run([str(python), "-m", "pip", "freeze", "--all"], capture_output=True, text=True,
                            check=True).stdout
    installed = {_normal(line.split("==")[0]): line.split("==")[1] for line in frozen.splitlines()
                 if "==" in line and not line.startswith("edgegate")}
    pins = {name: next(iter(r.specifier)).version for name, r in _pins().items() if name != "setuptools"}
    assert {name: installed.get(name) for name in pins} == pins  # exactly the pinned versions
    print(f"\naction install step: {timings['Install edgegate']:.1f} s")


def test_an_unknown_models_input_is_a_usage_error(pull_request):
    workspace, runner_temp, event = pull_request
    _stand_in_venv(runner_temp)
    status, _, outputs, _ = run_action(workspace, runner_temp, event, {"models": "some"}, CHECK)
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
    # the install step would run pip with the stand-in, that is this interpreter: never here
    steps = [step for step in STEPS[1:] if step.get("name") != "Install edgegate"]
    status, stdout, outputs, summary = run_action(
        workspace, runner_temp, {"pull_request": {"base": {"sha": base}}}, {}, steps)
    assert (status, outputs["checked"], outputs["violations"]) == (1, "2", "1")
    assert "::error file=models/ok.onnx," in stdout
    assert "| `models/ok.onnx` | `all` | `flops max` | 113 kFLOP | max 100 kFLOP | 12.6% |" in summary
