"""The code holds its style: ruff and mypy (both configured in pyproject.toml) find nothing.

Both tools are in the ``test`` extra, so these run wherever the README's test command runs;
neither is skipped when absent.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean():
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "edgegate", "tests", "benchmarks", "examples"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr


@pytest.mark.slow
def test_mypy_is_clean():
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "edgegate"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert done.stdout.startswith("Success: no issues found")
