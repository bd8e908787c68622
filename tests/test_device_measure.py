"""Measuring a device and a model: the efficiency math with fake timings, the target file writer,
the cache and host probes, the progress bar, ``edgegate measure`` and (slow) a real
``edgegate target measure --quick`` with onnxruntime and with numpy alone."""

from __future__ import annotations

import io
import json
import sys
import types

import numpy as np
import pytest
from gate_helpers import write

from edgegate.cli import main
from edgegate.cli.progress import ProgressBar
from edgegate.errors import ExitCode
from edgegate.policy.load import load_policy
from edgegate.target.load import load_target_file
from edgegate.target.measure import calibrate, host
from edgegate.target.measure.calibrate import DeviceMeasurement, ProbeResult, class_rates, efficiencies
from edgegate.target.measure.device import Rate, last_level_cache, parse_size
from edgegate.target.measure.model_run import random_inputs
from edgegate.target.measure.probes import probes
from edgegate.target.measure.stats import summarize
from edgegate.target.measure.writer import Provenance, rate_text, render_target
from tests.model_helpers import parse, save

PROVENANCE = Provenance("Test CPU, 2 CPUs, Linux x86_64 (box)", "2025-01-01T00:00:00+00:00", "0.1.0",
                        "edgegate target measure --out dev.yaml --threads 2 --precision fp32,int8",
                        "0.10 0.20 0.30 at start, 0.40 0.50 0.60 at end (1, 5, 15 min)")


def test_class_rates_sum_flops_over_summed_time():
    results = [ProbeResult("conv", "a", 900, 0.01), ProbeResult("conv", "b", 100, 0.01),
               ProbeResult("elementwise", "c", 50, 0.5), ProbeResult("pooling", "d", 0, 0.1)]
    # conv: (900 + 100) FLOP / 0.02 s = 50000 FLOP/s; elementwise 50 / 0.5 = 100; pooling has no
    # FLOPs, so no rate
    assert class_rates(results) == pytest.approx({"conv": 50_000, "elementwise": 100})
    # over a peak of 80000: 0.625 and 0.00125, three significant digits
    assert efficiencies(class_rates(results), 80_000) == {"conv": 0.625, "elementwise": 0.00125}
    assert efficiencies({"gemm": 1 / 3}, 1.0) == {"gemm": 0.333}


def test_a_class_faster_than_the_peak_raises_the_peak():
    peak = Rate(100.0, "matmul")
    assert calibrate.raised_peak(peak, {"conv": 80.0, "gemm": 99.0}) is peak
    raised = calibrate.raised_peak(peak, {"conv": 150.0, "gemm": 120.0})
    assert raised == Rate(150.0, "matmul; raised to the conv layers' rate, the fastest measured")
    # the conv probes then define the roofline's peak: efficiency 1 for conv, 120 / 150 for gemm
    assert efficiencies({"conv": 150.0, "gemm": 120.0}, raised.value) == {"conv": 1.0, "gemm": 0.8}


def test_measure_device_with_fake_timings(monkeypatch):
    monkeypatch.setattr(calibrate.device, "bandwidth", lambda threads, quick: Rate(10e9, "fake add"))
    monkeypatch.setattr(calibrate.device, "onnxruntime_peak",
                        lambda ort, int8, threads, quick, flops_of: Rate(200e9 if int8 else 100e9, "fake"))
    # every probe takes as long as its FLOPs at 25 GFLOP/s (int8 Conv/MatMul probes at 50 GOP/s)
    fake_rates = {False: 25e9, True: 50e9}

    def fake_time(ort, probe, threads, quick):
        flops = calibrate.probe_flops(probe)
        int8 = probe.model.graph.node[0].op_type.startswith("QLinear")
        return ProbeResult(probe.op_class, probe.label, flops, flops / fake_rates[int8])

    monkeypatch.setattr(calibrate, "time_probe", fake_time)
    steps = []
    fake_ort = types.SimpleNamespace(__version__="0.0")
    measured = calibrate.measure_device(fake_ort, ["fp32", "int8"], 2, True,
                                        lambda done, total, label: steps.append((done, total, label)))
    classes = ["conv", "depthwise", "pointwise", "gemm", "attention", "elementwise", "pooling", "other"]
    assert measured.efficiency["fp32"] == {name: 0.25 for name in classes}  # 25 / 100
    # int8: QLinear probes 50 / 200 = 0.25; the float-only classes 25 / 200 = 0.125
    assert measured.efficiency["int8"] == {**{name: 0.25 for name in classes[:5]},
                                           **{name: 0.125 for name in classes[5:]}}
    total = 1 + 2 + len(probes(quick=True)) + len(probes(int8=True, quick=True))
    assert steps[0] == (0, total, "DRAM bandwidth (STREAM add)") and steps[-1] == (total, total, "done")
    assert [done for done, _, _ in steps] == list(range(total + 1))
    assert measured.runtime == "onnxruntime 0.0" and measured.bandwidth.value == 10e9


