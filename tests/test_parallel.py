"""Nightly runs at scale: stable shards that partition the models, --jobs equal to a serial
run, `edgegate merge` of shard results equal to one unsharded run, the TTY-only progress line."""

from __future__ import annotations

import contextlib
import io
import json
import os

import onnx
import pytest
from gate_helpers import conv_relu, save, untimed, write
from onnx import helper

from edgegate.cli import main
from edgegate.errors import UsageError
from edgegate.model import isolate
from edgegate.scale import parallel
from edgegate.scale.parallel import CheckSpec, Progress, in_shard, parse_shard, run_checks, shard_of

POLICY = """\
version: 1
budgets:
  small:
    include: ["models/**/*.onnx"]
    limits:
      flops: {max: 150 kFLOP}
  all:
    limits:
      params: {max: 300}
"""
PATHS = [f"models/group{g}/m{i}.onnx" for g in range(3) for i in range(7)]


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """21 models under models/ (cout 4..10: some over 150 kFLOP), one outside, POLICY."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    for index, path in enumerate(PATHS):
        save(conv_relu(3, 4 + index % 7, 16), tmp_path / path)
    save(conv_relu(3, 4, 8), tmp_path / "other" / "x.onnx")
    write(tmp_path / "edgegate.yaml", POLICY)
    return tmp_path


def _spec(repo):
    return CheckSpec("edgegate.yaml", str(repo))


def test_parse_shard():
    assert parse_shard("2/4") == (2, 4) and parse_shard(" 1 / 1 ") == (1, 1)
    for bad, message in (("0/4", "--shard 0/4: K must be between 1 and N"),
                         ("5/4", "--shard 5/4: K must be between 1 and N"),
                         ("2", "--shard '2' is not K/N (for example --shard 1/4)")):
        with pytest.raises(UsageError) as error:
            parse_shard(bad)
        assert str(error.value) == message


def test_shards_partition_every_path_exactly_once():
    paths = [f"models/{name}/model_{i}.onnx" for name in ("a", "b", "c") for i in range(200)]
    for count in (1, 2, 3, 7):
        shards = [in_shard(paths, (index, count)) for index in range(1, count + 1)]
        assert sorted(p for shard in shards for p in shard) == sorted(paths)  # complete, no repeats
        assert sum(len(shard) for shard in shards) == len(paths)
        if count > 1:
            assert all(shard for shard in shards)  # 600 paths hash into every shard


def test_shard_of_is_stable_and_independent_of_the_other_paths():
    # sha256 of the path, first 8 bytes big-endian, mod N, plus 1: fixed across runs and machines
    assert [shard_of("models/a.onnx", 4), shard_of("models/b.onnx", 4)] == [
        int.from_bytes(__import__("hashlib").sha256(p.encode()).digest()[:8], "big") % 4 + 1
        for p in ("models/a.onnx", "models/b.onnx")]
    before = in_shard(PATHS, (2, 3))
    after = in_shard(PATHS + ["models/new.onnx"], (2, 3))
    assert [p for p in after if p != "models/new.onnx"] == before  # adding a model moves no other


def test_jobs_2_equals_a_serial_run(repo):
    serial = run_checks(_spec(repo), None, jobs=1).result.as_records()
    parallel = run_checks(_spec(repo), None, jobs=2).result.as_records()
    assert untimed(parallel) == untimed(serial)
    # 21 models x 2 budgets + other/x.onnx x 1 budget ("all" selects everything)
    assert serial["summary"]["checked"] == 43
    # flops = 2 x cout x 256 x 27 + cout x 256 = 14080 x cout: over 150 kFLOP for cout 11+? no:
    # cout 4..10 gives 56320..140800, all under; params 27 x cout <= 270 <= 300: everything passes
    assert serial["passed"] is True


def test_a_serial_run_keeps_one_child_and_equals_a_run_forking_one_per_model(repo, monkeypatch):
    # onnx's inference dies of SIGSEGV on this model: the kept child is replaced after it
    node = helper.make_node("DictVectorizer", ["x"], ["y"], domain="ai.onnx.ml", string_vocabulary=["a"])
    graph = helper.make_graph([node], "g", [onnx.ValueInfoProto(name="x")], [helper.make_tensor_value_info("y", 1, None)])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)]),
         repo / "models" / "group1" / "crash.onnx")
    forks = []
    real_fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or real_fork())
    kept = untimed(run_checks(_spec(repo), None).result.as_records())
    forked_kept = len(forks)
    monkeypatch.setattr(parallel, "reusing_child", contextlib.nullcontext)
    each = untimed(run_checks(_spec(repo), None).result.as_records())
    assert kept == each
    crashed = [m for m in kept["models"] if "crashed on this model (SIGSEGV)" in (m.get("error") or "")]
    assert [m["model"] for m in crashed] == ["models/group1/crash.onnx"] * len(crashed) and crashed
    # a child for each of the first models, one kept for the others, one more after each crash
    assert forked_kept == isolate.ONE_SHOT_JOBS + 1 + len(crashed)
    assert len(forks) - forked_kept >= len(PATHS) + 1


def test_merged_shards_equal_one_unsharded_run(repo, capsys):
    write(repo / "edgegate.yaml", POLICY.replace("150 kFLOP", "100 kFLOP"))  # cout >= 8 fails
    whole = run_checks(_spec(repo), None).result.as_records()
    names = []
    for index in (1, 2, 3):
        shard = run_checks(_spec(repo), None, shard=(index, 3)).result.as_records()
        names.append(f"shard{index}.json")
        write(repo / names[-1], json.dumps(shard))
    code = main(["merge", *names, "--json", "merged.json", "--quiet"])
    merged = json.loads((repo / "merged.json").read_text())
    assert untimed(merged) == untimed(whole)  # all but the wall times
    assert code == whole["exit_code"] == 1
    assert capsys.readouterr().out == ""


def test_merge_prints_the_merged_report(repo, capsys):
    write(repo / "one.json", json.dumps(run_checks(_spec(repo), ["models/group0/m0.onnx"]).result.as_records()))
    write(repo / "two.json", json.dumps(run_checks(_spec(repo), ["other/x.onnx"]).result.as_records()))
    assert main(["merge", "two.json", "one.json"]) == 0
    out = capsys.readouterr().out
    assert out.index("models/group0/m0.onnx [budget small]") < out.index("other/x.onnx [budget all]")
    assert out.endswith("3 model checks: 3 passed, 0 failed (0 errors, 0 warnings)\n")


def test_merge_refuses_overlapping_or_foreign_results(repo, capsys):
    document = run_checks(_spec(repo), ["other/x.onnx"]).result.as_records()
    write(repo / "a.json", json.dumps(document))
    write(repo / "b.json", json.dumps(document))
    assert main(["merge", "a.json", "b.json"]) == 2
    assert capsys.readouterr().err == (
        "edgegate: error: b.json: cannot merge: other/x.onnx [budget all] is also in a.json"
        " (overlapping shards?)\n")
    write(repo / "c.json", json.dumps({**document, "models": [], "strict": True}))
    assert main(["merge", "a.json", "c.json"]) == 2
    assert capsys.readouterr().err == (
        "edgegate: error: c.json: cannot merge: strict is True here but False in a.json\n")
    write(repo / "d.json", '{"schema_version": 1}')
    assert main(["merge", "d.json"]) == 2
    assert "d.json: not a check result: no 'models' list" in capsys.readouterr().err


def test_merge_keeps_a_model_error_and_its_exit_code(repo, capsys):
    write(repo / "models" / "group0" / "bad.onnx", "garbage")
    document = run_checks(_spec(repo), ["models/group0/bad.onnx"]).result.as_records()
    assert document["exit_code"] == 3
    write(repo / "bad.json", json.dumps(document))
    assert main(["merge", "bad.json", "--quiet"]) == 3


def test_merge_keeps_each_model_error_s_own_exit_code(repo, capsys):
    # a_dynamic.onnx has an unbound batch (5), b_broken.onnx is not ONNX (3); both hash to shard 1
    # of 2, where the shard document's own exit code is a_dynamic's 5: each record carries its code
    save(conv_relu(3, 4, 16, batch="N"), repo / "models" / "a_dynamic.onnx")
    write(repo / "models" / "b_broken.onnx", "garbage")
    whole = run_checks(_spec(repo), None).result.as_records()
    codes = {(m["model"], m["budget"]): m["exit_code"] for m in whole["models"] if m["error"]}
    assert codes == {("models/a_dynamic.onnx", "small"): 5, ("models/a_dynamic.onnx", "all"): 5,
                     ("models/b_broken.onnx", "small"): 3, ("models/b_broken.onnx", "all"): 3}
    for index in (1, 2):
        write(repo / f"shard{index}.json", json.dumps(run_checks(_spec(repo), None, shard=(index, 2)).result.as_records()))
    assert main(["merge", "shard2.json", "shard1.json", "--json", "merged.json", "--quiet"]) == 5
    assert untimed(json.loads((repo / "merged.json").read_text())) == untimed(whole)  # per-model codes included
    assert whole["exit_code"] == 5  # the first error in path order: a_dynamic's
    # without a_dynamic the same merge gives b_broken's 3, as one run does
    (repo / "models" / "a_dynamic.onnx").unlink()
    assert run_checks(_spec(repo), None).result.exit_code() == 3
    write(repo / "shard1.json", json.dumps(run_checks(_spec(repo), None, shard=(1, 2)).result.as_records()))
    assert main(["merge", "shard1.json", "shard2.json", "--quiet"]) == 3


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_line_only_on_a_terminal():
    log = io.StringIO()
    bar = Progress(2, log)
    bar.advance("a.onnx"), bar.advance("b.onnx"), bar.close()
    assert log.getvalue() == ""  # CI logs stay clean
    tty = _Terminal()
    bar = Progress(2, tty)
    bar.advance("a.onnx"), bar.advance("b.onnx"), bar.close()
    assert tty.getvalue() == "\r\x1b[K[1/2] a.onnx\r\x1b[K[2/2] b.onnx\r\x1b[K"


def test_jobs_must_not_be_negative(repo):
    with pytest.raises(UsageError, match="--jobs -1: give a number of processes"):
        run_checks(_spec(repo), None, jobs=-1)
