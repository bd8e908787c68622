"""The GitHub Action's check step (``python -m edgegate.cli.action``, run by action.yml).

Reads the action's inputs from ``INPUT_*`` variables (action.yml passes them through ``env:``,
never into a shell line) and the event from ``$GITHUB_EVENT_PATH``; runs ``edgegate check`` with
the github format (annotations, and the job summary in ``$GITHUB_STEP_SUMMARY``), a JUnit file,
the JSON records and a pull-request comment body (an HTML report too when asked); then writes
the step outputs to ``$GITHUB_OUTPUT``. Standard error passes through
:class:`~edgegate.printable.InertStream`, so no model path on it can become a workflow
command. ``models: changed``
checks the models changed since the pull request's base (``pull_request.base.sha``; a push's
``before``; ``merge_group.base_sha``), fetching that commit into a shallow checkout; an event
without a base checks all models, and so does a change to the policy since the base (the rule
of ``--changed-since``). The exit code is ``edgegate check``'s, so violations fail the step.

``python -m edgegate.cli.action cache-key`` (run with the action's checkout on ``PYTHONPATH``,
before edgegate is installed) writes the key of the action's pip cache: the runner's OS, the
Python version, edgegate's version and a digest of the constraints file the install uses.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from edgegate.cli import main as edgegate_main
from edgegate.errors import ExitCode
from edgegate.files import is_file
from edgegate.printable import InertStream, printable
from edgegate.report.facts import fails
from edgegate.version import __version__

CONSTRAINTS = "action-constraints.txt"
"""The pinned versions the action installs edgegate with (at the action's root)."""

_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


def main(argv: Sequence[str] = (), environ: Mapping[str, str] = os.environ) -> int:
    """``cache-key``: write the pip cache key; otherwise run the check the inputs ask for, with
    standard error made inert, write the step outputs, and return the exit code."""
    if list(argv) == ["cache-key"]:
        return cache_key(environ, sys.stdout)
    stderr = sys.stderr
    sys.stderr = InertStream(stderr)  # type: ignore[assignment]
    try:
        return check(environ)
    finally:
        sys.stderr.flush()
        sys.stderr = stderr


def cache_key(environ: Mapping[str, str], out: TextIO) -> int:
    """Write ``key=`` (OS, Python, edgegate version, constraints digest) and ``pip-cache=`` (the
    pip cache directory under the runner's temp) as step outputs to ``out``."""
    action = Path(environ.get("GITHUB_ACTION_PATH") or Path(__file__).resolve().parents[2])
    digest = hashlib.sha256((action / CONSTRAINTS).read_bytes()).hexdigest()[:16]
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    out.write(f"key=edgegate-pip-{environ.get('RUNNER_OS', 'unknown')}-py{python}-{__version__}-{digest}\n")
    out.write(f"pip-cache={Path(environ.get('RUNNER_TEMP') or '.') / 'edgegate-pip-cache'}\n")
    return 0


def check(environ: Mapping[str, str]) -> int:
    """Run the check the inputs ask for, write the step outputs, return the exit code."""
    temp = Path(environ.get("RUNNER_TEMP") or ".")
    reports = {"junit-xml": _input(environ, "junit-xml") or "edgegate-junit.xml",
               "json": _input(environ, "json") or str(temp / "edgegate-report.json"),
               "sarif": _input(environ, "sarif"),
               "comment": _input(environ, "comment") or str(temp / "edgegate-comment.md"),
               "html": _input(environ, "html")}
    models = _input(environ, "models") or "changed"
    if models not in ("changed", "all"):
        print(f"edgegate: error: input models: expected 'changed' or 'all', got '{printable(models)}'",
              file=sys.stderr)
        return int(ExitCode.USAGE)
    for stale in (reports["json"], reports["comment"]):
        Path(stale).unlink(missing_ok=True)  # a stale report must not stand in for this run
    argv = ["check", "--format=github", f"--junit-xml={reports['junit-xml']}", f"--json={reports['json']}",
            f"--pr-comment={reports['comment']}"]
    argv += [f"--{name}={_input(environ, name)}" for name in ("sarif", "html", "policy")
             if _input(environ, name)]
    argv += [flag for name, flag in (("strict", "--strict"), ("report-only", "--no-fail"))
             if _input(environ, name).lower() == "true"]
    base = _base(environ) if models == "changed" else None
    if base is not None:
        _fetch(base)
        argv.append(f"--changed-since={base}")
    sys.stdout.flush()
    code = edgegate_main(argv)
    _write_outputs(environ.get("GITHUB_OUTPUT"), code, reports)
    return code


def _input(environ: Mapping[str, str], name: str) -> str:
    """The action input ``name`` (``INPUT_<NAME>``, dashes as underscores), stripped."""
    return environ.get(f"INPUT_{name.upper().replace('-', '_')}", "").strip()


def _base(environ: Mapping[str, str]) -> str | None:
    """The commit to compare with: the ``base-ref`` input, else the event's base; None for all."""
    if _input(environ, "base-ref"):
        return _input(environ, "base-ref")
    event: dict[str, Any] = {}
    if environ.get("GITHUB_EVENT_PATH"):
        event = json.loads(Path(environ["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
    candidates = [event.get("pull_request", {}).get("base", {}).get("sha"),
                  event.get("merge_group", {}).get("base_sha"), event.get("before")]
    base = next((sha for sha in candidates if isinstance(sha, str) and _SHA.fullmatch(sha)
                 and sha.strip("0")), None)
    if base is None:
        print("edgegate: this event names no base commit; checking all models")
    return base


def _fetch(ref: str) -> None:
    """Fetch ``ref`` (depth 1) from origin when a shallow checkout lacks it; quiet on failure
    (``--changed-since`` then names the missing revision)."""
    if not _SHA.fullmatch(ref):
        return
    present = subprocess.run(["git", "cat-file", "-e", f"{ref}^{{commit}}"], capture_output=True, check=False)
    if present.returncode != 0:
        subprocess.run(["git", "fetch", "--quiet", "--no-tags", "--depth", "1", "origin", ref],
                       capture_output=True, check=False)


def _write_outputs(path: str | None, code: int, reports: Mapping[str, str | None]) -> None:
    """Violations, counts, the exit code and report paths as step outputs."""
    if not path:
        return
    outputs: dict[str, Any] = {"exit-code": code, **{name: value or "" for name, value in reports.items()}}
    if not is_file(reports["comment"] or ""):
        outputs["comment"] = ""  # the check stopped before writing it (a usage or policy error)
    if is_file(reports["json"] or ""):
        records = json.loads(Path(reports["json"] or "").read_text(encoding="utf-8"))
        strict = records["strict"]
        outputs["violations"] = sum(fails(f, strict) for m in records["models"] for f in m["findings"]) + sum(
            m["error"] is not None for m in records["models"])
        outputs.update(checked=records["summary"]["checked"], failed=records["summary"]["failed"],
                       errors=records["summary"]["errors"], warnings=records["summary"]["warnings"])
    with open(path, "a", encoding="utf-8") as out:
        for name, value in outputs.items():
            out.write(f"{name}={str(value).replace(chr(10), ' ')}\n")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
