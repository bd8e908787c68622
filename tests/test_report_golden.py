"""Every reporter against its golden output, all made from one fixed run (tests/report_fixture.py):
a passing model, a model with hostile path/names/advice, an unreadable model, a skipped one.

Regenerate with ``python -m pytest tests/test_report_golden.py --update-golden`` and review
the diff: the goldens are the reviewed expectations (escaping included).
"""

from __future__ import annotations

import io

import pytest
from report_fixture import records

from edgegate.report.registry import REPORTERS, reporter

GOLDEN_NAMES = {"comment": "comment.md", "github": "github.txt", "html": "report.html", "json": "records.json", "junit": "junit.xml",
                "markdown": "summary.md", "sarif": "report.sarif", "text": "report.txt"}


def test_every_reporter_has_a_golden():
    assert sorted(GOLDEN_NAMES) == sorted(REPORTERS) == [
        "comment", "github", "html", "json", "junit", "markdown", "sarif", "text"]


@pytest.mark.parametrize("name", sorted(GOLDEN_NAMES))
def test_reporter_matches_its_golden(name, golden):
    out = io.StringIO()
    reporter(name).write(records(), out)
    golden(GOLDEN_NAMES[name], out.getvalue())


def test_the_comment_golden_is_the_same_under_github_actions(golden, monkeypatch):
    # the comment's truncation note links this run's job summary only under GitHub Actions; the
    # golden fixture fits, so no note: the golden is the same either way
    for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"):
        monkeypatch.setenv(name, "x")
    out = io.StringIO()
    reporter("comment").write(records(), out)
    golden("comment.md", out.getvalue())


def test_strict_golden_turns_the_warning_into_a_gate_failure(golden):
    # --strict: params 6000 > 5000 (a warning) now fails the gate, so the hostile model has one
    # error annotation listing all three checks and no warning annotation
    out = io.StringIO()
    reporter("github").write(records(strict=True), out)
    golden("github-strict.txt", out.getvalue())
