"""edgegate: a CI quality gate for ONNX models on edge devices.

The public API: :func:`estimate` returns the :class:`Estimate` that ``edgegate estimate``
prints; errors are :class:`EdgegateError` subclasses with exit codes. The estimator's names
load on first use, so importing ``edgegate`` (or any leaf module such as ``edgegate.units``)
does not import onnx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from edgegate.version import __version__

if TYPE_CHECKING:
    from edgegate.errors import BindingError, EdgegateError, ModelError, PolicyError, UsageError
    from edgegate.estimator.estimate import estimate
    from edgegate.estimator.result import Estimate, Layer, Unestimated

_LAZY = {
    "BindingError": "edgegate.errors",
    "EdgegateError": "edgegate.errors",
    "ModelError": "edgegate.errors",
    "PolicyError": "edgegate.errors",
    "UsageError": "edgegate.errors",
    "estimate": "edgegate.estimator.estimate",
    "Estimate": "edgegate.estimator.result",
    "Layer": "edgegate.estimator.result",
    "Unestimated": "edgegate.estimator.result",
}

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


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'edgegate' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
