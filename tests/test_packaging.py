"""Presets and targets ship inside the wheel (``edgegate._policies``) and load from an install."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="needs Python 3.11 or later (tomllib) to read pyproject.toml")

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_list_covers_every_package_and_maps_policies():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(path.parent.relative_to(ROOT).parts)
             for path in (ROOT / "edgegate").rglob("__init__.py")}
    assert set(config["packages"]) == found | {"edgegate._policies"}
    assert config["package-dir"] == {"edgegate._policies": "policies"}
    assert config["package-data"]["edgegate._policies"] == ["presets/*.yaml", "targets/*.yaml"]


def _run(*argv: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _runtime_pins() -> list[str]:
    """The runtime dependencies (pyproject's ``dependencies``) pinned to this venv's versions."""
    names = [re.split(r"[<>=!~ ;\[]", spec, maxsplit=1)[0]
             for spec in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]]
    return [f"{name}=={metadata.version(name)}" for name in names]


@pytest.mark.slow
def test_a_preset_loads_from_an_installed_wheel(tmp_path):
    source = tmp_path / "src"  # build from a copy: the build writes build/ and *.egg-info
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("edgegate", "policies"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    # an isolated build: pip installs the build requirement (setuptools>=68) itself, whatever
    # setuptools this venv has
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
         str(source), cwd=tmp_path, env=env)
    (wheel,) = (tmp_path / "dist").glob("edgegate-*.whl")
    # a venv of its own, that sees no package from outside it, with the wheel and the runtime
    # dependencies at this venv's versions
    _run(sys.executable, "-m", "venv", str(tmp_path / "venv"), cwd=tmp_path, env=env)
    python = tmp_path / "venv" / "bin" / "python"
    _run(str(python), "-m", "pip", "install", "-q", str(wheel), *_runtime_pins(), cwd=tmp_path, env=env)
    work = tmp_path / "work"
    work.mkdir()
    (work / "edgegate.yaml").write_text("version: 1\nextends: coral-edgetpu\n")
    script = (
        "import edgegate, edgegate.policy.load as load, edgegate.config.resources as resources\n"
        "policy = load.load_policy('edgegate.yaml')\n"
        "target = policy.targets['coral-usb-accelerator']\n"
        "print(edgegate.__file__)\n"
        "print(resources.presets()['coral-edgetpu'])\n"
        "print(target.source)\n"
        "print(policy.budgets[0].settings.target, target.peak['int8'], target.weight_store_bytes)\n"
    )
    installed, preset, source, loaded = _run(str(python), "-c", script, cwd=work, env=env).splitlines()
    site = str(tmp_path / "venv" / "lib")
    assert installed.startswith(site)  # the installed copy, not the checkout
    assert preset.startswith(site) and preset.endswith("edgegate/_policies/presets/coral-edgetpu.yaml")
    assert source.startswith(site) and source.endswith("edgegate/_policies/targets/coral-usb-accelerator.yaml")
    assert loaded == "coral-usb-accelerator 4000000000000.0 8000000"
    assert _run(str(tmp_path / "venv" / "bin" / "edgegate"), "policy", "validate", "edgegate.yaml",
                cwd=work, env=env) == "edgegate.yaml: valid (1 budget)\n"


def test_the_oldest_constraints_hold_every_runtime_dependency_at_its_floor():
    # .ci/run installs these for its second run of the suite: a floor raised or a dependency
    # added in pyproject.toml without them would leave that run testing other versions
    from packaging.requirements import Requirement
    from packaging.version import Version

    def name(text: str) -> str:
        return re.sub(r"[-_.]+", "-", text).lower()

    floors = {}
    for spec in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        wanted = Requirement(spec)
        lower = [s.version for s in wanted.specifier if s.operator == ">="]
        assert len(lower) == 1, f"{spec}: give one floor (>=), so the oldest run can test it"
        floors[name(wanted.name)] = Version(lower[0])
    lines = (ROOT / ".ci" / "oldest-constraints.txt").read_text().splitlines()
    pins = {}
    for line in lines:
        if line.strip() and not line.startswith("#"):
            pinned = Requirement(line)
            (specifier,) = pinned.specifier
            assert specifier.operator == "==", line
            pins[name(pinned.name)] = Version(specifier.version)
    assert pins == floors
