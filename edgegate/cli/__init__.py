"""The ``edgegate`` command: argparse front end, subcommand table and the one error handler.

Each subcommand is a module with ``add_arguments(parser)`` and ``run(args) -> int``;
:data:`COMMANDS` maps its name to that module and a one-line help. Only the chosen command's
module is imported, so ``edgegate estimate`` never pays for the policy machinery. Every
``EdgegateError`` becomes a one-line message on stderr and its exit code; nothing a user does
shows a traceback. Messages echo paths, keys and names a pull request controls, so each is
passed through :func:`~edgegate.printable.printable`; under GitHub Actions both standard
streams also pass through :class:`~edgegate.printable.InertStream` for the whole run, so no
line edgegate prints can be a workflow command unless the github report means it to be.
Before a command imports numpy, its BLAS is kept to one thread (:func:`limit_blas_threads`).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Iterator, Mapping, MutableMapping, Sequence

from edgegate.errors import EdgegateError, ExitCode, UsageError
from edgegate.printable import InertStream, StreamProxy, printable
from edgegate.version import __version__

COMMANDS: dict[str, tuple[str, str]] = {
    "baseline": (
        "edgegate.cli.baseline",
        "Record every metric of the selected models in a baseline file to commit.",
    ),
    "check": ("edgegate.cli.check", "Check ONNX models against the repo's policy (the CI gate)."),
    "diff": (
        "edgegate.cli.diff",
        "Compare two ONNX files: each metric before/after/change and the layers that changed most.",
    ),
    "estimate": (
        "edgegate.cli.estimate",
        "Estimate FLOPs/MACs, params, peak activation and DRAM traffic of ONNX models.",
    ),
    "init": ("edgegate.cli.init", "Write a starter policy (edgegate.yaml) for the models in the repo."),
    "measure": (
        "edgegate.cli.measure",
        "Run a model with onnxruntime and compare its measured latency with the prediction.",
    ),
    "merge": (
        "edgegate.cli.merge",
        "Combine the JSON results of `check --shard K/N` jobs into one result.",
    ),
    "ops": ("edgegate.cli.ops", "List which ONNX standard ops (by domain and opset) have a cost formula."),
    "plot": (
        "edgegate.cli.plot",
        "Draw FLOPs per model, compute vs DRAM traffic with a roofline, or a metric over time.",
    ),
    "policy": ("edgegate.cli.policy", "Work with policy files: `edgegate policy validate PATH`."),
    "target": (
        "edgegate.cli.target",
        "Work with targets: `edgegate target measure --out FILE` measures this device.",
    ),
    "trend": ("edgegate.cli.trend", "Show each model's metrics over time from a history file."),
}


DEVICE_TIMING = frozenset({"measure", "target"})
"""Commands that time this device, so numpy's BLAS keeps the threads it would start (``target
measure`` times numpy's matmul when onnxruntime is absent)."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors with edgegate's usage exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"edgegate: error: {printable(message)}\n")


def _chosen(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line, if any."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def _only(argv: Sequence[str]) -> str | None:
    """The one command whose subparser is needed: the chosen one, unless it is unknown or the
    top-level help (which lists every command) is asked for before it."""
    chosen = _chosen(argv)
    if chosen not in COMMANDS or any(arg in ("-h", "--help") for arg in argv[:list(argv).index(chosen)]):
        return None
    return chosen


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The top-level parser; only the chosen command's module is imported, for its options.

    When ``argv`` names a command, only its subparser is built (the others cost about 5 ms of
    a hook's start-up and cannot be reached); otherwise all are, for the help and the list of
    choices an unknown command is told."""
    parser = _Parser(
        prog="edgegate",
        description="Estimate what an ONNX model costs on an edge device and gate it in CI.",
    )
    parser.add_argument("--version", action="version", version=f"edgegate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    chosen, only = _chosen(argv), _only(argv)
    for name, (module_name, help_text) in COMMANDS.items():
        if only not in (None, name):
            continue
        command = sub.add_parser(name, help=help_text, description=help_text)
        if chosen == name:
            module = importlib.import_module(module_name)
            module.add_arguments(command)
            command.set_defaults(run=module.run)
    return parser


@contextlib.contextmanager
def output_gate(environ: Mapping[str, str]) -> Iterator[None]:
    """Under GitHub Actions, standard output and error pass through an InertStream for the
    block (no line becomes a workflow command; the github report writes its own past it)."""
    if environ.get("GITHUB_ACTIONS") != "true":
        yield
        return
    saved = sys.stdout, sys.stderr
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(stream, InertStream):
            setattr(sys, name, InertStream(stream))
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        sys.stdout, sys.stderr = saved


class _Output(StreamProxy):
    """Standard output as edgegate writes it: a write that fails (a full disk, a file-size
    limit) is a UsageError saying so, not an internal error; a closed pipe stays a
    BrokenPipeError (the reader left: exit 0)."""

    def write(self, text: str) -> int:
        try:
            return self.target.write(text)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise UsageError(f"cannot write to standard output: {error.strerror or error}") from None

    def flush(self) -> None:
        try:
            self.target.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise UsageError(f"cannot write to standard output: {error.strerror or error}") from None


def limit_blas_threads(command: str | None, environ: MutableMapping[str, str]) -> None:
    """OPENBLAS_NUM_THREADS=1 unless ``environ`` sets it or ``command`` times this device: the
    threads OpenBLAS starts when numpy is imported cost a hook run 0.06-0.12 s of CPU, about as
    much as edgegate's own work, and edgegate's numpy work is on small constant tensors."""
    if command not in DEVICE_TIMING:
        environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main(argv: Sequence[str] | None = None) -> int:
    """Run edgegate with ``argv`` (default: sys.argv[1:]) and return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    limit_blas_threads(_chosen(argv), os.environ)  # before any command imports numpy
    # An estimate allocates a few objects per node and frees them all at the end; the default
    # collection threshold (700) would scan the growing graph every few nodes.
    gc.set_threshold(20_000, 50, 50)
    stdout = sys.stdout
    sys.stdout = _Output(stdout)  # type: ignore[assignment]
    try:
        with output_gate(os.environ):
            code = _run(argv)
            try:
                sys.stdout.flush()
            except UsageError as error:
                print(f"edgegate: error: {error}", file=sys.stderr)
                code = int(error.exit_code)
            except BrokenPipeError:
                pass
        return code
    finally:
        sys.stdout = stdout


def _run(argv: list[str]) -> int:
    """Parse ``argv``, run the command, and turn every error into its line and exit code."""
    args = build_parser(argv).parse_args(argv)
    try:
        return int(args.run(args))
    except EdgegateError as error:
        print(f"edgegate: error: {printable(str(error))}", file=sys.stderr)
        return int(error.exit_code)
    except KeyboardInterrupt:
        print("edgegate: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except OSError as error:
        # the file system refused a path of the user's (too long, gone, not permitted) where
        # no reader checked it first: a usage error naming the path, like the checked ones
        where = f"{error.filename}: " if error.filename is not None else ""
        print(f"edgegate: error: {printable(where + (error.strerror or str(error)))}", file=sys.stderr)
        return int(ExitCode.USAGE)
    except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback for users
        if os.environ.get("EDGEGATE_DEBUG"):
            import traceback  # 1 ms: needed only for an internal error under EDGEGATE_DEBUG

            traceback.print_exc()
        print(
            f"edgegate: internal error: {type(error).__name__}: {printable(str(error))[:500]} (this is"
            " a bug in edgegate; set EDGEGATE_DEBUG=1 for a traceback and report it)",
            file=sys.stderr,
        )
        return int(ExitCode.INTERNAL_ERROR)