def test_every_probe_measures_layers_of_its_own_class():
    from edgegate.estimator.estimate import estimate
    from edgegate.target.classify import layer_classes

    for int8 in (False, True):
        for probe in probes(int8=int8, quick=True):
            found = estimate(probe.model)
            assert found.unestimated == () and found.flops > 0, probe.label
            assert set(layer_classes(found, probe.model)) == {probe.op_class}, probe.label


def _measurement() -> DeviceMeasurement:
    return DeviceMeasurement(
        peak={"fp32": Rate(61.23456e9, "fake matmul"), "int8": Rate(174.5e9, "fake int8")},
        bandwidth=Rate(14.4567e9, "fake add"),
        efficiency={"fp32": {"conv": 0.712, "depthwise": 0.0512, "other": 0.034},
                    "int8": {"conv": 0.31}},
        runtime="onnxruntime 1.0.0", threads=2)


def test_the_written_file_is_a_valid_target_that_keeps_the_figures(tmp_path, capsys):
    path = write(tmp_path / "dev.yaml", render_target(_measurement(), PROVENANCE))
    target = load_target_file(str(path))
    assert target.peak == {"fp32": 61.23e9, "int8": 174.5e9}  # four significant digits
    assert target.dram_bandwidth == 14.46e9
    assert target.efficiency == {"fp32": {"conv": 0.712, "depthwise": 0.0512, "other": 0.034},
                                 "int8": {"conv": 0.31}}
    text = path.read_text()
    assert "  # fake matmul\n  fp32: 61.23 GFLOP/s\n" in text and "  int8: 174.5 GOP/s\n" in text
    assert 'description: "Test CPU, measured (onnxruntime 1.0.0, 2 threads)"' in text
    assert ('  - measured: "peak (fp32, int8), dram_bandwidth, efficiency (fp32, int8)"\n'
            '    machine: "Test CPU, 2 CPUs, Linux x86_64 (box)"\n'
            '    date: "2025-01-01T00:00:00+00:00"\n    edgegate: "0.1.0"\n') in text
    assert main(["policy", "validate", str(path)]) == 0
    assert "valid target (peaks: fp32, int8; op class efficiencies: fp32, int8)" in capsys.readouterr().out
    policy = write(tmp_path / "edgegate.yaml",
                   "version: 1\nbudgets:\n  all:\n    target: dev.yaml\n    limits:\n"
                   "      latency_ms: {max: 10 ms}\n")
    assert load_policy(policy).targets["dev.yaml"].peak["int8"] == 174.5e9


def test_rate_text():
    assert rate_text(61.23456e9, "FLOP/s") == "61.23 GFLOP/s"
    assert rate_text(1.5e12, "OP/s") == "1.5 TOP/s"
    assert rate_text(999.0, "B/s") == "999 B/s"


def test_summarize_median_quartiles_and_extremes():
    timing = summarize([5.0, 1.0, 3.0, 2.0, 4.0])
    # sorted 1..5: median 3; inclusive quartiles 2 and 4; spread (4 - 2) / 3
    assert (timing.median, timing.q1, timing.q3, timing.fastest, timing.slowest, timing.runs) == (3, 2, 4, 1, 5, 5)
    assert timing.spread == pytest.approx(2 / 3)
    assert summarize([7.0]).median == 7.0 and summarize([7.0]).spread == 0


