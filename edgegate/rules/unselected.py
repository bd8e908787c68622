"""unselected: every model is selected by some budget, so no model escapes the gate unseen.

.. code-block:: yaml

    unselected: warning   # error | warning (the default) | off

A ``*.onnx`` file that no budget's globs select (a stray) is not checked against any limit;
instead it gets one finding of this rule, under no budget, in every report: in a run over the
whole tree and for files given on the command line (as pre-commit passes them). ``error``
fails the gate, ``warning`` fails it only with ``--strict``, ``off`` reports nothing (the
model is still listed in the JSON document's ``skipped``).
"""

from __future__ import annotations

from collections.abc import Iterable

from edgegate.policy.types import Policy
from edgegate.rules.findings import Finding, ModelResult

ID = "unselected"
SUMMARY = "Every model is selected by a budget (the policy's `unselected` setting)."
SEVERITY = {"error": "error", "warning": "warning"}


def notices(policy: Policy, strays: Iterable[str]) -> list[ModelResult]:
    """One selection result per stray model (repo-relative path), none under ``unselected: off``."""
    severity = SEVERITY.get(policy.unselected)
    if severity is None:
        return []
    return [ModelResult(path, "", (Finding(
        ID, severity, False, path,
        "no budget selects this model, so no limit checks it: add it to a budget's include"
        " (or add a budget for it)"),),
        kind="selection") for path in strays]
