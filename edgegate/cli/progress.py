"""A progress bar on stderr, without dependencies: redrawn in place on a terminal, one line per
step elsewhere (CI logs)."""

from __future__ import annotations

import sys
from typing import TextIO


class ProgressBar:
    """Called with (steps done, steps in all, what runs now); ends its line when all are done."""

    def __init__(self, stream: TextIO | None = None, width: int = 24) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self.shown = 0

    def __call__(self, done: int, total: int, label: str) -> None:
        filled = self.width * done // max(total, 1)
        text = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {label}"
        if not self.tty:
            self.stream.write(text + "\n")
        else:
            self.stream.write("\r" + text.ljust(self.shown))
            self.shown = len(text)
            if done >= total:
                self.stream.write("\n")
        self.stream.flush()
