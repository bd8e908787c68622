"""limits: each metric against the budget's ``max`` / ``min``, with headroom and a ratchet hint.

.. code-block:: yaml

    limits:
      flops: {max: 8 GFLOP, message: "split the backbone"}
      arithmetic_intensity: {min: 25 FLOP/B, severity: warning}

A metric that sits under half its ``max`` (or over twice its ``min``) passes with a suggestion
to tighten the limit to the current value plus :data:`RATCHET_HEADROOM`, so budgets ratchet
down instead of rotting.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Iterator

from edgegate.findings import Finding
from edgegate.metrics import METRICS
from edgegate.policy.model import Limit
from edgegate.rules.subject import Subject
from edgegate.units import format_quantity, round_limit

ID = "limits"
SUMMARY = "Each metric within the budget's max/min."
RATCHET_HEADROOM = Fraction(1, 10)
"""Headroom above the current value that a ratchet suggestion (and ``edgegate init``) leaves."""


def check(subject: Subject) -> Iterator[Finding]:
    """One finding per bound of every limit whose metric the subject has."""
    for limit in subject.budget.limits:
        value = subject.metrics.get(limit.metric)
        if value is None:
            continue
        for bound in ("max", "min"):
            if getattr(limit, bound) is not None:
                yield _bound(subject, limit, bound, value)


def _bound(subject: Subject, limit: Limit, bound: str, value: int | float) -> Finding:
    """The finding for ``value`` against one bound of ``limit``."""
    unit = METRICS[limit.metric].unit
    threshold = getattr(limit, bound)
    passed = value <= threshold if bound == "max" else value >= threshold
    shown, limit_shown = format_quantity(value, unit), format_quantity(threshold, unit)
    if passed:
        sign = "<=" if bound == "max" else ">="
        message = f"{limit.metric} {shown} {sign} {limit_shown}"
    else:
        verb = "exceeds max" if bound == "max" else "is below min"
        message = f"{limit.metric} {shown} {verb} {limit_shown}"
    return subject.finding(
        ID, limit.severity, passed, message, metric=limit.metric, value=value, limit=threshold,
        bound=bound, unit=unit, suggestion=ratchet(value, threshold, bound, unit),
        advice=limit.message,
    )


def ratchet(value: int | float, threshold: int | float, bound: str, unit: str) -> str | None:
    """``max: 1.4 GFLOP`` when ``value`` is under half a max (over twice a min), else None."""
    if value <= 0:
        return None
    if bound == "max" and value < threshold / 2:
        return f"max: {round_limit(Fraction(value) * (1 + RATCHET_HEADROOM), unit, up=True)}"
    if bound == "min" and value > threshold * 2:
        return f"min: {round_limit(Fraction(value) * (1 - RATCHET_HEADROOM), unit, up=False)}"
    return None
