"""JUnit XML (through the junit-xml package), for the test tabs of CI systems.

One test suite per model and budget, named ``models/m.onnx [budget edge]`` (distinct when a
model is under two budgets), ``package`` the budget, the settings and every metric as
properties. One test case per checked rule: a limit is ``flops max``, a lint rule its id;
``classname`` is ``edgegate.<rule>``, ``file`` the model path and ``line`` 1. A check that
fails the gate carries one failure element per violation with the value, limit and excess. A
warning that does not fail the gate is a ``<skipped message="warning: ...">`` case with the
detail as text: action-junit-report and dorny/test-reporter have no warning state, show a
skipped case distinctly (⚠️ / ⚪) and do not fail on it, while they show a passed case's
``system-out`` nowhere. A model that could not be read or estimated is one case with an error
element. Each case's ``time`` is the model's check time shared evenly among its cases (the
estimate, which takes nearly all of it, serves every check); 0 for a record that took none
(a model no budget selects).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TextIO

from junit_xml import TestCase, TestSuite, to_xml_report_string

from edgegate.report.facts import (
    Record,
    check_name,
    fails,
    has_limit,
    label,
    printable,
    quantity,
    room,
    top_layers,
)


def write(records: Record, out: TextIO) -> None:
    """Write the run as one ``<testsuites>`` document."""
    suites = [_suite(model, records["strict"]) for model in records["models"]]
    out.write(to_xml_report_string(suites, prettyprint=True))


def _suite(model: Record, strict: bool) -> TestSuite:
    """The suite of one model under one budget."""
    path = printable(model["model"])
    if model["error"] is not None:
        case = TestCase("estimate", classname="edgegate", file=path, line=1)
        case.add_error_info(message=printable(model["error"]), error_type="model-error")
        cases = [case]
    else:
        groups: dict[str, list[Record]] = {}
        for finding in model["findings"]:
            groups.setdefault(check_name(finding), []).append(finding)
        cases = [_case(name, findings, model, strict) for name, findings in groups.items()]
    seconds = model.get("seconds") or 0.0  # a record with no check time (a selection finding)
    for case in cases:
        case.elapsed_sec = seconds / len(cases)
    return TestSuite(printable(label(model)), cases, package=printable(model["budget"]), file=path,
                     properties=_properties(model))


def _case(name: str, findings: list[Record], model: Record, strict: bool) -> TestCase:
    """One checked rule: a failure per finding that fails the gate; with none, its warnings as
    one skipped element."""
    case = TestCase(name, classname=f"edgegate.{findings[0]['rule']}", file=printable(model["model"]),
                    line=1, allow_multiple_subelements=True)
    warnings = []
    for finding in findings:
        if fails(finding, strict):
            case.add_failure_info(message=printable(finding["message"]), output=_detail(finding, model),
                                  failure_type=finding["severity"])
        elif not finding["passed"]:
            warnings.append(finding)
    if warnings and not case.is_failure():
        message = "; ".join(printable(finding["message"]) for finding in warnings)
        case.add_skipped_info(message=f"warning: {message}",
                              output="\n\n".join(_detail(finding, model) for finding in warnings))
    return case


def _detail(finding: Record, model: Record) -> str:
    """The failure's text: value, limit and excess (or the node), advice and top layers."""
    lines = []
    if has_limit(finding):
        unit = finding["unit"] or ""
        bound = finding["bound"]
        lines += [f"value: {quantity(finding, 'value')} ({finding['value']} {unit})".rstrip(),
                  f"limit: {bound} {quantity(finding, 'limit')} ({finding['limit']} {unit})".rstrip(),
                  room(finding)]
    if finding["node"]:
        lines.append(f"node: {printable(finding['node'])}")
    if finding["advice"]:
        lines.append(f"advice: {printable(finding['advice'])}")
    layers = top_layers(model, finding)
    if layers:
        lines.append(f"top layers: {layers}")
    return "\n".join(line for line in lines if line) or printable(finding["message"])


def _properties(model: Record) -> dict[str, str]:
    """Budget, settings and metrics as JUnit properties (names as in the JSON records)."""
    properties = {"budget": printable(model["budget"])}
    for key, value in model["settings"].items():
        if value not in (None, {}, ""):
            properties[f"settings.{key}"] = printable(_setting(value))
    properties.update((metric, repr(value)) for metric, value in model["metrics"].items())
    return properties


def _setting(value: Any) -> str:
    """A setting as text: ``batch=1, height=320`` for a mapping, ``1x3x8x8`` for a shape."""
    if isinstance(value, Mapping):
        return ", ".join(f"{key}={_setting(item)}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return "x".join(map(str, value))
    return str(value)
