"""The check run as JSON: exactly ``RunResult.as_records()``, the versioned document
(``schema_version``) that every other reporter reads and that tools can merge or diff."""

from __future__ import annotations

from typing import TextIO

from edgegate.jsonfile import dumps
from edgegate.report.facts import Record


def write(records: Record, out: TextIO) -> None:
    """Write ``records`` as indented JSON with a final newline."""
    out.write(dumps(records, indent=2) + "\n")
