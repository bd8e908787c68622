"""Pictures: the Netron attachment written by `estimate --netron`, and `edgegate plot` (drawn
when matplotlib is installed; its absence gives a one-line message saying how to get it)."""

from __future__ import annotations

import importlib.util
import json
import math
import sys

import numpy as np
import pytest
from gate_helpers import conv_relu, save
from onnx import TensorProto, helper, numpy_helper

from edgegate.cli import main
from edgegate.regression.history import append_history
from edgegate.report.netron import sidecar_path
from edgegate.report.plot import INSTALL_HINT, wants_log
from edgegate.rules.findings import ModelResult, RunResult

needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                                      reason="matplotlib not installed (pip install 'edgegate[plot]')")


def named_and_unnamed():
    """conv (named, fused with an unnamed Relu writing 'r') -> unnamed Add(r, r) -> y."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    w = numpy_helper.from_array(np.zeros((4, 3, 3, 3), np.float32), "w")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("Add", ["r", "r"], ["y"])]
    graph = helper.make_graph(nodes, "g", [x], [y], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_estimate_netron_writes_the_attachment_next_to_the_model(tmp_path, capsys):
    path = save(named_and_unnamed(), tmp_path / "m.onnx")
    assert main(["estimate", str(path), "--netron", "--format", "json"]) == 0
    sidecar = tmp_path / "m.netron.json"
    assert sidecar_path(path) == sidecar
    captured = capsys.readouterr()
    assert captured.err == f"edgegate: wrote {sidecar}\n"
    json.loads(captured.out)  # stdout stays a clean JSON document
    data = json.loads(sidecar.read_text())
    assert data["signature"] == "netron:attachment"
    metrics = {(m["kind"], m["target"], m["name"]): m["value"] for m in data["metrics"]}
    # conv+relu layer: MACs 4 x 64 x 27 = 6912, FLOPs 2 x 6912 + 4 x 64 = 14080, on node "conv"
    assert metrics[("node", "conv", "macs")] == 6912
    assert metrics[("node", "conv", "flops")] == 14080
    assert metrics[("node", "conv", "params")] == 108  # 4 x 3 x 3 x 3
    # the unnamed Add (256 elements) is targeted through its output value 'y'
    assert metrics[("value", "y", "flops")] == 256
    # model totals: 14080 + 256
    assert metrics[("model", "", "flops")] == 14336
    metadata = {(m["kind"], m["target"], m["name"]): m["value"] for m in data["metadata"]}
    assert metadata[("node", "conv", "edgegate.layer")] == "Conv+Relu (layer 0)"
    assert metadata[("value", "r", "edgegate.fused_into")] == "conv"  # the unnamed Relu
    assert not any(m["target"] == "r" for m in data["metrics"])  # counted once, on the anchor
    for item in data["metadata"] + data["metrics"]:
        assert set(item) == {"kind", "target", "name", "value"}


def test_plot_without_matplotlib_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import now raises ImportError
    path = save(conv_relu(3, 4, 8), tmp_path / "m.onnx")
    assert main(["plot", "flops", str(path), "--out", str(tmp_path / "f.svg")]) == 2
    assert capsys.readouterr().err == f"edgegate: error: {INSTALL_HINT}\n"
    assert INSTALL_HINT == "edgegate plot needs matplotlib: pip install 'edgegate[plot]'"
    assert not (tmp_path / "f.svg").exists()


def test_plot_needs_an_svg_or_png_name(tmp_path, capsys):
    assert main(["plot", "flops", "m.onnx", "--out", str(tmp_path / "f.pdf")]) == 2
    assert "give a .svg or .png file name" in capsys.readouterr().err


@needs_matplotlib
def test_plot_flops_and_roofline_write_svg_and_png(tmp_path):
    small = save(conv_relu(3, 4, 8), tmp_path / "small.onnx")
    big = save(conv_relu(3, 16, 16), tmp_path / "big.onnx")
    assert main(["plot", "flops", str(small), str(big), "--out", str(tmp_path / "f.svg")]) == 0
    svg = (tmp_path / "f.svg").read_text()
    assert svg.startswith("<?xml") and "small" in svg and "big" in svg and str(tmp_path) not in svg
    assert main(["plot", "roofline", str(small), str(big), "--target", "raspberry-pi-5",
                 "--out", str(tmp_path / "r.png")]) == 0
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["plot", "roofline", str(small), "--out", str(tmp_path / "r.svg")]) == 2


def test_the_roofline_chart_places_each_model_by_hand(tmp_path):
    # on raspberry-pi-5 (fp32 154 GFLOP/s, 17.1 GB/s): one fused conv layer reads its input and
    # weights from DRAM and writes its output there (graph input and output), so its DRAM bytes
    # are the estimate's; latency max(FLOPs / peak, bytes / bandwidth)
    from edgegate.estimator.estimate import estimate
    from edgegate.report.plot import roofline_chart
    from edgegate.target.load import load_shipped_target

    target = load_shipped_target("raspberry-pi-5")
    found = estimate(save(conv_relu(3, 4, 8), tmp_path / "models" / "m.onnx"))
    chart = roofline_chart([found], target)
    assert [r.precision for r in chart.roofs] == ["fp32", "fp16", "int8"]
    (dot,) = chart.dots
    seconds = max(found.flops / target.peak["fp32"], found.dram_bytes / target.dram_bandwidth)
    assert dot.label == "m" and dot.intensity == found.flops / found.dram_bytes
    assert math.isclose(dot.rate, found.flops / seconds)
    assert math.isclose(dot.rate, chart.roofs[0].attainable(dot.intensity))  # one layer: on the roof


def test_bar_charts_go_log_when_values_span_more_than_twenty_times():
    assert wants_log([4.97e6, 14.8e6, 497e6]) and not wants_log([5e6, 90e6])


@needs_matplotlib
def test_plot_roofline_layers_and_traffic_from_a_directory(tmp_path, capsys):
    small = save(conv_relu(3, 4, 8), tmp_path / "zoo" / "small.onnx")
    save(conv_relu(3, 16, 16), tmp_path / "zoo" / "nested" / "big.onnx")
    assert main(["plot", "traffic", str(tmp_path / "zoo"), "--out", str(tmp_path / "t.svg")]) == 0
    svg = (tmp_path / "t.svg").read_text()
    # matplotlib writes each text as a comment beside its glyphs: the labels are the short names
    assert "<!-- small -->" in svg and "<!-- big -->" in svg and str(tmp_path) not in svg
    assert main(["plot", "roofline", str(tmp_path / "zoo"), "--target", "raspberry-pi-5", "--layers", str(small),
                 "--out", str(tmp_path / "l.png")]) == 0
    assert (tmp_path / "l.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["plot", "roofline", str(small), "--target", "raspberry-pi-5", "--layers", "other.onnx",
                 "--out", str(tmp_path / "x.png")]) == 2
    assert "--layers: 'other.onnx' is not one of the models to plot" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["plot", "flops", str(tmp_path / "empty"), "--out", str(tmp_path / "f.png")]) == 2


@needs_matplotlib
def test_plot_history(tmp_path):
    history = tmp_path / "h.jsonl"
    for day, flops in ((1, 100), (2, 120)):
        run = RunResult("p", (ModelResult("models/a.onnx", "all", metrics={"flops": flops}),))
        append_history(history, run, f"2026-01-0{day}T00:00:00Z", None)
    assert main(["plot", "history", str(history), "--metric", "flops",
                 "--out", str(tmp_path / "h.svg")]) == 0
    assert "models/a.onnx [all]" in (tmp_path / "h.svg").read_text()
