"""unestimated: nodes with no cost formula (their cost is missing from every total).

.. code-block:: yaml

    defaults:
      unestimated: fail     # fail (the default) | warn | ignore
    custom_ops:
      MyVendorOp: {flops_per_output: 4}   # or {as: Conv}: then it is costed

One finding per op type with no formula; the totals are lower bounds while any remain.
"""

from __future__ import annotations

from collections.abc import Iterator

from edgegate.model.domains import op_key
from edgegate.rules.findings import Finding
from edgegate.rules.subject import Subject

ID = "unestimated"
SUMMARY = "Every node has a cost formula (or a custom cost in the policy)."
SEVERITY = {"fail": "error", "warn": "warning"}


def check(subject: Subject) -> Iterator[Finding]:
    """A failing finding per unestimated op type, or one passing finding; none under ``ignore``."""
    mode = subject.budget.settings.unestimated
    if mode == "ignore":
        return
    severity = SEVERITY[mode]
    by_op: dict[str, list[str]] = {}
    for node in subject.estimate.unestimated:
        by_op.setdefault(op_key(node.op_type, node.domain), []).append(node.node)
    for op, nodes in sorted(by_op.items()):
        count = f"{len(nodes)} node{'s' if len(nodes) > 1 else ''}"
        yield subject.finding(
            ID, severity, False,
            f"{count} of op {op} could not be costed, first '{nodes[0]}': totals are lower bounds"
            " (give it a cost under custom_ops, or set unestimated: warn)",
            node=nodes[0],
        )
    if not by_op:
        yield subject.finding(ID, severity, True, "every node was costed")
