"""Run a model with onnxruntime on random inputs of its bound shapes, and time it.

The inputs get the shapes the estimate binds (``--dim``, ``--input-shape``), random values of
their dtypes (floats in [0, 1), small integers), and a scalar given ``--input-value`` that
value; so the run and the prediction see the same shapes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType

import numpy as np
import onnx

from edgegate.errors import ModelError, UsageError
from edgegate.model.bind import bind_inputs, graph_inputs
from edgegate.model.isolate import forked
from edgegate.model.load import load_model
from edgegate.model.screen import memory_cap
from edgegate.target.measure.probes import random_array
from edgegate.target.measure.runtime import session, time_runs
from edgegate.target.measure.stats import Timing, summarize

MAX_FEED_BYTES = 1 << 30
"""The most bytes the random inputs of one model may take together: a model whose bound
inputs need more is refused before anything is allocated."""

RUN_MEMORY_BYTES = 8 << 30
"""The most memory (address space) onnxruntime may take beyond what edgegate uses while it
loads and runs the model: a model whose tensors need more fails cleanly instead of exhausting
the machine (where the OS can limit it: Linux)."""


def _input_dtype(path: str, value: onnx.ValueInfoProto) -> np.dtype:
    """The numpy dtype of a tensor input; UsageError when it has none numpy can fill."""
    tensor_type = value.type.tensor_type
    if tensor_type.elem_type == onnx.TensorProto.STRING:
        raise UsageError(f"input '{value.name}' holds strings: edgegate measure feeds numbers only", path)
    try:
        return np.dtype(onnx.helper.tensor_dtype_to_np_dtype(tensor_type.elem_type))
    except (KeyError, TypeError, ValueError):
        raise UsageError(f"input '{value.name}' has no element type edgegate measure can feed"
                         f" ({tensor_type.elem_type})", path) from None


def random_inputs(path: str, dims: Mapping[str, int], input_shapes: Mapping[str, Sequence[int]],
                  input_values: Mapping[str, float], seed: int = 0) -> dict[str, np.ndarray]:
    """Random arrays for every input of the model at ``path``, at its bound shapes."""
    proto = load_model(path)
    bind_inputs(proto, dims, input_shapes)
    rng = np.random.default_rng(seed)
    planned = []
    for value in graph_inputs(proto.graph):
        if not value.type.HasField("tensor_type"):
            raise UsageError(f"input '{value.name}' is not a tensor: edgegate measure feeds tensors only",
                             path)
        shape = [dim.dim_value for dim in value.type.tensor_type.shape.dim]
        planned.append((value, shape, _input_dtype(path, value)))
    total = sum(math.prod(shape) * dtype.itemsize for _, shape, dtype in planned)
    if total > MAX_FEED_BYTES:
        raise UsageError(f"its inputs at the bound shapes take {total:,} bytes; edgegate measure"
                         f" feeds at most {MAX_FEED_BYTES:,} (bind smaller dims)", path)
    feeds = {}
    for value, shape, dtype in planned:
        if value.name in input_values:
            feeds[value.name] = np.full(shape, input_values[value.name], dtype=dtype)
        else:
            feeds[value.name] = random_array(rng, shape, value.type.tensor_type.elem_type)
    return feeds


def _run_times(ort: ModuleType, path: str, feeds: Mapping[str, np.ndarray], threads: int, runs: int,
               warmup: int) -> list[float] | str:
    """Seconds of each timed run, or why onnxruntime could not run the model."""
    try:
        with memory_cap(RUN_MEMORY_BYTES):
            return time_runs(session(ort, path, threads).run, feeds, runs, warmup)
    except Exception as error:  # noqa: BLE001 - onnxruntime raises its own types for bad models
        return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _in_child(work: Callable[[], list[float] | str]) -> list[float] | str:
    """``work()`` in a forked child, so that native code crashing on a model (a signal) costs
    the child, not edgegate; in this process where the OS cannot fork."""
    outcome = forked(lambda: json.dumps(work()).encode("utf-8"))
    if outcome is None:
        return work()
    if outcome.signal is not None:
        return f"onnxruntime died on it ({outcome.signal})"
    try:
        found = json.loads(outcome.output)
    except ValueError:
        return "onnxruntime ended without a result"
    return found if isinstance(found, (list, str)) else "onnxruntime ended without a result"


def time_model(ort: ModuleType, path: str, feeds: Mapping[str, np.ndarray], threads: int, runs: int,
               warmup: int) -> Timing:
    """The Timing of ``runs`` inferences of the model at ``path`` after ``warmup`` uncounted ones,
    run in a child process; ModelError when onnxruntime cannot run the model or dies on it."""
    found = _in_child(lambda: _run_times(ort, path, feeds, threads, runs, warmup))
    if isinstance(found, str):
        raise ModelError(f"onnxruntime cannot run it: {found}", path)
    return summarize(found)
