"""The README's two commands for a newcomer pass on a fresh clone with the bare system Python,
and .ci/run runs them exactly as written, so CI fails whenever the newcomer path fails."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from git_helpers import ROOT, git, git_env

README = (ROOT / "README.md").read_text(encoding="utf-8")


def newcomer_commands() -> list[str]:
    """The shell commands of the README's "Two commands for a newcomer" section, in order."""
    section = README.split("## Two commands for a newcomer", 1)[1].split("\n## ", 1)[0]
    return [body.strip() for body in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_the_readme_has_two_commands_and_ci_runs_them_as_written():
    setup, tests = newcomer_commands()
    assert setup.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]'")
    assert setup.endswith("&& edgegate check --policy examples/edgegate.yaml --root examples")
    assert tests == "python -m pytest"
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert setup in lines and tests in lines and lines.index(setup) < lines.index(tests)
    # nothing the README lacks: no upgrade of pip or setuptools, no venv that sees the system
    assert not any("--upgrade" in line or " -U " in line for line in lines if "pip" in line)
    assert not any("system-site" in line for line in lines)


def _base_python() -> Path:
    """The interpreter this test venv was made from: the system python3, with none of the venv's packages."""
    return Path(getattr(sys, "_base_executable", sys.executable))


@pytest.mark.slow
def test_the_readme_commands_pass_on_a_fresh_clone_with_the_system_python(tmp_path):
    clone = tmp_path / "edgegate"
    git(tmp_path, "clone", "--quiet", str(ROOT), str(clone))  # this checkout's committed HEAD
    base = _base_python()
    # `python3` is the base interpreter; nothing of this test's venv is on the path
    env = {key: value for key, value in git_env().items()
           if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env["PATH"] = os.pathsep.join([str(base.parent), "/usr/local/bin", "/usr/bin", "/bin"])
    assert subprocess.run(["python3", "-c", "import sys; print(sys.prefix == sys.base_prefix)"], env=env,
                          capture_output=True, text=True).stdout == "True\n"  # not a venv
    setup, tests = newcomer_commands()
    done = subprocess.run(["bash", "-c", setup], cwd=clone, env=env, capture_output=True, text=True,
                          timeout=1800)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert done.stdout.endswith("3 model checks: 3 passed, 0 failed (0 errors, 0 warnings)\n")
    # the README's second command, `python -m pytest`, is this very suite: running it here would
    # recurse, so a small part of it runs in the new venv instead
    assert tests == "python -m pytest"
    subset = f"{tests} -q -p no:cacheprovider tests/test_units.py"
    done = subprocess.run(["bash", "-c", f". .venv/bin/activate && {subset}"], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert re.search(r"^\d+ passed in ", done.stdout, re.M), done.stdout[-2000:]
    # the clone's venv holds only what the command installed, and sees nothing outside it
    check = "import sys, onnx, edgegate; print(sys.prefix != sys.base_prefix); print(edgegate.__file__)"
    elsewhere = tmp_path / "elsewhere"  # not the clone's parent, whose edgegate/ would be a namespace
    elsewhere.mkdir()
    shown = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c", check], cwd=elsewhere, env=env,
                           capture_output=True, text=True)
    in_venv, package = shown.stdout.splitlines()
    assert in_venv == "True" and Path(package).resolve() == (clone / "edgegate" / "__init__.py").resolve()
    config = (clone / ".venv" / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = false" in config
