"""Pull-request deltas on a real temporary git repo: each changed model's REF version is read
from git (no checkout) and estimated under the same budget; modified, added, renamed and
deleted models; max_increase against the REF version."""

from __future__ import annotations

import json

import pytest
from gate_helpers import conv_relu, save, untimed, write
from git_helpers import git

from edgegate.cli import main
from edgegate.cli.runopts import with_changes
from edgegate.scale.parallel import CheckSpec, run_checks

# conv_relu(3, c, 16): FLOPs 2 x c x 256 x 27 + c x 256 = 14080 x c; params 27 x c
POLICY = """\
version: 1
budgets:
  all:
    limits:
      flops: {max: 1 MFLOP, max_increase: 10%}
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repo whose base commit has keep (c=4), grow (c=4), old_name (c=6), gone (c=2); then
    the work tree grows 'grow' to c=8, renames old_name -> new_name, deletes gone, adds fresh."""
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path / "edgegate.yaml", POLICY)
    for name, channels in (("keep", 4), ("grow", 4), ("old_name", 6), ("gone", 2)):
        save(conv_relu(3, channels, 16), tmp_path / "models" / f"{name}.onnx")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    save(conv_relu(3, 8, 16), tmp_path / "models" / "grow.onnx")
    git(tmp_path, "mv", "models/old_name.onnx", "models/new_name.onnx")
    git(tmp_path, "rm", "-q", "models/gone.onnx")
    save(conv_relu(3, 5, 16), tmp_path / "models" / "fresh.onnx")
    git(tmp_path, "add", "models/fresh.onnx")
    return tmp_path


def _run(repo, baseline=None):
    spec, files = with_changes(CheckSpec("edgegate.yaml", str(repo), 3, baseline), "main")
    return run_checks(spec, files), files


def test_changed_models_are_checked_and_compared_with_their_ref_version(repo):
    run, files = _run(repo)
    assert files == [str(repo / name) for name in
                     ("models/fresh.onnx", "models/grow.onnx", "models/new_name.onnx")]
    deltas = {d.model: d for d in run.deltas}
    assert sorted(deltas) == ["models/fresh.onnx", "models/gone.onnx", "models/grow.onnx",
                              "models/new_name.onnx"]  # keep did not change: no delta
    flops = {name: next(m for m in d.deltas if m.metric == "flops") for name, d in deltas.items()}
    # grow: 14080 x 4 = 56320 -> 14080 x 8 = 112640, +100%
    assert (deltas["models/grow.onnx"].status, flops["models/grow.onnx"].before,
            flops["models/grow.onnx"].after) == ("modified", 56320, 112640)
    assert flops["models/grow.onnx"].percent == pytest.approx(100.0)
    # new_name is old_name renamed, unchanged: 14080 x 6 = 84480 on both sides
    assert deltas["models/new_name.onnx"].status == "renamed"
    assert deltas["models/new_name.onnx"].old_path == "models/old_name.onnx"
    assert (flops["models/new_name.onnx"].before, flops["models/new_name.onnx"].after) == (84480, 84480)
    # fresh is new: no "before"; 14080 x 5 = 70400
    assert (deltas["models/fresh.onnx"].status, flops["models/fresh.onnx"].before,
            flops["models/fresh.onnx"].after) == ("added", None, 70400)
    # gone was deleted: its REF numbers (14080 x 2 = 28160), nothing after
    assert (deltas["models/gone.onnx"].status, flops["models/gone.onnx"].before,
            flops["models/gone.onnx"].after) == ("deleted", 28160, None)


def test_max_increase_uses_the_ref_version_without_a_baseline(repo):
    run, _ = _run(repo)
    increases = {r.model: f for r in run.result.results for f in r.findings if f.rule == "max_increase"}
    assert not increases["models/grow.onnx"].passed  # +100% > 10%
    assert increases["models/grow.onnx"].message == (
        "flops 113 kFLOP is +100.0% against the main version 56.3 kFLOP: exceeds max_increase 10%"
        " (at most 62.0 kFLOP)")  # 56320 x 1.1 = 61952
    assert increases["models/grow.onnx"].limit == 61952
    assert increases["models/new_name.onnx"].passed  # +0.0%
    assert "models/fresh.onnx" not in increases  # nothing to compare a new model with
    assert run.result.exit_code() == 1


def test_deltas_section_of_the_json_document(repo):
    run, _ = _run(repo)
    section = run.records()["deltas"]
    assert section["ref"] == "main"
    assert [m["model"] for m in section["models"]] == [
        "models/fresh.onnx", "models/gone.onnx", "models/grow.onnx", "models/new_name.onnx"]
    grow = section["models"][2]
    assert grow["metrics"]["flops"] == {"unit": "FLOP", "before": 56320, "after": 112640,
                                        "change": 56320, "change_percent": 100.0}
    assert grow["metrics"]["params"]["before"] == 108 and grow["metrics"]["params"]["after"] == 216


