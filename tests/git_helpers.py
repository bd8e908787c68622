"""Real git in temporary repos, for the changed-files, pre-commit and action tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}


def git_env() -> dict[str, str]:
    """The environment for git in a test: an identity, no user or system config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return {**env, **IDENTITY, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> str:
    """Run ``git -C repo ARGS`` and return its output (raises on failure)."""
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=git_env()).stdout.strip()


def init(repo: Path) -> Path:
    """A new repo on branch main."""
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "--quiet", "--initial-branch", "main")
    return repo


def commit(repo: Path, message: str) -> str:
    """Stage everything, commit, and return the commit id."""
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


ROOT = Path(__file__).resolve().parent.parent
"""This edgegate checkout."""

SOURCE = ("pyproject.toml", "README.md", "action.yml", "action-constraints.txt", ".pre-commit-hooks.yaml",
          "edgegate", "policies")
"""What installing edgegate (a hook repo, the action's checkout) needs from the checkout."""


def source_repo(dest: Path) -> Path:
    """A git repo holding this checkout's working-tree sources in one commit: a stand-in for
    the edgegate repository a pre-commit config or a workflow's ``uses:`` points at."""
    init(dest)
    for name in SOURCE:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, dest / name)
    commit(dest, "edgegate")
    return dest
