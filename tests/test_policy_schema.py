"""The shipped JSON Schema: in step with METRICS and the unit kinds, and every problem reported."""

from __future__ import annotations

import jsonschema
import pytest
from gate_helpers import write

from edgegate.config.document import PolicyProblems
from edgegate.config.quantities import FORMAT_PREFIX
from edgegate.config.schema import policy_schema
from edgegate.metrics import METRICS
from edgegate.policy.load import load_policy
from edgegate.units import UNIT_KINDS


def _formats(node):
    """Every ``format`` value in a schema tree."""
    if isinstance(node, dict):
        if "format" in node:
            yield node["format"]
        for value in node.values():
            yield from _formats(value)
    elif isinstance(node, list):
        for value in node:
            yield from _formats(value)


def test_schema_is_valid_and_versioned():
    schema = policy_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == "urn:edgegate:policy:1"
    assert schema["properties"]["version"]["const"] == 1
    assert schema["required"] == ["version"]


def test_limit_names_are_the_metrics_and_take_the_metrics_unit():
    defs = policy_schema()["$defs"]
    limits = defs["budget"]["properties"]["limits"]["properties"]
    assert set(limits) == set(METRICS)
    for metric, ref in limits.items():
        limit = defs[ref["$ref"].split("/")[-1]]
        quantity = defs[limit["properties"]["max"]["$ref"].split("/")[-1]]
        assert quantity["format"] == FORMAT_PREFIX + METRICS[metric].unit


def test_every_quantity_format_is_a_unit_kind():
    formats = set(_formats(policy_schema()))
    assert formats and all(f.startswith(FORMAT_PREFIX) for f in formats)
    assert {f[len(FORMAT_PREFIX):] for f in formats} <= set(UNIT_KINDS)


def test_a_budget_takes_every_setting_with_the_same_schema():
    defs = policy_schema()["$defs"]
    settings, budget = defs["settings"]["properties"], defs["budget"]["properties"]
    assert all(budget[key] == value for key, value in settings.items())


def test_every_problem_in_a_file_is_listed_in_file_order(tmp_path):
    path = write(tmp_path / "p.yaml", """\
version: 1
defaults:
  precison: int8
budgets:
  det:
    limits:
      flops: {max: 8 GFLOPS}
      macs: {max: -1}
""")
    with pytest.raises(PolicyProblems) as error:
        load_policy(path)
    assert [str(problem) for problem in error.value.problems] == [
        f"{path}:3:3: defaults.precison: unknown key 'precison' (did you mean 'precision'?)",
        f"{path}:7:20: budgets.det.limits.flops.max: '8 GFLOPS' is not a FLOP count: unknown unit"
        " 'GFLOPS' (use FLOP, kFLOP, MFLOP, GFLOP, TFLOP, or a plain number in FLOP)",
        f"{path}:8:19: budgets.det.limits.macs.max: -1 is not a MAC count: it must not be negative",
    ]
    assert str(error.value).endswith("(did you mean 'precision'?) (and 2 more problems)")
