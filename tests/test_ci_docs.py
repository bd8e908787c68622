"""The workflows docs/ci.md shows, valid against GitHub's workflow schema (the SchemaStore schema
check-jsonschema vendors, read offline) and consistent with edgegate: the sticky comment reads
the action's ``comment`` output; the nightly matrix's shards, artifact names and merge job fit
together. YAML is read as YAML 1.2 (ruamel), so ``on:`` stays a string key."""

from __future__ import annotations

import io
import json
import re
from importlib import resources

import jsonschema
import pytest
import yaml
from git_helpers import ROOT

ruamel = pytest.importorskip("ruamel.yaml", reason="ruamel.yaml comes with check-jsonschema")

DOC = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
SCHEMA = json.loads(resources.files("check_jsonschema.builtin_schemas.vendor")
                    .joinpath("github-workflows.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)


def _load(text: str) -> dict:
    """YAML 1.2 as plain JSON data (``on`` a string key, as GitHub reads it)."""
    return json.loads(json.dumps(ruamel.YAML(typ="safe", pure=True).load(io.StringIO(text))))


WORKFLOWS = {match.group(1).splitlines()[0]: _load(match.group(1))
             for match in re.finditer(r"```yaml\n(.*?)```", DOC, re.DOTALL) if "\njobs:" in match.group(1)}


def test_the_page_shows_the_pull_request_and_the_nightly_workflows():
    assert sorted(WORKFLOWS) == ["# .github/workflows/edgegate-nightly.yml", "# .github/workflows/edgegate.yml"]
    assert all("on" in workflow and True not in workflow for workflow in WORKFLOWS.values())
    assert True in yaml.safe_load("on: push\n")  # why ruamel: YAML 1.1 reads the key `on` as true


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_each_workflow_is_valid_against_githubs_schema(name):
    assert [error.message for error in VALIDATOR.iter_errors(WORKFLOWS[name])] == []


def test_the_schema_check_is_real():
    broken = json.loads(json.dumps(WORKFLOWS["# .github/workflows/edgegate.yml"]))
    broken["jobs"]["edgegate"]["steps"][0]["uses-this"] = "x"  # a step key GitHub does not know
    assert list(VALIDATOR.iter_errors(broken))


def test_the_sticky_comment_posts_the_actions_comment_output():
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    workflow = WORKFLOWS["# .github/workflows/edgegate.yml"]
    assert workflow["permissions"]["pull-requests"] == "write"
    steps = workflow["jobs"]["edgegate"]["steps"]
    gate = next(step for step in steps if step.get("id") == "gate")
    sticky = next(step for step in steps if step.get("uses", "").startswith("marocchino/sticky-pull-request-comment@"))
    assert sticky["with"] == {"header": "edgegate", "path": "${{ steps.gate.outputs.comment }}"}
    assert "comment" in action["outputs"] and set(gate.get("with", {})) <= set(action["inputs"])
    assert "<!-- edgegate:pr-comment -->" in DOC  # the gh recipe finds the same marker the comment starts with


def test_the_nightly_shards_and_merge_fit_together():
    workflow = WORKFLOWS["# .github/workflows/edgegate-nightly.yml"]
    shard, merge = workflow["jobs"]["shard"], workflow["jobs"]["merge"]
    shards = shard["strategy"]["matrix"]["shard"]
    check = next(step["run"] for step in shard["steps"] if "edgegate check" in step.get("run", ""))
    # --shard K/N over exactly N matrix entries, each writing its own file
    assert f"--shard ${{{{ matrix.shard }}}}/{len(shards)}" in check and shards == list(range(1, len(shards) + 1))
    assert "--json reports/edgegate-${{ matrix.shard }}.json" in check
    upload = next(step for step in shard["steps"] if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["name"] == "edgegate-${{ matrix.shard }}"  # unique per shard
    assert upload["if"] == "always()"  # uploaded even when a model cannot be read
    assert merge["needs"] == "shard" and "cancelled()" in merge["if"]
    download = next(step for step in merge["steps"] if step.get("uses", "").startswith("actions/download-artifact@"))
    assert download["with"] == {"pattern": "edgegate-*", "path": "reports", "merge-multiple": True}
    run = next(step["run"] for step in merge["steps"] if "edgegate merge" in step.get("run", ""))
    assert run.startswith("edgegate merge reports/edgegate-*.json --format github")
    assert "--junit-xml" in run and "--sarif edgegate.sarif" in run and "--no-fail" not in run  # fails on violations
    sarif = next(step for step in merge["steps"] if "upload-sarif" in step.get("uses", ""))
    assert sarif["with"]["sarif_file"] == "edgegate.sarif" and merge["permissions"]["security-events"] == "write"
