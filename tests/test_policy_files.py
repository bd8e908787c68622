"""Example policies: each file in tests/policies/invalid/ ends with the exact error it must
raise (``# expect: {file}:line:col: ...``); each in valid/ loads, with the budgets it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgegate.errors import PolicyError
from edgegate.metrics import METRICS
from edgegate.policy.load import load_policy
from edgegate.policy.types import Limit

HERE = Path(__file__).parent / "policies"
INVALID = sorted((HERE / "invalid").glob("*.yaml"))
VALID = sorted((HERE / "valid").glob("*.yaml"))


def _stated(path: Path, marker: str) -> str:
    """The text after ``# <marker>`` in ``path``."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"# {marker}"):
            return line[len(marker) + 2:].strip()
    raise AssertionError(f"{path.name} states no '{marker}'")


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_policy_fails_with_its_stated_error(path):
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert str(error.value) == _stated(path, "expect:").replace("{file}", str(path))


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_policy_loads_with_its_stated_budgets(path):
    policy = load_policy(path)
    assert [budget.name for budget in policy.budgets] == _stated(path, "expect budgets:").split(", ")


def test_every_schema_error_class_has_an_invalid_example():
    assert len(INVALID) >= 30
    names = {p.stem for p in INVALID}
    for needed in ("unknown_budget_key", "unknown_metric", "malformed_unit", "negative_limit",
                   "min_above_max", "yaml_syntax", "duplicate_key", "wrong_version"):
        assert needed in names


def test_full_policy_builds_every_setting_and_limit_in_base_units():
    policy = load_policy(HERE / "valid" / "full.yaml")
    detector, kws = policy.budgets
    assert detector.include == ("models/detector/**/*.onnx",)
    assert detector.exclude == ("**/*_fp32.onnx",)
    settings = detector.settings
    assert (settings.dims, settings.input_shapes) == ({"batch": 1}, {"images": (1, 3, 640, 640)})
    assert (settings.precision, settings.fusion, settings.target) == ("int8", "paper", "my-npu")
    assert (settings.fps, settings.unestimated) == (30, "warn")
    limits = {limit.metric: limit for limit in detector.limits}
    assert set(limits) == set(METRICS)  # the example uses every metric
    assert limits["flops"] == Limit("flops", 8_000_000_000, None, "error", "split the backbone")
    assert limits["macs"] == Limit("macs", 4_000_000_000, None, "warning")
    assert limits["params"].max == 5_000_000
    assert limits["weight_bytes"].max == 4 * 1024**2
    assert limits["peak_activation_bytes"].max == 4_000_000  # MB is decimal
    assert limits["arithmetic_intensity"] == Limit("arithmetic_intensity", None, 25, "warning")
    assert limits["bandwidth_at_fps"].max == 2_000_000_000
    assert detector.options["ops"] == {"forbid": ["LSTM"], "target": True, "severity": "error"}
    assert detector.options["dtypes"]["weights"] == ["int8"]
    # a budget's settings override the defaults; dims merge key by key
    assert (kws.settings.dims, kws.settings.target, kws.settings.fusion) == (
        {"batch": 1, "time": 49}, "raspberry-pi-5", "none")
    assert kws.settings.unestimated == "fail"
    assert (kws.settings.input_values, kws.settings.loop_trips) == (
        {"sample_rate": 16000}, {"default": 4, "/decoder/Loop": 16})
    assert limits["computed_constant_bytes"].max == 1024**2
    assert kws.limits == (Limit("flops", 25_000_000, 0),)
    npu = policy.targets["my-npu"]
    assert npu.peak == {"int8": 2e12, "fp16": 5e11}
    assert (npu.dram_bandwidth, npu.onchip_bytes, npu.weight_store_bytes) == (3.2e9, 1048576, 4194304)
    assert npu.supported_ops == frozenset({"Conv", "Relu", "Add", "Gemm"})
    assert set(policy.targets) == {"my-npu", "raspberry-pi-5"}  # shipped ones load on demand
    assert set(policy.custom_costs) == {"VendorConv", "VendorGelu", "VendorAttention"}


def test_quantities_in_a_policy_are_exact():
    limits = {limit.metric: limit.max or limit.min for limit in load_policy(HERE / "valid" / "units.yaml").budgets[0].limits}
    assert limits == {
        "flops": 1_100_000_000,  # exactly 11/10 * 10**9
        "macs": 600_000_000,
        "params": 25_000_000,
        "weight_bytes": 1536,  # 1.5 * 1024
        "peak_activation_bytes": 4_194_304,
        "dram_bytes": 4_000_000,
        "arithmetic_intensity": 25,
        "file_bytes": 1_000_000,  # YAML reads 1e6 as the string '1e6': a plain number of bytes
    }


def test_a_bare_off_is_read_as_off(tmp_path):
    # YAML reads a bare off (and no, false) as false: it switches the check off, over a preset too
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nextends: cortex-m7-int8\nbudgets:\n  default:\n"
                    "    dynamic_dims: off\n    fits_on_chip: false\n  mine:\n    dynamic_dims: no\n",
                    encoding="utf-8")
    default, mine = load_policy(path).budgets
    assert (default.options["dynamic_dims"], default.options["fits_on_chip"]) == ("off", "off")
    assert mine.options["dynamic_dims"] == "off"


def test_a_switch_set_to_true_names_the_accepted_values(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nbudgets:\n  det:\n    dynamic_dims: on\n", encoding="utf-8")
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert str(error.value) == (f"{path}:4:19: budgets.det.dynamic_dims: true is not one of"
                                " 'error', 'warning', 'off'")
