"""ONNX operator-set domains, and the key an op goes by in edgegate's per-op tables."""

from __future__ import annotations

DEFAULT_DOMAINS = frozenset({"", "ai.onnx"})
"""Domain names that mean the default ONNX operator set."""

INFERRED_DOMAINS = DEFAULT_DOMAINS | {"ai.onnx.ml"}
"""Domains whose ops onnx's own shape inference knows (every other domain is a custom op's)."""


RUNTIME_DEFAULT_DOMAIN_OPS = {"SimplifiedLayerNormalization": "com.microsoft"}
"""onnxruntime ops that its optimizer and onnxruntime-genai write in the default domain
although ONNX does not define them: they go by their contrib key."""


def op_key(op_type: str, domain: str) -> str:
    """``Conv`` for the default domain, ``com.microsoft.FusedConv`` for any other."""
    return op_type if domain in DEFAULT_DOMAINS else f"{domain}.{op_type}"


def formula_key(op_type: str, domain: str) -> str:
    """The key of the op's cost formula: :func:`op_key`, except that onnxruntime's ops written
    in the default domain go by their contrib key."""
    runtime = RUNTIME_DEFAULT_DOMAIN_OPS.get(op_type) if domain in DEFAULT_DOMAINS else None
    return f"{runtime}.{op_type}" if runtime else op_key(op_type, domain)
