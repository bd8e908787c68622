"""Target files: the ``efficiency:`` and ``sources:`` keys, loading with file:line:col, naming a
file in a budget and on the command line, ``policy validate`` of a target file, and
``estimate --target`` in text, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources

import jsonschema
import pytest
from gate_helpers import write

from edgegate.cli import main
from edgegate.errors import ExitCode, PolicyError, UsageError
from edgegate.policy.load import load_policy
from edgegate.target.load import is_target_path, load_target_file, resolve_target
from tests.model_helpers import parse, save

DEVICE = """\
version: 1
description: a test device
peak:
  fp32: 1 MFLOP/s
dram_bandwidth: 1 MB/s
efficiency:
  version: 1
  fp32:
    conv: 0.5
    pooling: 0.01
    gemm: 0.5
sources:
  - "a hand-written figure"
  - measured: "peak (fp32), dram_bandwidth, efficiency (fp32)"
    machine: "test machine"
    date: "2025-01-01T00:00:00+00:00"
    edgegate: "0.1.0"
    runtime: "onnxruntime 1.0, 2 threads"
"""

TWO_LAYERS = """
agraph (float[N, 3, 8, 8] x) => (float[N, 2] y) {
  a = Conv<pads=[1,1,1,1]>(x, w)
  r = Relu(a)
  p = GlobalAveragePool(r)
  f = Flatten(p)
  y = Gemm<transB=1>(f, fc)
}
"""
# conv 4 x 64 x 27 = 6912 MACs: 13824 FLOPs + 256 Relu = 14080; DRAM 768 in + 432 w + 1024 out
# = 2224 B. pool 256 FLOPs, 1024 + 16 = 1040 B. gemm 8 MACs = 16 FLOPs, 16 + 32 + 8 = 56 B.
# At 1 MFLOP/s and 1 MB/s: conv max(14080 / 0.5e6, 2224e-6) = 28.16 ms compute; pool
# max(256 / 1e4, 1040e-6) = 25.6 ms compute; gemm max(16 / 0.5e6, 56e-6) = 0.056 ms bandwidth
EXPECTED_MS = [28.16, 25.6, 0.056]


@pytest.fixture()
def device(tmp_path):
    return write(tmp_path / "devices" / "dev.yaml", DEVICE)


@pytest.fixture()
def small_model(tmp_path):
    return save(parse(TWO_LAYERS, {"w": (4, 3, 3, 3), "fc": (2, 4)}), tmp_path / "small.onnx")


def test_a_target_file_loads_with_its_efficiency(device):
    target = load_target_file(str(device))
    assert target.name == str(device)
    assert target.peak == {"fp32": 1e6} and target.dram_bandwidth == 1e6
    assert target.efficiency == {"fp32": {"conv": 0.5, "pooling": 0.01, "gemm": 0.5}}
    assert target.efficiency_for("fp32", "conv") == 0.5
    assert target.efficiency_for("fp32", "attention") == 1.0


@pytest.mark.parametrize(("old", "new", "message"), [
    ("    conv: 0.5", "    convv: 0.5", "9:5: efficiency.fp32.convv: unknown op class 'convv' (did you mean 'conv'?)"),
    ("    conv: 0.5", "    conv: 0", "9:11: efficiency.fp32.conv: must be more than 0"),
    ("  version: 1\n  fp32:", "  fp32:", "7:3: efficiency: missing required key 'version'"),
    ("  version: 1\n  fp32:", "  version: 2\n  fp32:", "7:12: efficiency.version: the op classes version must be 1"),
    ("  fp32:\n    conv", "  int8:\n    conv", "8:3: efficiency.int8: the target lists no int8 peak for this efficiency"),
    ('    machine: "test machine"\n', "", "14:5: sources[1]: missing required key 'machine'"),
    ("    runtime:", "    runtim:", "18:5: sources[1].runtim: unknown key 'runtim' (did you mean 'runtime'?)"),
    ('  - "a hand-written figure"', "  - 3", "13:5: sources[0]: expected a string, got 3"),
])
def test_target_file_errors_point_at_the_line(tmp_path, old, new, message):
    path = write(tmp_path / "bad.yaml", DEVICE.replace(old, new, 1))
    with pytest.raises(PolicyError) as caught:
        load_target_file(str(path))
    assert str(caught.value).startswith(f"{path}:{message}")


def test_target_names_and_paths():
    assert is_target_path("devices/pi.yaml") and is_target_path("pi.yml") and is_target_path("a/b")
    assert not is_target_path("raspberry-pi-5")
    assert resolve_target("raspberry-pi-5").name == "raspberry-pi-5"
    with pytest.raises(UsageError, match="unknown target 'rpi5'"):
        resolve_target("rpi5")
    with pytest.raises(UsageError, match="no such target file 'nope.yaml'"):
        resolve_target("nope.yaml")


def _policy(tmp_path, target):
    return write(tmp_path / "edgegate.yaml", f"""\
