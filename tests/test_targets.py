"""Targets: the shipped profiles and their cited figures, roofline latency, DRAM traffic with
on-chip memory (equal to the paper's figure with none), bandwidth at a frame rate, ridge point."""

from __future__ import annotations

import re

import pytest
from gate_helpers import conv_relu, estimate_of, layer, save, skip_estimate
from onnx import helper

import edgegate
from edgegate.config import resources
from edgegate.target.load import load_shipped_target
from edgegate.target.roofline import evaluate, onchip_dram_per_layer
from edgegate.target.types import Target, compute_precision

TOY = Target("toy", {"fp32": 1000.0}, dram_bandwidth=100.0)


@pytest.mark.parametrize(("name", "peak", "bandwidth", "onchip", "weights"), [
    # 480 MHz x 2 FLOP and x 4 OP per cycle; 4 B x 100 MHz; 864 KiB = 884736; 2 MiB flash
    ("stm32h743", {"fp32": 0.96e9, "int8": 1.92e9}, 400e6, 884_736, 2_097_152),
    # 4 x 2.4 GHz x (16, 32, 64) per cycle; 4267e6 x 4 B; 2 MiB L3
    ("raspberry-pi-5", {"fp32": 153.6e9, "fp16": 307.2e9, "int8": 614.4e9}, 17.068e9, 2_097_152, 0),
    # 1024 x 625 MHz x 2; 20 dense TOPS / 2; 20 TOPS; 68 GB/s
    ("jetson-orin-nano-8gb", {"fp32": 1.28e12, "fp16": 10e12, "int8": 20e12}, 68e9, 0, 0),
    # 4 TOPS; 5 Gbit/s x 8/10 / 8; 8 MB parameter SRAM
    ("coral-usb-accelerator", {"int8": 4e12}, 500e6, 0, 8_000_000),
])
def test_shipped_target_figures(name, peak, bandwidth, onchip, weights):
    target = load_shipped_target(name)
    assert target.peak == pytest.approx(peak, rel=1e-12)
    assert target.dram_bandwidth == pytest.approx(bandwidth, rel=1e-12)
    assert (target.onchip_bytes, target.weight_store_bytes) == (onchip, weights)


def test_every_shipped_figure_has_a_comment_and_every_file_cites_sources():
    figure = re.compile(r"^\s*(fp32|fp16|int8|dram_bandwidth|onchip_bytes|weight_store_bytes):")
    targets = resources.targets()
    assert sorted(targets) == ["coral-usb-accelerator", "jetson-orin-nano-8gb", "raspberry-pi-5",
                               "stm32h743"]
    for name, entry in targets.items():
        lines = entry.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if figure.match(line):
                assert lines[number - 1].lstrip().startswith("#"), f"{name}:{number + 1} uncommented"
        assert "sources:" in lines and any(line.strip().startswith("- https://") for line in lines)


def test_onchip_walk_with_no_memory_is_the_papers_dram_figure():
    estimate = skip_estimate()
    assert onchip_dram_per_layer(estimate, 0, False) == [310, 520, 550]
    assert sum(onchip_dram_per_layer(estimate, 0, False)) == estimate.dram_bytes == 1380


@pytest.mark.parametrize(("capacity", "resident", "outputs", "expected"), [
    # 400 B: a (200) stays on chip for L1 and L2; b (300) does not fit beside it.
    # L0 310-200, L1 520-200 (reads a on chip), L2 550-200 (reads a on chip) = 110, 320, 350
    (400, False, None, [110, 320, 350]),
    # 500 B: b fits beside a (200 + 300 <= 500): L1 writes nothing, L2 reads nothing from DRAM
    (500, False, None, [110, 20, 50]),
    # resident weights drop L0's 10 and L1's 20 weight bytes
    (500, True, None, [100, 0, 50]),
    # b is also a graph output: it goes to DRAM however much room there is
    (500, False, ["b", "y"], [110, 320, 350]),
])
def test_onchip_walk_keeps_what_fits(capacity, resident, outputs, expected):
    assert onchip_dram_per_layer(skip_estimate(outputs), capacity, resident) == expected


def test_roofline_latency_bound_and_bandwidth():
    report = evaluate(skip_estimate(), TOY, "fp32", fps=2)
    # L0 max(1000/1000, 310/100) = 3.1 s bandwidth; L1 max(50, 5.2) = 50 s compute; L2 5.5 s
    assert [(t.name, t.bound) for t in report.layers] == [("L0", "bandwidth"), ("L1", "compute"),
                                                          ("L2", "bandwidth")]
    assert report.latency_ms == pytest.approx(58_600)
    assert report.ridge_point == 10  # 1000 FLOP/s / 100 B/s
    assert report.bound == "compute"  # 51000 FLOP / 1380 B = 36.96 >= 10
    assert report.bandwidth_at_fps == 2760  # 1380 B x 2 fps
    assert report.metrics() == {"dram_bytes_onchip": 1380, "latency_ms": pytest.approx(58_600),
                                "bandwidth_at_fps": 2760}
    assert report.fits_onchip is False  # peak 550 B, no on-chip memory


def test_bandwidth_bound_model_and_no_fps():
    sizes = {"x": 1000, "y": 1000}
    estimate = estimate_of([layer(0, "copy", ["x"], ["y"], sizes, flops=100)], sizes)
    report = evaluate(estimate, TOY, "fp32", fps=None)
    assert report.bound == "bandwidth"  # 100 FLOP / 2000 B = 0.05 < 10
    assert report.latency_ms == 20_000  # 2000 B / 100 B/s = 20 s
    assert report.bandwidth_at_fps is None and "bandwidth_at_fps" not in report.metrics()


@pytest.mark.parametrize(("precision", "weight_bytes", "params", "expected"), [
    ("int8", 400, 100, "int8"),  # an explicit precision wins
    ("fp16", 400, 100, "fp16"),
    ("model", 100, 100, "int8"),  # 1 byte per param
    ("model", 200, 100, "fp16"),  # 2 bytes per param
    ("model", 400, 100, "fp32"),  # 4 bytes per param
    ("model", 0, 0, "fp32"),  # no weights at all
])
def test_compute_precision(precision, weight_bytes, params, expected):
    sizes = {"x": 1, "y": 1}
    base = layer(0, "l", ["x"], ["y"], sizes, weight_bytes=weight_bytes)
    estimate = estimate_of([base], sizes, precision=precision)
    estimate = type(estimate)(**{**estimate.__dict__, "params": params})
    assert compute_precision(estimate) == expected


def test_target_helpers():
    target = Target("t", {"int8": 4e12}, 5e8, weight_store_bytes=8_000_000)
    assert target.ridge_point("int8") == 8000  # 4e12 / 5e8
    assert target.ridge_point("fp32") is None
    assert target.weights_resident(8_000_000) and not target.weights_resident(8_000_001)
    assert not target.weights_resident(0)
    assert target.missing_peak("fp32") == "target 't' lists no peak for fp32 (it lists int8)"


@pytest.mark.parametrize("model", [
    conv_relu(3, 8, 16),
    conv_relu(4, 4, 8, extra_nodes=[
        helper.make_node("Add", ["r", "x"], ["y"], name="skip")]),
])
def test_real_estimates_keep_the_papers_figure_with_no_onchip_memory(tmp_path, model):
    estimate = edgegate.estimate(str(save(model, tmp_path / "m.onnx")))
    traffic = onchip_dram_per_layer(estimate, 0, False)
    assert traffic == [item.dram_bytes for item in estimate.layers]
    assert sum(traffic) == estimate.dram_bytes
