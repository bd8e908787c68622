"""Checking many models: a stable shard partition, worker processes and a terminal progress line.

``--shard K/N`` keeps the models whose repo-relative path hashes to K (sha256, so every
machine and every run agrees, and each model is in exactly one shard). ``--jobs N`` checks
models in N worker processes, one model (all its budgets) per task so each model is read and
estimated once; results come back in the serial order, so the RunResult equals a serial run's.
With a REF (``--changed-since``) each changed model's deltas against its REF version come back
with its results, and models deleted since REF get deltas with no "after". The regression layer
(baseline, REF versions, git; 15 ms of a pre-commit hook's start-up with hashlib) is imported
only when a baseline or REF is given: a plain check runs a :class:`PlainChecker`.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from edgegate.errors import EdgegateError, UsageError
from edgegate.model.isolate import reusing_child
from edgegate.policy.load import load_policy
from edgegate.policy.select import selects
from edgegate.printable import printable
from edgegate.rules import unselected, unused_budget
from edgegate.rules.engine import Checker, discover_models
from edgegate.rules.findings import ModelResult, RunResult

if TYPE_CHECKING:
    from edgegate.regression.checker import ComparingChecker
    from edgegate.regression.refs import ModelDelta, RefChange

    Checked = tuple[list[ModelResult], list[ModelDelta]]

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4); UsageError unless 1 <= K <= N."""
    match = _SHARD.match(text)
    if match is None:
        raise UsageError(f"--shard '{text}' is not K/N (for example --shard 1/4)")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= index <= count:
        raise UsageError(f"--shard {text}: K must be between 1 and N")
    return index, count


