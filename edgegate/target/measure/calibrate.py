"""Measure a device: peak compute per precision, DRAM bandwidth, and each op class's efficiency.

A class's efficiency is the FLOP rate its probes reach together over the measured peak:
sum of the probes' FLOPs (counted by edgegate, as a prediction will count them) / (peak x sum
of their median times). This is the share of the peak that makes the roofline's compute term
equal the measured time of those layers. Classes that a quantized model runs in float
(``probes.FLOAT_ONLY``) are probed in float at int8 too: their int8 efficiency is their float
rate over the int8 peak. The peak is the fastest rate measured: when a class's layers ran
faster than the dense MatMul and convolution, the peak is raised to their rate. Without
onnxruntime only the peak (numpy, fp32) and the bandwidth are measured.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np

from edgegate.estimator.estimate import estimate
from edgegate.target.classify import layer_classes
from edgegate.target.measure import device
from edgegate.target.measure.device import Rate
from edgegate.target.measure.probes import Probe, probes
from edgegate.target.measure.runtime import session, time_runs, version

Progress = Callable[[int, int, str], None]
"""Called with (steps done, steps in all, what runs now)."""


@dataclass(frozen=True)
class ProbeResult:
    """One probe's op class, label, FLOPs of that class (edgegate's count) and median seconds."""

    op_class: str
    label: str
    flops: int
    seconds: float


@dataclass
class DeviceMeasurement:
    """Everything ``edgegate target measure`` found, and how."""

    peak: dict[str, Rate]
    bandwidth: Rate
    efficiency: dict[str, dict[str, float]]
    runtime: str
    threads: int
    probes: dict[str, list[ProbeResult]] = field(default_factory=dict)


def class_rates(results: Sequence[ProbeResult]) -> dict[str, float]:
    """FLOP/s each class reaches over its probes together: sum of FLOPs / sum of seconds."""
    flops: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for result in results:
        flops[result.op_class] = flops.get(result.op_class, 0) + result.flops
        seconds[result.op_class] = seconds.get(result.op_class, 0.0) + result.seconds
    return {name: flops[name] / seconds[name] for name in flops if seconds[name] > 0 and flops[name] > 0}


def efficiencies(rates: Mapping[str, float], peak: float) -> dict[str, float]:
    """Each class's rate over ``peak``, to three significant digits."""
    return {name: float(f"{rate / peak:.3g}") for name, rate in rates.items()}


def raised_peak(peak: Rate, rates: Mapping[str, float]) -> Rate:
    """``peak``, or the rate of the fastest class when its layers ran faster than the peak's
    kernels: the peak is the fastest rate measured, so no measured efficiency exceeds 1."""
    fastest = max(rates, key=lambda name: rates[name], default=None)
    if fastest is None or rates[fastest] <= peak.value:
        return peak
    return Rate(rates[fastest], f"{peak.method}; raised to the {fastest} layers' rate, the fastest measured")


def probe_flops(probe: Probe) -> int:
    """The FLOPs of the probe's layers of its class, as edgegate counts them."""
    found = estimate(probe.model)
    classes = layer_classes(found, probe.model)
    return sum(layer.flops for layer, name in zip(found.layers, classes) if name == probe.op_class)


def median_seconds(run: Callable[..., object], feeds: Mapping[str, np.ndarray], quick: bool) -> float:
    """The median seconds of a run, over enough runs to fill about 0.3 s (0.05 s when quick)."""
    first = min(time_runs(run, feeds, 2, 1))
    budget, least = (0.05, 3) if quick else (0.3, 7)
    runs = max(least, min(200, int(budget / max(first, 1e-6))))
    return float(np.median(time_runs(run, feeds, runs, 0)))


def time_probe(ort: ModuleType, probe: Probe, threads: int, quick: bool) -> ProbeResult:
    """One probe timed with onnxruntime at ``threads``."""
    run = session(ort, probe.model.SerializeToString(), threads).run
    seconds = median_seconds(run, probe.feeds(np.random.default_rng(0)), quick)
    return ProbeResult(probe.op_class, probe.label, probe_flops(probe), seconds)


def measure_device(ort: ModuleType | None, precisions: Sequence[str], threads: int, quick: bool,
                   progress: Progress) -> DeviceMeasurement:
    """Peak per precision, bandwidth and, with onnxruntime, efficiencies; ``progress`` follows."""
    plan = {precision: probes(int8=precision == "int8", quick=quick) if ort is not None else []
            for precision in precisions}
    total = 1 + len(precisions) + sum(len(found) for found in plan.values())
    done = 0

    def step(label: str) -> None:
        nonlocal done
        progress(done, total, label)
        done += 1

    step("DRAM bandwidth (STREAM add)")
    measured = DeviceMeasurement({}, device.bandwidth(threads, quick), {},
                                 version(ort) if ort is not None else f"numpy {np.__version__}", threads)
    for precision in precisions:
        step(f"{precision} peak compute")
        if ort is None:
            measured.peak[precision] = device.numpy_peak(quick)
            continue
        measured.peak[precision] = device.onnxruntime_peak(ort, precision == "int8", threads, quick,
                                                           probe_flops)
        results = []
        for probe in plan[precision]:
            step(f"{precision} {probe.label}")
            results.append(time_probe(ort, probe, threads, quick))
        measured.probes[precision] = results
        rates = class_rates(results)
        measured.peak[precision] = raised_peak(measured.peak[precision], rates)
        measured.efficiency[precision] = efficiencies(rates, measured.peak[precision].value)
    progress(total, total, "done")
    return measured
