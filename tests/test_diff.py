"""`edgegate diff OLD NEW` and the delta helpers: per-metric before/after/change and the layers
that changed most, matched by name."""

from __future__ import annotations

import json

import numpy as np
import pytest
from gate_helpers import conv_relu, save
from onnx import TensorProto, helper, numpy_helper

import edgegate
from edgegate.cli import main
from edgegate.regression.deltas import MetricDelta, format_change, layer_deltas, metric_deltas
from edgegate.units import percent


def two_convs(c1: int, c2: int, size: int = 8):
    """x[1,3,s,s] -> conv1 (c1, 3x3) -> relu1 -> conv2 (c2, 1x1) -> y."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, size, size])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    w1 = numpy_helper.from_array(np.zeros((c1, 3, 3, 3), np.float32), "w1")
    w2 = numpy_helper.from_array(np.zeros((c2, c1, 1, 1), np.float32), "w2")
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], name="conv1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["a"], ["b"], name="relu1"),
             helper.make_node("Conv", ["b", "w2"], ["y"], name="conv2")]
    graph = helper.make_graph(nodes, "g", [x], [y], [w1, w2])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_percent_and_change_text():
    assert percent(100, 105) == pytest.approx(5.0)
    assert percent(0, 5) is None and percent(None, 5) is None and percent(5, None) is None
    assert format_change(MetricDelta("flops", 1000, 1100)) == "+10.0%"
    assert format_change(MetricDelta("flops", 1000, 900)) == "-10.0%"
    assert format_change(MetricDelta("flops", None, 900)) == "new"
    assert format_change(MetricDelta("flops", 900, None)) == "deleted"
    assert format_change(MetricDelta("weight_bytes", 0, 2048)) == "+2 KiB"
    assert format_change(MetricDelta("weight_bytes", 0, 0)) == "0.0%"


def test_metric_deltas_cover_both_sides_in_name_order():
    found = metric_deltas({"flops": 10, "params": 3}, {"flops": 15, "macs": 7})
    assert [(d.metric, d.before, d.after, d.change) for d in found] == [
        ("flops", 10, 15, 5), ("macs", None, 7, None), ("params", 3, None, None)]
    assert found[0].record() == {"metric": "flops", "unit": "FLOP", "before": 10, "after": 15,
                                 "change": 5, "change_percent": 50.0}


def test_layers_matched_by_name_largest_change_first(tmp_path):
    old = edgegate.estimate(save(two_convs(4, 2), tmp_path / "old.onnx"))
    new = edgegate.estimate(save(two_convs(8, 2), tmp_path / "new.onnx"))
    found = layer_deltas(old, new, "flops")
    # conv1 (fused with relu1): 2 x c1 x 64 x 27 + c1 x 64 -> 3520 x c1: 14080 -> 28160 (+14080)
    # conv2 (1x1): 2 x 2 x 64 x c1 -> 256 x c1: 1024 -> 2048 (+1024)
    assert [(d.name, d.before["flops"], d.after["flops"], d.change("flops")) for d in found] == [
        ("conv1", 14080, 28160, 14080), ("conv2", 1024, 2048, 1024)]
    assert found[0].op_types == ("Conv", "Relu")
    assert layer_deltas(old, old) == []  # nothing changed, nothing listed
    assert [d.name for d in layer_deltas(old, new, "flops", top=1)] == ["conv1"]


def test_added_and_removed_layers(tmp_path):
    old = edgegate.estimate(save(conv_relu(3, 4, 8), tmp_path / "old.onnx"))
    new = edgegate.estimate(save(two_convs(4, 2), tmp_path / "new.onnx"))
    by_name = {d.name: d for d in layer_deltas(old, new)}
    assert by_name["conv"].after is None and by_name["conv"].change("flops") == -14080
    assert by_name["conv1"].before is None and by_name["conv1"].change("flops") == 14080


def test_diff_cli_text(tmp_path, capsys):
    save(two_convs(4, 2), tmp_path / "old.onnx")
    save(two_convs(8, 2), tmp_path / "new.onnx")
    assert main(["diff", str(tmp_path / "old.onnx"), str(tmp_path / "new.onnx"), "--top", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    # flops 14080 + 1024 = 15104 -> 28160 + 2048 = 30208: exactly +100%
    assert out[0] == f"{tmp_path}/old.onnx -> {tmp_path}/new.onnx  (precision model; fusion paper)"
    flops = next(line for line in out if line.startswith("  flops "))
    assert flops.split() == ["flops", "15.1", "kFLOP", "30.2", "kFLOP", "+100.0%"]
    assert out[-2:] == ["layers that changed most (by flops):",
                        "  conv1 [Conv+Relu]: flops 14.1 kFLOP -> 28.2 kFLOP (+14.1 kFLOP)"]


def test_diff_cli_json_with_a_target(tmp_path, capsys):
    save(two_convs(4, 2), tmp_path / "old.onnx")
    save(two_convs(4, 2), tmp_path / "new.onnx")
    assert main(["diff", str(tmp_path / "old.onnx"), str(tmp_path / "new.onnx"),
                 "--format", "json", "--target", "raspberry-pi-5"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["layers"] == []
    assert document["metrics"]["flops"] == {"unit": "FLOP", "before": 15104, "after": 15104,
                                            "change": 0, "change_percent": 0.0}
    assert "latency_ms" in document["metrics"] and "dram_bytes_onchip" in document["metrics"]


def test_diff_errors(tmp_path, capsys):
    save(two_convs(4, 2), tmp_path / "old.onnx")
    assert main(["diff", str(tmp_path / "old.onnx"), str(tmp_path / "missing.onnx")]) == 3
    assert "missing.onnx: no such file" in capsys.readouterr().err
    assert main(["diff", str(tmp_path / "old.onnx"), str(tmp_path / "old.onnx"), "--target", "x"]) == 2
