"""The README's main job works, and the committed example models are the generator's output."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import onnx

from edgegate.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _generator():
    spec = importlib.util.spec_from_file_location("examples_generate", EXAMPLES / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_models_are_reproducible(tmp_path):
    generate = _generator()
    for filename, build in generate.MODELS.items():
        onnx.save(build(), tmp_path / filename)
        fresh = hashlib.sha256((tmp_path / filename).read_bytes()).hexdigest()
        committed = hashlib.sha256((EXAMPLES / filename).read_bytes()).hexdigest()
        assert fresh == committed, filename


def test_readme_main_job_passes(capsys):
    code = main(["check", "--policy", str(EXAMPLES / "edgegate.yaml"), "--root", str(EXAMPLES)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.rstrip().endswith("3 model checks: 3 passed, 0 failed (0 errors, 0 warnings)")


def test_readme_names_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "edgegate check --policy examples/edgegate.yaml --root examples" in readme
    assert "\npython -m pytest\n" in readme
    assert "python -m pytest" in (ROOT / ".ci" / "run").read_text()