version: 1
budgets:
  all:
    dims: {{N: 1}}
    target: {target}
    limits:
      latency_ms: {{max: 50 ms}}
""")


def test_a_budget_names_a_target_file_relative_to_the_policy(tmp_path, device, small_model, capsys):
    policy = load_policy(_policy(tmp_path, "devices/dev.yaml"))
    assert policy.targets["devices/dev.yaml"].efficiency["fp32"]["conv"] == 0.5
    # 28.16 + 25.6 + 0.056 = 53.816 ms > 50 ms: the gate fails on the measured target
    code = main(["check", "--policy", str(tmp_path / "edgegate.yaml"), "--root", str(tmp_path), "small.onnx"])
    out = capsys.readouterr().out
    assert code == ExitCode.GATE_FAILED
    assert "FAIL  latency_ms                  53.8 ms  max 50 ms" in out


def test_a_missing_or_broken_target_file_is_a_policy_error(tmp_path, device):
    with pytest.raises(PolicyError) as caught:
        load_policy(_policy(tmp_path, "devices/nope.yaml"))
    assert str(caught.value) == (f"{tmp_path / 'edgegate.yaml'}:5:13: budgets.all.target: no such target"
                                 " file 'devices/nope.yaml' next to this policy")
    device.write_text(DEVICE.replace("dram_bandwidth: 1 MB/s", "dram_bandwidth: fast"))
    with pytest.raises(PolicyError) as caught:
        load_policy(_policy(tmp_path, "devices/dev.yaml"))
    assert str(caught.value).startswith(f"{tmp_path / 'devices' / 'dev.yaml'}:5:17: dram_bandwidth:")


def test_policy_validate_accepts_a_target_file(device, tmp_path, capsys):
    assert main(["policy", "validate", str(device)]) == 0
    assert capsys.readouterr().out == (f"{device}: valid target (peaks: fp32; op class efficiencies: fp32)\n")
    broken = write(tmp_path / "broken.yaml", DEVICE.replace("pooling: 0.01", "pooling: -1"))
    assert main(["policy", "validate", str(broken)]) == ExitCode.POLICY_ERROR
    assert capsys.readouterr().err == (f"edgegate: error: {broken}:10:14: efficiency.fp32.pooling:"
                                       " must be more than 0\n")


def test_estimate_with_a_target_file_text(small_model, device, capsys):
    assert main(["estimate", small_model, "--dim", "N=1", "--target", str(device), "--per-layer"]) == 0
    out = capsys.readouterr().out
    assert (f"  target           {device} (fp32: peak 1 MFLOP/s, DRAM 1 MB/s, ridge 1.00 FLOP/B)") in out
    assert ("  latency          53.8 ms (roofline with the target's efficiency table; 2 layers"
            " compute-bound, 1 bandwidth-bound)") in out
    rows = out.splitlines()[-3:]
    assert [row.split()[-5:] for row in rows] == [["conv", "0.5", "28.2", "ms", "compute"],
                                                  ["pooling", "0.01", "25.6", "ms", "compute"],
                                                  ["gemm", "0.5", "0.056", "ms", "bandwidth"]]


def test_estimate_sorts_layers_by_their_time_on_the_target(small_model, device, capsys):
    assert main(["estimate", small_model, "--dim", "N=1", "--target", str(device), "--sort", "latency_ms",
                 "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "  top 2 layers, by latency_ms:" in out
    # conv 28.16 ms, then the pool 25.6 ms (the gemm, 0.056 ms, is left out)
    assert [row.split()[2] for row in out.splitlines()[-2:]] == ["Conv+Relu", "GlobalAveragePool"]
    assert main(["estimate", small_model, "--dim", "N=1", "--sort", "latency_ms"]) == ExitCode.USAGE
    assert capsys.readouterr().err == "edgegate: error: --sort latency_ms needs --target\n"


def test_estimate_with_a_shipped_target_says_it_is_a_lower_bound(small_model, capsys):
    assert main(["estimate", small_model, "--dim", "N=1", "--target", "raspberry-pi-5"]) == 0
    out = capsys.readouterr().out
    assert "(roofline at the peak: a lower bound on latency;" in out


def test_estimate_with_a_target_json_and_csv(small_model, device, capsys):
    assert main(["estimate", small_model, "--dim", "N=1", "--target", str(device), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    schema = json.loads(resources.files("edgegate").joinpath("schemas/estimate.schema.json").read_text())
    jsonschema.validate(document, schema)
    model = document["models"][0]
    assert model["metrics"]["latency_ms"] == pytest.approx(sum(EXPECTED_MS))
    assert model["metrics"]["dram_bytes_onchip"] == 2224 + 1040 + 56
    assert model["target"]["efficiency"] == {"conv": 0.5, "pooling": 0.01, "gemm": 0.5}
    assert (model["target"]["name"], model["target"]["precision"], model["target"]["bound"]) == (
        str(device), "fp32", "compute")  # 14352 FLOP / 3320 B = 4.3 FLOP/B >= ridge 1
    layers = [layer["target"] for layer in model["layers"]]
    assert [t["op_class"] for t in layers] == ["conv", "pooling", "gemm"]
    assert [t["latency_ms"] for t in layers] == pytest.approx(EXPECTED_MS)
    assert [t["bound"] for t in layers] == ["compute", "compute", "bandwidth"]
    assert [t["dram_bytes"] for t in layers] == [2224, 1040, 56]

    assert main(["estimate", small_model, "--dim", "N=1", "--target", str(device), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["op_class"] for row in rows] == ["conv", "pooling", "gemm"]
    assert [float(row["latency_ms"]) for row in rows] == pytest.approx(EXPECTED_MS)
    assert [row["bound"] for row in rows] == ["compute", "compute", "bandwidth"]
    assert [int(row["target_dram_bytes"]) for row in rows] == [2224, 1040, 56]


def test_estimate_without_a_target_keeps_its_csv_columns(small_model, capsys):
    assert main(["estimate", small_model, "--dim", "N=1", "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header == ("model,index,name,op_types,macs,flops,params,weight_bytes,input_bytes,output_bytes,"
                      "dram_bytes,arithmetic_intensity")


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--target", "nope.yaml"], ExitCode.USAGE, "edgegate: error: --target: no such target file 'nope.yaml'"),
    (["--target", "stm32h743"], ExitCode.USAGE,
     "edgegate: error: {model}: --target: target 'stm32h743' lists no peak for fp16 (it lists fp32, int8);"
     " pass --precision"),
])
def test_estimate_target_errors(small_model, args, code, message, capsys):
    assert main(["estimate", small_model, "--dim", "N=1", "--precision", "fp16", *args]) == code
    assert capsys.readouterr().err.strip() == message.format(model=small_model)


def test_an_invalid_target_file_on_the_command_line_says_where(small_model, tmp_path, capsys):
    bad = write(tmp_path / "bad.yaml", DEVICE.replace("    gemm: 0.5", "    gem: 0.5"))
    assert main(["estimate", small_model, "--dim", "N=1", "--target", str(bad)]) == ExitCode.POLICY_ERROR
    assert capsys.readouterr().err == (f"edgegate: error: {bad}:11:5: efficiency.fp32.gem: unknown op class"
                                       " 'gem' (did you mean 'gemm'?)\n")