def shard_of(relative: str, count: int) -> int:
    """The shard (1..count) of the repo-relative posix path ``relative``: a hash, not an order,
    so adding or removing a model moves no other model between shards."""
    import hashlib  # 4 ms (OpenSSL): with --shard only

    digest = hashlib.sha256(relative.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def in_shard(paths: Iterable[str], shard: tuple[int, int] | None) -> list[str]:
    """The ``paths`` that belong to ``shard`` (all of them when None), order kept."""
    if shard is None:
        return list(paths)
    index, count = shard
    return [path for path in paths if shard_of(path, count) == index]


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity, where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def resolve_jobs(jobs: int, work: int | None = None) -> int:
    """``--jobs`` as a process count: 0 means one per CPU, and never more processes than CPUs
    or than ``work`` (models to check); negative is a UsageError."""
    if jobs < 0:
        raise UsageError(f"--jobs {jobs}: give a number of processes (0: one per CPU)")
    cpus = cpu_count()
    wanted = min(jobs or cpus, cpus)
    return max(1, min(wanted, work)) if work is not None else wanted


@dataclass(frozen=True)
class CheckSpec:
    """What a (worker) process needs to build the checker: plain data, so it pickles.

    ``ref`` with ``changes`` (models changed since REF) and ``deleted`` (paths deleted since
    REF) turn on pull-request deltas.
    """

    policy: str
    root: str
    top: int = 3
    baseline: str | None = None
    ref: str | None = None
    changes: tuple[RefChange, ...] = ()
    deleted: tuple[str, ...] = ()

    def build(self) -> PlainChecker | ComparingChecker:
        """Load the policy (and baseline) and build the checker: a ComparingChecker only when
        there is a baseline or REF to compare with."""
        if self.baseline is None and self.ref is None:
            return PlainChecker(load_policy(self.policy), Path(self.root), self.top)
        # 15 ms (regression layer, git, hashlib): with --baseline or --changed-since only
        from edgegate.regression.baseline import load_baseline
        from edgegate.regression.checker import ComparingChecker
        from edgegate.regression.refs import RefVersions

        baseline = None if self.baseline is None else load_baseline(self.baseline)
        policy, root = load_policy(self.policy), Path(self.root)
        ref = None if self.ref is None else RefVersions(policy, root, self.ref, self.changes)
        return ComparingChecker(policy, root, self.top, baseline, ref)


class PlainChecker(Checker):
    """A Checker with nothing to compare with: the part of ComparingChecker that
    :func:`run_checks` uses (no baseline, no REF, no deltas) without the regression layer."""

    baseline = None
    ref = None

    def check_all(self, relative: str) -> Checked:
        """``relative`` under every budget that selects it (policy order), and no deltas."""
        return [self.check_model(budget, relative) for budget in self.budgets_for(relative)], []


@dataclass(frozen=True)
class CheckRun:
    """A run's result and, with a REF, each changed model's deltas."""

    result: RunResult
    ref: str | None = None
    deltas: tuple[ModelDelta, ...] = ()
    against: str = "ref"

    def records(self) -> dict[str, Any]:
        """The run's JSON document, with a ``deltas`` section when a REF (or, ``against``
        "baseline", a baseline file) was given."""
        document = self.result.as_records()
        if self.ref is not None:
            from edgegate.regression.refs import deltas_document  # as in build(): only runs that compare

            document["deltas"] = deltas_document(self.ref, self.deltas)
            if self.against != "ref":
                document["deltas"]["against"] = self.against
        return document


_WORKER: PlainChecker | ComparingChecker | None = None
_WORKER_CHILD = contextlib.ExitStack()  # left when the worker exits, with the child it kept


def _start_worker(spec: CheckSpec) -> None:
    """Process-pool initializer: build this worker's checker once; the worker keeps one child
    for onnx's native work on all its models."""
    global _WORKER
    _WORKER = spec.build()
    _WORKER_CHILD.enter_context(reusing_child())


def _check_one(relative: str) -> Checked | tuple[type[EdgegateError], str]:
    """Every budget's result for one model in this worker; an EdgegateError comes back as
    (class, message), since exceptions lose their fields when pickled."""
    assert _WORKER is not None
    try:
        return _WORKER.check_all(relative)
    except EdgegateError as error:
        return type(error), str(error)


def relative_path(root: Path, path: str) -> str:
    """``path`` relative to ``root``, posix; as given when it lies outside the root."""
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def candidates_of(root: Path, files: Sequence[str] | None) -> list[str]:
    """The repo-relative paths a run looks at: ``files``, or every model under the root (None)."""
    return discover_models(root) if files is None else [relative_path(root, f) for f in files]


def plan(checker: Checker, candidates: Sequence[str],
         shard: tuple[int, int] | None) -> tuple[list[str], list[str]]:
    """(models to check, models no budget selects) among ``candidates`` in ``shard``, both in
    the serial run's order."""
    chosen: list[str] = []
    skipped: list[str] = []
    for relative in in_shard(candidates, shard):
        selected = any(selects(budget, relative) for budget in checker.policy.budgets)
        (chosen if selected else skipped).append(relative)
    return chosen, skipped


def _results(spec: CheckSpec, checker: PlainChecker | ComparingChecker, paths: list[str],
             jobs: int) -> Iterator[Checked]:
    """Each path's results and deltas in order: in this process, or from ``jobs`` workers."""
    if jobs <= 1 or len(paths) <= 1:
        yield from (checker.check_all(path) for path in paths)
        return
    from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor  # 10 ms: with workers only

    chunk = max(1, len(paths) // (jobs * 32))
    try:
        pool = ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(spec,))
    except (OSError, ValueError) as error:
        raise UsageError(f"--jobs {jobs}: cannot start {jobs} processes ({error})") from None
    with pool:
        try:
            for found in pool.map(_check_one, paths, chunksize=chunk):
                if len(found) == 2 and isinstance(found[0], type):
                    kind, message = found
                    raise kind(message)
                yield found  # type: ignore[misc]
        except (OSError, BrokenProcessPool) as error:
            pool.shutdown(wait=False, cancel_futures=True)
            raise UsageError(f"--jobs {jobs}: the worker processes failed ({error})") from None


def run_checks(spec: CheckSpec, files: Sequence[str] | None, strict: bool = False,
               no_fail: bool = False, jobs: int = 1, shard: tuple[int, int] | None = None,
               progress: TextIO | None = None) -> CheckRun:
    """Check ``files`` (None: every model under the root) in ``shard``, with ``jobs``
    processes; a progress line goes to ``progress`` when it is a terminal."""
    checker = spec.build()
    candidates = candidates_of(checker.root, files)
    paths, skipped = plan(checker, candidates, shard)
    line = Progress(len(paths), progress if progress is not None else sys.stderr)
    results: list[ModelResult] = []
    deltas: list[ModelDelta] = []
    workers = resolve_jobs(jobs, len(paths))
    with reusing_child():  # run here (one worker), one child for onnx's native work on all models
        for path, (found, changed) in zip(paths, _results(spec, checker, paths, workers)):
            results.extend(found)
            deltas.extend(changed)
            line.advance(path)
    line.close()
    if checker.ref is not None:
        deltas.extend(checker.ref.deleted(in_shard(spec.deleted, shard)))
    notices = unselected.notices(checker.policy, skipped)
    if files is None and (shard is None or shard[0] == 1):  # the whole tree, reported once
        where = relative_path(checker.root, checker.policy.path)
        notices += unused_budget.notices(checker.policy, where, candidates)
    result = RunResult(checker.policy.path, tuple(results), strict, no_fail, tuple(skipped),
                       tuple(sorted(notices, key=lambda notice: notice.model)))
    if checker.ref is None and checker.baseline is not None:
        from edgegate.regression.baseline import baseline_deltas  # imported by build() already

        return CheckRun(result, checker.baseline.path, tuple(baseline_deltas(checker.baseline, results)),
                        "baseline")
    return CheckRun(result, spec.ref, tuple(deltas))


class Progress:
    """``[12/200] models/x.onnx`` rewritten in place on a terminal; nothing in a CI log."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.enabled = total > 1 and stream.isatty()

    def advance(self, path: str) -> None:
        """One more model done."""
        self.done += 1
        if self.enabled:
            self.stream.write(f"\r\x1b[K[{self.done}/{self.total}] {printable(path)}")
            self.stream.flush()

    def close(self) -> None:
        """Clear the line."""
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
