"""The pull-request comment (``check --pr-comment``): a stable marker for sticky updates, one row
per model with failing rows first, deltas against the base, and GitHub's 65,536-character limit
(counted in UTF-16 code units, as GitHub counts) kept with hundreds of failing models."""

from __future__ import annotations

import io

import pytest
from gate_helpers import conv_relu, save, write
from git_helpers import commit, init
from report_fixture import records

from edgegate.cli import main
from edgegate.report import comment
from edgegate.rules.findings import Finding, ModelResult, RunResult


def _body(document, **options) -> str:
    out = io.StringIO()
    comment.write(document, out, environ=options.pop("environ", {}), **options)
    return out.getvalue()


def _failing(models: int, name: str = "models/some/rather/long/path/to/a/detector_variant_{:05d}.onnx") -> dict:
    """``models`` models each failing flops max (value 2x the limit: excess 100%) and ops."""
    results = []
    for index in range(models):
        path = name.format(index)
        results.append(ModelResult(path, "edge-device", (
            Finding("limits", "error", False, path, "flops 20 MFLOP exceeds max 10 MFLOP", budget="edge-device",
                    metric="flops", value=20_000_000, limit=10_000_000, bound="max", unit="FLOP"),
            Finding("ops", "error", False, path, "op Sin is forbidden", budget="edge-device"))))
    return RunResult("edgegate.yaml", tuple(results)).as_records()


def test_the_body_starts_with_the_sticky_marker_and_orders_failing_rows_first():
    body = _body(records())
    lines = body.splitlines()
    assert lines[0] == comment.MARKER == "<!-- edgegate:pr-comment -->"
    rows = [line for line in lines if line.startswith("| ❌") or line.startswith("| ✅") or line.startswith("| ⚠️")]
    # the hostile model fails flops max (excess 131.3%) and 2 more; broken cannot be checked;
    # kws passes, its tightest limit peak_activation_bytes with headroom 43.8%
    assert [row.split(" | ")[1] for row in rows] == [
        "`models/we,ird: 100%\\n::error::pwned.onnx`", "`models/broken.onnx`", "`models/kws.onnx`"]
    assert "| `flops max` (+2 more) | 11.6 MFLOP | max 5 MFLOP | excess 131.3% |" in rows[0]
    assert "| `peak_activation_bytes max` | 9 KiB | max 16 KiB | headroom 43.8% |" in rows[2]
    assert "<details><summary>Heaviest layers behind the failing checks</summary>\n\n" in body


def test_hundreds_of_failing_models_stay_within_githubs_limit():
    # 600 rows of ~150 characters: about 90,000, far over the limit, so rows must be dropped
    document = _failing(600)
    body = _body(document)
    assert comment.chars(body) <= comment.COMMENT_CHARS - comment.STICKY_RESERVE
    shown = body.count("detector_variant_")
    assert 300 < shown < 600
    assert body.rstrip().endswith(
        f"_{600 - shown} more model checks not shown: a pull-request comment holds at most 65,536"
        " characters. Every check is in the job summary of this run._")
    assert all(line.endswith("|") for line in body.splitlines() if line.startswith("| ❌"))  # rows whole
    assert "<details>" not in body  # no room left for the layers once rows were dropped


def test_the_note_links_the_runs_job_summary_under_github_actions():
    environ = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "42"}
    body = _body(_failing(1000), environ=environ)
    assert body.rstrip().endswith("Every check is in the [job summary](https://github.com/o/r/actions/runs/42)._")


def test_the_limit_counts_utf16_code_units():
    # each 😀 is one code point but two UTF-16 code units, as GitHub counts a comment's length
    assert comment.chars("a😀") == 3
    document = _failing(600, name="models/😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀_{:05d}.onnx")
    body = _body(document)
    assert comment.chars(body) <= comment.COMMENT_CHARS - comment.STICKY_RESERVE < len(body.encode("utf-8"))


def test_through_githubs_markdown_engine_names_stay_text_and_details_hold_a_table():
    cmarkgfm = pytest.importorskip("cmarkgfm", reason="cmarkgfm (GitHub's cmark-gfm bindings) not installed")
    html = cmarkgfm.github_flavored_markdown_to_html(_body(records()),
                                                     options=cmarkgfm.cmark.Options.CMARK_OPT_UNSAFE)
    assert "<a " not in html and "<img" not in html
    assert html.count("<table>") == 2  # the models, and the layers inside <details>
    assert "<code>conv::warning::x\\n#\u200b#[set-output name=violations;]0</code>" in html


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    init(tmp_path)
    write(tmp_path / "edgegate.yaml", "version: 1\nbudgets:\n  all:\n    limits:\n      flops: {max: 200 kFLOP}\n")
    save(conv_relu(3, 4, 16), tmp_path / "models" / "grow.onnx")
    commit(tmp_path, "base")
    return tmp_path


def test_changed_since_shows_before_and_after(repo, capsys):
    # grow.onnx: conv_relu(3, 4, 16) = 56320 FLOPs at HEAD, conv_relu(3, 32, 16) = 450560 now:
    # +700.0%; 450560 over max 200 kFLOP: excess 125.3%
    save(conv_relu(3, 32, 16), repo / "models" / "grow.onnx")
    assert main(["check", "--changed-since", "HEAD", "--pr-comment", "comment.md", "--format", "text:log"]) == 1
    body = (repo / "comment.md").read_text()
    assert "Changes since `HEAD`." in body
    assert ("| ❌ | `models/grow.onnx` | `all` | `flops max` | 451 kFLOP | max 200 kFLOP | excess 125.3%"
            " | 56.3 kFLOP → 451 kFLOP (+700.0%) |") in body


@pytest.mark.slow
def test_a_check_over_four_hundred_failing_models_writes_a_comment_within_the_limit(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "edgegate.yaml", "version: 1\nbudgets:\n  all:\n    limits:\n      flops: {max: 10 kFLOP}\n")
    model = save(conv_relu(3, 4, 8), tmp_path / "m.onnx").read_bytes()  # 14080 FLOPs > 10 kFLOP
    for index in range(420):
        target = (tmp_path / "models" / f"product_line_{index % 7}" / "release_candidates"
                  / f"a_fairly_long_model_name_{index:04d}.onnx")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(model)
    (tmp_path / "m.onnx").unlink()
    assert main(["check", "--root", ".", "--jobs", "2", "--pr-comment", "comment.md", "--format", "text:log"]) == 1
    body = (tmp_path / "comment.md").read_text(encoding="utf-8")
    assert comment.chars(body) <= comment.COMMENT_CHARS
    shown = sum(line.startswith("| ❌ |") for line in body.splitlines())
    assert body.startswith(comment.MARKER + "\n### ❌ edgegate: 420 checks failed\n")
    assert 0 < shown < 420 and f"_{420 - shown} more model checks not shown" in body


def _one(passed: bool, severity: str = "error") -> dict:
    finding = Finding("limits", severity, passed, "m.onnx", "flops", budget="b", metric="flops",
                      value=150 if not passed else 50, limit=100, bound="max", unit="FLOP")
    return RunResult("p.yaml", (ModelResult("m.onnx", "b", (finding,)),)).as_records()


@pytest.mark.parametrize(("document", "heading"), [
    (_one(True), "### ✅ edgegate: 1 model check passed"),
    (_one(False, "warning"), "### ✅ edgegate: passed with 1 warning"),
    (_one(False), "### ❌ edgegate: 1 check failed"),
])
def test_the_heading_states_the_verdict(document, heading):
    assert _body(document).splitlines()[1] == heading
