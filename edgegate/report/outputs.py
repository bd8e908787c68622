"""Where a check run's reports go: ``--format NAME[:PATH]`` (repeatable; ``auto`` is github
under GitHub Actions, else text), ``--junit-xml``/``--json``/``--sarif``/``--pr-comment``/``--html
PATH``, and the GitHub step summary (``--github-summary PATH``, or ``$GITHUB_STEP_SUMMARY``
whenever the github format writes to standard output). Exactly one report goes to standard output: ``auto``
unless a ``--format`` without a path names another.
"""

from __future__ import annotations

import argparse
import io
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from edgegate.errors import UsageError
from edgegate.files import append_text, size_of, write_text
from edgegate.report import text
from edgegate.report.facts import Record
from edgegate.report.markdown import SUMMARY_BYTES
from edgegate.report.markdown import write as write_summary
from edgegate.report.registry import REPORTERS, reporter, resolve

FORMATS = ("auto", *REPORTERS)

_OPTION = {"junit": "junit-xml", "json": "json", "sarif": "sarif", "comment": "pr-comment", "html": "html"}
"""The option that writes each of these formats to a file."""


def report_files(args: argparse.Namespace) -> dict[str, str | None]:
    """The format -> path that the file options (``--junit-xml``, ``--json``, ...) asked for."""
    return {name: getattr(args, option.replace("-", "_")) for name, option in _OPTION.items()}


@dataclass(frozen=True)
class Output:
    """One report: its format, its file (None: standard output), and the option that asked."""

    format: str
    path: str | None
    option: str
    append: bool = False


def plan(formats: Sequence[str], files: Mapping[str, str | None], summary: str | None,
         environ: Mapping[str, str], others: Mapping[str, str | None] | None = None) -> list[Output]:
    """Every report this run writes. ``files`` maps a format (junit, json, sarif) to the path
    its option gave; ``others`` maps further options that write files (``--history``) to their
    paths, only to refuse sharing one. UsageError for an unknown format, two reports on standard
    output, or two outputs on one file."""
    outputs = [_parse(spec, environ) for spec in formats]
    if all(output.path is not None for output in outputs):
        outputs.insert(0, _parse("auto", environ))  # standard output always gets a report
    outputs += [Output(name, path, f"--{_OPTION[name]}") for name, path in files.items() if path is not None]
    if sum(output.path is None for output in outputs) > 1:
        raise UsageError("--format: only one report can go to standard output; give the others a"
                         " file (--format NAME:PATH)")
    github_on_stdout = any(o.format == "github" and o.path is None for o in outputs)
    if summary is None and github_on_stdout and environ.get("GITHUB_STEP_SUMMARY"):
        outputs.append(Output("markdown", environ["GITHUB_STEP_SUMMARY"], "$GITHUB_STEP_SUMMARY", True))
    elif summary is not None:
        outputs.append(Output("markdown", summary, "--github-summary", True))
    _refuse_shared([(o.option, o.path) for o in outputs if o.path is not None]
                   + [(option, path) for option, path in (others or {}).items() if path is not None])
    return outputs


def _refuse_shared(paths: Sequence[tuple[str, str]]) -> None:
    """UsageError when two options name one file (a character device such as /dev/null may be
    shared): one would overwrite the other."""
    seen: dict[str, str] = {}
    for option, path in paths:
        try:
            if stat.S_ISCHR(os.stat(path).st_mode):
                continue
        except (OSError, ValueError):
            pass
        key = _key(path)
        if key in seen:
            raise UsageError(f"{seen[key]} and {option} both name '{path}': give each its own file")
        seen[key] = option


def history_output(path: str | None) -> list[Output]:
    """``--history PATH`` as an output, for the checks every output gets (it is appended to)."""
    return [] if path is None else [Output("history", path, "--history", True)]


