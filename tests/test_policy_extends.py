"""extends: a shipped preset by name or a file by path; merging; errors in the right file."""

from __future__ import annotations

import pytest
from gate_helpers import write

from edgegate.errors import PolicyError
from edgegate.policy.load import load_policy


def test_preset_by_name_then_overrides_merge_key_by_key(tmp_path):
    path = write(tmp_path / "edgegate.yaml", """\
version: 1
extends: raspberry-pi-5
defaults:
  fps: 15
budgets:
  default:
    limits:
      latency_ms: {max: 50 ms}
""")
    policy = load_policy(path)
    (budget,) = policy.budgets
    # from the preset: target, dims, include, dynamic_dims, the peak_activation_bytes limit
    assert budget.settings.target == "raspberry-pi-5" and budget.settings.dims == {"batch": 1}
    assert budget.include == ("**/*.onnx",) and budget.options == {"dynamic_dims": "warning"}
    limits = {limit.metric: limit for limit in budget.limits}
    # latency_ms.max overridden; its message (set only in the preset) is kept
    assert limits["latency_ms"].max == 50
    assert limits["latency_ms"].message == "slower than 10 inferences per second on the Pi 5 CPU"
    assert limits["peak_activation_bytes"].max == 512 * 1024**2
    assert budget.settings.fps == 15


def test_extends_by_path_chains_and_lists_replace(tmp_path):
    write(tmp_path / "base" / "org.yaml", """\
version: 1
extends: team.yaml
budgets:
  all:
    include: ["models/**/*.onnx", "extra/*.onnx"]
    limits: {flops: {max: 2 GFLOP}}
""")
    write(tmp_path / "base" / "team.yaml", """\
version: 1
defaults: {precision: fp16}
budgets:
  all:
    limits: {params: {max: 1M}}
""")
    path = write(tmp_path / "edgegate.yaml", """\
version: 1
extends: base/org.yaml
budgets:
  all:
    include: ["models/*.onnx"]
""")
    (budget,) = load_policy(path).budgets
    assert budget.include == ("models/*.onnx",)  # a list replaces, it does not append
    assert budget.settings.precision == "fp16"  # from two levels up
    assert sorted(limit.metric for limit in budget.limits) == ["flops", "params"]


def test_an_error_in_an_extended_file_points_at_that_file(tmp_path):
    base = write(tmp_path / "base.yaml", "version: 1\nbudgets:\n  all:\n    limits: {flop: {max: 1}}\n")
    path = write(tmp_path / "edgegate.yaml", "version: 1\nextends: base.yaml\n")
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert str(error.value) == (f"{base}:4:14: budgets.all.limits.flop: unknown metric 'flop'"
                                " (did you mean 'flops'?)")


def test_a_semantic_error_after_merging_points_at_the_child_value(tmp_path):
    write(tmp_path / "base.yaml", "version: 1\nbudgets:\n  all:\n    limits: {params: {max: 5M}}\n")
    path = write(tmp_path / "edgegate.yaml",
                 "version: 1\nextends: base.yaml\nbudgets:\n  all:\n    limits:\n"
                 "      params: {min: 6M}\n")
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert str(error.value) == f"{path}:6:15: budgets.all.limits.params: min 6 Mparam is above max 5 Mparam"


def test_extends_cycle_is_an_error(tmp_path):
    write(tmp_path / "a.yaml", "version: 1\nextends: b.yaml\nbudgets: {x: {}}\n")
    b = write(tmp_path / "b.yaml", "version: 1\nextends: a.yaml\n")
    with pytest.raises(PolicyError) as error:
        load_policy(tmp_path / "a.yaml")
    a_real, b_real = (tmp_path / "a.yaml").resolve(), b.resolve()
    assert str(error.value) == f"{b}:2:10: extends: extends cycle: {a_real} -> {b_real} -> {a_real}"
