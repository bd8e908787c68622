"""``edgegate check`` that checks no model: a usage error over the whole tree (the policy's
globs select nothing), a one-line note for FILE arguments, ``--changed-since`` and an empty
``--shard``."""

from __future__ import annotations

import json

import pytest
from gate_helpers import conv_relu, save, write
from git_helpers import git

from edgegate.cli import main
from edgegate.scale.parallel import shard_of

POLICY = """\
version: 1
budgets:
  all:
    include: ["models/*.onnx"]
    limits:
      flops: {max: 200 kFLOP}
"""
TYPO = POLICY.replace("models/*.onnx", "modles/*.onnx")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """models/m.onnx and other/x.onnx (which POLICY does not select); the working directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    save(conv_relu(3, 8, 16), tmp_path / "models" / "m.onnx")
    save(conv_relu(3, 8, 16), tmp_path / "other" / "x.onnx")
    write(tmp_path / "edgegate.yaml", POLICY)
    return tmp_path


@pytest.mark.parametrize("argv", [[], ["--all"], ["--all", "models/m.onnx"], ["--shard", "1/2"],
                                  ["--jobs", "2"]])
def test_a_policy_that_selects_nothing_is_a_usage_error(repo, capsys, argv):
    write(repo / "edgegate.yaml", TYPO)
    assert main(["check", *argv, "--json", "r.json"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (f"edgegate: error: edgegate.yaml selects no model under {repo.resolve()}"
                            " (it holds 2 *.onnx files: check the budgets' include globs)\n")
    assert captured.out == "" and not (repo / "r.json").exists()  # no report of a run that did nothing


def test_a_root_without_models_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "edgegate.yaml", POLICY)
    assert main(["check"]) == 2
    assert capsys.readouterr().err == (f"edgegate: error: edgegate.yaml selects no model under"
                                       f" {tmp_path.resolve()} (there is no *.onnx file there: check --root)\n")


def test_files_none_of_which_is_selected_pass_with_a_note(repo, capsys):
    # pre-commit passes the staged files: none selected is nothing to check, not an error; the
    # stray model is the one (warning) check
    assert main(["check", "other/x.onnx", "--format", "text"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "edgegate: nothing to check: edgegate.yaml selects none of the 1 file given\n"
    assert captured.out.startswith("other/x.onnx [no budget]: PASSED\n  warn  unselected ")
    assert captured.out.endswith("1 model check: 1 passed, 0 failed (0 errors, 1 warning)\n")
    assert main(["check", "README.md", "docs/ci.yml"]) == 0  # no model among them: nothing at all
    captured = capsys.readouterr()
    assert captured.err == ("edgegate: nothing to check: no model or policy file among the 2 files"
                            " given\n")
    assert captured.out == "0 model checks: 0 passed, 0 failed (0 errors, 0 warnings)\n"
    write(repo / "edgegate.yaml", TYPO)  # the same with a typo: pre-commit cannot tell
    assert main(["check", "other/x.onnx", "models/m.onnx"]) == 0
    assert capsys.readouterr().err == "edgegate: nothing to check: edgegate.yaml selects none of the 2 files given\n"


def test_an_empty_shard_passes_with_a_note(repo, capsys):
    # one selected model: it lies in exactly one of 3 shards, the other two hold nothing
    full = shard_of("models/m.onnx", 3)
    empty = next(index for index in (1, 2, 3) if index != full)
    assert main(["check", "--shard", f"{empty}/3", "--json", "r.json"]) == 0
    assert capsys.readouterr().err == (f"edgegate: nothing to check: shard {empty}/3 holds none of the"
                                       " 1 model edgegate.yaml selects\n")
    # the shard's report for merge: other/x.onnx (no budget selects it) if it lies in this shard
    stray = ["other/x.onnx"] if shard_of("other/x.onnx", 3) == empty else []
    assert [m["model"] for m in json.loads((repo / "r.json").read_text())["models"]] == stray
    assert main(["check", "--shard", f"{full}/3"]) == 0
    assert capsys.readouterr().err == ""


def test_changed_since_with_nothing_selected_passes_with_a_note(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path / "edgegate.yaml", POLICY)
    save(conv_relu(3, 8, 16), tmp_path / "models" / "m.onnx")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    assert main(["check", "--changed-since", "main"]) == 0
    assert capsys.readouterr().err == "edgegate: nothing to check: no model changed since main\n"
    save(conv_relu(3, 4, 16), tmp_path / "other" / "x.onnx")
    git(tmp_path, "add", "-A")
    assert main(["check", "--changed-since", "main"]) == 0
    assert capsys.readouterr().err == ("edgegate: nothing to check: edgegate.yaml selects none of the"
                                       " 1 model changed since main\n")
