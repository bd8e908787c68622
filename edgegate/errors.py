"""Edgegate's error tree and exit codes: every user-facing failure is one of these.

Each class carries the exit code the CLI returns for it; ``str(error)`` is the one-line
message (``path: what is wrong``) printed without a traceback.
"""

from __future__ import annotations

import enum
from pathlib import Path


class ExitCode(enum.IntEnum):
    """Process exit codes; documented in the README and stable across versions."""

    OK = 0
    GATE_FAILED = 1
    USAGE = 2
    MODEL_ERROR = 3
    POLICY_ERROR = 4
    BINDING_ERROR = 5
    INTERNAL_ERROR = 70
    INTERRUPTED = 130


class EdgegateError(Exception):
    """Base of every error edgegate reports to a user; never shown with a traceback."""

    exit_code: ExitCode = ExitCode.INTERNAL_ERROR

    def __init__(
        self,
        message: str,
        path: str | Path | None = None,
        line: int | None = None,
        col: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.col = col

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        return f"{where}: {self.message}" if where else self.message


class UsageError(EdgegateError):
    """The command line is wrong (unknown option value, malformed --dim, ...)."""

    exit_code = ExitCode.USAGE


class ModelError(EdgegateError):
    """A model file cannot be read as ONNX: missing, empty, corrupt, truncated, LFS pointer."""

    exit_code = ExitCode.MODEL_ERROR


class BindingError(EdgegateError):
    """A model input dimension is unbound, or a binding does not fit the model.

    For an unbound dimension, ``input_name``, ``dim_index`` (None when the input declares no
    shape) and ``dim_name`` (the symbol, None when anonymous) let a caller word its own advice.
    """

    exit_code = ExitCode.BINDING_ERROR

    def __init__(
        self,
        message: str,
        path: str | Path | None = None,
        *,
        input_name: str | None = None,
        dim_index: int | None = None,
        dim_name: str | None = None,
    ) -> None:
        super().__init__(message, path)
        self.input_name = input_name
        self.dim_index = dim_index
        self.dim_name = dim_name


class PolicyError(EdgegateError):
    """A policy file is invalid YAML or breaks the policy schema."""

    exit_code = ExitCode.POLICY_ERROR
