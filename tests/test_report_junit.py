"""The JUnit reporter, read back the way its consumers read it: junitparser, and the rules of
mikepenz/action-junit-report and dorny/test-reporter (a case with a failure or error fails; else
one with a skipped element is skipped; the suite name must exist; ``time`` is read as seconds).
One suite per model and budget, one case per checked rule, failures with value/limit/excess, a
warning as a skipped case, errors for unreadable models."""

from __future__ import annotations

import io

from junitparser import Error, Failure, JUnitXml, Skipped
from report_fixture import HOSTILE, records

from edgegate.report import junit
from edgegate.rules.findings import Finding, ModelResult, RunResult


def _parsed(document) -> JUnitXml:
    out = io.StringIO()
    junit.write(document, out)
    return JUnitXml.fromstring(out.getvalue())


def test_one_suite_per_model_with_counts():
    suites = list(_parsed(records()))
    # kws: 3 passing cases; the hostile model: flops max (failure), params max (a warning,
    # skipped), ops (failure); broken: one error case
    assert [(s.name, s.tests, s.failures, s.errors, s.skipped) for s in suites] == [
        ("models/kws.onnx [budget edge]", 3, 0, 0, 0),
        ("models/we,ird: 100%\\n::error::pwned.onnx [budget edge]", 3, 2, 0, 1),
        ("models/broken.onnx [budget edge]", 1, 0, 1, 0),
    ]


def test_metrics_and_settings_are_suite_properties():
    kws = list(_parsed(records()))[0]
    properties = {p.name: p.value for p in kws.properties()}
    assert properties["budget"] == "edge" and properties["settings.target"] == "mcu"
    assert properties["flops"] == "38912" and properties["latency_ms"] == "0.055296"
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


def _verdict(case, consumer: str) -> str:
    """A case's result as each consumer decides it: mikepenz (testParser.ts) lets skipped win
    over a failure; dorny (java-junit-parser.ts) lets a failure or error win over skipped."""
    kinds = {type(r) for r in case.result}
    failed, skipped = bool(kinds & {Failure, Error}), Skipped in kinds
    if consumer == "mikepenz":
        return "skipped" if skipped else "failed" if failed else "passed"
    return "failed" if failed else "skipped" if skipped else "passed"


def test_a_warning_is_a_skipped_case_both_consumers_show_and_neither_fails():
    params = list(list(_parsed(records()))[1])[1]
    (skipped,) = params.result
    assert isinstance(skipped, Skipped)
    assert skipped.message == "warning: params 6 kparam exceeds max 5 kparam"
    # excess (6000 - 5000) / 5000 = 20%
    assert skipped.text.splitlines() == ["value: 6 kparam (6000 param)", "limit: max 5 kparam (5000 param)",
                                         "excess 20.0%"]
    assert {_verdict(params, consumer) for consumer in ("mikepenz", "dorny")} == {"skipped"}
    flops = list(list(_parsed(records()))[1])[0]
    assert {_verdict(flops, consumer) for consumer in ("mikepenz", "dorny")} == {"failed"}


def test_under_strict_the_warning_is_a_failure():
    strict = list(list(_parsed(records(strict=True)))[1])[1]
    assert [type(r) for r in strict.result] == [Failure]
    assert {_verdict(strict, consumer) for consumer in ("mikepenz", "dorny")} == {"failed"}


def test_cases_carry_time_the_models_check_time_shared():
    # the fixture's kws check took 0.012 s over 3 cases: 0.004 s each; the hostile one 0.03 s
    suites = list(_parsed(records()))
    assert [[case.time for case in suite] for suite in suites] == [
        [0.004] * 3, [0.01] * 3, [0.002]]
    assert [suite.time for suite in suites] == [0.012, 0.03, 0.002]


def test_a_model_under_two_budgets_gives_two_suites_with_distinct_names():
    passed = Finding("ops", "error", True, "m.onnx", "all ops allowed")
    run = RunResult("p.yaml", (ModelResult("m.onnx", "edge", (passed,)), ModelResult("m.onnx", "cloud", (passed,))))
    assert [s.name for s in _parsed(run.as_records())] == ["m.onnx [budget edge]", "m.onnx [budget cloud]"]


def test_cases_name_the_model_file_at_line_one():
    # mikepenz reads file and line; without a line it would scan the failure text for "path:NN"
    for case in list(_parsed(records()))[1]:
        assert (case._elem.get("file"), case._elem.get("line")) == (HOSTILE.replace("\n", "\\n"), "1")


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
