"""Speed and memory benchmarks of ``edgegate estimate``, as whole-process runs against floors.

Usage: ``python benchmarks/run.py [--quick] [--repeat N] [--loader]``. Models are built once
into benchmarks/.cache/ (by benchmarks/models.py, in a child process so this process stays
small and its memory never shows in a child's peak). Children cache bytecode under
.cache/pycache. Each command runs once to warm up (page cache, bytecode), then the commands
of one benchmark take turns ``--repeat`` times; wall time is the median and peak memory the
child's max RSS from ``os.wait4``. The table is printed and written to
benchmarks/results.json. Until ``python -m edgegate estimate --help`` works, or with
``--loader``, the subject is ``load_model(path)`` alone instead of the CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
RESULTS = HERE / "results.json"
PY = sys.executable
IMPORT_ONNX = [PY, "-c", "import onnx"]
ONNX_LOAD = [PY, "-c", "import sys, onnx; onnx.load(sys.argv[1], load_external_data=False)"]
LOADER = [PY, "-c", "import sys; from edgegate.model.load import load_model; "
          "load_model(sys.argv[1])"]
CLI = [PY, "-m", "edgegate", "estimate"]
# Children cache bytecode (as an installed package does) in the gitignored cache dir, even
# when the calling shell sets PYTHONDONTWRITEBYTECODE; otherwise every run recompiles edgegate.
CHILD_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(CACHE / "pycache")


@dataclass(frozen=True)
class Run:
    """One command's median wall time (s), median peak RSS (MiB) and its last stdout."""

    seconds: float
    peak_mib: float
    stdout: str

    def record(self) -> dict[str, float]:
        """The numbers for results.json."""
        return {"seconds": round(self.seconds, 4), "peak_mib": round(self.peak_mib, 1)}


@dataclass(frozen=True)
class Row:
    """One line of the result table: a measured ratio or value against its target."""

    name: str
    value: float
    target: float | None  # None: reported for reference only
    unit: str
    detail: str

    @property
    def ok(self) -> bool:
        """True when the value is within its target (or it has none)."""
        return self.target is None or self.value <= self.target


Bench = Callable[[list[str], dict[str, str], int], "tuple[list[Row], dict[str, Any]]"]


