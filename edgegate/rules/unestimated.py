"""unestimated: nodes with no cost formula (their cost is missing from every total).

.. code-block:: yaml

    defaults:
      unestimated: fail     # fail (the default) | warn | ignore
    custom_ops:
      MyVendorOp: {flops_per_output: 4}   # or {as: Conv}: then it is costed

One finding per op type left uncosted; the totals are lower bounds while any remain. An op
without a formula (a custom op) can be given one under ``custom_ops``; a standard op whose
formula could not be applied (a shape it needs is unknown, a Loop's trip count is not a
constant) shows why, as ``edgegate estimate`` does; ``custom_ops`` cannot replace a built-in
formula, so the advice is to make the file say what the formula needs, or to warn only.
"""

from __future__ import annotations

from collections.abc import Iterator

from edgegate.cost.registry import lookup
from edgegate.estimator.result import Unestimated
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
    by_op: dict[str, list[Unestimated]] = {}
    for node in subject.estimate.unestimated:
        by_op.setdefault(op_key(node.op_type, node.domain), []).append(node)
    for op, nodes in sorted(by_op.items()):
        count = f"{len(nodes)} node{'s' if len(nodes) > 1 else ''}"
        first = nodes[0]
        yield subject.finding(
            ID, severity, False,
            f"{count} of op {op} could not be costed, first '{first.node}': {_why(op, first)}",
            node=first.node,
        )
    if not by_op:
        yield subject.finding(ID, severity, True, "every node was costed")


def _why(op: str, node: Unestimated) -> str:
    """Why ``node`` was left out and what fixes it: a cost under ``custom_ops`` for an op with no
    formula; otherwise the estimator's reason (a shape or a trip count its formula needs is not
    known from the file) and what makes it known. A check binds every input, so the unknown
    comes from the graph itself."""
    formula = lookup(node.op_type, node.domain) is not None
    if not formula and node.reason.startswith("no cost formula"):
        return "totals are lower bounds (give it a cost under custom_ops, or set unestimated: warn)"
    whose = (f"custom_ops cannot replace edgegate's formula for {op}" if formula
             else "its custom_ops cost could not be applied")
    return (f"{node.reason}; totals are lower bounds ({whose}: export the model so what it needs is"
            " known from the file, such as static shapes, or set unestimated: warn)")
