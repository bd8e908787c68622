"""config/conforms decides a policy's validity exactly as jsonschema does, without importing it.

The fast path may only ever say "valid" where jsonschema says so too, or a broken policy would
pass the gate unreported; saying "invalid" where jsonschema finds nothing would only cost time.
Both directions are checked on thousands of documents mutated from every shipped and test
policy and target, against jsonschema's own Draft 2020-12 validator with the same formats.
"""

from __future__ import annotations

import copy
import datetime
import random
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from edgegate.config.conforms import KEYWORDS, TYPES, Unsupported, conforms
from edgegate.config.document import load_yaml
from edgegate.config.problems import format_checker
from edgegate.config.schema import _has_format, policy_schema

ROOT = Path(__file__).resolve().parent.parent
POLICIES = sorted([*ROOT.glob("tests/policies/valid/*.yaml"), *ROOT.glob("policies/presets/*.yaml"),
                   ROOT / "examples" / "edgegate.yaml"])
TARGETS = sorted(ROOT.glob("policies/targets/*.yaml"))

SCALARS = [None, True, False, 0, 1, -1, 2, 0.0, -0.0, 1e-9, 0.25, 1.0, 3.0, -0.5, 2.5, 10**30, "", " ", "x", "1",
           "1 GMAC", "0 MAC", "-1 GMAC", "5%", "-5%", "5 %", "150%", "10 MB", "2 MiB", "3 ms",
           "1e400 MAC", "30 fps", "4 TFLOP/s", "8 GB/s", "12 FLOP/B", "1 kparam", "off", "on",
           "warning", "error", "fast", "int8", "fp16", "fp32", "*.onnx", "a b", "abc.def",
           "-name", datetime.date(2024, 1, 1), b"\x00"]


def _schema_words(node, found):
    """Every property name the schema declares, to add as keys."""
    if isinstance(node, dict):
        found.update(node.get("properties", {}))
        for value in node.values():
            _schema_words(value, found)
    elif isinstance(node, list):
        for value in node:
            _schema_words(value, found)
    return found


# keys are text, as edgegate.config.document makes every key a file has (YAML's 1: and null: too)
KEYS = sorted(_schema_words(policy_schema(), set())) + ["unknown", "flop", "1", "null"]
NAMES = ["a b", "-x", "", "x.y", "Z9", "_a", "é", "ok-name"]
"""Names a user may give a budget or a target: some break the schema's name pattern."""


def _corpus_values(node, found):
    """Every scalar in a document: realistic values to move around."""
    if isinstance(node, dict):
        for value in node.values():
            _corpus_values(value, found)
    elif isinstance(node, list):
        for value in node:
            _corpus_values(value, found)
    else:
        found.append(node)
    return found


def _load(path: Path):
    return load_yaml(str(path), path.read_text(encoding="utf-8")).data


def _containers(node, out):
    """Every mapping and list inside ``node``, ``node`` included."""
    if isinstance(node, (dict, list)):
        out.append(node)
        for value in node.values() if isinstance(node, dict) else node:
            _containers(value, out)
    return out


BOUNDARIES = [0, -0.0, -1, 1e-9, 0.5, 1, 1.5, True, False, None, "", "0", "-1", "0 B", "0%"]
"""Values on the edge of a minimum, a type or an empty string."""


def _value(rng: random.Random, pool: list, depth: int = 0):
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(BOUNDARIES)
    if roll < 0.6 or depth > 2:
        return rng.choice(pool)
    if roll < 0.8:
        return [_value(rng, pool, depth + 1) for _ in range(rng.randrange(3))]
    return {rng.choice(KEYS): _value(rng, pool, depth + 1) for _ in range(rng.randrange(3))}


def mutate(rng: random.Random, data, pool: list):
    """``data`` with one to three random edits: a value replaced, a key dropped, added or
    renamed, a list emptied or grown."""
    data = copy.deepcopy(data)
    for _ in range(rng.choice([1, 1, 2, 3])):
        spots = _containers(data, [])
        if not spots:
            return _value(rng, pool)
        spot = rng.choice(spots)
        kind = rng.randrange(5)
        if isinstance(spot, dict):
            keys = list(spot)
            if kind == 0 and keys:
                spot[rng.choice(keys)] = _value(rng, pool)
            elif kind == 1 and keys:
                del spot[rng.choice(keys)]
            elif kind == 2 and keys:
                key = rng.choice(keys)
                spot[rng.choice(KEYS if rng.random() < 0.5 else NAMES)] = spot.pop(key)
            else:
                spot[rng.choice(KEYS)] = _value(rng, pool)
        elif spot and kind < 3:
            spot[rng.randrange(len(spot))] = _value(rng, pool)
        elif kind == 3:
            spot.clear()
        else:
            spot.append(_value(rng, pool))
    return data


# no shipped file has an efficiency table or a target defined in a policy: seeds that do
EFFICIENCY = {"version": 1, "peak": {"fp32": "1 TFLOP/s", "int8": "4 TOP/s"}, "dram_bandwidth": "8 GB/s",
              "efficiency": {"version": 1, "fp32": {"conv": 0.5, "depthwise": 0.2, "other": 1},
                             "int8": {"gemm": 0.7, "attention": 0.3, "pooling": 0.1}}}
