"""``edgegate check``, ``edgegate policy validate`` and ``edgegate init`` through cli.main:
every exit code, --strict, --no-fail, file selection, discovery."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import yaml
from gate_helpers import conv_relu, save, save_with_node, vendor_node, write
from onnx import helper

from edgegate.cli import main
from edgegate.errors import ExitCode
from tests.model_helpers import parse

# conv_relu(3, 8, 16): Conv 1 x 8 x 16 x 16 x 3 x 9 = 55296 MACs = 110592 FLOPs, + Relu 2048 = 112640
POLICY = """\
version: 1
budgets:
  all:
    limits:
      flops: {max: 200 kFLOP}
      params: {max: 100, severity: warning}
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repo with one model (112640 FLOPs, 216 params) and POLICY; the working directory."""
    monkeypatch.chdir(tmp_path)
    save(conv_relu(3, 8, 16), tmp_path / "models" / "m.onnx")
    write(tmp_path / "edgegate.yaml", POLICY)
    return tmp_path


def test_exit_0_when_everything_passes(repo, capsys):
    # params 216 > 100 is only a warning
    assert main(["check"]) == ExitCode.OK == 0
    out = capsys.readouterr().out
    assert "models/m.onnx [budget all]: PASSED" in out
    assert "  warn  params" in out
    assert out.endswith("1 model check: 1 passed, 0 failed (0 errors, 1 warning)\n")


def test_exit_1_on_an_error_violation(repo, capsys):
    write(repo / "edgegate.yaml", POLICY.replace("200 kFLOP", "100 kFLOP"))
    assert main(["check"]) == ExitCode.GATE_FAILED == 1
    assert "  FAIL  flops" in capsys.readouterr().out


def test_strict_makes_warnings_fail(repo, capsys):
    assert main(["check", "--strict"]) == 1
    out = capsys.readouterr().out
    assert "  FAIL  params" in out and "FAILED" in out


def test_no_fail_reports_only(repo, capsys):
    write(repo / "edgegate.yaml", POLICY.replace("200 kFLOP", "100 kFLOP"))
    assert main(["check", "--no-fail"]) == 0
    assert capsys.readouterr().out.endswith(
        "1 model check: 0 passed, 1 failed (1 error, 1 warning); --no-fail: reporting only\n")


def test_exit_2_on_a_bad_option(repo, capsys):
    with pytest.raises(SystemExit) as exit_:  # argparse exits with edgegate's usage code
        main(["check", "--bogus"])
    assert exit_.value.code == ExitCode.USAGE == 2


@pytest.mark.parametrize(("argv", "message"), [
    (["check", "--root", "no/such/dir"], "--root: no such directory 'no/such/dir'"),
    (["check", "--policy", "missing.yaml"], "--policy: no such file 'missing.yaml'"),
])
def test_exit_2_on_usage_errors(repo, argv, message, capsys):
    assert main(argv) == 2
    assert capsys.readouterr().err == f"edgegate: error: {message}\n"


def test_exit_2_when_no_policy_is_found(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 2
    assert "edgegate: error: no policy found in" in capsys.readouterr().err


def test_exit_3_on_an_unreadable_model_and_the_others_still_report(repo, capsys):
    write(repo / "models" / "broken.onnx", "this is not a model\n")
    assert main(["check"]) == ExitCode.MODEL_ERROR == 3
    out = capsys.readouterr().out
    assert "models/broken.onnx [budget all]: FAILED\n  ERROR " in out
    assert "models/m.onnx [budget all]: PASSED" in out


def test_the_count_line_counts_models_that_could_not_be_read_or_estimated(repo, capsys):
    write(repo / "models" / "broken.onnx", "this is not a model\n")
    save(conv_relu(3, 8, 16, batch="N"), repo / "models" / "dynamic.onnx")
    assert main(["check", "--json", "r.json"]) == 3  # the first error in path order: broken
    out = capsys.readouterr().out
    assert out.endswith("3 model checks: 1 passed, 2 failed (0 errors, 1 warning), 1 could not be read,"
                        " 1 could not be estimated\n")
    summary = json.loads((repo / "r.json").read_text())["summary"]
    assert (summary["failed"], summary["unreadable"], summary["not_estimated"]) == (2, 1, 1)


def test_quiet_shows_only_what_failed_or_warned(repo, capsys):
    # big: 450560 FLOPs > 200 kFLOP fails, 864 params > 100 warns; m: 216 params warns;
    # ok, conv_relu(1, 1, 4): 9 params and 16 x 9 x 2 + 16 = 304 FLOPs, passes everything
    save(conv_relu(3, 32, 16), repo / "models" / "big.onnx")
    save(conv_relu(1, 1, 4), repo / "models" / "ok.onnx")
    expected = (
        "models/big.onnx [budget all]: FAILED\n"
        "  FAIL  flops                     451 kFLOP  max 200 kFLOP    excess 125.3%\n"
        "        top layers: conv 451 kFLOP (100%)\n"
        "  warn  params                    864 param  max 100 param    excess 764.0%\n"
        "        top layers: conv 864 param (100%)\n"
        "models/m.onnx [budget all]: PASSED\n"
        "  warn  params                    216 param  max 100 param    excess 116.0%\n"
        "        top layers: conv 216 param (100%)\n"
        "models/ok.onnx [budget all]: PASSED\n"
        "3 model checks: 2 passed, 1 failed (1 error, 2 warnings)\n")
    for quiet in ("--quiet", "-q", "--failures-only"):
        assert main(["check", quiet, "--json", "r.json"]) == 1
        assert capsys.readouterr().out == expected
    assert main(["check", "--quiet", "--no-quiet"]) == 1  # the hook's default can be undone
    assert "  settings: " in capsys.readouterr().out
    assert main(["merge", "r.json", "--failures-only"]) == 1
    assert capsys.readouterr().out == expected


def test_the_settings_line_lists_only_the_dims_the_model_uses(repo, capsys):
    save(conv_relu(3, 8, 16, batch="N"), repo / "models" / "m.onnx")
    write(repo / "edgegate.yaml", POLICY.replace("budgets:", "defaults:\n  dims: {N: 1, height: 320}\nbudgets:"))
    assert main(["check", "--json", "r.json"]) == 0
    assert "  settings: precision model, fusion paper, dims N=1\n" in capsys.readouterr().out
    (model,) = json.loads((repo / "r.json").read_text())["models"]
    assert (model["settings"]["dims"], model["dims_used"]) == ({"N": 1, "height": 320}, {"N": 1})


def test_exit_4_on_an_invalid_policy_and_no_model_is_checked(repo, capsys):
    write(repo / "edgegate.yaml", POLICY.replace("flops:", "flop:"))
    assert main(["check"]) == ExitCode.POLICY_ERROR == 4
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("edgegate: error: edgegate.yaml:5:7: budgets.all.limits.flop: unknown"
                            " metric 'flop' (did you mean 'flops'?)\n")


def test_exit_5_on_an_unbound_dimension(repo, capsys):
    save(conv_relu(3, 8, 16, batch="N"), repo / "models" / "dynamic.onnx")
    assert main(["check"]) == ExitCode.BINDING_ERROR == 5
    out = capsys.readouterr().out
    assert "models/dynamic.onnx [budget all]: FAILED\n  ERROR " in out and "'N'" in out
    write(repo / "edgegate.yaml", POLICY.replace("budgets:", "defaults:\n  dims: {N: 1}\nbudgets:"))
    assert main(["check"]) == 0  # bound in the policy's defaults


def test_files_from_pre_commit_are_checked_only_when_selected(repo, capsys):
    # other/x.onnx is checked against no limit: a stray, one `unselected` warning under no budget
    save(conv_relu(3, 8, 16), repo / "other" / "x.onnx")
    write(repo / "edgegate.yaml", POLICY.replace("  all:\n", "  all:\n    include: ['models/*.onnx']\n"))
    assert main(["check", "other/x.onnx", "models/m.onnx", "README.md"]) == 0
    out = capsys.readouterr().out
    assert "models/m.onnx [budget all]" in out and "other/x.onnx [budget" not in out
    assert ("other/x.onnx [no budget]: PASSED\n  warn  unselected             no budget selects this model,"
            " so no limit checks it: add it to a budget's include (or add a budget for it)\n") in out
    assert "not selected by any budget: other/x.onnx\n" in out  # README.md is no model: left out
    # 2 checks: m.onnx (params warns) and the stray
    assert out.endswith("2 model checks: 2 passed, 0 failed (0 errors, 2 warnings)\n")
    write(repo / "edgegate.yaml", "unselected: error\n" + (repo / "edgegate.yaml").read_text())
    assert main(["check", "other/x.onnx"]) == 1
    out = capsys.readouterr().out
    assert "other/x.onnx [no budget]: FAILED\n  FAIL  unselected" in out
    assert out.endswith("1 model check: 0 passed, 1 failed (1 error, 0 warnings)\n")


@pytest.mark.skipif(sys.version_info < (3, 11), reason="reading [tool.edgegate] needs Python 3.11 (tomllib)")
def test_policy_option_and_pyproject_discovery(repo, capsys):
    (repo / "edgegate.yaml").rename(repo / "ci.yaml")
    assert main(["check", "--policy", "ci.yaml"]) == 0
    write(repo / "pyproject.toml", "[tool.edgegate]\nversion = 1\n"
          "[tool.edgegate.budgets.all.limits.flops]\nmax = 1000\n")
    assert main(["check"]) == 1  # 112640 FLOPs > 1000, found through pyproject.toml
    assert "models/m.onnx [budget all]: FAILED" in capsys.readouterr().out


def test_policy_validate(repo, capsys):
    assert main(["policy", "validate", "edgegate.yaml"]) == 0
    assert capsys.readouterr().out == "edgegate.yaml: valid (1 budget)\n"
    write(repo / "bad.yaml", "version: 1\nbudgets:\n  a:\n    limts: {}\n    ops: {forbid: LSTM}\n")
    assert main(["policy", "validate", "bad.yaml", "edgegate.yaml"]) == 4
    captured = capsys.readouterr()
    assert captured.err == (
        "edgegate: error: bad.yaml:4:5: budgets.a.limts: unknown key 'limts' (did you mean 'limits'?)\n"
        "edgegate: error: bad.yaml:5:19: budgets.a.ops.forbid: expected a list, got 'LSTM'\n")
    assert captured.out == "edgegate.yaml: valid (1 budget)\n"
    with pytest.raises(SystemExit) as exit_:
        main(["policy"])  # no action
    assert exit_.value.code == 2


def test_init_writes_a_policy_the_models_pass(repo, capsys):
    (repo / "edgegate.yaml").unlink()
    save(conv_relu(4, 4, 8), repo / "models" / "sub" / "m.onnx")  # same stem: budget m-2
    assert main(["init", "--target", "raspberry-pi-5", "--fps", "30"]) == 0
    assert capsys.readouterr().out.startswith("wrote ")
    text = (repo / "edgegate.yaml").read_text()
    assert "    include: [models/m.onnx]\n    limits:\n      flops: {max: 130 kFLOP}\n" in text  # readable
    budgets = yaml.safe_load(text)["budgets"]
    assert list(budgets) == ["m", "m-2", "new-models"]
    # m: 112640 FLOPs x 1.1 = 123904 -> 130 kFLOP; 216 params x 1.1 = 237.6 -> 240
    assert budgets["m"]["include"] == ["models/m.onnx"]
    assert (budgets["m"]["limits"]["flops"], budgets["m"]["limits"]["params"]) == (
        {"max": "130 kFLOP"}, {"max": "240 param"})
    # m-2, conv_relu(4, 4, 8): 4 x 8 x 8 x 4 x 9 = 9216 MACs = 18432 + Relu 256 = 18688 FLOPs
    # x 1.1 = 20556.8 -> 21 kFLOP; 4 x 4 x 9 = 144 params x 1.1 = 158.4 -> 160
    assert budgets["m-2"]["include"] == ["models/sub/m.onnx"]
    assert (budgets["m-2"]["limits"]["flops"], budgets["m-2"]["limits"]["params"]) == (
        {"max": "21 kFLOP"}, {"max": "160 param"})
    # the catch-all: every model but those two, within the larger of them plus 10%
    catch_all = budgets["new-models"]
    assert (catch_all["include"], catch_all["exclude"]) == (["**/*.onnx"], ["models/m.onnx", "models/sub/m.onnx"])
    assert (catch_all["limits"]["flops"], catch_all["limits"]["params"]) == ({"max": "130 kFLOP"}, {"max": "240 param"})
    assert set(catch_all["limits"]) == set(budgets["m"]["limits"]) == {
        "flops", "params", "weight_bytes", "peak_activation_bytes", "dram_bytes", "latency_ms",
        "bandwidth_at_fps", "arithmetic_intensity"}
    assert main(["policy", "validate", "edgegate.yaml"]) == 0
    assert main(["check"]) == 0  # the starter policy passes today
    # a model added later is checked from day one, by the catch-all
    save(conv_relu(3, 8, 16), repo / "models" / "new.onnx")
    capsys.readouterr()
    assert main(["check", "models/new.onnx"]) == 0
    assert "models/new.onnx [budget new-models]: PASSED" in capsys.readouterr().out
    save(conv_relu(3, 32, 16), repo / "models" / "new.onnx")  # 450560 FLOPs > 130 kFLOP
    assert main(["check", "models/new.onnx"]) == 1
    assert "models/new.onnx [budget new-models]: FAILED" in capsys.readouterr().out
    (repo / "models" / "new.onnx").unlink()
    assert main(["init"]) == 2  # refuses to overwrite
    assert "exists; pass --force" in capsys.readouterr().err
    assert main(["init", "--force", "--headroom", "50"]) == 0
    # 112640 x 1.5 = 168960 -> 170 kFLOP
    assert "flops: {max: 170 kFLOP}" in (repo / "edgegate.yaml").read_text()


def test_init_usage_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 2
    assert capsys.readouterr().err == f"edgegate: error: no .onnx models found under {tmp_path.resolve()}\n"
    assert main(["init", "--target", "rpi"]) == 2
    assert main(["init", "--fps", "30"]) == 2


def test_init_binding_error_is_exit_5(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    save(conv_relu(3, 8, 16, batch="N"), tmp_path / "m.onnx")
    assert main(["init"]) == 5
    assert main(["init", "--dim", "N=1"]) == 0
    assert "dims: {N: 1}" in (tmp_path / "edgegate.yaml").read_text()


def test_init_reports_every_unbound_dimension_of_every_model_at_once(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    save(conv_relu(3, 8, 16, batch="N"), tmp_path / "a.onnx")
    two = conv_relu(3, 8, 16, batch="B")
    two.graph.input[0].type.tensor_type.shape.dim[2].ClearField("dim_value")  # anonymous
    two.graph.input[0].type.tensor_type.shape.dim[3].dim_param = "W"
    save(two, tmp_path / "sub" / "b.onnx")
    assert main(["init"]) == 5
    assert capsys.readouterr().err == (
        "edgegate: error: a.onnx: input 'x' dimension 0 ('N') is unbound\n"
        "edgegate: error: sub/b.onnx: input 'x' dimension 0 ('B') is unbound\n"
        "edgegate: error: sub/b.onnx: input 'x' dimension 2 has no size\n"
        "edgegate: error: sub/b.onnx: input 'x' dimension 3 ('W') is unbound\n"
        "edgegate: init wrote nothing: 4 problems in 2 models; bind every dimension and run it again"
        " (--dim B=N --dim N=N --dim W=N --input-shape x=D0xD1x...)\n")
    assert not (tmp_path / "edgegate.yaml").exists()
    assert main(["init", "--dim", "N=1", "--input-shape", "x=1x3x16x16"]) == 0
    assert main(["check"]) == 0


def test_unestimated_nodes_fail_by_default_and_init_relaxes_them(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    save_with_node(tmp_path / "m.onnx", vendor_node(), "vendor")
    write(tmp_path / "edgegate.yaml", "version: 1\nbudgets:\n  all: {}\n")
    assert main(["check"]) == 1
    assert "  FAIL  unestimated            1 node of op vendor.Mystery could not be costed" in \
        capsys.readouterr().out
    (tmp_path / "edgegate.yaml").unlink()
    assert main(["init"]) == 0
    assert "  unestimated: warn\n" in (tmp_path / "edgegate.yaml").read_text()
    assert main(["check"]) == 0


def test_a_standard_op_left_unestimated_shows_the_reason_and_advice_that_works(tmp_path, monkeypatch, capsys):
    # Conv+Relu, then vendor.Mystery (no formula, so its output shape is unknown), then a Relu:
    # Relu has a formula but not the shape it needs
    monkeypatch.chdir(tmp_path)
    after = helper.make_node("Relu", ["u"], ["y"], name="after")
    model = conv_relu(3, 8, 16, extra_nodes=[helper.make_node("Mystery", ["r"], ["u"], name="mystery",
                                                              domain="vendor"), after])
    model.opset_import.append(helper.make_opsetid("vendor", 1))
    save(model, tmp_path / "m.onnx")
    assert main(["estimate", "m.onnx"]) == 0
    assert "    after (Relu): shape of tensor 'y' is unknown\n" in capsys.readouterr().out
    write(tmp_path / "edgegate.yaml", "version: 1\nbudgets:\n  all: {}\n")
    assert main(["check", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert ("  FAIL  unestimated            1 node of op Relu could not be costed, first 'after': shape of"
            " tensor 'y' is unknown; totals are lower bounds (custom_ops cannot replace edgegate's formula"
            " for Relu: export the model so what it needs is known from the file, such as static shapes,"
            " or set unestimated: warn)\n") in out
    assert ("  FAIL  unestimated            1 node of op vendor.Mystery could not be costed, first 'mystery':"
            " totals are lower bounds (give it a cost under custom_ops, or set unestimated: warn)\n") in out
    # the old advice for Relu, custom_ops, is refused; the advice given works
    write(tmp_path / "edgegate.yaml", "version: 1\ncustom_ops:\n  Relu: {flops_per_output: 1}\nbudgets:\n  all: {}\n")
    assert main(["check"]) == 4
    assert "op Relu already has a cost formula" in capsys.readouterr().err
    write(tmp_path / "edgegate.yaml", "version: 1\ndefaults: {unestimated: warn}\nbudgets:\n  all: {}\n")
    assert main(["check"]) == 0


def test_target_line_and_metrics_before_lint_rules(repo, capsys):
    write(repo / "edgegate.yaml", """\
