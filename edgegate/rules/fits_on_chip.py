"""fits_on_chip: peak activation within the target's on-chip memory (and weights within its
resident weight store, when it has one).

.. code-block:: yaml

    target: stm32h743
    fits_on_chip: error     # or warning, or off
"""

from __future__ import annotations

from collections.abc import Iterator

from edgegate.rules.findings import Finding
from edgegate.rules.subject import Subject
from edgegate.units import format_quantity

ID = "fits_on_chip"
SUMMARY = "Peak activation (and resident weights) fit the target's on-chip memory."


def check(subject: Subject) -> Iterator[Finding]:
    """One finding for activations (when the target states on-chip memory), one for weights
    (when it keeps weights on chip)."""
    severity = subject.budget.options.get(ID, "off")
    target = subject.target
    if severity == "off" or target is None:
        return
    checks = []
    if target.onchip_bytes:
        checks.append(("peak_activation_bytes", subject.estimate.peak_activation_bytes,
                       target.onchip_bytes, "on-chip memory"))
    if target.weight_store_bytes:
        checks.append(("weight_bytes", subject.estimate.weight_bytes,
                       target.weight_store_bytes, "resident weight store"))
    for metric, value, capacity, where in checks:
        passed = value <= capacity
        verb = "fits" if passed else "does not fit"
        message = (f"{metric} {format_quantity(value, 'B')} {verb} in {target.name}'s "
                   f"{format_quantity(capacity, 'B')} {where}")
        yield subject.finding(ID, severity, passed, message, metric=metric, value=value,
                              limit=capacity, bound="max", unit="B")
