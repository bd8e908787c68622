"""A change to the policy is checked: ``check --changed-since REF`` checks every model the new
policy selects when anything the policy is made of changed since REF (the policy file, its
``extends`` chain, ``[tool.edgegate]`` of pyproject.toml, a baseline the run reads), and a policy
file given as a FILE argument (as pre-commit passes it) means the same. Real git, temporary repos."""

from __future__ import annotations

import sys

import pytest
from gate_helpers import conv_relu, save, write
from git_helpers import commit, init

from edgegate.cli import main
from edgegate.config import resources
from edgegate.policy.load import load_policy
from edgegate.vcs import changed_among

# conv_relu(3, 8, 16): 112640 FLOPs; conv_relu(3, 4, 16): 56320 FLOPs (see test_changed_files)
POLICY = "version: 1\nbudgets:\n  all:\n    limits:\n      flops: {max: 200 kFLOP}\n"
TIGHT = POLICY.replace("200 kFLOP", "100 kFLOP")  # a.onnx (112640) fails, b.onnx (56320) passes
RELAXED = POLICY.replace("200 kFLOP", "300 kFLOP")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A committed repo: edgegate.yaml (max 200 kFLOP), models/a.onnx and models/b.onnx."""
    root = init(tmp_path / "repo")
    save(conv_relu(3, 8, 16), root / "models" / "a.onnx")
    save(conv_relu(3, 4, 16), root / "models" / "b.onnx")
    write(root / "edgegate.yaml", POLICY)
    write(root / "README.md", "models\n")
    commit(root, "base")
    monkeypatch.chdir(root)
    return root


def test_a_commit_that_only_tightens_the_policy_fails_the_gate(repo, capsys):
    write(repo / "edgegate.yaml", TIGHT)
    commit(repo, "tighten the budget")
    assert main(["check", "--changed-since", "HEAD~1"]) == 1
    captured = capsys.readouterr()
    assert captured.err == "edgegate: policy changed since HEAD~1 (edgegate.yaml): checking all 2 models\n"
    assert "models/a.onnx [budget all]: FAILED" in captured.out
    assert "models/b.onnx [budget all]: PASSED" in captured.out
    assert captured.out.endswith("2 model checks: 1 passed, 1 failed (1 error, 0 warnings)\n")


def test_a_relaxed_policy_checks_every_model_and_passes(repo, capsys):
    write(repo / "edgegate.yaml", RELAXED)  # staged only: a change too
    assert main(["check", "--changed-since", "HEAD"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "edgegate: policy changed since HEAD (edgegate.yaml): checking all 2 models\n"
    assert captured.out.endswith("2 model checks: 2 passed, 0 failed (0 errors, 0 warnings)\n")


def test_an_unchanged_policy_still_checks_only_the_changed_models(repo, capsys):
    save(conv_relu(3, 4, 16), repo / "models" / "a.onnx")
    write(repo / "README.md", "more\n")
    commit(repo, "shrink a")
    assert main(["check", "--changed-since", "HEAD~1"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.endswith("1 model check: 1 passed, 0 failed (0 errors, 0 warnings)\n")


def test_an_invalid_policy_fails_even_with_no_model_changed(repo, capsys):
    write(repo / "edgegate.yaml", POLICY.replace("flops:", "flop:"))
    commit(repo, "typo")
    assert main(["check", "--changed-since", "HEAD~1"]) == 4
    assert capsys.readouterr().err == ("edgegate: error: edgegate.yaml:5:7: budgets.all.limits.flop:"
                                       " unknown metric 'flop' (did you mean 'flops'?)\n")


def test_a_change_to_a_file_the_policy_extends_checks_every_model(repo, capsys):
    write(repo / "team" / "base.yaml", POLICY)
    write(repo / "edgegate.yaml", "version: 1\nextends: team/base.yaml\n")
    commit(repo, "shared base")
    write(repo / "team" / "base.yaml", TIGHT)
    commit(repo, "tighten the shared base")
    assert main(["check", "--changed-since", "HEAD~1"]) == 1
    assert capsys.readouterr().err == ("edgegate: policy changed since HEAD~1 (team/base.yaml):"
                                       " checking all 2 models\n")


@pytest.mark.skipif(sys.version_info < (3, 11), reason="reading [tool.edgegate] needs Python 3.11 (tomllib)")
def test_pyproject_counts_only_when_its_edgegate_table_changes(repo, capsys):
    (repo / "edgegate.yaml").unlink()
    table = "[tool.edgegate]\nversion = 1\n[tool.edgegate.budgets.all.limits.flops]\nmax = {}\n"
    write(repo / "pyproject.toml", '[project]\nname = "x"\n\n' + table.format('"200 kFLOP"'))
    commit(repo, "policy in pyproject")
    write(repo / "pyproject.toml", '[project]\nname = "y"\n\n' + table.format('"200 kFLOP"'))
    commit(repo, "rename the project")
    assert main(["check", "--changed-since", "HEAD~1"]) == 0
    assert capsys.readouterr().err == "edgegate: nothing to check: no model changed since HEAD~1\n"
    write(repo / "pyproject.toml", '[project]\nname = "y"\n\n' + table.format('"100 kFLOP"'))
    commit(repo, "tighten")
    assert main(["check", "--changed-since", "HEAD~1"]) == 1
    assert capsys.readouterr().err == ("edgegate: policy changed since HEAD~1 (pyproject.toml):"
                                       " checking all 2 models\n")


def test_a_change_to_the_baseline_the_run_reads_checks_every_model(repo, capsys):
    assert main(["baseline", "--out", "baseline.json"]) == 0
    commit(repo, "baseline")
    path = repo / "baseline.json"
    path.write_text(path.read_text() + "\n")
    capsys.readouterr()
    assert main(["check", "--changed-since", "HEAD", "--baseline", "baseline.json"]) == 0
    assert capsys.readouterr().err == ("edgegate: policy changed since HEAD (baseline.json):"
                                       " checking all 2 models\n")
    assert main(["check", "--changed-since", "HEAD"]) == 0  # a run that reads no baseline
    assert capsys.readouterr().err == "edgegate: nothing to check: no model changed since HEAD\n"


def test_a_policy_file_among_the_files_checks_every_model(repo, capsys):
    # pre-commit passes every staged file its pattern matches: the policy means every model,
    # other files are left out
    write(repo / "edgegate.yaml", TIGHT)
    assert main(["check", "README.md", "edgegate.yaml"]) == 1
    captured = capsys.readouterr()
    assert captured.err == "edgegate: policy file edgegate.yaml given: checking all 2 models\n"
    assert "models/a.onnx [budget all]: FAILED" in captured.out


def test_an_invalid_policy_among_the_files_is_reported_at_its_line(repo, capsys):
    # what the pre-commit hook does with only a broken policy staged (tests/test_precommit_hook.py
    # runs the real pre-commit with a tightened and a relaxed one)
    write(repo / "edgegate.yaml", POLICY.replace("flops:", "flop:"))
    assert main(["check", "--quiet", "edgegate.yaml"]) == 4
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "edgegate: error: edgegate.yaml:5:7: budgets.all.limits.flop:"
                                                " unknown metric 'flop' (did you mean 'flops'?)\n")


def test_a_policy_knows_the_files_it_was_read_from(tmp_path):
    write(tmp_path / "team" / "base.yaml", "version: 1\nextends: raspberry-pi-5\n")
    write(tmp_path / "edgegate.yaml", "version: 1\nextends: team/base.yaml\n")
    policy = load_policy(tmp_path / "edgegate.yaml")
    preset = str(resources.presets()["raspberry-pi-5"])
    assert policy.sources == (str(tmp_path / "edgegate.yaml"), str(tmp_path / "team" / "base.yaml"), preset)


def test_files_outside_the_work_tree_never_count_as_changed(repo, tmp_path):
    outside = write(tmp_path / "elsewhere.yaml", POLICY)
    write(repo / "edgegate.yaml", TIGHT)
    found = changed_among(repo, "HEAD", [str(outside), "edgegate.yaml", str(repo / "README.md")])
    assert found == ["edgegate.yaml"]
