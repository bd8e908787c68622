"""ONNX operator-set domains, and the key an op goes by in edgegate's per-op tables."""

from __future__ import annotations

DEFAULT_DOMAINS = frozenset({"", "ai.onnx"})
"""Domain names that mean the default ONNX operator set."""

INFERRED_DOMAINS = DEFAULT_DOMAINS | {"ai.onnx.ml"}
"""Domains whose ops onnx's own shape inference knows (every other domain is a custom op's)."""


def op_key(op_type: str, domain: str) -> str:
    """``Conv`` for the default domain, ``com.microsoft.FusedConv`` for any other."""
    return op_type if domain in DEFAULT_DOMAINS else f"{domain}.{op_type}"