def refuse_inputs(outputs: Sequence[Output], inputs: Sequence[str]) -> None:
    """UsageError when a report would overwrite one of the run's ``inputs`` (the policy and
    its extends chain, the baseline, a model or check result named on the command line)."""
    read = {_key(path): path for path in inputs if path}
    for output in outputs:
        if output.path is not None and _key(output.path) in read:
            raise UsageError(f"{output.option}: '{output.path}' is an input of this run; a report"
                             " never overwrites one: choose another path")


def _key(path: str) -> str:
    """A path as a comparable key: resolved, case-normalized where the OS is."""
    return os.path.normcase(os.path.realpath(path))


def _parse(spec: str, environ: Mapping[str, str]) -> Output:
    """``NAME`` or ``NAME:PATH`` as an Output (``auto`` resolved)."""
    name, colon, path = spec.partition(":")
    if name not in FORMATS:
        raise UsageError(f"--format: unknown format '{name}' (choose from {', '.join(sorted(FORMATS))})")
    if colon and not path:
        raise UsageError(f"--format: '{spec}' names no file after the colon")
    return Output(resolve(name, environ), path or None, "--format")


def write_all(outputs: Sequence[Output], records: Record, stdout: TextIO, quiet: bool = False) -> None:
    """Write every report (the text on standard output only what failed or warned when
    ``quiet``). Each file report is rendered whole, then written at once (a temporary file
    renamed over the target; the step summary appended); a report that cannot be rendered or
    written never stops the others, and the first failure is raised after all were tried."""
    failures: list[Exception] = []
    for output in outputs:
        if output.path is None:
            continue
        try:
            _write_file(output, records)
        except Exception as error:  # noqa: BLE001 - raised below, once every report was tried
            failures.append(error)
    for output in outputs:
        if output.path is not None:
            continue
        try:
            if quiet and output.format == "text":
                text.write(records, stdout, quiet=True)
            else:
                reporter(output.format).write(records, stdout)
        except Exception as error:  # noqa: BLE001 - as above
            failures.append(error)
    if failures:
        raise failures[0]


def _render(output: Output, records: Record, limit: int | None = None) -> str:
    """One report as text."""
    buffer = io.StringIO()
    if output.append:
        write_summary(records, buffer, limit=SUMMARY_BYTES if limit is None else limit)
    else:
        reporter(output.format).write(records, buffer)
    return buffer.getvalue()


def _write_file(output: Output, records: Record) -> None:
    """Write one report to its file (parents created) all at once; the step summary is
    appended to, within what is left of GitHub's 1 MiB."""
    path = output.path or ""
    if output.append:
        used = size_of(path) or 0
        append_text(path, _render(output, records, max(SUMMARY_BYTES - used, 0)), output.option)
        return
    write_text(path, _render(output, records), output.option)


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """The report options that ``plan`` reads: --format, --junit-xml, --json, --sarif,
    --github-summary."""
    reports = parser.add_argument_group("reports")
    reports.add_argument("--format", action="append", default=[], metavar="NAME[:PATH]",
                         help=f"a report, to standard output or PATH; repeatable ({', '.join(FORMATS)})."
                         " Standard output gets auto unless given another: github under GitHub"
                         " Actions, else text")
    reports.add_argument("--junit-xml", metavar="PATH", help="also write JUnit XML to PATH")
    reports.add_argument("--json", metavar="PATH", help="also write the JSON records to PATH")
    reports.add_argument("--sarif", metavar="PATH", help="also write SARIF 2.1.0 to PATH")
    reports.add_argument("--pr-comment", metavar="PATH",
                         help="also write a pull-request comment body (markdown, at most 65,536"
                         " characters) to PATH")
    reports.add_argument("--html", metavar="PATH",
                         help="also write a self-contained HTML report (tables, roofline chart) to PATH")
    reports.add_argument("--github-summary", metavar="PATH",
                         help="append the markdown summary to PATH (default: $GITHUB_STEP_SUMMARY"
                         " when the github format is on standard output)")
