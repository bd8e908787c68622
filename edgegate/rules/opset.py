"""opset: the default-domain (ai.onnx) opset version within a range.

.. code-block:: yaml

    opset: {min: 13, max: 17, severity: error}
"""

from __future__ import annotations

from collections.abc import Iterator

from edgegate.rules.findings import Finding
from edgegate.rules.subject import Subject

ID = "opset"
SUMMARY = "The ai.onnx opset version within min..max."


def check(subject: Subject) -> Iterator[Finding]:
    """One finding: the model's ai.onnx opset against the range."""
    options = subject.budget.options.get(ID)
    version = subject.facts.opsets.get("ai.onnx")
    if options is None or version is None:
        return
    severity = options.get("severity", "error")
    low, high = options.get("min"), options.get("max")
    if low is not None and version < low:
        yield subject.finding(ID, severity, False, f"opset {version} is below min {low}",
                              value=version, limit=low, bound="min")
    elif high is not None and version > high:
        yield subject.finding(ID, severity, False, f"opset {version} is above max {high}",
                              value=version, limit=high, bound="max")
    else:
        yield subject.finding(ID, severity, True, f"opset {version} in range", value=version)
