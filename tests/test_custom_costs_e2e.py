"""Custom op costs from the policy reach the estimator: a vendor op is costed and counted as
custom in coverage. Needs the estimator hook ``edgegate.estimate(..., custom_costs=...)``."""

from __future__ import annotations

import inspect

import pytest
from onnx import TensorProto, helper

import edgegate
from edgegate.cli import main
from gate_helpers import conv_relu, save, write

HOOK = "custom_costs" in inspect.signature(edgegate.estimate).parameters


@pytest.mark.skipif(not HOOK, reason="needs edgegate.estimate(custom_costs=...) from the estimator")
def test_a_vendor_op_with_a_yaml_cost_is_costed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    vendor = helper.make_node("Mystery", ["r"], ["y"], name="mystery", domain="vendor")
    model = conv_relu(3, 8, 16, extra_nodes=[vendor])
    model.opset_import.append(helper.make_opsetid("vendor", 1))
    model.graph.output[0].CopyFrom(helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 16, 16]))
    save(model, tmp_path / "m.onnx")
    # conv+relu 112640 FLOPs; Mystery 4 FLOPs x 2048 outputs = 8192; total 120832
    write(tmp_path / "edgegate.yaml", "version: 1\ncustom_ops:\n  Mystery: {flops_per_output: 4}\n"
          "budgets:\n  all:\n    limits: {flops: {max: 120832}}\n")
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "  pass  unestimated            every node was costed\n" in out
    # 2 of 3 nodes from known formulas; 112640 / 120832 = 93% of FLOPs
    assert "  coverage: 67% of nodes (2/3) and 93% of FLOPs from known formulas\n" in out
