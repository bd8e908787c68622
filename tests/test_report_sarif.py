"""The SARIF reporter: valid against the SARIF 2.1.0 JSON schema, with what GitHub code
scanning requires (rule short/full description and help text, a location, a message,
partialFingerprints), and fingerprints edgegate computes.

tests/schemas/sarif-2.1.0-rtm.5.json is the OASIS SARIF 2.1.0 schema as shipped in the npm
package @microsoft/jest-sarif 1.0.0-beta.0 (lib/schemas/, MIT), byte for byte (sha256
2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8); no PyPI package ships it.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import jsonschema
import pytest
from report_fixture import HOSTILE, records

from edgegate.report import sarif
from edgegate.rules.findings import Finding, ModelResult, RunResult

SCHEMA_PATH = Path(__file__).parent / "schemas" / "sarif-2.1.0-rtm.5.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _log(document) -> dict:
    out = io.StringIO()
    sarif.write(document, out)
    return json.loads(out.getvalue())


def _validator() -> jsonschema.protocols.Validator:
    return jsonschema.validators.validator_for(SCHEMA)(SCHEMA)


def test_valid_against_the_sarif_schema():
    assert list(_validator().iter_errors(_log(records()))) == []


def test_the_schema_check_is_real():
    log = _log(records())
    del log["runs"][0]["results"][0]["message"]
    assert [e.message for e in _validator().iter_errors(log)] == ["'message' is a required property"]


def test_results_cover_failures_warnings_and_model_errors():
    (run,) = _log(records())["runs"]
    assert [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
            for r in run["results"]] == [
        ("limits/flops", "error", "models/we%2Cird%3A%20100%25%0A%3A%3Aerror%3A%3Apwned.onnx"),
        ("limits/params", "warning", "models/we%2Cird%3A%20100%25%0A%3A%3Aerror%3A%3Apwned.onnx"),
        ("ops", "error", "models/we%2Cird%3A%20100%25%0A%3A%3Aerror%3A%3Apwned.onnx"),
        ("model-error", "error", "models/broken.onnx"),
    ]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == ["limits/flops", "limits/params", "model-error", "ops"]
    assert [rules[r["ruleIndex"]] for r in run["results"]] == [r["ruleId"] for r in run["results"]]


def test_uris_are_relative_references_that_decode_to_the_path():
    from urllib.parse import unquote
    (run,) = _log(records())["runs"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    assert all(re.fullmatch(r"[A-Za-z0-9._~/%-]+", uri) for uri in uris)  # RFC 3986 unreserved, /, %XX
    assert unquote(uris[0]) == HOSTILE


def test_rules_carry_what_github_requires():
    for rule in _log(records())["runs"][0]["tool"]["driver"]["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
    ops = next(r for r in _log(records())["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "ops")
    assert ops["shortDescription"]["text"] == "Op types allowed, forbidden, or supported by the target."
    assert "forbid: [LSTM" in ops["help"]["text"]  # the rule module's docstring, YAML example included


def test_a_node_is_a_logical_location():
    ops = _log(records())["runs"][0]["results"][2]
    assert ops["locations"][0]["logicalLocations"] == [{"name": "\n::error file=x.py::injected"}]


def _fingerprint(value: int, model: str = "m.onnx", budget: str = "b") -> dict:
    finding = Finding("limits", "error", False, model, "x", metric="flops", value=value, limit=10,
                      bound="max", unit="FLOP")
    run = RunResult("p.yaml", (ModelResult(model, budget, (finding,)),))
    (result,) = _log(run.as_records())["runs"][0]["results"]
    return result["partialFingerprints"]


def test_fingerprints_are_stable_while_the_same_check_fails():
    # the value changed (20 -> 30 FLOP): same model, budget, rule and bound, same alert
    assert _fingerprint(20) == _fingerprint(30)
    assert _fingerprint(20) != _fingerprint(20, model="n.onnx") != _fingerprint(20, budget="c")


def test_fingerprint_is_a_digest_of_model_budget_rule_bound_node():
    import hashlib
    digest = hashlib.sha256(b"m.onnx\0b\0limits/flops\0max\0").hexdigest()
    assert _fingerprint(20) == {"edgegate/v1": digest, "primaryLocationLineHash": f"{digest[:16]}:1"}


@pytest.mark.parametrize("strict", [False, True])
def test_strict_makes_the_warning_an_error(strict):
    levels = [r["level"] for r in _log(records(strict))["runs"][0]["results"]]
    assert levels == ["error", "error" if strict else "warning", "error", "error"]


def test_every_result_has_a_region_at_line_one_and_keeps_our_fingerprint():
    # GitHub's SARIF page lists region.startLine as required: a model file's finding is at line 1;
    # with our own fingerprint present, the upload action hashes no line of the binary file
    for result in _log(records())["runs"][0]["results"]:
        (location,) = result["locations"]
        assert location["physicalLocation"]["region"] == {"startLine": 1}
        assert set(result["partialFingerprints"]) == {"edgegate/v1", "primaryLocationLineHash"}


def test_the_tool_names_its_information_uri():
    driver = _log(records())["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == sarif.INFORMATION_URI == "https://edgegate.dev"


def test_rule_help_is_markdown_without_restructuredtext():
    rules = {rule["id"]: rule for rule in _log(records())["runs"][0]["tool"]["driver"]["rules"]}
    ops = rules["ops"]["help"]
    assert ".. code-block::" not in ops["markdown"] and not re.search(r"``[^`\n]+``", ops["markdown"])
    assert "```yaml\nops:\n  forbid: [LSTM, com.microsoft.FusedConv]\n" in ops["markdown"]
    assert "written `domain.OpType`" in ops["markdown"]
    assert ".. code-block::" not in ops["text"] and "written domain.OpType" in ops["text"]
    for rule in rules.values():
        assert ".. " not in rule["help"]["markdown"] and rule["help"]["markdown"].strip()
