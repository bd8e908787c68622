"""Lint rules: ops, opset, dynamic_dims, dtypes, unestimated, fits_on_chip."""

from __future__ import annotations

from gate_helpers import conv_relu, estimate_of, facts, layer, subject
from onnx import TensorProto, helper

from edgegate.estimator.result import Unestimated
from edgegate.policy.types import Budget, RunSettings
from edgegate.rules import dtypes, dynamic_dims, fits_on_chip, ops, opset, unestimated
from edgegate.rules.subject import read_facts
from edgegate.target.types import Target

NODES = (("conv1", "Conv"), ("relu1", "Relu"), ("conv2", "Conv"), ("lstm", "LSTM"),
         ("k", "Constant"), ("fused", "com.microsoft.FusedConv"))


def _results(rule, options, **kwargs):
    found = list(rule.check(subject(Budget("b", options=options), **kwargs)))
    return [(f.passed, f.severity, f.message) for f in found]


def test_ops_forbid_names_each_op_once_with_its_nodes():
    assert _results(ops, {"ops": {"forbid": ["LSTM", "Conv"]}}, model_facts=facts(NODES)) == [
        (False, "error", "op Conv is forbidden (2 nodes, first 'conv1')"),
        (False, "error", "op LSTM is forbidden (1 node, first 'lstm')"),
    ]


def test_ops_allow_list_and_qualified_custom_domains():
    options = {"ops": {"allow": ["Conv", "Relu", "LSTM"], "severity": "warning"}}
    # Constant is data, never checked; a custom-domain op is spelled domain.OpType
    assert _results(ops, options, model_facts=facts(NODES)) == [
        (False, "warning", "op com.microsoft.FusedConv is not in the allowed list (1 node, first 'fused')"),
    ]
    options = {"ops": {"allow": ["Conv", "Relu", "LSTM", "com.microsoft.FusedConv"]}}
    assert _results(ops, options, model_facts=facts(NODES)) == [(True, "error", "all 4 op types allowed")]


def test_ops_against_the_targets_supported_list():
    target = Target("npu", {"int8": 1e12}, 1e9, supported_ops=frozenset({"Conv", "Relu"}))
    nodes = (("conv", "Conv"), ("sig", "Sigmoid"))
    assert _results(ops, {"ops": {"target": True}}, model_facts=facts(nodes), target=target) == [
        (False, "error", "op Sigmoid is not supported by target npu (1 node, first 'sig')"),
    ]


def test_ops_not_configured_checks_nothing():
    assert _results(ops, {}, model_facts=facts(NODES)) == []


def test_opset_range():
    options = {"opset": {"min": 13, "max": 17}}
    assert _results(opset, options, model_facts=facts(opset=11)) == [(False, "error", "opset 11 is below min 13")]
    assert _results(opset, options, model_facts=facts(opset=18)) == [(False, "error", "opset 18 is above max 17")]
    assert _results(opset, options, model_facts=facts(opset=13)) == [(True, "error", "opset 13 in range")]


def test_dynamic_dims_from_a_real_model():
    model = conv_relu(3, 4, 8, batch="N")
    model.graph.input.append(helper.make_tensor_value_info("mask", TensorProto.BOOL, None))
    found = read_facts(model, 1)
    assert _results(dynamic_dims, {"dynamic_dims": "warning"}, model_facts=found) == [
        (False, "warning", "input 'x' has dynamic dimensions: N (dim 0)"),
        (False, "warning", "input 'mask' has dynamic dimensions: no shape"),
    ]
    static = read_facts(conv_relu(3, 4, 8), 1)
    assert _results(dynamic_dims, {"dynamic_dims": "error"}, model_facts=static) == [
        (True, "error", "all inputs have static dimensions")]
    assert _results(dynamic_dims, {"dynamic_dims": "off"}, model_facts=found) == []


def test_dtypes_of_weights_and_inputs_from_a_real_model():
    # the Conv kernel (rank 4) is a weight; a rank-1 bias is not
    model = conv_relu(3, 4, 8, weight_dtype=TensorProto.INT8)
    model.graph.initializer.append(helper.make_tensor("bias", TensorProto.INT32, [4], [0] * 4))
    found = read_facts(model, 1)
    options = {"dtypes": {"weights": ["int8"], "inputs": ["uint8"]}}
    assert _results(dtypes, options, model_facts=found) == [
        (False, "error", "input 'x' is float32 (allowed: uint8)")]
    fp32 = read_facts(conv_relu(3, 4, 8), 1)
    assert _results(dtypes, {"dtypes": {"weights": ["int8"], "severity": "warning"}}, model_facts=fp32) == [
        (False, "warning", "1 weight tensor is float32, first 'w' (allowed: int8)")]
    assert _results(dtypes, {"dtypes": {"weights": ["int8"]}}, model_facts=found) == [
        (True, "error", "weights and inputs have the required dtypes")]


def test_unestimated_fail_warn_ignore():
    sizes = {"x": 4, "y": 4}
    missing = [Unestimated("a", "Foo", "", "no cost formula for op Foo"),
               Unestimated("b", "Foo", "", "no cost formula for op Foo"),
               Unestimated("c", "Bar", "vendor", "no cost formula for op vendor.Bar"),
               Unestimated("r", "Relu", "", "shape of tensor 'y' is unknown")]
    estimate = estimate_of([layer(0, "l", ["x"], ["y"], sizes)], sizes, unestimated=missing)

    def run(mode):
        budget = Budget("b", settings=RunSettings(unestimated=mode))
        return [(f.passed, f.severity, f.message) for f in unestimated.check(subject(budget, estimate))]

    advice = " (give it a cost under custom_ops, or set unestimated: warn)"
    assert run("fail") == [
        (False, "error", "2 nodes of op Foo could not be costed, first 'a': totals are lower bounds" + advice),
        (False, "error", "1 node of op Relu could not be costed, first 'r': shape of tensor 'y' is unknown;"
         " totals are lower bounds (custom_ops cannot replace edgegate's formula for Relu: export the model"
         " so what it needs is known from the file, such as static shapes, or set unestimated: warn)"),
        (False, "error", "1 node of op vendor.Bar could not be costed, first 'c': totals are lower bounds"
         + advice),
    ]
    assert [severity for _, severity, _ in run("warn")] == ["warning", "warning", "warning"]
    assert run("ignore") == []
    budget = Budget("b", settings=RunSettings(unestimated="fail"))
    assert [f.passed for f in unestimated.check(subject(budget))] == [True]


def test_fits_on_chip_activations_and_resident_weights():
    target = Target("mcu", {"int8": 1e9}, 1e8, onchip_bytes=150, weight_store_bytes=40)
    # the default subject: peak activation 200 B, weights 40 B
    assert _results(fits_on_chip, {"fits_on_chip": "error"}, target=target) == [
        (False, "error", "peak_activation_bytes 200 B does not fit in mcu's 150 B on-chip memory"),
        (True, "error", "weight_bytes 40 B fits in mcu's 40 B resident weight store"),
    ]
    weights_only = Target("tpu", {"int8": 1e9}, 1e8, weight_store_bytes=1000)
    assert _results(fits_on_chip, {"fits_on_chip": "warning"}, target=weights_only) == [
        (True, "warning", "weight_bytes 40 B fits in tpu's 1000 B resident weight store")]
    assert _results(fits_on_chip, {}, target=target) == []
