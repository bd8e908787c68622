"""edgegate: a CI quality gate for ONNX models on edge devices.

The public API: :func:`estimate` returns the :class:`Estimate` that ``edgegate estimate``
prints; errors are :class:`EdgegateError` subclasses with exit codes.
"""

from __future__ import annotations

__version__ = "0.1.0"

from edgegate.errors import BindingError, EdgegateError, ModelError, PolicyError, UsageError
from edgegate.estimate.estimate import estimate
from edgegate.estimate.result import Estimate, Layer, Unestimated

__all__ = [
    "BindingError",
    "EdgegateError",
    "Estimate",
    "Layer",
    "ModelError",
    "PolicyError",
    "Unestimated",
    "UsageError",
    "__version__",
    "estimate",
]
