"""Custom op costs from YAML (CostFn construction), coverage, and the top contributing layers."""

from __future__ import annotations

import pytest
from gate_helpers import estimate_of, layer, skip_estimate, subject
from onnx import TensorProto

from edgegate.cost.registry import OPS
from edgegate.cost.types import OpCost
from edgegate.estimator.result import Unestimated
from edgegate.model.info import NodeInfo, TensorInfo
from edgegate.policy.costs import cost_fn
from edgegate.policy.types import Budget
from edgegate.rules.contributors import top_contributors
from edgegate.rules.coverage import CustomTally, coverage
from edgegate.rules.findings import Finding

FLOAT = TensorProto.FLOAT


def _tensors(specs):
    return tuple(TensorInfo(name, shape, FLOAT, constant) for name, shape, constant in specs)


def _node(op_type, inputs, outputs):
    return NodeInfo("n", op_type, "vendor", {}, _tensors(inputs), _tensors(outputs))


VENDOR = _node("VendorOp", [("x", (1, 8, 4, 4), False)], [("y", (1, 8, 4, 4), False)])


@pytest.mark.parametrize(("spec", "expected"), [
    ({"flops_per_output": 3}, OpCost(0, 384)),  # 128 output elements x 3
    ({"macs_per_output": 2, "flops_per_output": 1}, OpCost(256, 640)),  # 256 MACs = 512 FLOPs, + 128
    ({"flops_per_output": 0.5}, OpCost(0, 64)),  # 128 x 0.5
])
def test_per_output_costs(spec, expected):
    assert cost_fn(spec)(VENDOR) == expected


def test_fractional_totals_round_up():
    node = _node("V", [], [("y", (3,), False)])
    assert cost_fn({"flops_per_output": 0.5})(node) == OpCost(0, 2)  # 1.5 -> 2


def test_costs_over_every_output():
    node = _node("V", [], [("a", (2, 5), False), ("b", (3,), False)])
    assert cost_fn({"flops_per_output": 1})(node) == OpCost(0, 13)  # 10 + 3 elements


def test_as_a_standard_op_uses_its_formula():
    node = _node("VendorConv", [("x", (1, 3, 8, 8), False), ("w", (8, 3, 3, 3), True)],
                 [("y", (1, 8, 8, 8), False)])
    # Conv: N x Cout x H x W x Cin x kh x kw = 1 x 8 x 64 x 3 x 9 = 13824 MACs, 27648 FLOPs
    assert cost_fn({"as": "Conv"})(node) == OpCost(13824, 27648) == OPS["Conv"](node)


def test_coverage_counts_known_custom_and_unestimated_nodes():
    sizes = {"x": 1, "a": 1, "b": 1, "y": 1}
    estimate = estimate_of([
        layer(0, "conv", ["x"], ["a"], sizes, flops=1000),
        layer(1, "vendor", ["a"], ["b"], sizes, flops=300, op_types=("VendorOp",)),
        layer(2, "relu", ["b"], ["y"], sizes, flops=100, op_types=("Relu",)),
    ], sizes, unestimated=[Unestimated("u", "Mystery", "", "no formula")])
    assert coverage(estimate, {"vendor": 300}) == {
        "nodes": 4, "known_nodes": 2, "custom_nodes": 1, "unestimated_nodes": 1,
        "node_share": 0.5,  # 2 of 4
        "flop_share": pytest.approx(1100 / 1400),  # the vendor node's 300 of 1400 FLOPs are custom
    }
    assert coverage(estimate, {})["flop_share"] == 1.0


def test_coverage_counts_a_custom_node_s_own_flops_not_its_layer_s():
    # a layer of 1000 FLOPs of which the custom formula gave 250 (the rest from a fused node):
    # 250 of the 1300 total FLOPs are custom; 1 of the 2 nodes
    sizes = {"x": 1, "a": 1, "y": 1}
    estimate = estimate_of([layer(0, "vendor", ["x"], ["a"], sizes, flops=1000, op_types=("V", "Relu")),
                            layer(1, "relu", ["a"], ["y"], sizes, flops=300, op_types=("Relu",))], sizes)
    found = coverage(estimate, {"vendor": 250, "in_a_loop_body": 40})  # body nodes are no layer's
    assert (found["custom_nodes"], found["known_nodes"]) == (1, 1)
    assert found["flop_share"] == pytest.approx((1300 - 250) / 1300)


def test_the_tally_records_the_nodes_a_custom_formula_costs():
    tally = CustomTally()
    wrapped = tally.wrap({"VendorOp": cost_fn({"flops_per_output": 3})})
    assert wrapped["VendorOp"](VENDOR) == OpCost(0, 384)  # 128 output elements x 3
    assert tally.flops == {"n": 384}


def _failing(metric, limit=None, unit="FLOP"):
    return Finding("limits", "error", False, "m.onnx", "", metric=metric, limit=limit, unit=unit)


def test_top_layers_of_an_additive_metric():
    sizes = {"x": 1, "a": 1, "b": 1, "y": 1}
    estimate = estimate_of([layer(0, "a", ["x"], ["a"], sizes, flops=600),
                            layer(1, "b", ["a"], ["b"], sizes, flops=300),
                            layer(2, "c", ["b"], ["y"], sizes, flops=100)], sizes)
    top = top_contributors(subject(Budget("b"), estimate), _failing("flops"), 2)
    assert [(c.layer, c.value, c.share, c.unit) for c in top] == [
        ("a", 600, 0.6, "FLOP"), ("b", 300, 0.3, "FLOP")]  # shares of 1000 FLOPs


def test_top_layers_pulling_intensity_below_a_minimum():
    # deficit = DRAM bytes x 25 - FLOPs: L0 310 x 25 - 1000 = 6750; L1 520 x 25 - 50000 < 0 (not
    # shown); L2 550 x 25 = 13750; shares of 20500
    top = top_contributors(subject(Budget("b"), skip_estimate()),
                           _failing("arithmetic_intensity", 25, "FLOP/B"), 3)
    assert [(c.layer, c.value, round(c.share, 4), c.unit) for c in top] == [
        ("L2", 13750, 0.6707, "FLOP"), ("L0", 6750, 0.3293, "FLOP")]


def test_no_layers_for_a_metric_without_them():
    assert top_contributors(subject(Budget("b")), _failing("file_bytes", unit="B"), 3) == ()
