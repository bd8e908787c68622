"""The pre-commit hook (.pre-commit-hooks.yaml), end to end with the real pre-commit:
``pre-commit try-repo`` installs the hook from a repository holding this checkout's sources
and runs it in a temporary git repo with a policy and models."""

from __future__ import annotations

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


def test_manifest_is_valid_and_runs_edgegate_check_on_onnx_files():
    done = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest",
                           str(ROOT / ".pre-commit-hooks.yaml")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert (hook["id"], hook["entry"], hook["language"], hook["files"]) == (
        "edgegate", "edgegate check", "python", r"\.onnx$")


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
    """``pre-commit try-repo HOOK_REPO edgegate --files FILES`` in ``project``."""
    env = {**git_env(), "PRE_COMMIT_HOME": str(project.parent / "pre-commit-home")}
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "edgegate",
                           "--files", *files], cwd=project, env=env, capture_output=True, text=True)


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
