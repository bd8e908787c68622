"""onnxruntime, imported only when a measurement needs it: sessions at a thread count, and timing.

A session runs sequentially with ``threads`` intra-op threads and one inter-op thread, with
every graph optimization on (what a deployment gets). Times are wall-clock seconds per run,
after warm-up runs that are not counted.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np

from edgegate.errors import UsageError

INSTALL_HINT = "pip install 'edgegate[measure]'"


def onnxruntime_or_none() -> ModuleType | None:
    """The onnxruntime module, or None when it is not installed."""
    try:
        return importlib.import_module("onnxruntime")
    except ImportError:
        return None


def require_onnxruntime(what: str) -> ModuleType:
    """The onnxruntime module; UsageError (exit 2) saying how to install it when absent."""
    module = onnxruntime_or_none()
    if module is None:
        raise UsageError(f"{what} needs onnxruntime, which is not installed: {INSTALL_HINT}")
    return module


def session(ort: ModuleType, model: bytes | str, threads: int) -> Any:
    """An onnxruntime CPU session of ``model`` (serialized bytes or a path) at ``threads``."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])


def time_runs(run: Any, feeds: Mapping[str, np.ndarray], runs: int, warmup: int) -> list[float]:
    """Seconds of each of ``runs`` calls of ``run(None, feeds)`` after ``warmup`` uncounted calls."""
    for _ in range(warmup):
        run(None, feeds)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run(None, feeds)
        times.append(time.perf_counter() - start)
    return times


def version(ort: ModuleType) -> str:
    """``onnxruntime 1.x.y``."""
    return f"onnxruntime {ort.__version__}"
