"""SARIF 2.1.0, for code scanning (GitHub's upload-sarif action and other SARIF viewers).

One run; one result per check that failed or warned and per model that could not be checked,
located at the model file (repo-relative URI) with ``region.startLine`` 1, which GitHub's SARIF
page lists as required. (SARIF itself wants no text region on a binary artifact; GitHub wins
here, and since every result carries its own fingerprint, the upload action hashes no line of
the binary file.) Rules carry the short and full descriptions and help GitHub requires: a
limit is the rule ``limits/<metric>`` described by the metrics table, a lint rule its id
described by its module docstring, with help as plain text and as markdown (the docstring's
reStructuredText code blocks and literals turned into markdown ones). A model file has no
source lines to hash, so each result carries edgegate's own ``partialFingerprints``: a digest of
model, budget, rule, bound and node, stable across runs while the same check keeps failing
(whatever the value).
"""

from __future__ import annotations

import hashlib
import inspect
import re
from typing import Any, TextIO
from urllib.parse import quote

from edgegate.jsonfile import dumps
from edgegate.metrics import METRICS
from edgegate.report.facts import Record, failing, level, one_line, printable, rule_id
from edgegate.rules.registry import DESCRIBED

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://edgegate.dev"
"""The tool's home page (``tool.driver.informationUri``), the domain of edgegate's schema ids."""

MODEL_ERROR = "model-error"
_MODEL_ERROR_RULE = (
    "The model can be read and estimated.",
    "edgegate could not check this model: the file is missing, empty, not ONNX, truncated or a"
    " Git LFS pointer, or one of its input dimensions is not bound by the budget.",
    "Commit the real model file (run `git lfs pull` for LFS pointers), or bind every symbolic"
    " input dimension in the budget's `dims` or `input_shapes`. `edgegate estimate MODEL`"
    " prints the same error locally.",
)


def write(records: Record, out: TextIO) -> None:
    """Write the run as a SARIF 2.1.0 log (indented JSON)."""
    results = [result for model in records["models"] for result in _results(model, records["strict"])]
    rules = sorted({result["ruleId"] for result in results})
    for result in results:
        result["ruleIndex"] = rules.index(result["ruleId"])
    driver = {"name": "edgegate", "informationUri": INFORMATION_URI, "version": records["edgegate_version"],
              "semanticVersion": records["edgegate_version"], "rules": [_rule(rule) for rule in rules]}
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [{
        "tool": {"driver": driver},
        "results": results,
        "properties": {"policy": records["policy"], "passed": records["passed"]},
    }]}
    out.write(dumps(log, indent=2) + "\n")


def _results(model: Record, strict: bool) -> list[dict[str, Any]]:
    """The results of one model under one budget."""
    if model["error"] is not None:
        return [_result(model, MODEL_ERROR, "error", printable(model["error"]), {})]
    return [_result(model, rule_id(finding), level(finding, strict), one_line(finding), finding)
            for finding in failing(model)]


def _result(model: Record, rule: str, level_: str, message: str, finding: Record) -> dict[str, Any]:
    """One SARIF result at the model file, with fingerprints and the finding's numbers."""
    uri = quote(model["model"].encode("utf-8", "surrogateescape"))  # a file name may not be UTF-8
    location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": uri},
                                                     "region": {"startLine": 1}}}
    if finding.get("node"):
        location["logicalLocations"] = [{"name": finding["node"]}]
    identity = "\0".join((model["model"], model["budget"], rule, finding.get("bound") or "",
                          finding.get("node") or ""))
    digest = hashlib.sha256(identity.encode("utf-8", "backslashreplace")).hexdigest()
    properties = {"budget": model["budget"]}
    properties.update((key, finding[key]) for key in ("metric", "value", "limit", "bound", "unit",
                                                      "headroom_percent", "severity")
                      if finding.get(key) is not None)
    return {
        "ruleId": rule,
        "level": level_,
        "message": {"text": message},
        "locations": [location],
        # GitHub keys alerts on primaryLocationLineHash; with no lines to hash, it is ours.
        "partialFingerprints": {"edgegate/v1": digest, "primaryLocationLineHash": f"{digest[:16]}:1"},
        "properties": properties,
    }


def _rule(rule: str) -> dict[str, Any]:
    """The reportingDescriptor of ``rule``: descriptions, help text, default level, tags."""
    short, full, help_text = _descriptions(rule)
    return {
        "id": rule,
        "name": rule.replace("/", "."),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": _plain(help_text), "markdown": _markdown(help_text)},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["edgegate", _tag(rule)], "precision": "very-high"},
    }


_CODE_BLOCK = re.compile(r"^\.\. code-block:: *(\w*)\n\n((?:(?: {4}.*)?\n)*(?: {4}.*))", re.MULTILINE)
_LITERAL = re.compile(r"``(.+?)``")


def _markdown(text: str) -> str:
    """reStructuredText help as markdown: ``.. code-block:: yaml`` blocks fenced, ````x```` as ``x``."""
    def fence(match: re.Match[str]) -> str:
        body = "\n".join(line[4:] for line in match.group(2).split("\n")).rstrip("\n")
        return f"```{match.group(1)}\n{body}\n```"

    return _LITERAL.sub(r"`\1`", _CODE_BLOCK.sub(fence, text))


def _plain(text: str) -> str:
    """reStructuredText help as plain text: the code-block directives dropped (the code stays
    indented), ````x```` as ``x``."""
    return _LITERAL.sub(r"\1", re.sub(r"^\.\. code-block:: *\w*\n\n", "", text, flags=re.MULTILINE))


def _tag(rule: str) -> str:
    """``limits`` for a metric limit, ``model`` for an unreadable model, else ``lint``."""
    if rule == MODEL_ERROR:
        return "model"
    return "limits" if rule.startswith("limits/") else "lint"


def _descriptions(rule: str) -> tuple[str, str, str]:
    """(short, full, help) for a metric limit, a lint rule or the model-error rule."""
    if rule == MODEL_ERROR:
        return _MODEL_ERROR_RULE
    if rule.startswith("limits/"):
        metric = rule.partition("/")[2]
        meaning = METRICS[metric].description if metric in METRICS else f"The metric {metric}."
        return (f"{metric} within the budget's limit.", meaning,
                f"{meaning} The budget limits it under `limits: {metric}: {{max: ..., min: ...}}`;"
                " reduce the model's cost or, if the growth is intended, raise the limit in the policy.")
    module = DESCRIBED.get(rule)
    if module is None:
        return (f"edgegate rule {rule}.", f"edgegate rule {rule}.", f"See the policy's `{rule}` options.")
    doc = inspect.getdoc(module) or module.SUMMARY
    return module.SUMMARY, doc.split("\n\n")[0].replace("\n", " "), doc
