"""ops: op types allowed or forbidden, or limited to what the target supports.

.. code-block:: yaml

    ops:
      forbid: [LSTM, com.microsoft.FusedConv]
      allow: [Conv, Relu, Add, GlobalAveragePool, Gemm]   # anything else fails
      target: true                                        # the target's supported_ops
      severity: error

Op types outside the default ONNX domain are written ``domain.OpType``. ``Constant`` nodes
are data, not ops, and are never checked. Subgraph nodes (If/Loop bodies) are checked.
"""

from __future__ import annotations

from collections.abc import Iterator

from edgegate.rules.findings import Finding
from edgegate.rules.subject import Subject

ID = "ops"
SUMMARY = "Op types allowed, forbidden, or supported by the target."


def check(subject: Subject) -> Iterator[Finding]:
    """One failing finding per offending op type, or one passing finding."""
    options = subject.budget.options.get(ID)
    if options is None:
        return
    severity = options.get("severity", "error")
    by_op: dict[str, list[str]] = {}
    for node in subject.facts.nodes:
        if node.op != "Constant":
            by_op.setdefault(node.op, []).append(node.name)
    failed = False
    for op, nodes in sorted(by_op.items()):
        reason = _reason(subject, options, op)
        if reason:
            failed = True
            where = f"{len(nodes)} node{'s' if len(nodes) > 1 else ''}, first '{nodes[0]}'"
            yield subject.finding(ID, severity, False, f"op {op} {reason} ({where})", node=nodes[0])
    if not failed:
        yield subject.finding(ID, severity, True, f"all {len(by_op)} op types allowed")


def _reason(subject: Subject, options: dict, op: str) -> str:
    """Why ``op`` is not allowed here, or '' when it is."""
    if op in options.get("forbid", ()):
        return "is forbidden"
    if "allow" in options and op not in options["allow"]:
        return "is not in the allowed list"
    target = subject.target
    if options.get("target") and target is not None and target.supported_ops is not None:
        if op not in target.supported_ops:
            return f"is not supported by target {target.name}"
    return ""
