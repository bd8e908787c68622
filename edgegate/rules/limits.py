"""limits: each metric against the budget's ``max`` / ``min``, with headroom and a ratchet hint.

.. code-block:: yaml

    limits:
      flops: {max: 8 GFLOP, max_increase: 5%, message: "split the backbone"}
      arithmetic_intensity: {min: 25 FLOP/B, severity: warning}
      peak_activation_bytes: {max_increase: 512 KiB}

A metric that sits under half its ``max`` (or over twice its ``min``) passes with a suggestion
to tighten the limit to the current value plus :data:`RATCHET_HEADROOM`, so budgets ratchet
down instead of rotting.

``max_increase`` limits change rather than size: it is checked (as rule ``max_increase``)
when the subject is :class:`Compared`, i.e. carries the metrics it had before: a baseline
file's (``--baseline``) or its REF version's (``--changed-since REF``). A model with nothing
to compare against (new, or missing from the baseline) gets no ``max_increase`` finding.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from edgegate.metrics import METRICS
from edgegate.policy.types import Limit
from edgegate.rules.findings import Finding
from edgegate.rules.subject import Subject
from edgegate.units import format_quantity, percent, round_limit

ID = "limits"
INCREASE_ID = "max_increase"
SUMMARY = "Each metric within the budget's max/min, and its growth over the baseline within max_increase."
RATCHET_HEADROOM = Fraction(1, 10)
"""Headroom above the current value that a ratchet suggestion (and ``edgegate init``) leaves."""


@dataclass(frozen=True)
class Compared(Subject):
    """A Subject with the metrics it is compared against and what they are (``label``)."""

    before: Mapping[str, int | float] = field(default_factory=dict)
    label: str = "baseline"


def check(subject: Subject) -> Iterator[Finding]:
    """One finding per bound of every limit whose metric the subject has, and one per
    ``max_increase`` whose metric the subject had before."""
    before = subject.before if isinstance(subject, Compared) else {}
    for limit in subject.budget.limits:
        value = subject.metrics.get(limit.metric)
        if value is None:
            continue
        for bound in ("max", "min"):
            if getattr(limit, bound) is not None:
                yield _bound(subject, limit, bound, value)
        if limit.max_increase is not None and limit.metric in before:
            yield _increase(subject, limit, value, before[limit.metric])


def _increase(subject: Subject, limit: Limit, value: int | float, old: int | float) -> Finding:
    """The finding for ``value`` against ``max_increase`` over the ``old`` value."""
    assert limit.max_increase is not None and isinstance(subject, Compared)
    unit = METRICS[limit.metric].unit
    increase = limit.max_increase
    allowed = increase.allowed(old)
    passed = value <= allowed
    share = percent(old, value)
    change = f"{share:+.1f}%" if share is not None else f"+{format_quantity(value - old, unit)}"
    stated = f"{increase.amount}%" if increase.relative else format_quantity(increase.amount, unit)
    message = (f"{limit.metric} {format_quantity(value, unit)} is {change} against the {subject.label}"
               f" {format_quantity(old, unit)}")
    message += (f" (max_increase {stated})" if passed else
                f": exceeds max_increase {stated} (at most {format_quantity(allowed, unit)})")
    return subject.finding(
        INCREASE_ID, limit.severity, passed, message, metric=limit.metric, value=value,
        limit=allowed, bound="max", unit=unit, advice=limit.message,
    )


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
