"""``edgegate ops``: which ONNX standard ops edgegate can cost, by domain and opset.

The standard ops are those onnx itself defines (``onnx.defs``), every domain and version, as
the table :mod:`edgegate.model.standard_ops` holds them (so listing them needs no onnx import).
An op is covered when the registry has a formula for it, or when the estimator handles it
without one (Constant folds, If/Loop/Scan cost their subgraphs). The ai.onnx.ml ops that
sklearn exporters emit are standard, in their own domain. onnxruntime's com.microsoft ops, and
its com.microsoft.nchwc blocked-layout ops, are not in the standard: the registry's formulas for
them are listed apart.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from edgegate.cost.registry import OPS, lookup
from edgegate.model.domains import DEFAULT_DOMAINS
from edgegate.model.standard_ops import STANDARD_OPS

HANDLED: dict[str, str] = {
    "Constant": "folded: a constant",
    "If": "control flow: costs the branch it takes",
    "Loop": "control flow: costs its body per trip",
    "Scan": "control flow: costs its body per step",
}
"""Default-domain ops the estimator handles without a registry formula, and how."""


@dataclass(frozen=True)
class StandardOp:
    """One op of the ONNX standard: its domain, name, the opsets that (re)define it, coverage."""

    domain: str
    name: str
    opsets: tuple[int, ...]
    deprecated: bool
    how: str | None

    @property
    def covered(self) -> bool:
        """True when edgegate costs this op."""
        return self.how is not None


def _how(domain: str, name: str) -> str | None:
    """How edgegate costs ``domain``'s ``name``, or None when it cannot.

    A formula is found exactly as the estimator finds it, through the registry's lookup.
    """
    if lookup(name, domain) is not None:
        return "formula"
    return HANDLED.get(name) if domain in DEFAULT_DOMAINS else None


def standard_ops() -> list[StandardOp]:
    """Every op onnx defines, sorted by domain and name, with its coverage."""
    return [
        StandardOp(domain, name, opsets, deprecated, _how(domain, name))
        for (domain, name), (opsets, deprecated) in sorted(STANDARD_OPS.items())
    ]


def contrib_ops() -> list[str]:
    """Registry ops outside the ONNX standard (``domain.OpType`` keys), sorted."""
    standard = {(op.domain, op.name) for op in standard_ops()}
    return sorted(key for key in OPS if "." in key and tuple(key.rsplit(".", 1)) not in standard)


def _write_domain(domain: str, ops: list[StandardOp], missing: bool, out: TextIO) -> None:
    covered = sum(op.covered for op in ops)
    opsets = [v for op in ops for v in op.opsets]
    out.write(f"{domain} (opsets {min(opsets)}-{max(opsets)}): {covered} of {len(ops)} ops costed\n")
    width = max(len(op.name) for op in ops)
    for op in ops:
        if missing and op.covered:
            continue
        how = op.how or "no formula: listed as unestimated"
        note = ", deprecated" if op.deprecated else ""
        opsets_text = ",".join(str(v) for v in op.opsets)
        out.write(f"  {op.name:<{width}}  opsets {opsets_text}{note}  {how}\n")


def write(ops: Iterable[StandardOp], contrib: list[str], missing: bool, out: TextIO) -> None:
    """The coverage report: per domain a summary line, then its ops (only uncovered ones with
    ``missing``), then the non-standard ops that have formulas."""
    by_domain: dict[str, list[StandardOp]] = defaultdict(list)
    for op in ops:
        by_domain[op.domain].append(op)
    for domain, found in by_domain.items():
        _write_domain(domain, found, missing, out)
    if not missing and contrib:
        out.write(f"outside the ONNX standard: {len(contrib)} ops costed\n")
        for key in contrib:
            out.write(f"  {key}  formula\n")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``edgegate ops``."""
    parser.add_argument("--missing", action="store_true",
                        help="list only the standard ops that have no cost formula")


def run(args: argparse.Namespace) -> int:
    """Print the coverage report; always exits 0."""
    write(standard_ops(), contrib_ops(), args.missing, sys.stdout)
    return 0
