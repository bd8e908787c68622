"""The check reporters: :data:`REPORTERS` maps a ``--format`` name to the module that writes
a check run in that format. Every one reads only the run's versioned JSON document
(``RunResult.as_records()``) through ``write(records, out)``. A module is imported when its
format is used (a pre-commit run pays for the text report only).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, Protocol, TextIO, cast


class Reporter(Protocol):
    """A format module: writes one check run's records to a text stream."""

    def write(self, records: Mapping[str, Any], out: TextIO) -> None:
        """Render ``records`` (``RunResult.as_records()``) to ``out``."""


REPORTERS: dict[str, str] = {
    "comment": "edgegate.report.comment",
    "github": "edgegate.report.github",
    "html": "edgegate.report.html",
    "json": "edgegate.report.json_",
    "junit": "edgegate.report.junit",
    "markdown": "edgegate.report.markdown",
    "sarif": "edgegate.report.sarif",
    "text": "edgegate.report.text",
}


def reporter(name: str) -> Reporter:
    """The module that writes the format ``name`` (a key of :data:`REPORTERS`)."""
    return cast(Reporter, importlib.import_module(REPORTERS[name]))


def resolve(name: str, environ: Mapping[str, str]) -> str:
    """``auto`` as the environment implies it (``github`` under GitHub Actions, else ``text``);
    any other name unchanged."""
    if name != "auto":
        return name
    return "github" if environ.get("GITHUB_ACTIONS") == "true" else "text"
