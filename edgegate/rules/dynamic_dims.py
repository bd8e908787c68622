"""dynamic_dims: model inputs must have fixed dimensions (no symbols, no unknowns).

.. code-block:: yaml

    dynamic_dims: error     # or warning, or off

Edge runtimes (TFLite Micro, most NPU compilers) need static shapes; a policy's ``dims:``
binds them for estimation, but the file itself still has to be re-exported static.
"""

from __future__ import annotations

from collections.abc import Iterator

from edgegate.rules.findings import Finding
from edgegate.rules.subject import Subject

ID = "dynamic_dims"
SUMMARY = "Model inputs have static dimensions."


def check(subject: Subject) -> Iterator[Finding]:
    """One failing finding per input with a dynamic dimension, or one passing finding."""
    severity = subject.budget.options.get(ID, "off")
    if severity == "off":
        return
    failed = False
    for value in subject.facts.inputs:
        dynamic = [f"{dim if isinstance(dim, str) else '?'} (dim {index})"
                   for index, dim in enumerate(value.dims) if not isinstance(dim, int) or dim <= 0]
        if dynamic or not value.dims:
            failed = True
            what = ", ".join(dynamic) if dynamic else "no shape"
            yield subject.finding(ID, severity, False,
                                  f"input '{value.name}' has dynamic dimensions: {what}",
                                  node=value.name)
    if not failed:
        yield subject.finding(ID, severity, True, "all inputs have static dimensions")