def test_a_ref_version_that_cannot_be_estimated_is_reported_not_fatal(repo):
    write(repo / "models" / "broken.onnx", "not a model")
    git(repo, "add", "models/broken.onnx")
    git(repo, "commit", "-q", "-m", "broken")
    git(repo, "branch", "-f", "base")
    save(conv_relu(3, 4, 16), repo / "models" / "broken.onnx")  # fixed in the work tree
    spec, files = with_changes(CheckSpec("edgegate.yaml", str(repo)), "base")
    run = run_checks(spec, files)
    (delta,) = [d for d in run.deltas if d.model == "models/broken.onnx"]
    assert delta.deltas == () and delta.error.startswith("at REF: base:models/broken.onnx: not an ONNX model")
    (checked,) = [r for r in run.result.results if r.model == "models/broken.onnx"]
    assert checked.error is None and checked.passed(strict=False)
    assert not any(f.rule == "max_increase" for f in checked.findings)  # nothing to compare with


def test_deltas_with_two_jobs_equal_one(repo):
    spec, files = with_changes(CheckSpec("edgegate.yaml", str(repo)), "main")
    assert untimed(run_checks(spec, files, jobs=2).records()) == untimed(run_checks(spec, files, jobs=1).records())


def test_check_cli_reports_the_deltas_in_text_json_and_summary(repo, capsys):
    code = main(["check", "--changed-since", "main", "--json", "r.json", "--github-summary", "s.md",
                 "--format", "text"])
    assert code == 1  # grow: +100% > max_increase 10%
    out = capsys.readouterr().out
    section = out[out.index("changes since main:"):]
    assert "  models/grow.onnx [budget all] (modified)\n" in section
    assert "  models/new_name.onnx [budget all] (renamed from models/old_name.onnx)\n" in section
    assert "  models/gone.onnx [budget all] (deleted)\n" in section
    grow = section[section.index("models/grow.onnx"):]
    flops = next(line for line in grow.splitlines() if line.strip().startswith("flops"))
    assert flops.split() == ["flops", "56.3", "kFLOP", "113", "kFLOP", "+100.0%"]  # 56320 -> 112640
    fresh = section[section.index("models/fresh.onnx"):]
    assert next(line for line in fresh.splitlines() if line.strip().startswith("flops")).split() == [
        "flops", "-", "70.4", "kFLOP", "new"]  # 14080 x 5 = 70400
    document = json.loads((repo / "r.json").read_text())
    assert document["deltas"]["ref"] == "main"
    assert [(m["model"], m["status"]) for m in document["deltas"]["models"]] == [
        ("models/fresh.onnx", "added"), ("models/gone.onnx", "deleted"),
        ("models/grow.onnx", "modified"), ("models/new_name.onnx", "renamed")]
    summary = (repo / "s.md").read_text()
    assert "#### Changes since main" in summary
    assert ("| `models/grow.onnx` | `all` | modified | 56.3 kFLOP → 113 kFLOP (+100.0%) |"
            " 108 param → 216 param (+100.0%) |") in summary  # params 27 x 4 -> 27 x 8
    assert "| `models/fresh.onnx` | `all` | added | 70.4 kFLOP (new) |" in summary


def test_nothing_changed_checks_nothing_and_reports_no_change(repo, capsys):
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "all")
    assert main(["check", "--changed-since", "HEAD", "--format", "text"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ("changes since HEAD:\n  no model changed\n"
                            "0 model checks: 0 passed, 0 failed (0 errors, 0 warnings)\n")
    assert captured.err == "edgegate: nothing to check: no model changed since HEAD\n"


def test_sharded_deltas_merge_into_the_unsharded_document(repo):
    main(["check", "--changed-since", "main", "--json", "whole.json", "--format", "text:log"])
    names = []
    for index in (1, 2):
        names.append(f"s{index}.json")
        main(["check", "--changed-since", "main", "--shard", f"{index}/2", "--json", names[-1],
              "--format", "text:log"])
    main(["merge", *names, "--json", "merged.json", "--quiet"])
    # sha256 shards of 2: fresh and gone in 1, grow and new_name in 2
    assert [[m["model"] for m in json.loads((repo / name).read_text())["deltas"]["models"]]
            for name in names] == [["models/fresh.onnx", "models/gone.onnx"],
                                   ["models/grow.onnx", "models/new_name.onnx"]]
    whole = json.loads((repo / "whole.json").read_text())
    assert untimed(json.loads((repo / "merged.json").read_text())) == untimed(whole)
    assert len(whole["deltas"]["models"]) == 4  # fresh, gone, grow, new_name
