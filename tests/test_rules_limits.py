"""The limits rule: value against max/min, severities, headroom, advice, ratchet suggestions."""

from __future__ import annotations

import pytest
from gate_helpers import subject

from edgegate.policy.types import Budget, Limit
from edgegate.rules import limits
from edgegate.rules.registry import RULES


def _check(*budget_limits, metrics):
    return list(limits.check(subject(Budget("b", limits=budget_limits), metrics=metrics)))


def test_registry_is_sorted_and_complete():
    assert list(RULES) == sorted(RULES)
    assert set(RULES) == {"dtypes", "dynamic_dims", "fits_on_chip", "limits", "ops", "opset",
                          "unestimated"}
    for rule_id, module in RULES.items():
        assert module.ID == rule_id and module.SUMMARY and module.__doc__


def test_max_exceeded_fails_with_excess_and_advice():
    (finding,) = _check(Limit("flops", max=8_000_000_000, message="split the backbone"),
                        metrics={"flops": 10_000_000_000})
    assert not finding.passed and finding.severity == "error" and finding.fails(strict=False)
    assert finding.message == "flops 10 GFLOP exceeds max 8 GFLOP"
    assert finding.advice == "split the backbone"
    assert finding.headroom == pytest.approx(-25.0)  # (8 - 10) / 8
    assert (finding.metric, finding.value, finding.limit, finding.bound, finding.unit) == (
        "flops", 10_000_000_000, 8_000_000_000, "max", "FLOP")
    assert finding.suggestion is None


def test_a_value_at_the_limit_passes():
    (finding,) = _check(Limit("params", max=5_000_000), metrics={"params": 5_000_000})
    assert finding.passed and finding.headroom == 0
    assert finding.message == "params 5 Mparam <= 5 Mparam"


def test_warning_fails_only_under_strict():
    (finding,) = _check(Limit("macs", max=100, severity="warning"), metrics={"macs": 150})
    assert not finding.passed and finding.severity == "warning"
    assert not finding.fails(strict=False) and finding.fails(strict=True)


def test_minimum_bound():
    (low,) = _check(Limit("arithmetic_intensity", min=25), metrics={"arithmetic_intensity": 20.0})
    assert not low.passed and low.message == "arithmetic_intensity 20.00 FLOP/B is below min 25.00 FLOP/B"
    assert low.headroom == pytest.approx(-20.0)  # (20 - 25) / 25
    (high,) = _check(Limit("arithmetic_intensity", min=25), metrics={"arithmetic_intensity": 60.0})
    # 60 > 2 x 25: ratchet to 60 x 0.9 = 54, rounded down to two digits
    assert high.passed and high.headroom == pytest.approx(140.0) and high.suggestion == "min: 54 FLOP/B"


def test_both_bounds_give_two_findings():
    found = _check(Limit("flops", max=1000, min=10), metrics={"flops": 5})
    assert [(f.bound, f.passed) for f in found] == [("max", True), ("min", False)]


@pytest.mark.parametrize(("value", "limit", "suggestion"), [
    (3_000_000, 8_388_608, "max: 3.2 MiB"),  # 3e6 x 1.1 = 3.3e6 B = 3.147 MiB -> 3.2 MiB
    (4_000_000, 8_388_608, "max: 4.2 MiB"),  # 4.4e6 B = 4.196 MiB -> 4.2 MiB
    (4_200_000, 8_388_608, None),  # 4.2e6 >= 8388608 / 2 = 4194304: not under half
    (0, 8_388_608, None),  # nothing to ratchet to
])
def test_ratchet_when_under_half_the_max(value, limit, suggestion):
    (finding,) = _check(Limit("weight_bytes", max=limit), metrics={"weight_bytes": value})
    assert finding.passed and finding.suggestion == suggestion


def test_a_metric_the_subject_lacks_is_not_checked():
    assert _check(Limit("latency_ms", max=33), metrics={"flops": 1}) == []
