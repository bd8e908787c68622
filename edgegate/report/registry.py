"""The check reporters: :data:`REPORTERS` maps a ``--format`` name to the module that writes
a check run in that format. Every one reads only the run's versioned JSON document
(``RunResult.as_records()``) through ``write(records, out)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TextIO

from edgegate.report import comment, github, html, json_, junit, markdown, sarif, text


class Reporter(Protocol):
    """A format module: writes one check run's records to a text stream."""

    def write(self, records: Mapping[str, Any], out: TextIO) -> None:
        """Render ``records`` (``RunResult.as_records()``) to ``out``."""


REPORTERS: dict[str, Reporter] = {
    "comment": comment,
    "github": github,
    "html": html,
    "json": json_,
    "junit": junit,
    "markdown": markdown,
    "sarif": sarif,
    "text": text,
}


def resolve(name: str, environ: Mapping[str, str]) -> str:
    """``auto`` as the environment implies it (``github`` under GitHub Actions, else ``text``);
    any other name unchanged."""
    if name != "auto":
        return name
    return "github" if environ.get("GITHUB_ACTIONS") == "true" else "text"