def test_progress_bar_lines_off_a_terminal_and_redraws_on_one():
    stream = io.StringIO()
    bar = ProgressBar(stream, width=4)
    bar(0, 2, "first")
    bar(2, 2, "done")
    assert stream.getvalue() == "[....] 0/2 first\n[####] 2/2 done\n"

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    tty = Terminal()
    bar = ProgressBar(tty, width=4)
    bar(1, 2, "a long label")
    bar(2, 2, "done")
    first = "[##..] 1/2 a long label"
    assert tty.getvalue() == f"\r{first}\r{'[####] 2/2 done'.ljust(len(first))}\n"


@pytest.mark.parametrize(("text", "size"), [("32768K", 32 * 2**20), ("1 MiB (2 instances)", 2**20),
                                             ("512 KiB", 512 * 2**10), ("2M", 2 * 2**20), ("x", None)])
def test_parse_size(text, size):
    assert parse_size(text) == size


def test_last_level_cache_from_sysfs(tmp_path):
    for index, (level, kind, size) in enumerate([(1, "Data", "32K"), (1, "Instruction", "32K"),
                                                 (2, "Unified", "1024K"), (3, "Unified", "16384K")]):
        folder = tmp_path / f"index{index}"
        folder.mkdir()
        (folder / "level").write_text(f"{level}\n")
        (folder / "type").write_text(f"{kind}\n")
        (folder / "size").write_text(f"{size}\n")
    assert last_level_cache(tmp_path) == (16 * 2**20, "sysfs")


def test_host_facts(tmp_path):
    (tmp_path / "loadavg").write_text("1.50 0.75 0.25 2/300 12345\n")
    (tmp_path / "cpuinfo").write_text("processor\t: 0\nmodel name\t: Test CPU 9000\n")
    assert host.load_average(tmp_path / "loadavg") == "1.50 0.75 0.25"
    assert host.load_average(tmp_path / "missing") == "unknown"
    assert host.cpu_model(tmp_path / "cpuinfo") == "Test CPU 9000"
    assert host.now().endswith("+00:00")


