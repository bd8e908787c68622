"""The published JSON schemas (edgegate/schemas/check.schema.json, estimate.schema.json) against
every kind of document edgegate writes: passing, failing and strict runs, unreadable models,
pull-request and baseline deltas, merged shards, targets with roofline layers, and an estimate
of several models of which one is bad."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
from gate_helpers import conv_relu, save, write
from git_helpers import commit, init
from report_fixture import records

from edgegate.cli import main
from edgegate.rules.findings import RECORDS_SCHEMA_VERSION


def _schema(name: str) -> dict:
    return json.loads(resources.files("edgegate").joinpath(f"schemas/{name}.schema.json").read_text())


CHECK = jsonschema.Draft202012Validator(_schema("check"))
ESTIMATE = jsonschema.Draft202012Validator(_schema("estimate"))

# conv_relu(3, 8, 16): 112640 FLOPs, under 200 kFLOP; conv_relu(3, 32, 16): 450560 FLOPs, over.
POLICY = """\
version: 1
budgets:
  all:
    target: raspberry-pi-5
    limits:
      flops: {max: 200 kFLOP}
      params: {max: 500, severity: warning}
"""


def _errors(validator: jsonschema.protocols.Validator, document: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_the_check_schema_is_version_1_like_the_documents():
    schema = _schema("check")
    assert schema["$id"] == "https://edgegate.dev/schemas/check-1.json"
    assert schema["properties"]["schema_version"] == {"const": RECORDS_SCHEMA_VERSION}
    jsonschema.Draft202012Validator.check_schema(schema)


def test_the_golden_document_validates_and_the_check_is_real():
    document = records()
    assert _errors(CHECK, document) == []
    del document["models"][0]["findings"][0]["severity"]
    document["summary"]["checked"] = -1
    assert sorted(_errors(CHECK, document)) == [
        "['models', 0, 'findings', 0]: 'severity' is a required property",
        "['summary', 'checked']: -1 is less than the minimum of 0"]


def test_the_schema_stays_open_to_added_optional_fields():
    # fields are only ever added within a version: a newer edgegate's extras must validate
    document = records()
    document["summary"]["unreadable"] = 1
    document["models"][0]["new_field"] = {"any": "thing"}
    document["models"][1]["findings"][0]["rule"] = "some_new_rule"
    document["extra"] = []
    assert _errors(CHECK, document) == []


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """main: models/small.onnx (passes), models/big.onnx (fails); the work tree adds
    models/broken.onnx (not ONNX) and grows small.onnx."""
    monkeypatch.chdir(tmp_path)
    init(tmp_path)
    write(tmp_path / "edgegate.yaml", POLICY)
    save(conv_relu(3, 8, 16), tmp_path / "models" / "small.onnx")
    save(conv_relu(3, 32, 16), tmp_path / "models" / "big.onnx")
    commit(tmp_path, "models")
    write(tmp_path / "models" / "broken.onnx", "this is not a model\n")
    save(conv_relu(3, 4, 16), tmp_path / "models" / "small.onnx")
    return tmp_path


@pytest.mark.parametrize(("argv", "code"), [
    ([], 3),  # broken.onnx cannot be read: its code wins
    (["--strict"], 3),
    (["--no-fail"], 3),
    (["--changed-since", "HEAD"], 0),  # only small.onnx changed (broken.onnx is untracked)
    (["models/broken.onnx", "models/missing.onnx", "other.onnx"], 3),
])
def test_every_check_document_validates(repo, capsys, argv, code):
    assert main(["check", *argv, "--json", "run.json", "--format", "text:log.txt"]) == code
    document = json.loads((repo / "run.json").read_text())
    assert _errors(CHECK, document) == []
    assert document["exit_code"] == code
    unreadable = {m["model"]: m["exit_code"] for m in document["models"] if m["error"]}
    assert ("models/broken.onnx" in unreadable) == (code == 3) and set(unreadable.values()) <= {3}


def test_the_unreadable_models_are_in_the_document(repo, capsys):
    main(["check", "models/missing.onnx", "models/broken.onnx", "--json", "run.json"])
    document = json.loads((repo / "run.json").read_text())
    assert [(m["model"], m["error"]) for m in document["models"]] == [
        ("models/missing.onnx", "models/missing.onnx: no such file"),
        ("models/broken.onnx", document["models"][1]["error"])]
    assert document["models"][1]["error"].startswith("models/broken.onnx: not an ONNX model")


def test_a_document_with_targets_deltas_and_layers_validates(repo, capsys):
    (repo / "models" / "broken.onnx").unlink()
    main(["check", "--changed-since", "HEAD", "--json", "run.json"])
    document = json.loads((repo / "run.json").read_text())
    assert _errors(CHECK, document) == []
    assert document["deltas"]["ref"] == "HEAD" and document["models"][0]["layers"]
    assert document["models"][0]["target"]["name"] == "raspberry-pi-5"


def test_baseline_and_merged_documents_validate(repo, capsys):
    (repo / "models" / "broken.onnx").unlink()
    assert main(["baseline", "--out", "base.json"]) == 0
    save(conv_relu(3, 6, 16), repo / "models" / "small.onnx")
    main(["check", "--baseline", "base.json", "--json", "run.json"])
    document = json.loads((repo / "run.json").read_text())
    assert _errors(CHECK, document) == []
    assert document["deltas"]["against"] == "baseline"
    # only small.onnx changed against the baseline: cout 4 -> 6
    assert [m["model"] for m in document["deltas"]["models"]] == ["models/small.onnx"]
    for index in (1, 2):
        main(["check", "--shard", f"{index}/2", "--json", f"s{index}.json", "--format", "text:log.txt"])
    main(["merge", "s1.json", "s2.json", "--json", "merged.json", "--quiet"])
    assert _errors(CHECK, json.loads((repo / "merged.json").read_text())) == []


def test_an_estimate_of_several_models_lists_the_bad_one_as_an_error(repo, capsys):
    code = main(["estimate", "--format", "json", "models/small.onnx", "models/broken.onnx", "models/big.onnx"])
    document = json.loads(capsys.readouterr().out)
    assert code == 3
    assert _errors(ESTIMATE, document) == []
    assert [m["model"] for m in document["models"]] == ["models/small.onnx", "models/big.onnx"]
    assert [(e["model"], e["exit_code"]) for e in document["errors"]] == [("models/broken.onnx", 3)]
    assert document["errors"][0]["error"].startswith("models/broken.onnx: not an ONNX model")


def test_an_estimate_of_only_bad_models_is_still_a_document(repo, capsys):
    assert main(["estimate", "--format", "json", "models/missing.onnx"]) == 3
    document = json.loads(capsys.readouterr().out)
    assert _errors(ESTIMATE, document) == []
    assert document["models"] == [] and document["errors"] == [
        {"model": "models/missing.onnx", "error": "models/missing.onnx: no such file", "exit_code": 3}]


def test_a_clean_estimate_has_no_errors_field(repo, capsys):
    assert main(["estimate", "--format", "json", "models/small.onnx"]) == 0
    assert "errors" not in json.loads(capsys.readouterr().out)
