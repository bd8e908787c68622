"""One fixed check run that every reporter's golden output is made from.

Three models: one that passes (with a target and a ratchet hint), one whose path, node names,
layer names and policy advice are hostile (commas, colons, percent signs, newlines, workflow
commands, markdown images, HTML), and one that could not be read; plus a skipped model.
"""

from __future__ import annotations

from typing import Any

from edgegate.rules.findings import Contributor, Finding, LayerTime, ModelResult, RunResult

HOSTILE = "models/we,ird: 100%\n::error::pwned.onnx"
"""A model path a pull request could add: comma, colon, percent sign, newline, a workflow command."""

HOSTILE_NODE = "\n::error file=x.py::injected"
HOSTILE_LAYER = "conv::warning::x\n##[set-output name=violations;]0"
HOSTILE_ADVICE = "split | the ![backbone](http://x.invalid/p.png) <img src=x> & 50% off"

SETTINGS = {"dims": {"batch": 1}, "input_shapes": {}, "precision": "model", "fusion": "paper",
            "target": None, "fps": None, "unestimated": "fail"}


def _finding(model: str, rule: str, passed: bool, message: str, **fields: Any) -> Finding:
    """A Finding under budget ``edge`` (severity error unless given)."""
    severity = fields.pop("severity", "error")
    return Finding(rule, severity, passed, model, message, budget="edge", **fields)


def _kws() -> ModelResult:
    """Passes, on target mcu (1 GFLOP/s, 500 MB/s). Its two heaviest layers on the roofline: conv1
    36864 FLOPs, 24576 B takes max(36.864 us, 49.152 us) = 49.152 us (memory-bound); fc 2048
    FLOPs, 3072 B takes max(2.048 us, 6.144 us) = 6.144 us; shares of 55.296 us, the latency; FLOPs
    36864 + 2048 = 38912 and DRAM bytes 24576 + 3072 = 27648 in all. flops 38912 <= 5 MFLOP: headroom (5e6 - 38912) / 5e6 = 99.2%; ratchet 38912 x 1.1
    = 42803 -> 43 kFLOP. peak 9216 B <= 16 KiB (16384): headroom (16384 - 9216) / 16384 = 43.75%."""
    model = "models/kws.onnx"
    return ModelResult(
        model, "edge",
        findings=(
            _finding(model, "limits", True, "flops 38.9 kFLOP <= 5 MFLOP", metric="flops", value=38912,
                     limit=5_000_000, bound="max", unit="FLOP", suggestion="max: 43 kFLOP"),
            _finding(model, "limits", True, "peak_activation_bytes 9 KiB <= 16 KiB",
                     metric="peak_activation_bytes", value=9216, limit=16384, bound="max", unit="B"),
            _finding(model, "ops", True, "all 2 op types allowed"),
        ),
        metrics={"flops": 38912, "peak_activation_bytes": 9216, "dram_bytes": 27648,
                 "dram_bytes_onchip": 27648, "latency_ms": 0.055296},
        settings={**SETTINGS, "target": "mcu", "fps": 30},
        target={"name": "mcu", "description": "a microcontroller", "source": "datasheet",
                "precision": "fp32", "peak_flops": 1e9, "dram_bandwidth": 5e8, "ridge_point": 2.0,
                "bound": "bandwidth", "onchip_bytes": 524288, "weights_resident": True, "fits_onchip": True},
        coverage={"nodes": 2, "known_nodes": 2, "custom_nodes": 0, "unestimated_nodes": 0,
                  "node_share": 1.0, "flop_share": 1.0},
        layers=(LayerTime("conv1", ("Conv", "Relu"), 36864, 24576, 49.152e-6, 49.152 / 55.296, "bandwidth"),
                LayerTime("fc", ("Gemm",), 2048, 3072, 6.144e-6, 6.144 / 55.296, "bandwidth")),
        seconds=0.012,
    )


def _hostile() -> ModelResult:
    """Fails. flops 11567104 > max 5 MFLOP: excess (11567104 - 5e6) / 5e6 = 131.3%, 82% of it in
    the first layer (9469952 / 11567104); params 6000 > 5000 is only a warning (excess 20%);
    op Sin forbidden."""
    return ModelResult(
        HOSTILE, "edge",
        findings=(
            _finding(HOSTILE, "limits", False, "flops 11.6 MFLOP exceeds max 5 MFLOP", metric="flops",
                     value=11567104, limit=5_000_000, bound="max", unit="FLOP", advice=HOSTILE_ADVICE),
            _finding(HOSTILE, "limits", False, "params 6 kparam exceeds max 5 kparam", metric="params",
                     value=6000, limit=5000, bound="max", unit="param", severity="warning"),
            _finding(HOSTILE, "ops", False, f"op Sin is forbidden (1 node, first '{HOSTILE_NODE}')",
                     node=HOSTILE_NODE),
        ),
        metrics={"flops": 11567104, "params": 6000},
        settings=SETTINGS,
        coverage={"nodes": 3, "known_nodes": 3, "custom_nodes": 0, "unestimated_nodes": 0,
                  "node_share": 1.0, "flop_share": 1.0},
        contributors={"flops": (Contributor(HOSTILE_LAYER, 9469952, 9469952 / 11567104, "FLOP"),
                                Contributor("conv2", 2097152, 2097152 / 11567104, "FLOP"))},
        seconds=0.03,
    )


def _broken() -> ModelResult:
    """Could not be read (exit code 3)."""
    return ModelResult("models/broken.onnx", "edge", settings=SETTINGS, exit_code=3,
                       error="models/broken.onnx: a Git LFS pointer, not the model (run git lfs pull)",
                       seconds=0.002)


def run_result(strict: bool = False, no_fail: bool = False) -> RunResult:
    """The fixed run: kws passes, the hostile model fails, broken is an error; one skipped."""
    return RunResult("edgegate.yaml", (_kws(), _hostile(), _broken()), strict, no_fail,
                     skipped=("docs/other,model.onnx",))


def records(strict: bool = False) -> dict[str, Any]:
    """The run's JSON records, with the version pinned so goldens survive a release."""
    document = run_result(strict).as_records()
    document["edgegate_version"] = "0.0.0+golden"
    return document
