"""The pre-commit hook (.pre-commit-hooks.yaml), end to end with the real pre-commit:
``pre-commit try-repo`` installs the hook from a repository holding this checkout's sources
and runs it in a temporary git repo with a policy and models: staged models are checked, and a
staged policy alone is validated and checks every model it selects."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from gate_helpers import conv_relu, save, write
from git_helpers import ROOT, commit, git, git_env, init, source_repo

# conv_relu(3, 8, 16): 112640 FLOPs, under 200 kFLOP; conv_relu(3, 32, 16): 450560 FLOPs, over
# (excess (450560 - 200000) / 200000 = 125.3%).
POLICY = ("version: 1\nbudgets:\n  all:\n    limits:\n"
          "      flops: {max: 200 kFLOP, message: prune the wide conv}\n")


def test_manifest_is_valid_and_runs_edgegate_check_on_models_and_policy_files():
    done = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest",
                           str(ROOT / ".pre-commit-hooks.yaml")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert (hook["id"], hook["entry"], hook["language"]) == ("edgegate", "edgegate check --quiet", "python")
    files = re.compile(hook["files"])
    for name in ("models/a.onnx", "edgegate.yaml", ".edgegate.yaml", "team/base.yml", "pyproject.toml",
                 "baseline.json"):
        assert files.search(name), name
    assert not files.search("README.md") and not files.search("train.py")


def test_readme_shows_the_hook():
    readme = (ROOT / "README.md").read_text()
    assert "      - id: edgegate\n" in readme and "docs/ci.md" in readme


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    """A git repo with this checkout's sources: what a .pre-commit-config.yaml points at."""
    return source_repo(tmp_path_factory.mktemp("hook") / "edgegate")


@pytest.fixture
def project(tmp_path) -> Path:
    """A model repo with a policy and one model under budget and one over."""
    root = init(tmp_path / "project")
    write(root / "edgegate.yaml", POLICY)
    commit(root, "policy")
    save(conv_relu(3, 8, 16), root / "models" / "small.onnx")
    save(conv_relu(3, 32, 16), root / "models" / "wide.onnx")
    write(root / "README.md", "models\n")
    git(root, "add", "--all")
    return root


def try_repo(project: Path, hook_repo: Path, *files: str) -> subprocess.CompletedProcess:
    """``pre-commit try-repo HOOK_REPO edgegate --files FILES`` in ``project``; without FILES,
    on the staged files, as the commit hook runs."""
    env = {**git_env(), "PRE_COMMIT_HOME": str(project.parent / "pre-commit-home")}
    which = ["--files", *files] if files else []
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "edgegate",
                           *which], cwd=project, env=env, capture_output=True, text=True)


@pytest.mark.slow
def test_a_model_under_budget_passes(project, hook_repo):
    done = try_repo(project, hook_repo, "models/small.onnx", "README.md")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "edgegate (ONNX model budgets)" in done.stdout and "Passed" in done.stdout


@pytest.mark.slow
def test_a_model_over_budget_is_blocked_with_the_reason(project, hook_repo):
    done = try_repo(project, hook_repo, "models/small.onnx", "models/wide.onnx")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Failed" in done.stdout and "- exit code: 1" in done.stdout
    assert "models/wide.onnx [budget all]: FAILED" in done.stdout
    assert "  FAIL  flops                     451 kFLOP  max 200 kFLOP    excess 125.3%" in done.stdout
    assert "prune the wide conv" in done.stdout
    assert "models/small.onnx [budget all]: PASSED" in done.stdout


@pytest.fixture
def committed(tmp_path) -> Path:
    """A model repo whose policy and two models (both under budget) are committed."""
    root = init(tmp_path / "project")
    write(root / "edgegate.yaml", POLICY)
    save(conv_relu(3, 8, 16), root / "models" / "small.onnx")  # 112640 FLOPs
    save(conv_relu(3, 4, 16), root / "models" / "smaller.onnx")  # 56320 FLOPs
    commit(root, "models")
    return root


def _stage_policy(root: Path, text: str) -> None:
    write(root / "edgegate.yaml", text)
    git(root, "add", "edgegate.yaml")
    assert git(root, "diff", "--cached", "--name-only") == "edgegate.yaml"  # the only staged file


@pytest.mark.slow
def test_only_a_tightened_policy_staged_is_blocked(committed, hook_repo):
    _stage_policy(committed, POLICY.replace("200 kFLOP", "100 kFLOP"))
    done = try_repo(committed, hook_repo)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Failed" in done.stdout and "- exit code: 1" in done.stdout
    assert "edgegate: policy file edgegate.yaml given: checking all 2 models" in done.stdout
    # --quiet: the failing check, a passing model in one line, the count line
    assert ("models/small.onnx [budget all]: FAILED\n"
            "  FAIL  flops                     113 kFLOP  max 100 kFLOP    excess 12.6%\n") in done.stdout
    assert "models/smaller.onnx [budget all]: PASSED\nnot selected" not in done.stdout
    assert "models/smaller.onnx [budget all]: PASSED\n2 model checks: 1 passed, 1 failed" in done.stdout
    assert "settings:" not in done.stdout


@pytest.mark.slow
def test_only_a_valid_relaxed_policy_staged_passes(committed, hook_repo):
    _stage_policy(committed, POLICY.replace("200 kFLOP", "300 kFLOP"))
    done = try_repo(committed, hook_repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "edgegate (ONNX model budgets)" in done.stdout and "Passed" in done.stdout

