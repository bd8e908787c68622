"""The github reporter: escaping (GitHub's own escape table), the log as the Actions runner
reads it (no command from model data ever runs), and the annotation caps."""

from __future__ import annotations

import hashlib
import io
import re
from typing import NamedTuple

import pytest
from report_fixture import HOSTILE, HOSTILE_ADVICE, records

from edgegate.printable import InertStream, inert, printable
from edgegate.report import github
from edgegate.rules.findings import Finding, ModelResult, RunResult

# The runner's commands (actions/runner ActionCommandManager): any of these, reached by
# ::name::, at the start of a line (after leading blanks), or ##[name] anywhere in one, runs.
REGISTERED = {"add-mask", "add-matcher", "add-path", "debug", "echo", "endgroup", "error", "group",
              "notice", "remove-matcher", "save-state", "set-env", "set-output", "stop-commands", "warning"}


class Command(NamedTuple):
    name: str
    properties: dict
    data: str


def _unescape(value: str, property_: bool) -> str:
    # the runner's unescape order: CR, LF, (":" and "," for properties), then "%"
    pairs = [("%0D", "\r"), ("%0A", "\n"), *([("%3A", ":"), ("%2C", ",")] if property_ else []), ("%25", "%")]
    for escaped, char in pairs:
        value = value.replace(escaped, char)
    return value


def _parse(line: str, registered: set) -> Command | None:
    """A line as the runner parses it: the ``::`` form first, then the legacy ``##[`` form."""
    text = line.lstrip()
    if text.startswith("::") and (end := text.find("::", 2)) >= 0:
        info = text[2:end]
        name, _, props = info.partition(" ")
        if name in registered:
            pairs = [p.split("=", 1) for p in props.strip().split(",") if p]
            return Command(name, {k: _unescape(v, True) for k, v in (p for p in pairs if len(p) == 2)},
                           _unescape(text[end + 2:], False))
    start = line.find("##[")
    if start >= 0 and (end := line.find("]", start)) >= 0:
        name = line[start + 3:end].partition(" ")[0]
        if name in registered:
            return Command(name, {}, line[end + 1:])
    return None


def run_on_runner(output: str) -> list[Command]:
    """The commands the runner would act on, honouring ::stop-commands::TOKEN ... ::TOKEN::."""
    acted, token = [], None
    for line in re.split(r"\r\n|\r|\n", output):
        command = _parse(line, REGISTERED | ({token} if token else set()))
        if command is None:
            continue
        if token is not None:
            if command.name == token:
                token = None
            continue
        if command.name == "stop-commands":
            token = command.data
            continue
        acted.append(command)
    return acted


@pytest.mark.parametrize(("value", "data", "prop"), [
    ("a%b", "a%25b", "a%25b"),
    ("1\r\n2", "1%0D%0A2", "1%0D%0A2"),
    ("x: y, z", "x: y, z", "x%3A y%2C z"),
    ("%0A", "%250A", "%250A"),  # an already-escaped-looking value stays literal
])
def test_escaping_follows_githubs_table(value, data, prop):
    assert github.escape_data(value) == data
    assert github.escape_property(value) == prop
    assert _unescape(data, False) == value and _unescape(prop, True) == value


def test_command_line():
    assert github.command("error", "m:1%\n", file="a,b.onnx", title="t: x") == \
        "::error file=a%2Cb.onnx,title=t%3A x::m:1%25%0A"


def _github(strict: bool = False) -> str:
    out = io.StringIO()
    github.write(records(strict), out)
    return out.getvalue()


def test_the_runner_acts_only_on_edgegates_own_commands():
    # the fixture's model path, node name, layer name and advice each hold a workflow command
    # (::error::, ::error file=..::, ::warning::, ##[set-output ...]) after a newline
    acted = run_on_runner(_github())
    assert [(c.name, c.properties.get("file")) for c in acted] == [
        ("group", None), ("endgroup", None),  # models/kws.onnx
        ("group", None), ("endgroup", None),  # the hostile model
        ("group", None), ("endgroup", None),  # models/broken.onnx
        ("error", HOSTILE), ("error", "models/broken.onnx"), ("warning", HOSTILE),
    ]
    # the group title on one line: the newline in the path shown as \n (the runner would print a
    # raw one as a real line break inside the log line)
    assert acted[2].data == f"{printable(HOSTILE)} [budget edge]: FAILED" and "\n" not in acted[2].data
    errors = acted[6].data.split("\n")
    assert errors == [f"flops 11.6 MFLOP exceeds max 5 MFLOP (excess 131.3%): {HOSTILE_ADVICE}",
                      "op Sin is forbidden (1 node, first '\\n::error file=x.py::injected')"]
    assert acted[6].properties["title"] == "edgegate [budget edge]: 2 checks failed"
    assert acted[8].data == "params 6 kparam exceeds max 5 kparam (excess 20.0%)"


