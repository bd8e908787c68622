"""Fuzzing: the estimator returns a result or raises one of edgegate's documented errors.

Random valid graphs (chains and DAGs of registry ops with consistent shapes), and random
mutations of real models, bytes and proto fields (tests/fuzz_models.py). Anything but an
EdgegateError escaping is a crash. benchmarks/fuzz.py runs the same cases much longer.
"""

from __future__ import annotations

import random

import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edgegate
from tests.fuzz_models import mutate_bytes, mutate_proto, random_graph, run_case, seed_models

SEEDS = seed_models()
FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.randoms(use_true_random=False))
def test_random_valid_graphs_are_fully_estimated(rng: random.Random) -> None:
    model = random_graph(rng)
    estimate = edgegate.estimate(model)
    # every op has a formula and every shape is known, so nothing is left out
    assert estimate.unestimated == ()
    assert estimate.flops >= 2 * estimate.macs >= 0
    assert min(estimate.params, estimate.peak_activation_bytes, estimate.dram_bytes) >= 0
    # fusion moves memory traffic, never multiplies
    assert edgegate.estimate(model, fusion="none").macs == estimate.macs


@FUZZ
@given(st.randoms(use_true_random=False), st.sampled_from(range(len(SEEDS))))
def test_mutated_bytes_never_crash(tmp_path_factory: pytest.TempPathFactory, rng: random.Random,
                                   index: int) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "mutated.onnx"
    path.write_bytes(mutate_bytes(rng, SEEDS[index].SerializeToString()))
    assert run_case(str(path)) in ("ok", "ModelError", "BindingError")


@settings(FUZZ, max_examples=800)
@given(st.randoms(use_true_random=False), st.sampled_from(range(len(SEEDS))))
def test_mutated_fields_never_crash(rng: random.Random, index: int) -> None:
    model: onnx.ModelProto = mutate_proto(rng, SEEDS[index])
    assert run_case(model) in ("ok", "ModelError", "BindingError")
