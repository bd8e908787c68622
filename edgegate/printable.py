"""Text that leaves edgegate for a person or a CI log: one line, and never a live workflow command.

Model paths, node and op names, policy keys, refs and messages come from files a pull request
controls. A GitHub Actions runner reads both standard output and standard error line by line
(a line ends at LF or CR) and acts on a line that starts with ``::`` after any leading blanks,
or that holds ``##[`` anywhere. So every human-readable writer passes user text through
:func:`printable`: control characters, line separators and the code points XML forbids are
shown as escapes, bytes that are not UTF-8 as ``\\xNN``, each ``##[`` is broken by a zero-width
space, and a leading ``:`` gets one in front. :func:`inert` does the same to whole lines, and
:class:`InertStream` to everything written to a stream (the CLI wraps standard output and
error in one under GitHub Actions; the github report writes its own commands through
:meth:`InertStream.write_command`).
"""

from __future__ import annotations

import io
from typing import TextIO

ZWSP = "\u200b"
"""Zero-width space: not whitespace to the runner's ``TrimStart``, invisible in a log."""

_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}
_ESCAPES.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", 0x2028: "\\u2028",
                 0x2029: "\\u2029", 0xFFFE: "\\ufffe", 0xFFFF: "\\uffff"})


def printable(text: str) -> str:
    """``text`` on one line that no log parser or XML reader misreads.

    Control characters (C0, DEL, C1), line and paragraph separators and U+FFFE/U+FFFF are shown
    as escapes; lone surrogates (a file name that is not UTF-8) as ``\\udcxx``; ``##[`` becomes
    ``#<ZWSP>#[`` and a leading ``:`` (after blanks) gets a zero-width space before it, so the
    text cannot start or hold a GitHub workflow command wherever a writer puts it.
    """
    line = text.translate(_ESCAPES).encode("utf-8", "backslashreplace").decode("utf-8")
    line = line.replace("##[", f"#{ZWSP}#[")
    return ZWSP + line if line.lstrip().startswith(":") else line


def inert(line: str) -> str:
    """One output ``line`` as the runner cannot read it as a command: each ``##[`` broken by a
    zero-width space and a leading ``::`` (after any blanks) preceded by one; else unchanged."""
    line = line.replace("##[", f"#{ZWSP}#[")
    return ZWSP + line if line.lstrip().startswith("::") else line


class StreamProxy(io.TextIOBase):
    """A text stream in front of ``target``: it is a terminal, has a descriptor and an
    encoding exactly when ``target`` does. Subclasses decide what a write does."""

    def __init__(self, target: TextIO) -> None:
        self.target = target

    def isatty(self) -> bool:
        """Whether the wrapped stream is a terminal."""
        return self.target.isatty()

    def fileno(self) -> int:
        """The wrapped stream's descriptor."""
        return self.target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """The wrapped stream's encoding."""
        return getattr(self.target, "encoding", "utf-8")


class InertStream(StreamProxy):
    """A text stream that passes every line through :func:`inert` before ``target`` sees it.

    A CR ends a line for the runner, so it ends one here too. :meth:`write_command` writes a
    workflow command as it is: the github reporter's annotations and stop-commands blocks.
    """

    def __init__(self, target: TextIO) -> None:
        super().__init__(target)
        self.pending: list[str] = []

    def write(self, text: str) -> int:
        """Buffer ``text`` and forward its whole lines, made inert."""
        if "\n" not in text and "\r" not in text:
            self.pending.append(text)
            return len(text)
        joined = "".join(self.pending) + text
        self.pending = []
        start = 0
        for index, char in enumerate(joined):
            if char in "\r\n":
                self.target.write(inert(joined[start:index]) + char)
                start = index + 1
        if start < len(joined):
            self.pending.append(joined[start:])
        return len(text)

    def write_command(self, line: str) -> None:
        """Write one workflow command line (ending in a newline) as it is."""
        self.flush_pending()
        self.target.write(line)

    def flush_pending(self) -> None:
        """Forward a partial last line, made inert."""
        if self.pending:
            self.target.write(inert("".join(self.pending)))
            self.pending = []

    def flush(self) -> None:
        """Forward a partial last line too, then flush ``target``."""
        self.flush_pending()
        self.target.flush()


def write_command(out: TextIO, line: str) -> None:
    """Write a workflow command ``line`` to ``out``, past an :class:`InertStream` if it is one."""
    if isinstance(out, InertStream):
        out.write_command(line)
    else:
        out.write(line)
