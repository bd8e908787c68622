"""Relative limits: ``max_increase`` in policies (percent or an amount with units), checked
against the metrics a subject had before (a baseline's, or its REF version's)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
from gate_helpers import subject

from edgegate.policy.load import load_policy
from edgegate.policy.types import Budget, Increase, Limit
from edgegate.rules import limits
from edgegate.rules.subject import Subject

VALID = Path(__file__).parent / "policies" / "valid"


def _compared(budget_limits, metrics, before):
    plain = subject(Budget("b", limits=tuple(budget_limits)), metrics=metrics)
    values = {item.name: getattr(plain, item.name) for item in fields(Subject)}
    return limits.Compared(**values, before=before, label="baseline")


def _increases(found):
    return [f for f in found if f.rule == limits.INCREASE_ID]


def test_policy_reads_percent_and_amounts_in_base_units():
    policy = load_policy(VALID / "relative.yaml")
    by_metric = {limit.metric: limit for limit in policy.budgets[0].limits}
    assert by_metric["flops"].max_increase == Increase(5, True)
    assert by_metric["flops"].max == 8_000_000_000
    assert by_metric["params"].max_increase == Increase(2.5, True)
    assert by_metric["peak_activation_bytes"].max_increase == Increase(512 * 1024, False)  # KiB
    assert by_metric["peak_activation_bytes"].severity == "warning"
    assert by_metric["macs"].max_increase == Increase(0, False)


def test_allowed_value():
    assert Increase(5, True).allowed(1000) == pytest.approx(1050)  # 1000 x 1.05
    assert Increase(512, False).allowed(1000) == 1512


def test_percent_increase_within_and_over():
    limit = Limit("flops", max_increase=Increase(5, True))
    # 1040 / 1000 = +4.0% <= 5%: passes; allowed is 1000 x 1.05 = 1050
    (ok,) = _increases(limits.check(_compared([limit], {"flops": 1040}, {"flops": 1000})))
    assert ok.passed and ok.limit == pytest.approx(1050) and ok.bound == "max"
    assert ok.message == "flops 1.04 kFLOP is +4.0% against the baseline 1 kFLOP (max_increase 5%)"
    # 1060 / 1000 = +6.0% > 5%: fails, with the value it may reach
    (bad,) = _increases(limits.check(_compared([limit], {"flops": 1060}, {"flops": 1000})))
    assert not bad.passed and bad.fails(strict=False)
    assert bad.message == ("flops 1.06 kFLOP is +6.0% against the baseline 1 kFLOP:"
                           " exceeds max_increase 5% (at most 1.05 kFLOP)")
    assert bad.headroom == pytest.approx((1050 - 1060) / 1050 * 100)


def test_exactly_at_the_allowed_increase_passes():
    limit = Limit("params", max_increase=Increase(10, True))
    (found,) = _increases(limits.check(_compared([limit], {"params": 110}, {"params": 100})))
    assert found.passed  # 100 x 1.10 = 110


def test_absolute_increase_with_units_and_a_decrease():
    limit = Limit("peak_activation_bytes", max_increase=Increase(1024, False), severity="warning")
    # 5120 - 4096 = 1024 B = the allowed amount: passes
    (edge,) = _increases(limits.check(_compared(
        [limit], {"peak_activation_bytes": 5120}, {"peak_activation_bytes": 4096})))
    assert edge.passed and edge.limit == 5120
    (over,) = _increases(limits.check(_compared(
        [limit], {"peak_activation_bytes": 5121}, {"peak_activation_bytes": 4096})))
    assert not over.passed and not over.fails(strict=False) and over.fails(strict=True)
    assert over.message.endswith("exceeds max_increase 1 KiB (at most 5 KiB)")
    (down,) = _increases(limits.check(_compared(
        [limit], {"peak_activation_bytes": 2048}, {"peak_activation_bytes": 4096})))
    assert down.passed and "-50.0%" in down.message  # (2048 - 4096) / 4096


def test_growth_from_zero_is_shown_as_an_amount():
    limit = Limit("macs", max_increase=Increase(0, False))
    (found,) = _increases(limits.check(_compared([limit], {"macs": 7}, {"macs": 0})))
    assert not found.passed and "is +7 MAC against the baseline 0 MAC" in found.message


def test_nothing_to_compare_gives_no_relative_finding():
    limit = Limit("flops", max=10_000, max_increase=Increase(5, True))
    plain = list(limits.check(subject(Budget("b", limits=(limit,)), metrics={"flops": 5000})))
    assert [f.rule for f in plain] == ["limits"]  # only the max; a plain Subject has no "before"
    missing = list(limits.check(_compared([limit], {"flops": 5000}, {"params": 3})))
    assert [f.rule for f in missing] == ["limits"]  # the baseline lacks flops
