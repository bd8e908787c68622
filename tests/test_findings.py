"""Finding, ModelResult and RunResult: headroom, the exit-code logic and the JSON records."""

from __future__ import annotations

import json

import pytest

from edgegate import __version__
from edgegate.rules.findings import Contributor, Finding, ModelResult, RunResult


def _finding(passed=True, severity="error", **fields):
    return Finding("limits", severity, passed, "m.onnx", "msg", **fields)


@pytest.mark.parametrize(("value", "limit", "bound", "headroom"), [
    (6, 8, "max", 25.0),  # (8 - 6) / 8
    (10, 8, "max", -25.0),  # excess
    (30, 25, "min", 20.0),  # (30 - 25) / 25
    (5, 0, "max", None),  # no percentage of a zero limit
])
def test_headroom(value, limit, bound, headroom):
    assert _finding(value=value, limit=limit, bound=bound).headroom == headroom


ERROR = _finding(passed=False)
WARNING = _finding(passed=False, severity="warning")


@pytest.mark.parametrize(("results", "strict", "no_fail", "code"), [
    ([ModelResult("a", "b", (_finding(),))], False, False, 0),
    ([ModelResult("a", "b", (WARNING,))], False, False, 0),
    ([ModelResult("a", "b", (WARNING,))], True, False, 1),
    ([ModelResult("a", "b", (ERROR,))], False, False, 1),
    ([ModelResult("a", "b", (ERROR,))], False, True, 0),
    # a model error's own code wins over a gate failure, and --no-fail does not hide it
    ([ModelResult("a", "b", (ERROR,)), ModelResult("c", "b", error="x", exit_code=3)], False, True, 3),
    ([ModelResult("c", "b", error="x", exit_code=5), ModelResult("d", "b", error="y", exit_code=3)],
     False, False, 5),
    ([], False, False, 0),
])
def test_exit_code(results, strict, no_fail, code):
    assert RunResult("p.yaml", tuple(results), strict, no_fail).exit_code() == code


def test_records_are_versioned_json():
    failing = _finding(passed=False, metric="flops", value=10, limit=8, bound="max", unit="FLOP",
                       advice="shrink it")
    result = RunResult("p.yaml", (ModelResult(
        "m.onnx", "b", (failing, WARNING), metrics={"flops": 10},
        contributors={"flops": (Contributor("conv", 10, 1.0, "FLOP"),)}),), skipped=("x.onnx",))
    records = json.loads(json.dumps(result.as_records()))
    assert records["schema_version"] == 1 and records["edgegate_version"] == __version__
    assert (records["passed"], records["exit_code"]) == (False, 1)
    assert records["summary"] == {"checked": 1, "passed": 0, "failed": 1, "errors": 1, "warnings": 1,
                                  "unreadable": 0, "not_estimated": 0}
    assert records["skipped"] == ["x.onnx"]
    (model,) = records["models"]
    assert (model["kind"], model["dims_used"]) == ("check", None)
    assert model["contributors"] == {"flops": [{"layer": "conv", "value": 10, "unit": "FLOP", "share": 1.0}]}
    assert model["findings"][0] == {
        "rule": "limits", "severity": "error", "passed": False, "model": "m.onnx", "budget": "",
        "metric": "flops", "value": 10, "limit": 8, "bound": "max", "unit": "FLOP",
        "headroom_percent": -25.0, "message": "msg", "node": None, "suggestion": None,
        "advice": "shrink it",
    }
