"""edgegate: a CI quality gate for ONNX models on edge devices."""

from __future__ import annotations

__version__ = "0.1.0"
