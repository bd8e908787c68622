"""The markdown job summary: model data renders as text (checked with GitHub's own markdown
engine, cmark-gfm, when the cmarkgfm package is installed), every model's numbers in one
table, warnings apart from failures, and GitHub's 1 MiB per-step limit kept with a note."""

from __future__ import annotations

import io
import re

import pytest
from report_fixture import records

from edgegate.report import markdown
from edgegate.rules.findings import Finding, ModelResult, RunResult


def _summary(document, limit: int = markdown.SUMMARY_BYTES) -> str:
    out = io.StringIO()
    markdown.write(document, out, limit=limit)
    return out.getvalue()


@pytest.mark.parametrize(("raw", "cell"), [
    ("a|b", "a\\|b"),
    ("![x](http://e/p.png)", "\\!\\[x\\]\\(http\\://e/p\\.png\\)"),
    ("<img src=x>", "\\<img src=x\\>"),
    ("two\nlines", "two\\\\nlines"),  # the newline shown as \n (its backslash escaped)
    ("`code` *b* _i_", "\\`code\\` \\*b\\* \\_i\\_"),
])
def test_cells_escape_markdown(raw, cell):
    assert markdown.cell(raw) == cell


@pytest.mark.parametrize(("raw", "span"), [
    ("models/a.onnx", "`models/a.onnx`"),
    ("a|b", "`a\\|b`"),
    ("x`y", "``x`y``"),
    ("`x", "`` `x ``"),
    ("a\\|b", "a\\\\\\|b"),  # a backslash before a pipe cannot sit in a code span in a table
    ("two\nlines", "`two\\nlines`"),
])
def test_names_are_code_spans(raw, span):
    assert markdown.code(raw) == span


def test_hostile_data_renders_as_text():
    text = _summary(records())
    # every "<" and "[" of prose is backslash-escaped, names are in code spans: no image, no tag
    assert not re.search(r"(?<![\\`])(<img|!\[|\]\()", text.replace("`models/we,ird", "")) and "\n::" not in text
    assert all(line.startswith(("|", "#", "Policy", "Not selected")) or not line for line in text.splitlines())


def test_through_githubs_markdown_engine_nothing_links_or_becomes_html():
    cmarkgfm = pytest.importorskip("cmarkgfm", reason="cmarkgfm (GitHub's cmark-gfm bindings) not installed")
    html = cmarkgfm.github_flavored_markdown_to_html(_summary(records()),
                                                     options=cmarkgfm.cmark.Options.CMARK_OPT_UNSAFE)
    assert "<a " not in html and "<img" not in html  # the advice's URL and image stay text
    assert "<code>models/we,ird: 100%\\n::error::pwned.onnx</code>" in html
    assert html.count("<table>") == 4  # models, checks that failed, warnings, models not checked
    assert "http://x.invalid/p.png" in html and "&lt;img src=x&gt;" in html  # shown, not acted on


def test_a_passing_model_shows_its_values_and_headroom():
    # kws: flops 38912 of max 5 MFLOP, headroom (5e6 - 38912) / 5e6 = 99.2%; peak 9216 of 16384:
    # (16384 - 9216) / 16384 = 43.75%
    row = next(line for line in _summary(records()).splitlines() if "`models/kws.onnx`" in line)
    assert row == ("| ✅ | `models/kws.onnx` | `edge` | ✅ 38.9 kFLOP ≤ 5 MFLOP<br>headroom 99.2% |  |"
                   " ✅ 9 KiB ≤ 16 KiB<br>headroom 43.8% | ✅ 1 passed |")


def test_warnings_are_listed_as_warnings():
    text = _summary(records())
    warnings = text.split("#### Warnings")[1].split("####")[0]
    failed = text.split("#### Checks that failed")[1].split("####")[0]
    assert "`params max`" in warnings and "`params max`" not in failed
    assert "`flops max`" in failed and "`flops max`" not in warnings


def _many(findings: int) -> dict:
    bad = tuple(Finding("ops", "error", False, "m.onnx", f"op Op{i:05d} is forbidden")
                for i in range(findings))
    return RunResult("p.yaml", (ModelResult("m.onnx", "b", bad),)).as_records()


def test_a_huge_run_stays_under_one_mebibyte_with_a_note():
    # 20000 failing checks at ~60 bytes a row is ~1.2 MB of rows: some must be dropped
    text = _summary(_many(20000))
    size = len(text.encode("utf-8"))
    assert markdown.SUMMARY_BYTES - 4096 < size <= markdown.SUMMARY_BYTES
    shown = text.count("is forbidden")
    # every row of the checks table is either shown or counted in the note (the one models row
    # is shown: it names the check once, with the count)
    assert "❌ `ops` ×20000" in text
    assert text.rstrip().endswith(f"_{20000 - shown} more table rows not shown: GitHub limits a step"
                                  " summary to 1 MiB. The JSON and JUnit reports have every check._")


def test_rows_are_dropped_whole():
    text = _summary(_many(50), limit=1500)
    assert len(text.encode("utf-8")) <= 1500
    assert all(line.endswith("|") for line in text.splitlines() if line.startswith("| `m.onnx`"))


def test_nothing_but_the_note_fits():
    # a budget smaller than the headline writes nothing at all
    assert _summary(_many(3), limit=100) == ""


def test_a_max_increase_row_has_its_value_limit_and_excess():
    # flops 28160 against a baseline of 14080 with max_increase 5%: at most 14080 x 1.05 = 14784;
    # excess (28160 - 14784) / 14784 = 90.5%. The message names the metric and the baseline.
    grew = Finding("max_increase", "error", False, "m.onnx",
                   "flops 28.2 kFLOP is +100.0% against the baseline 14.1 kFLOP: exceeds max_increase 5%"
                   " (at most 14.8 kFLOP)", budget="b", metric="flops", value=28160, limit=14784,
                   bound="max", unit="FLOP")
    text = _summary(RunResult("p.yaml", (ModelResult("m.onnx", "b", (grew,)),)).as_records())
    assert ("| `m.onnx` | `b` | `max_increase` | 28.2 kFLOP | max 14.8 kFLOP | 90.5% |"
            " flops 28\\.2 kFLOP is \\+100\\.0% against the baseline 14\\.1 kFLOP\\: exceeds max\\_increase 5%"
            " \\(at most 14\\.8 kFLOP\\) |\n") in text
