"""Issue 10's classes of hostile input, one regression test per named reproducer.

Each case of tests/hostile/catalogue.py (the issue's examples and the further members the
hostile-input campaigns found, one distinct mechanism each) runs as a whole ``edgegate`` run in
the sandbox (tests/hostile/sandbox.py: its own directory under tmp_path, a forked child under
an address-space limit, a file-size limit and a timeout, never able to write elsewhere) and
must end cleanly: an exit code of 0 to 5, every stderr line an ``edgegate:`` line, no
traceback, no signal, hang or memory blow-up, no live workflow command from planted data, and
every report it asked for either complete or absent. The issue's own examples also pin their
exit code and what they print.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.hostile import catalogue, sandbox

EXPECTED: dict[str, tuple[int, str]] = {
    # class: (exit code, text the outcome's stderr must hold)
    "1.slice-step-max": (3, "its input has 24 elements, its output 3: the model is malformed"),  # Reshape(x, [3])
    "2.constantofshape-65536": (0, ""),
    "2.input-value-1e6x1e6": (5, "only a scalar (or a tensor of at most 65536 elements) can be given a value"),
    "3.einsum-equation-graph": (0, ""),
    "3.constant-value-ints-string": (0, ""),
    "3.loop-body-min-dims": (0, ""),
    "3.function-recursive": (3, "local functions cannot be inlined: a function calls itself: local::F -> local::F"),
    "3.function-too_many_inputs": (3, "local functions cannot be inlined: node 'F:y' calls local::F with 3 inputs; it has 1"),
    "4.node-name-not-utf8": (1, ""),
    "5.loops-3000-deep": (3, "messages nested more than 100 levels deep"),
    "5.yaml-flow-400": (4, "p.yaml:2:41: invalid YAML: nested more than 32 levels deep"),
    "5.extends-chain-3000": (4, "extends: the extends chain is longer than 32 files"),
    "5.pyproject-deep-array": (4, "invalid TOML: nested too deeply"),
    "5.baseline-json-1e5": (2, "not a baseline: nested more than 64 levels deep"),
    "5.merge-json-1e5": (2, "not a check result: nested more than 64 levels deep"),
    "6.flops-max-1e400": (4, "'1e400' is not a FLOP count: it is more than 2^63 - 1 FLOP"),
    "6.macs-1e400-MAC": (4, "it is more than 2^63 - 1 MAC"),
    "6.peak-1e400": (4, "targets.t.peak.fp32: '1e400 FLOP/s' is not a compute rate"),
    "6.flops-per-output-nan": (4, "'.nan' is not a finite number"),
    "6.int-5000-digits": (4, "a number with too many digits"),
    "6.dim-superscript-two": (2, "--dim batch: '²' is not a non-negative integer"),
    "6.init-headroom-nan": (2, "argument --headroom: 'nan' is not a finite number"),
    "6.input-value-inf": (2, "--input-value n: 'inf' is not a finite number"),
    "6.macs-1e999999999": (4, "the exponent is out of range"),
    "7.glob-range-reversed": (4, "glob '[z-a].onnx': bad character range z-a"),
    "7.glob-bang-only": (4, "the character class [!] matches nothing"),
    "7.glob-doublestar-14": (2, "selects no model"),
    "7.glob-star-a-12": (2, "selects no model"),
    "7.nul-in-policy": (4, "p.yaml:1:11: invalid YAML: the character U+0000 is not allowed in YAML"),
    "7.policy-proc-environ": (4, "invalid YAML: the character U+0000 is not allowed in YAML"),
    "7.extends-etc-passwd": (4, "/etc/passwd:1:1: expected a mapping, got a string"),
    "7.policy-50MB": (4, "more than the 1 MiB a policy may have"),
    "8.fifo-history": (2, "--history: cannot append to 'h.jsonl': a FIFO with no reader"),
    "8.fifo-baseline": (2, "b.json: cannot read baseline: a FIFO, not a file"),
    "8.fifo-merge": (2, "a.json: cannot read check result: a FIFO, not a file"),
    "8.fifo-policy-validate": (4, "p.yaml: cannot read policy: a FIFO, not a file"),
    "8.init-output-dir": (2, "--output: cannot write 'out': a directory, not a file"),
    "8.merge-models-int": (2, "a.json: not a check result:"),
    "8.baseline-dev-zero": (2, "/dev/zero: cannot read baseline: a device, not a file"),
    "9.jobs-10000": (0, ""),
    "9.jobs-huge": (0, ""),
    "9.target-measure-threads-huge": (2, "more than the"),
    "10.junit-ufffe": (1, ""),
    "10.sarif-non-utf8-path": (1, ""),
    "10.json-full-tmpfs": (2, "--json: cannot write 'r.json': file too large"),
    "10.json-junit-same-path": (2, "--junit-xml and --json both name 'r.out': give each its own file"),
    "10.summary-is-report": (2, "--json and --github-summary both name 'r.json'"),
    "10.stdout-on-full-disk": (2, "cannot write to standard output: File too large"),
    "10.history-onto-other-file": (2, "--history: 'r.json' is not an edgegate history"),
    "10.one-writer-fails": (2, "--json: cannot write 'dir': a directory, not a file"),
    "10.report-onto-policy": (2, "--json: 'edgegate.yaml' is an input of this run"),
    "10.baseline-onto-policy": (2, "--out: 'edgegate.yaml' exists and is not an edgegate baseline"),
    "11.estimate-text-node-newline": (0, ""),
    "11.error-dim-name": (2, "--dim #\u200b#[error]PWNED: 'x' is not a non-negative integer"),
    "11.error-policy-key-newline": (4, "x\\n::error title=PWNED::PWNED"),
    "11.error-path": (3, "x\\n::error title=PWNED::PWNED.onnx: no such file"),
    "11.argparse-error-value": (2, "argument --top: invalid int value: '#\u200b#[error]PWNED'"),
}
"""The issue's examples (and a few members whose message is the point): exit code, and a piece
of the error line (empty: the run succeeds or fails the gate with no error)."""


@pytest.mark.parametrize("name", sorted(catalogue.CASES))
def test_hostile_input_ends_cleanly(name: str, tmp_path: Path) -> None:
    _, note, make = catalogue.CASES[name]
    if "pyproject" in name and sys.version_info < (3, 11):
        pytest.skip("reading [tool.edgegate] needs Python 3.11 (tomllib)")
    outcome = sandbox.run(make(), "fork", base=tmp_path)
    stderr = outcome.stderr.decode("utf-8", "replace")
    assert outcome.cls == "ok", f"{name} ({note}): {outcome.cls}: {outcome.detail}\n{stderr[-2000:]}"
    assert "Traceback" not in stderr
    if name in EXPECTED:
        code, text = EXPECTED[name]
        assert (outcome.rc, text in stderr) == (code, True), stderr
        if code >= 2:  # an error: one line (argparse's usage lines may come before it)
            lines = stderr.splitlines()
            assert [line for line in lines if line.startswith("edgegate:")] == [lines[-1]], stderr
            assert lines[-1].startswith("edgegate: error: ")
            assert all(line.startswith(("usage: ", " ")) for line in lines[:-1]), stderr


def test_the_refused_baseline_and_history_left_the_files_as_they_were(tmp_path: Path) -> None:
    case = catalogue.CASES["10.baseline-onto-policy"][2]()
    handle = sandbox.start(case, "fork", base=tmp_path)
    outcome = sandbox.finish(handle, keep=True)
    assert outcome.rc == 2
    assert (handle["work"] / "edgegate.yaml").read_text() == catalogue.POLICY
    case = catalogue.CASES["10.history-onto-other-file"][2]()
    handle = sandbox.start(case, "fork", base=tmp_path)
    outcome = sandbox.finish(handle, keep=True)
    assert outcome.rc == 2  # refused before anything ran: no report either
    assert (handle["work"] / "r.json").read_text() == '{"not": "a history"}\n'
    assert not (handle["work"] / "r.sarif").exists()


def test_one_failing_writer_never_costs_the_others(tmp_path: Path) -> None:
    handle = sandbox.start(catalogue.CASES["10.one-writer-fails"][2](), "fork", base=tmp_path)
    outcome = sandbox.finish(handle, keep=True)
    assert (outcome.rc, outcome.stderr) == (2, b"edgegate: error: --json: cannot write 'dir': a directory, not a file\n")
    assert sandbox.report_problem(handle["work"] / "r.sarif", "sarif") is None
    assert sandbox.report_problem(handle["work"] / "r.xml", "junit") is None


def test_a_report_on_a_full_disk_is_absent_not_cut(tmp_path: Path) -> None:
    handle = sandbox.start(catalogue.CASES["10.json-full-tmpfs"][2](), "fork", base=tmp_path)
    outcome = sandbox.finish(handle, keep=True)
    assert outcome.rc == 2
    assert sorted(path.name for path in handle["work"].iterdir() if path.suffix in (".json", ".tmp")) == []


def test_the_foreign_file_is_never_quoted(tmp_path: Path) -> None:
    outcome = sandbox.run(catalogue.CASES["7.extends-etc-passwd"][2](), "fork", base=tmp_path)
    assert b"root:" not in outcome.stderr and b"/bin/" not in outcome.stderr
