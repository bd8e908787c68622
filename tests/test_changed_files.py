"""``--changed-since REF`` through real git in temporary repos: added, modified, renamed,
deleted, staged and edited models; a shallow clone with the base fetched; unknown revisions."""

from __future__ import annotations

import json

import pytest
from gate_helpers import conv_relu, save, write
from git_helpers import commit, git, init

from edgegate.cli import main
from edgegate.errors import UsageError
from edgegate.vcs import Change, changed_files, changed_models

# conv_relu(3, 8, 16): 112640 FLOPs (see test_check_cli); conv_relu(3, 4, 16): half the conv,
# 8 x 16 x 16 x 3 x 9 / 2 x 2 = 55296 + Relu 1024 = 56320 FLOPs. All under 200 kFLOP.
POLICY = "version: 1\nbudgets:\n  all:\n    limits:\n      flops: {max: 200 kFLOP}\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """Base commit: models a, b, c, d, u (unchanged) and a text file; returns (repo, base id)."""
    root = init(tmp_path / "repo")
    for name in "abcdu":
        save(conv_relu(3, 8, 16), root / "models" / f"{name}.onnx")
    write(root / "notes.txt", "notes\n")
    write(root / "edgegate.yaml", POLICY)
    base = commit(root, "base")
    monkeypatch.chdir(root)
    return root, base


def _change_everything(root):
    """a modified and committed, b renamed, c deleted, e added and only staged, d edited in
    the work tree (not staged), f new and untracked, notes.txt modified."""
    save(conv_relu(3, 4, 16), root / "models" / "a.onnx")
    git(root, "mv", "models/b.onnx", "models/b2.onnx")
    git(root, "rm", "--quiet", "models/c.onnx")
    write(root / "notes.txt", "more notes\n")
    commit(root, "head")
    save(conv_relu(3, 4, 16), root / "models" / "e.onnx")
    git(root, "add", "models/e.onnx")
    save(conv_relu(3, 4, 16), root / "models" / "d.onnx")
    save(conv_relu(3, 4, 16), root / "models" / "f.onnx")


def test_changed_models_since_a_commit(repo):
    root, base = repo
    _change_everything(root)
    assert changed_models(root, base) == [
        Change("models/a.onnx", "modified", "models/a.onnx"),
        Change("models/b2.onnx", "renamed", "models/b.onnx"),
        Change("models/d.onnx", "modified", "models/d.onnx"),
        Change("models/e.onnx", "added", None),
    ]  # c (deleted), f (untracked), u (unchanged) and notes.txt (not a model) are not there
    assert Change("notes.txt", "modified", "notes.txt") in changed_files(root, base)


def test_check_changed_since_checks_only_changed_models(repo, capsys):
    root, base = repo
    _change_everything(root)
    assert main(["check", "--changed-since", base]) == 0
    out = capsys.readouterr().out
    checked = [line.split(" [")[0] for line in out.splitlines() if "[budget all]:" in line]
    assert checked == ["models/a.onnx", "models/b2.onnx", "models/d.onnx", "models/e.onnx"]
    assert out.endswith("4 model checks: 4 passed, 0 failed (0 errors, 0 warnings)\n")


def test_changed_since_with_files_checks_the_changed_ones_among_them(repo, capsys):
    root, base = repo
    _change_everything(root)
    assert main(["check", "--changed-since", base, "models/a.onnx", "models/u.onnx"]) == 0
    out = capsys.readouterr().out
    assert "models/a.onnx [budget all]: PASSED" in out and "models/u.onnx" not in out


def test_nothing_changed_checks_nothing(repo, capsys):
    _, base = repo
    assert main(["check", "--changed-since", base, "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records["models"] == [] and records["summary"]["checked"] == 0


def test_a_changed_model_over_budget_fails(repo, capsys):
    root, base = repo
    save(conv_relu(3, 32, 16), root / "models" / "u.onnx")  # 450560 FLOPs > 200 kFLOP
    assert main(["check", "--changed-since", "HEAD"]) == 1
    assert "models/u.onnx [budget all]: FAILED" in capsys.readouterr().out


@pytest.mark.parametrize(("ref", "message"), [
    ("no-such-branch", "--changed-since: unknown git revision 'no-such-branch' (in a shallow clone, fetch"
                       " it first: git fetch --depth 1 origin no-such-branch)"),
    ("--output=x", "--changed-since: '--output=x' is not a git revision"),
])
def test_unknown_revision_is_a_one_line_usage_error(repo, capsys, ref, message):
    assert main(["check", f"--changed-since={ref}"]) == 2
    assert capsys.readouterr().err == f"edgegate: error: {message}\n"


def test_outside_a_git_work_tree(tmp_path, monkeypatch):
    write(tmp_path / "edgegate.yaml", POLICY)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=r"^--changed-since: .* is not inside a git work tree$"):
        changed_models(tmp_path, "HEAD")


def test_root_in_a_subdirectory_sees_its_own_changes(repo):
    root, base = repo
    save(conv_relu(3, 4, 16), root / "sub" / "models" / "s.onnx")
    save(conv_relu(3, 4, 16), root / "models" / "a.onnx")
    git(root, "add", "--all")
    assert changed_models(root / "sub", base) == [Change("models/s.onnx", "added", None)]


def test_shallow_clone_works_once_the_base_is_fetched(repo, tmp_path, capsys, monkeypatch):
    root, base = repo
    _change_everything(root)
    git(root, "add", "--all")
    commit(root, "head 2")  # d, e and f committed too
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{root}", str(clone))
    monkeypatch.chdir(clone)
    assert main(["check", "--changed-since", base]) == 2  # the base is not in a depth-1 clone
    assert "unknown git revision" in capsys.readouterr().err
    git(clone, "fetch", "--quiet", "--depth", "1", "origin", base)
    assert [c.path for c in changed_models(clone, base)] == [
        "models/a.onnx", "models/b2.onnx", "models/d.onnx", "models/e.onnx", "models/f.onnx"]
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
