"""The JUnit reporter, read back by a JUnit consumer (junitparser): one suite per model, one
case per checked rule, failures with value/limit/excess, errors for unreadable models."""

from __future__ import annotations

import io

from junitparser import Error, Failure, JUnitXml
from report_fixture import records

from edgegate.report import junit
from edgegate.rules.findings import Finding, ModelResult, RunResult


def _parsed(document) -> JUnitXml:
    out = io.StringIO()
    junit.write(document, out)
    return JUnitXml.fromstring(out.getvalue())


def test_one_suite_per_model_with_counts():
    suites = list(_parsed(records()))
    # kws: 3 passing cases; the hostile model: flops max (failure), params max (a warning,
    # passes), ops (failure); broken: one error case
    assert [(s.name, s.tests, s.failures, s.errors) for s in suites] == [
        ("models/kws.onnx", 3, 0, 0),
        ("models/we,ird: 100%\\n::error::pwned.onnx", 3, 2, 0),
        ("models/broken.onnx", 1, 0, 1),
    ]


def test_metrics_and_settings_are_suite_properties():
    kws = list(_parsed(records()))[0]
    properties = {p.name: p.value for p in kws.properties()}
    assert properties["budget"] == "edge" and properties["settings.target"] == "mcu"
    assert properties["flops"] == "38912" and properties["latency_ms"] == "0.25"
    assert properties["settings.dims"] == "batch=1" and properties["settings.fps"] == "30"


def test_a_case_per_rule_with_the_model_file():
    cases = list(list(_parsed(records()))[1])
    assert [(c.name, c.classname) for c in cases] == [
        ("flops max", "edgegate.limits"), ("params max", "edgegate.limits"), ("ops", "edgegate.ops")]
    assert {c._elem.get("file") for c in cases} == {"models/we,ird: 100%\\n::error::pwned.onnx"}


def test_a_failure_carries_value_limit_and_excess():
    flops = list(list(_parsed(records()))[1])[0]
    (failure,) = flops.result
    assert isinstance(failure, Failure)
    assert failure.message == "flops 11.6 MFLOP exceeds max 5 MFLOP"
    # excess (11567104 - 5e6) / 5e6 = 131.3%; conv1 holds 9469952 / 11567104 = 82% of it
    assert failure.text.splitlines()[:3] == ["value: 11.6 MFLOP (11567104 FLOP)",
                                             "limit: max 5 MFLOP (5000000 FLOP)", "excess 131.3%"]
    assert failure.text.splitlines()[3] == \
        "advice: split | the ![backbone](http://x.invalid/p.png) <img src=x> & 50% off"


def test_a_warning_passes_with_the_warning_in_system_out_and_fails_under_strict():
    params = list(list(_parsed(records()))[1])[1]
    assert params.result == [] and params.system_out == "warning: params 6 kparam exceeds max 5 kparam"
    strict = list(list(_parsed(records(strict=True)))[1])[1]
    assert [type(r) for r in strict.result] == [Failure]


def test_an_unreadable_model_is_an_error_case():
    (case,) = list(list(_parsed(records()))[2])
    (error,) = case.result
    assert isinstance(error, Error) and error.type == "model-error"
    assert error.message == "models/broken.onnx: a Git LFS pointer, not the model (run git lfs pull)"


def test_several_violations_of_one_rule_are_several_failures_of_one_case():
    findings = (Finding("ops", "error", False, "m.onnx", "op Sin is forbidden", node="s"),
                Finding("ops", "error", False, "m.onnx", "op Cos is forbidden", node="c"))
    run = RunResult("p.yaml", (ModelResult("m.onnx", "b", findings),))
    (case,) = list(list(_parsed(run.as_records()))[0])
    assert [r.message for r in case.result] == ["op Sin is forbidden", "op Cos is forbidden"]
    assert [r.text for r in case.result] == ["node: s", "node: c"]