@pytest.mark.parametrize(("args", "message"), [
    (["--out", "dev.txt"], "--out dev.txt: a target file ends in .yaml or .yml"),
    (["--out", "dev.yaml", "--precision", "fp64"], "--precision: fp64 cannot be measured (choose from fp32, int8)"),
    (["--out", "dev.yaml", "--threads", "0"], "--threads must be at least 1, got 0"),
])
def test_target_measure_usage_errors(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(["target", "measure", *args]) == ExitCode.USAGE
    assert capsys.readouterr().err == f"edgegate: error: {message}\n"


def test_target_measure_refuses_to_overwrite_and_int8_needs_onnxruntime(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "dev.yaml", "keep me")
    assert main(["target", "measure", "--out", "dev.yaml"]) == ExitCode.USAGE
    assert capsys.readouterr().err == "edgegate: error: dev.yaml exists; pass --force to overwrite it\n"
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # importing it now fails
    assert main(["target", "measure", "--out", "new.yaml", "--precision", "int8"]) == ExitCode.USAGE
    assert capsys.readouterr().err == ("edgegate: error: --precision int8 needs onnxruntime, which is not"
                                       " installed: pip install 'edgegate[measure]'\n")


MODEL = """
agraph (float[N, 3, 8, 8] x, int64[N, 4] ids, float s) => (float[N, 4, 8, 8] y) {
  a = Conv<pads=[1,1,1,1]>(x, w)
  y = Mul(a, s)
}
"""


def test_random_inputs_take_the_bound_shapes_and_given_values(tmp_path):
    path = save(parse(MODEL, {"w": (4, 3, 3, 3)}), tmp_path / "m.onnx")
    feeds = random_inputs(path, {"N": 2}, {}, {"s": 0.5})
    assert {name: (array.shape, array.dtype) for name, array in feeds.items()} == {
        "x": ((2, 3, 8, 8), np.float32), "ids": ((2, 4), np.int64), "s": ((), np.float32)}
    assert feeds["s"] == 0.5 and ((0 <= feeds["x"]) & (feeds["x"] < 1)).all()
    assert set(np.unique(feeds["ids"])) <= {0, 1}


def test_measure_without_onnxruntime_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    path = save(parse(MODEL, {"w": (4, 3, 3, 3)}), tmp_path / "m.onnx")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    assert main(["measure", path, "--dim", "N=1"]) == ExitCode.USAGE
    assert capsys.readouterr().err == ("edgegate: error: edgegate measure needs onnxruntime, which is not"
                                       " installed: pip install 'edgegate[measure]'\n")


def test_measure_prints_measured_predicted_and_ratio(tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    path = save(parse(MODEL, {"w": (4, 3, 3, 3)}), tmp_path / "m.onnx")
    args = ["measure", path, "--dim", "N=1", "--input-value", "s=2", "--target", "raspberry-pi-5",
            "--runs", "3", "--warmup", "1", "--threads", "1"]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{path}  (onnxruntime ") and "1 threads; 3 runs after 1 warm-up" in lines[0]
    assert lines[1].startswith("  measured   ") and " median (middle half " in lines[1]
    assert lines[2].startswith("  predicted  ") and lines[2].endswith(" on raspberry-pi-5 (fp32 roofline)")
    assert lines[3].startswith("  ratio      ") and lines[3].endswith(" (measured / predicted)")
    assert main([*args, "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)["models"][0]
    assert record["runs"] == 3 and record["target"] == "raspberry-pi-5"
    assert record["ratio"] == pytest.approx(record["measured_ms"]["median"] / record["predicted_ms"])
    assert record["measured_ms"]["fastest"] <= record["measured_ms"]["median"] <= record["measured_ms"]["slowest"]


def test_measure_reports_a_model_onnxruntime_cannot_run(tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    model = parse("agraph (float[1, 4] x) => (float[1, 4] y) { y = Mystery(x) }")
    model.graph.node[0].domain = "vendor"
    model.opset_import.append(__import__("onnx").helper.make_opsetid("vendor", 1))
    path = save(model, tmp_path / "custom.onnx")
    assert main(["measure", path, "--runs", "1"]) == ExitCode.MODEL_ERROR
    err = capsys.readouterr().err
    assert err.startswith(f"edgegate: error: {path}: onnxruntime cannot run it: ") and err.count("\n") == 1


@pytest.mark.slow
def test_target_measure_quick_with_onnxruntime(tmp_path, monkeypatch, capsys):
    pytest.importorskip("onnxruntime")
    monkeypatch.chdir(tmp_path)
    assert main(["target", "measure", "--out", "dev.yaml", "--quick", "--threads", "1",
                 "--precision", "fp32,int8"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("wrote dev.yaml: peak fp32 ") and "16 op class efficiencies" in out
    assert "] 0/" in err and err.rstrip().endswith("done")
    target = load_target_file("dev.yaml")
    assert set(target.peak) == {"fp32", "int8"} and target.dram_bandwidth > 0
    assert set(target.efficiency["fp32"]) == set(target.efficiency["int8"]) == {
        "conv", "depthwise", "pointwise", "gemm", "attention", "elementwise", "pooling", "other"}
    assert main(["policy", "validate", "dev.yaml"]) == 0
    write(tmp_path / "edgegate.yaml", "version: 1\nbudgets:\n  all:\n    target: dev.yaml\n"
          "    limits:\n      latency_ms: {max: 1000 ms}\n")
    assert load_policy(tmp_path / "edgegate.yaml").budgets[0].settings.target == "dev.yaml"


@pytest.mark.slow
def test_target_measure_quick_with_numpy_alone(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    assert main(["target", "measure", "--out", "dev.yaml", "--quick", "--threads", "1"]) == 0
    out, err = capsys.readouterr()
    assert "onnxruntime is not installed: measuring fp32 peak with numpy" in err
    target = load_target_file("dev.yaml")
    assert set(target.peak) == {"fp32"} and target.efficiency == {}
    assert "numpy float32 matmul 256^3" in (tmp_path / "dev.yaml").read_text()