version: 1
defaults: {target: raspberry-pi-5}
budgets:
  all:
    dynamic_dims: error
    limits:
      latency_ms: {max: 1 ms}
""")
    assert main(["check"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # one fused Conv+Relu layer: 112640 FLOPs / 153.6 GFLOP/s = 0.000733 ms beats
    # (864 + 3072 + 8192) B / 17.068 GB/s = 0.000711 ms; 0.000733 / 1 ms leaves 99.9%
    assert lines[2:5] == [
        "  pass  latency_ms              0.000733 ms  max 1 ms         headroom 99.9%",
        "        under half its max: ratchet to max: 0.00081 ms",  # 0.000733 x 1.1 = 0.000807
        "  pass  dynamic_dims           all inputs have static dimensions",
    ]
    # ridge 153.6 / 17.068 = 9.00 FLOP/B; the model's 112640 / 12128 B = 9.29 is above it
    assert lines[6] == (
        "  target: raspberry-pi-5 at fp32: peak 154 GFLOP/s, DRAM 17.1 GB/s, ridge point 9.00"
        " FLOP/B; compute-bound; intermediates kept in 2 MiB on chip when they fit, weights"
        " streamed from DRAM")


def test_init_quotes_what_yaml_would_misread(tmp_path, monkeypatch, capsys):
    # a stem YAML reads as a boolean, one with ': ' and ' #', one that looks like a number
    monkeypatch.chdir(tmp_path)
    for name in ("on", "we ird: #1", "1e3"):
        save(conv_relu(3, 8, 16), tmp_path / "models" / f"{name}.onnx")
    assert main(["init"]) == 0
    data = yaml.safe_load((tmp_path / "edgegate.yaml").read_text())
    assert list(data["budgets"]) == ["1e3", "on", "we ird: #1", "new-models"]
    assert data["budgets"]["we ird: #1"]["include"] == ["models/we ird: #1.onnx"]
    capsys.readouterr()
    assert main(["check"]) == 0
    assert "models/we ird: #1.onnx [budget we ird: #1]: PASSED" in capsys.readouterr().out


def test_init_anchors_a_root_model_glob(tmp_path, monkeypatch, capsys):
    # a model at the root and a heavier one with the same name below: the root budget's glob
    # must not select the deeper file (a glob without '/' would match at any depth)
    monkeypatch.chdir(tmp_path)
    save(conv_relu(3, 8, 16), tmp_path / "net.onnx")
    save(conv_relu(8, 32, 32), tmp_path / "sub" / "net.onnx")
    assert main(["init"]) == 0
    assert "include: [/net.onnx]" in (tmp_path / "edgegate.yaml").read_text()
    capsys.readouterr()
    assert main(["check"]) == 0
    assert "2 model checks: 2 passed" in capsys.readouterr().out


def test_policy_input_values_and_loops_shape_the_check(tmp_path, monkeypatch, capsys):
    # an If on a rate input and a Loop whose count is an input: the budget binds both
    text = """
    agraph (float[1, 4] x, int64 sr, int64 n) => (float[1, 4] y) {
      fast = Greater(sr, limit)
      h = If(fast) <then_branch = g1 () => (float[1, 4] a) { a = Relu(x) },
                    else_branch = g2 () => (float[1, 4] b) { t = MatMul(x, w)
                                                             b = Relu(t) }>
      y = Loop(n, "", h) <body = body (int64 i, bool c, float[1, 4] v) => (bool co, float[1, 4] vo) {
            co = Identity(c)
            vo = MatMul(v, w)
          }>
    }
    """
    monkeypatch.chdir(tmp_path)
    model = parse(text, {"limit": np.array(8000, np.int64), "w": np.full((4, 4), 2.0, np.float32)})
    save(model, tmp_path / "m.onnx")
    # sr = 16000 takes the Relu branch (no MACs); 3 trips of a 16-MAC MatMul: 48 MACs
    write(tmp_path / "edgegate.yaml", """version: 1
budgets:
  fast:
    input_values: {sr: 16000}
    loops: {default: 3}
    limits:
      macs: {max: 48}
  slow:
    input_values: {sr: 100}
    loops: {default: 3}
    limits:
      macs: {max: 48}
""")
    assert main(["check", "--format", "json"]) == 1
    records = {r["budget"]: r for r in json.loads(capsys.readouterr().out)["models"]}
    # sr = 100 takes the MatMul branch: 16 more MACs than the budget allows
    assert (records["fast"]["metrics"]["macs"], records["slow"]["metrics"]["macs"]) == (48, 64)
    assert records["fast"]["settings"]["input_values"] == {"sr": 16000}