def run_once(command: list[str]) -> tuple[float, float, str]:
    """Run ``command``; return wall seconds, max RSS in MiB and stdout. Exits on failure."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, cwd=HERE.parent, env=CHILD_ENV)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            sys.exit(f"{' '.join(command)} failed ({child.returncode}):\n{err.read().decode()}")
        return seconds, usage.ru_maxrss / 1024, out.read().decode()


def measure(commands: list[list[str]], repeat: int) -> list[Run]:
    """Median wall time and peak RSS of each command over ``repeat`` rounds.

    One warm-up run each (page cache, .pyc files), then the commands take turns, so load
    from other processes on the machine hits all of them alike.
    """
    for command in commands:
        run_once(command)
    rounds = [[run_once(command) for command in commands] for _ in range(repeat)]
    return [
        Run(statistics.median(r[i][0] for r in rounds), statistics.median(r[i][1] for r in rounds),
            rounds[-1][i][2])
        for i in range(len(commands))
    ]


def cli_available() -> bool:
    """True when ``python -m edgegate estimate --help`` works in this tree."""
    probe = subprocess.run([*CLI, "--help"], capture_output=True, cwd=HERE.parent, env=CHILD_ENV)
    return probe.returncode == 0


def build_models(quick: bool) -> dict[str, str]:
    """Build (or reuse) the cached models in a child process; return their paths by role."""
    command = [PY, str(HERE / "models.py"), str(CACHE)] + (["--quick"] if quick else [])
    built = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent)
    if built.returncode != 0:
        sys.exit(f"building models failed:\n{built.stderr}")
    paths: dict[str, str] = json.loads(built.stdout)
    return paths


def _mib(path: str) -> str:
    return f"{os.path.getsize(path) / 2**20:.0f} MiB"


def floor_rows(subject: list[str], models: dict[str, str], repeat: int
               ) -> tuple[list[Row], dict[str, Any]]:
    """Benchmark 1: the subject against ``onnx.load`` on the CNN and the 10,000-node chain."""
    rows, raw = [], {}
    for role, label in (("cnn", "CNN"), ("chain", "node chain")):
        path = models[role]
        mine, floor = measure([[*subject, path], [*ONNX_LOAD, path]], repeat)
        raw[role] = {"subject": mine.record(), "onnx_load": floor.record()}
        rows.append(Row(f"{label} ({_mib(path)}) vs onnx.load", mine.seconds / floor.seconds,
                        1.3, "x", f"{mine.seconds:.3f} s vs {floor.seconds:.3f} s"))
    return rows, raw


def weight_rows(subject: list[str], models: dict[str, str], repeat: int
                ) -> tuple[list[Row], dict[str, Any]]:
    """Benchmark 2: the same graph with embedded weights vs weights marked external and absent."""
    embedded, bare = models["embedded"], models["bare"]
    heavy, light, floor = measure([[*subject, embedded], [*subject, bare], [*ONNX_LOAD, embedded]],
                                  repeat)
    raw = {"embedded": heavy.record(), "external_missing": light.record(),
           "onnx_load_embedded": floor.record()}
    size = _mib(embedded)
    return [
        Row(f"embedded {size} vs no weights: time", heavy.seconds / light.seconds, 1.2, "x",
            f"{heavy.seconds:.3f} s vs {light.seconds:.3f} s (onnx.load: {floor.seconds:.3f} s)"),
        Row(f"embedded {size} vs no weights: peak RSS", heavy.peak_mib / light.peak_mib, 1.2, "x",
            f"{heavy.peak_mib:.0f} vs {light.peak_mib:.0f} MiB "
            f"(onnx.load: {floor.peak_mib:.0f} MiB)"),
    ], raw


def external_rows(subject: list[str], models: dict[str, str], repeat: int
                  ) -> tuple[list[Row], dict[str, Any]]:
    """Benchmark 3: a model with over 1 GB of external data; rerun with the data file moved away."""
    path, data = models["external"], Path(models["external_data"])
    run, floor = measure([[*subject, path], IMPORT_ONNX], repeat)
    hidden = data.with_suffix(".hidden")
    data.rename(hidden)
    try:
        same = run_once([*subject, path])[2] == run.stdout
    finally:
        hidden.rename(data)
    raw = {"subject": run.record(), "import_onnx": floor.record(),
           "same_output_without_data_file": same}
    gib = f"{data.stat().st_size / 2**30:.2f} GiB"
    return [
        Row(f"external data ({gib}): time", run.seconds, 0.6, "s",
            f"import onnx: {floor.seconds:.3f} s; same output without the data file: {same}"),
        Row(f"external data ({gib}): peak RSS", run.peak_mib, 150, "MiB", ""),
    ], raw


def print_table(rows: list[Row]) -> None:
    """The result table, one row per check, with the target and OK/MISS."""
    width = max(len(r.name) for r in rows)
    for r in rows:
        target = "" if r.target is None else f"<= {r.target:g} {r.unit}"
        verdict = "" if r.target is None else "OK" if r.ok else "MISS"
        value = f"{r.value:8.3f} {r.unit:<3}"
        print(f"{r.name:<{width}}  {value}  {target:<12} {verdict:<4}  {r.detail}")


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark, print the table, write results.json; 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller models, 3 rounds")
    parser.add_argument("--repeat", type=int, help="timed rounds (default 5, quick 3)")
    parser.add_argument("--loader", action="store_true", help="time load_model, not the CLI")
    args = parser.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 5)
    mode = "loader" if args.loader or not cli_available() else "cli"
    subject = LOADER if mode == "loader" else CLI
    print(f"subject: {'load_model(path)' if mode == 'loader' else 'python -m edgegate estimate'}; "
          f"median of {repeat} rounds")
    models = build_models(args.quick)
    (floor,) = measure([IMPORT_ONNX], repeat)
    rows = [Row("python -c 'import onnx'", floor.seconds, None, "s",
                f"peak RSS {floor.peak_mib:.0f} MiB")]
    results: dict[str, Any] = {"mode": mode, "quick": args.quick, "repeat": repeat,
                               "python": platform.python_version(), "import_onnx": floor.record()}
    benches: dict[str, Bench] = {"floor": floor_rows, "weights": weight_rows,
                                 "external": external_rows}
    for name, bench in benches.items():
        bench_rows, results[name] = bench(subject, models, repeat)
        rows += bench_rows
    print_table(rows)
    results["table"] = [asdict(r) | {"ok": r.ok} for r in rows]
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