INLINE_TARGET = {"version": 1, "targets": {"my-npu": {k: v for k, v in EFFICIENCY.items() if k != "version"}},
                 "budgets": {"npu": {"target": "my-npu", "limits": {"latency_ms": {"max": "5 ms"}}}}}


def _cases(documents: list, count: int, seed: int):
    docs = [_load(doc) if isinstance(doc, Path) else doc for doc in documents]
    pool = SCALARS + [v for doc in docs for v in _corpus_values(doc, [])]
    rng = random.Random(seed)
    return [mutate(rng, rng.choice(docs), pool) for _ in range(count)]


def _target_schema():
    return {"$defs": policy_schema()["$defs"], "$ref": "#/$defs/target", "required": ["version"]}


@pytest.mark.parametrize("documents, schema, seed", [
    (POLICIES, policy_schema(), 1), (POLICIES, policy_schema(), 2), ([INLINE_TARGET], policy_schema(), 3),
    (TARGETS, _target_schema(), 4), ([EFFICIENCY], _target_schema(), 5),
], ids=["policies-1", "policies-2", "inline-target", "targets", "efficiency"])
def test_conforms_agrees_with_jsonschema(documents, schema, seed):
    oracle = jsonschema.Draft202012Validator(schema, format_checker=format_checker())
    assert all(oracle.is_valid(doc) for doc in documents if not isinstance(doc, Path))
    outcomes = []
    for data in _cases(documents, 1000, seed):
        expected = oracle.is_valid(data)
        assert conforms(data, schema, _has_format) == expected, data
        outcomes.append(expected)
    # both verdicts are exercised often, so the agreement means something
    assert 0.1 < sum(outcomes) / len(outcomes) < 0.9


@pytest.mark.parametrize("path", POLICIES + TARGETS, ids=lambda p: p.name)
def test_shipped_files_are_decided_without_jsonschema(path):
    schema = _target_schema() if path in TARGETS else policy_schema()
    assert conforms(_load(path), schema, _has_format) is True


def test_the_shipped_schema_uses_only_keywords_decided_here():
    assert conforms({"version": 1}, policy_schema(), _has_format)
    used = set()

    def walk(node):
        if isinstance(node, dict):
            used.update(node)
            for key, value in node.items():
                if key not in ("properties", "$defs", "enum", "const", "required"):
                    walk(value)
                elif key in ("properties", "$defs"):
                    for sub in value.values():
                        walk(sub)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(policy_schema())
    assert {k for k in used if not k.startswith(("x-", "$", "title", "description"))} - set(KEYWORDS) \
        <= {"then", "else"}


@pytest.mark.parametrize("schema", [
    {"patternProperties": {"a": True}, "additionalProperties": False},
    {"prefixItems": [True], "items": False},
    {"$ref": "#/definitions/x"},
    {"$ref": "other.json"},
    {"enum": [[1], 2]},
    {"type": "float"},
    {"format": "email"},
    {"not": {"type": "string"}},
    ["a list is not a schema"],
], ids=repr)
def test_what_it_cannot_decide_is_left_to_jsonschema(schema):
    with pytest.raises(Unsupported):
        conforms({"a": [1], "b": "x"} if "enum" not in schema else [1], schema, _has_format)


@pytest.mark.parametrize("value, name, expected", [
    (True, "integer", False), (1, "integer", True), (1.0, "integer", True), (1.5, "integer", False),
    (True, "number", False), (0, "number", True), (None, "null", True), ({}, "object", True),
    ([], "array", True), ("", "string", True), (False, "boolean", True), (0, "boolean", False),
])
def test_types_as_jsonschema_has_them(value, name, expected):
    assert TYPES[name](value) is expected
    assert jsonschema.Draft202012Validator({"type": name}).is_valid(value) is expected


@pytest.mark.parametrize("value", [1, 1.0, True, "1", 0, False, None])
def test_const_and_enum_keep_bools_apart_from_numbers(value):
    for schema in ({"const": 1}, {"enum": [1, "on"]}, {"enum": [False, None]}):
        assert conforms(value, schema, _has_format) is jsonschema.Draft202012Validator(schema).is_valid(value)


def test_a_valid_policy_check_never_imports_jsonschema(tmp_path):
    (tmp_path / "edgegate.yaml").write_text("version: 1\nbudgets:\n  b:\n    limits:\n      macs: {max: 1 GMAC}\n")
    code = ("import sys; from edgegate.policy.load import load_policy; load_policy('edgegate.yaml'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jsonschema', 'referencing')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    (tmp_path / "edgegate.yaml").write_text("version: 1\nbudgets:\n  b:\n    limits:\n      macs: {max: 1 GMAK}\n")
    broken = subprocess.run([sys.executable, "-m", "edgegate", "policy", "validate", "edgegate.yaml"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert broken.returncode != 0 and "edgegate.yaml:5:" in broken.stderr + broken.stdout
