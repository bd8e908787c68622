"""The device's achievable peak compute (dense GEMM and convolution) and DRAM bandwidth.

Peak: the fastest run of a large dense MatMul and 3x3 convolution through onnxruntime (fp32;
MatMulInteger and QLinearConv for int8), or numpy's float32 matmul when onnxruntime is absent.
Bandwidth: STREAM's add kernel a = b + c over float64 arrays each at least four times the
last-level cache, split over the threads, the best of several passes; bytes counted as STREAM
counts them (read b and c, write a: 24 bytes per element). It moves the bytes of STREAM's
triad a = b + s * c; numpy has no fused multiply-add, so a triad would take a second pass.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
from onnx import TensorProto

from edgegate.target.measure.probes import Chain, Probe, conv_probe
from edgegate.target.measure.runtime import session, time_runs

DEFAULT_LLC_BYTES = 32 * 2**20
"""Assumed last-level cache when neither sysfs nor lscpu states one."""

_SIZE = re.compile(r"^\s*([\d.]+)\s*([KMG]?)i?B?\b", re.I)
_SCALE = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}


@dataclass(frozen=True)
class Rate:
    """A measured rate (FLOP/s, OP/s or B/s) and how it was measured, for ``sources:``."""

    value: float
    method: str


def parse_size(text: str) -> int | None:
    """``32768K``, ``32 MiB``, ``1 MiB (2 instances)`` -> bytes; None when not a size."""
    match = _SIZE.match(text)
    if not match:
        return None
    return int(float(match.group(1)) * _SCALE[match.group(2).upper()])


def last_level_cache(sysfs: Path = Path("/sys/devices/system/cpu/cpu0/cache")) -> tuple[int, str]:
    """The last-level cache's size in bytes and where it was read (sysfs, lscpu, or assumed)."""
    levels = []
    for index in sorted(sysfs.glob("index*")):
        try:
            kind = (index / "type").read_text().strip()
            level = int((index / "level").read_text())
            size = parse_size((index / "size").read_text())
        except (OSError, ValueError):
            continue
        if kind != "Instruction" and size:
            levels.append((level, size))
    if levels:
        return max(levels)[1], "sysfs"
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        text = ""
    found = [(line.split(":")[0], parse_size(line.split(":", 1)[1]))
             for line in text.splitlines() if re.match(r"^L\d\w* cache:", line)]
    sizes = [size for _, size in sorted(found) if size]
    return (sizes[-1], "lscpu") if sizes else (DEFAULT_LLC_BYTES, "assumed")


def add_bandwidth(elements: int, threads: int, passes: int) -> float:
    """Bytes per second of the best of ``passes`` of a = b + c over ``elements`` float64, each
    thread adding its own slice."""
    a, b, c = np.ones(elements), np.ones(elements), np.full(elements, 2.0)
    bounds = np.linspace(0, elements, threads + 1).astype(int)
    slices = [slice(int(bounds[i]), int(bounds[i + 1])) for i in range(threads)]

    def work(part: slice) -> None:
        np.add(b[part], c[part], out=a[part])

    best = float("inf")
    for _ in range(passes):
        workers = [threading.Thread(target=work, args=(part,)) for part in slices]
        start = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        best = min(best, time.perf_counter() - start)
    return 24 * elements / best


def bandwidth(threads: int, quick: bool) -> Rate:
    """The DRAM bandwidth over arrays well beyond the last-level cache."""
    cache, where = last_level_cache()
    factor = 2 if quick else 4
    elements = max(factor * cache, 16 * 2**20) // 8
    passes = 3 if quick else 10
    rate = add_bandwidth(elements, threads, passes)
    mib = elements * 8 // 2**20
    return Rate(rate, f"STREAM add a = b + c over 3 x {mib} MiB float64 ({factor}x the {cache // 2**20} MiB"
                      f" last-level cache, {where}), {threads} threads, best of {passes}")


def _matmul_probe(size: int, int8: bool) -> Probe:
    """One dense ``size`` x ``size`` x ``size`` MatMul (MatMulInteger uint8 x int8 for int8)."""
    graph = Chain()
    if int8:
        out = graph.node("MatMulInteger", ["x", graph.weight((size, size), np.int8)])
        dtype = TensorProto.UINT8
    else:
        out = graph.node("MatMul", ["x", graph.weight((size, size))])
        dtype = TensorProto.FLOAT
    inputs = (("x", (size, size), dtype),)
    model = graph.model(inputs, out)
    model.graph.output[0].type.tensor_type.elem_type = TensorProto.INT32 if int8 else TensorProto.FLOAT
    return Probe("gemm", f"matmul {size}^3", model, inputs)


def onnxruntime_peak(ort: ModuleType, int8: bool, threads: int, quick: bool,
                     flops_of: Callable[[Probe], int]) -> Rate:
    """The fastest FLOP/s (OP/s for int8) of a dense MatMul and a 3x3 convolution."""
    size = 256 if quick else 1024
    candidates = [_matmul_probe(size, int8), conv_probe(64 if quick else 256, 28, 1, int8)]
    rng = np.random.default_rng(0)
    best, label = 0.0, ""
    for probe in candidates:
        run = session(ort, probe.model.SerializeToString(), threads).run
        fastest = min(time_runs(run, probe.feeds(rng), 3 if quick else 10, 2))
        rate = flops_of(probe) / fastest
        if rate > best:
            best, label = rate, probe.label
    return Rate(best, f"fastest of onnxruntime {' and '.join(p.label for p in candidates)}"
                      f" (best: {label}), {threads} threads")


def numpy_peak(quick: bool) -> Rate:
    """The fastest FLOP/s of numpy's float32 matmul (its BLAS picks the threads)."""
    size = 256 if quick else 1024
    rng = np.random.default_rng(0)
    x, w = rng.random((size, size), dtype=np.float32), rng.random((size, size), dtype=np.float32)
    np.matmul(x, w)
    fastest = float("inf")
    for _ in range(3 if quick else 10):
        start = time.perf_counter()
        np.matmul(x, w)
        fastest = min(fastest, time.perf_counter() - start)
    return Rate(2 * size**3 / fastest, f"numpy float32 matmul {size}^3 (BLAS threads as configured),"
                                       " fastest run")