def test_even_without_stop_commands_no_hostile_name_runs():
    # the same log with the stop/resume lines removed: the ##[set-output ...] inside a layer
    # name and a report line starting with a model path such as "::warning::x.onnx" are
    # printed inert (edgegate.printable), so the blocks are a second guard, not the only one
    unguarded = "\n".join(line for line in _github().splitlines() if "edgegate-" not in line)
    assert {c.name for c in run_on_runner(unguarded)} <= {"group", "endgroup", "error", "warning"}
    assert "set-output" not in unguarded.replace("#\u200b#[set-output", "")
    out = io.StringIO()
    github.write(RunResult("p.yaml", (ModelResult("::warning::x.onnx", "b"),)).as_records(), out)
    guarded = out.getvalue()
    assert [c.name for c in run_on_runner(guarded)] == ["group", "endgroup"]
    assert [c.name for c in run_on_runner(guarded.replace("::stop-commands::", "::no-such::"))] == [
        "group", "endgroup"]


def test_no_output_line_starts_a_command_except_ours():
    for line in _github().splitlines():
        if line.lstrip().startswith("::"):
            assert re.match(r"::(group|endgroup|error|warning|stop-commands)[ :]|::edgegate-[0-9a-f]{40}::$",
                            line)


def test_stop_token_is_the_digest_of_the_block_it_guards():
    out = io.StringIO()
    github.write_inert("line one\n", out)
    token = "edgegate-" + hashlib.sha256(b"line one\n").hexdigest()[:40]
    assert out.getvalue() == f"::stop-commands::{token}\nline one\n::{token}::\n"


def test_strict_folds_warnings_into_the_error_annotation():
    acted = [c for c in run_on_runner(_github(strict=True)) if c.name in ("error", "warning")]
    assert [(c.name, c.properties["file"]) for c in acted] == [
        ("error", HOSTILE), ("error", "models/broken.onnx")]
    assert acted[0].properties["title"] == "edgegate [budget edge]: 3 checks failed"


def _failing_run(models: int, level: str = "error") -> RunResult:
    results = tuple(
        ModelResult(f"m{i:02d}.onnx", "b", (Finding("ops", level, False, f"m{i:02d}.onnx", "bad op"),))
        for i in range(models))
    return RunResult("p.yaml", results)


def test_at_most_ten_annotations_per_level_the_tenth_names_the_rest():
    # 25 failing models: 9 annotations of their own, the 10th lists the other 16 (m09..m24)
    notes = github.annotate(_failing_run(25).as_records())
    assert len(notes) == 10 and [n.file for n in notes[:9]] == [f"m{i:02d}.onnx" for i in range(9)]
    assert notes[9].file is None and notes[9].title == "edgegate: 16 more models with errors"
    assert notes[9].lines == [*(f"m{i:02d}.onnx" for i in range(9, 25)), "full detail in the job summary"]


@pytest.mark.parametrize(("models", "count"), [(10, 10), (11, 10), (3, 3)])
def test_annotation_count_never_exceeds_githubs_step_limit(models, count):
    assert len(github.annotate(_failing_run(models, "warning").as_records())) == count


def test_one_annotation_lists_at_most_twenty_checks():
    findings = tuple(Finding("ops", "error", False, "m.onnx", f"op {i} forbidden") for i in range(30))
    (note,) = github.annotate(RunResult("p.yaml", (ModelResult("m.onnx", "b", findings),)).as_records())
    # 19 checks shown, then "... and 11 more": 19 + 11 = 30
    assert note.lines[:19] == [f"op {i} forbidden" for i in range(19)]
    assert note.lines[19:] == ["... and 11 more (see the job summary)"]


@pytest.mark.parametrize(("line", "shown"), [
    ("edgegate: error: models/##[error]x.onnx: no such file", "edgegate: error: models/#\u200b#[error]x.onnx: no such file"),
    ("  ::warning::x", "\u200b  ::warning::x"),
    ("edgegate: nothing to check", "edgegate: nothing to check"),
])
def test_inert_lines_are_no_command(line, shown):
    assert inert(line) == shown
    assert run_on_runner(line) != [] or line == shown  # the raw line was a command (or harmless)
    assert run_on_runner(inert(line)) == []


def test_inert_stream_forwards_whole_lines_made_inert():
    target = io.StringIO()
    stream = InertStream(target)
    stream.write("edgegate: error: a##[")
    assert target.getvalue() == ""  # a partial line waits for its end
    stream.write("group]b\n::error::c")
    stream.flush()
    assert target.getvalue() == "edgegate: error: a#\u200b#[group]b\n\u200b::error::c"
    assert run_on_runner(target.getvalue()) == []


def test_annotation_message_and_title_are_cut_to_githubs_limits():
    long = "x" * 5000
    run = RunResult("p.yaml", (ModelResult("m.onnx", "b" * 300, (Finding("ops", "error", False, "m.onnx", long),)),))
    out = io.StringIO()
    github.write(run.as_records(), out)
    (note,) = [c for c in run_on_runner(out.getvalue()) if c.name == "error"]
    assert len(note.data) == github.MESSAGE_CHARS and note.data.endswith("...")
    assert len(note.properties["title"]) == github.TITLE_CHARS
