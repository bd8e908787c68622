"""Custom op costs from the policy reach the estimator: a vendor op is costed and counted as
custom in coverage."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from gate_helpers import conv_relu, save, save_with_node, vendor_node, write
from onnx import helper, numpy_helper

from edgegate.cli import main


def test_a_vendor_op_with_a_yaml_cost_is_costed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    save_with_node(tmp_path / "m.onnx", vendor_node(), "vendor")
    # conv+relu 112640 FLOPs; Mystery 4 FLOPs x 2048 outputs = 8192; total 120832
    write(tmp_path / "edgegate.yaml", "version: 1\ncustom_ops:\n  Mystery: {flops_per_output: 4}\n"
          "budgets:\n  all:\n    limits: {flops: {max: 120832}}\n")
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "  pass  unestimated            every node was costed\n" in out
    # 2 of 3 nodes from known formulas; 112640 / 120832 = 93% of FLOPs
    assert "  coverage: 67% of nodes (2/3) and 93% of FLOPs from known formulas\n" in out


def test_a_domain_qualified_custom_op_counts_as_custom(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    save_with_node(tmp_path / "m.onnx", vendor_node(), "vendor")
    write(tmp_path / "edgegate.yaml", "version: 1\ncustom_ops:\n  vendor.Mystery: {flops_per_output: 4}\n"
          "budgets:\n  all:\n    limits: {flops: {max: 120832}}\n")
    assert main(["check"]) == 0
    # as above: the node costed by the vendor.Mystery formula (8192 of 120832 FLOPs) is custom
    assert "  coverage: 67% of nodes (2/3) and 93% of FLOPs from known formulas\n" in capsys.readouterr().out


def test_a_custom_op_key_the_registry_costs_first_is_not_custom(tmp_path, monkeypatch, capsys):
    # a bare FusedConv entry applies to FusedConv nodes of domains without a formula; the
    # com.microsoft one has a formula, so the node is costed by it and counts as known
    monkeypatch.chdir(tmp_path)
    fused = helper.make_node("FusedConv", ["r", "w2"], ["y"], name="fused", domain="com.microsoft",
                             activation="Relu")
    save_with_node(tmp_path / "m.onnx", fused, "com.microsoft")
    model = onnx.load(str(tmp_path / "m.onnx"))
    model.graph.initializer.append(numpy_helper.from_array(np.zeros((8, 8, 1, 1), np.float32), "w2"))
    save(model, tmp_path / "m.onnx")
    write(tmp_path / "edgegate.yaml", "version: 1\ncustom_ops:\n  FusedConv: {flops_per_output: 4}\n"
          "budgets:\n  all: {}\n")
    assert main(["check"]) == 0
    assert "  coverage: 100% of nodes (3/3) and 100% of FLOPs from known formulas\n" in capsys.readouterr().out


@pytest.mark.parametrize("key", ["Conv", "ai.onnx.Conv", "com.microsoft.FusedConv"])
def test_a_custom_op_with_a_formula_is_a_policy_error(tmp_path, monkeypatch, capsys, key):
    monkeypatch.chdir(tmp_path)
    save(conv_relu(3, 8, 16), tmp_path / "m.onnx")
    write(tmp_path / "edgegate.yaml", f"version: 1\ncustom_ops:\n  {key}: {{flops_per_output: 1000}}\n"
          "budgets:\n  all: {}\n")
    assert main(["check"]) == 4
    assert capsys.readouterr().err == (
        f"edgegate: error: edgegate.yaml:3:3: custom_ops.{key}: op {key} already has a cost formula"
        " (`edgegate ops` lists them); custom_ops are for ops without one\n")
