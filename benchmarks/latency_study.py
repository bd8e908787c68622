"""How close edgegate's latency comes to onnxruntime's on this machine: predicted vs measured.

Usage (needs torch==2.13.0 and onnxruntime, ``pip install -e '.[measure]' torch==2.13.0``):

    python benchmarks/latency_study.py [--threads 2] [--runs 20] [--reduced]

For each of the 30 models of benchmarks/latency_models.py (none of them calibrated on), it
runs the model with onnxruntime at a pinned thread count (median of ``--runs`` runs after 3
warm-up runs, on random inputs) and predicts its latency with ``edgegate`` under two targets:

- (a) a datasheet-style target for this machine: peak = cores x clock x FLOP per cycle of its
  vector unit (from /proc/cpuinfo; ``--datasheet-peak`` overrides), DRAM ``--datasheet-bandwidth``
  (default 20 GB/s), no efficiency table: what a hand-written target gives;
- (b) the target ``edgegate target measure --threads N`` writes on this machine (``--quick``
  with ``--reduced``), or ``--measured-target FILE``.

It reports, per target, the fraction of models whose prediction is within +-25% and +-10% of
the measurement and the median absolute error |predicted - measured| / measured, with every
model's numbers and the machine's load average before and after each measurement. Results go
to benchmarks/.cache/latency/study.json and the tables to stdout (markdown, for
docs/latency.md). ``--reduced`` halves image sides, runs 5 times and measures the target
quickly: it proves the study runs, its numbers are not the study's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache" / "latency"
sys.path.insert(0, str(HERE))

from latency_models import model_file, study_models  # noqa: E402

import edgegate  # noqa: E402
from edgegate.target.load import load_target_file  # noqa: E402
from edgegate.target.measure import host  # noqa: E402
from edgegate.target.measure.model_run import random_inputs, time_model  # noqa: E402
from edgegate.target.measure.runtime import require_onnxruntime, version  # noqa: E402
from edgegate.target.roofline import evaluate  # noqa: E402
from edgegate.target.types import compute_precision  # noqa: E402
from edgegate.units import parse_quantity  # noqa: E402


def flop_per_cycle(flags: set[str]) -> int:
    """fp32 FLOP per cycle per core of the vector unit: two FMA pipes of its widest vectors."""
    if "avx512f" in flags:
        return 64  # 2 x 16 lanes x 2 FLOP
    if "avx2" in flags and "fma" in flags:
        return 32  # 2 x 8 lanes x 2 FLOP
    if "avx" in flags:
        return 16
    return 8


def datasheet_peak(cpuinfo: Path = Path("/proc/cpuinfo")) -> tuple[float, str]:
    """cores x clock x FLOP per cycle, and the derivation, from /proc/cpuinfo."""
    text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    flags = set(re.search(r"^flags\s*:(.*)$", text, re.M).group(1).split())  # type: ignore[union-attr]
    mhz = max(float(value) for value in re.findall(r"^cpu MHz\s*:\s*([\d.]+)", text, re.M))
    cores = os.cpu_count() or 1
    per_cycle = flop_per_cycle(flags)
    peak = cores * mhz * 1e6 * per_cycle
    return peak, f"{cores} cores x {mhz / 1000:.2f} GHz x {per_cycle} FLOP/cycle = {peak / 1e9:.1f} GFLOP/s"


def write_datasheet_target(path: Path, peak: float, bandwidth: float, how: str) -> None:
    """The datasheet-style target (a) as a target file."""
    path.write_text(f"""\
# A datasheet-style target for this machine: {how}; DRAM as given. No efficiency table.
version: 1
description: "datasheet-style roofline of this machine"
peak:
  # {how}
  fp32: {peak / 1e9:.4g} GFLOP/s
# as given to the study (--datasheet-bandwidth)
dram_bandwidth: {bandwidth / 1e9:.4g} GB/s
sources:
  - "{how}"
""", encoding="utf-8")


def measure_target(path: Path, threads: int, quick: bool) -> None:
    """Run ``edgegate target measure`` into ``path``."""
    command = [sys.executable, "-m", "edgegate", "target", "measure", "--out", str(path),
               "--threads", str(threads), "--force", *(["--quick"] if quick else [])]
    subprocess.run(command, check=True)


def error(predicted: float, measured: float) -> float:
    """(predicted - measured) / measured: negative when the prediction is too fast."""
    return (predicted - measured) / measured


def summary(errors: list[float]) -> dict[str, float]:
    """Fraction within +-25% and +-10%, median absolute error, median signed error."""
    count = len(errors)
    return {
        "within_25": sum(abs(e) <= 0.25 for e in errors) / count,
        "within_10": sum(abs(e) <= 0.10 for e in errors) / count,
        "median_abs_error": statistics.median(abs(e) for e in errors),
        "median_error": statistics.median(errors),
    }


def run_study(args: argparse.Namespace) -> dict[str, Any]:
    """Build the targets, then predict and measure every model."""
    ort = require_onnxruntime("the latency study")
    CACHE.mkdir(parents=True, exist_ok=True)
    peak, how = datasheet_peak()
    if args.datasheet_peak:
        peak, how = float(parse_quantity(args.datasheet_peak, "FLOP/s")), f"given: {args.datasheet_peak}"
    datasheet_file = CACHE / "datasheet.yaml"
    write_datasheet_target(datasheet_file, peak, float(parse_quantity(args.datasheet_bandwidth, "B/s")), how)
    measured_file = Path(args.measured_target) if args.measured_target else CACHE / "measured.yaml"
    if not args.measured_target:
        measure_target(measured_file, args.threads, args.reduced)
    targets = {"datasheet": load_target_file(str(datasheet_file)),
               "measured": load_target_file(str(measured_file))}
    rows, failed = [], {}
    models = study_models(args.reduced)
    for number, model in enumerate(models, 1):
        try:
            rows.append(study_row(ort, model, targets, args))
        except Exception as problem:  # noqa: BLE001 - one model's export or run must not end the study
            first = str(problem).splitlines()[0] if str(problem) else ""
            failed[model.name] = f"{type(problem).__name__}: {first}"
            print(f"[{number}/{len(models)}] {model.name}: FAILED {failed[model.name]}", file=sys.stderr)
            continue
        row = rows[-1]
        print(f"[{number}/{len(models)}] {model.name}: measured {row['measured_ms']:.2f} ms, predicted"
              f" {row['predicted_ms']['datasheet']:.2f} / {row['predicted_ms']['measured']:.2f} ms"
              f" (load {row['load']})", file=sys.stderr)
    return {
        "machine": host.machine(), "date": host.now(), "edgegate": edgegate.__version__,
        "runtime": version(ort), "threads": args.threads, "runs": args.runs, "reduced": args.reduced,
        "datasheet_target": {"peak_flops": peak, "how": how,
                             "dram_bandwidth": targets["datasheet"].dram_bandwidth},
        "measured_target": str(measured_file), "models": rows, "failed": failed,
        "summary": {name: summary([row["error"][name] for row in rows]) for name in targets},
    }


def study_row(ort: Any, model: Any, targets: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """One model: its predictions on each target, its measured latency and the load around it."""
    path = model_file(model, CACHE / ("reduced" if args.reduced else "full"))
    found = edgegate.estimate(str(path))
    precision = compute_precision(found)
    predicted = {name: evaluate(found, target, precision, None).latency_ms
                 for name, target in targets.items()}
    feeds = random_inputs(str(path), {}, {}, {})
    before = host.load_average()
    timing = time_model(ort, str(path), feeds, args.threads, args.runs, 3)
    return {"model": model.name, "family": model.family, "gflop": found.flops / 1e9,
            "measured_ms": timing.median * 1000, "spread": timing.spread,
            "load": f"{before} -> {host.load_average()}", "predicted_ms": predicted,
            "error": {name: error(value, timing.median * 1000) for name, value in predicted.items()}}


def markdown(result: dict[str, Any]) -> str:
    """The per-model table and the summary, as markdown."""
    lines = ["| model | family | GFLOP | measured ms (IQR/median) | (a) datasheet ms | error | (b) measured"
             " target ms | error |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in result["models"]:
        p, e = row["predicted_ms"], row["error"]
        lines.append(f"| {row['model']} | {row['family']} | {row['gflop']:.2f} | {row['measured_ms']:.2f}"
                     f" ({row['spread']:.0%}) | {p['datasheet']:.2f} | {e['datasheet']:+.0%} |"
                     f" {p['measured']:.2f} | {e['measured']:+.0%} |")
    lines += ["", "| target | within +-25% | within +-10% | median abs. error | median error |",
              "| --- | ---: | ---: | ---: | ---: |"]
    for name, label in (("datasheet", "(a) datasheet-style"), ("measured", "(b) measured")):
        s = result["summary"][name]
        lines.append(f"| {label} | {s['within_25']:.0%} | {s['within_10']:.0%} |"
                     f" {s['median_abs_error']:.0%} | {s['median_error']:+.0%} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="onnxruntime threads")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per model (median)")
    parser.add_argument("--reduced", action="store_true", help="half-size models, 5 runs, quick target")
    parser.add_argument("--datasheet-peak", help="override the datasheet peak, e.g. '160 GFLOP/s'")
    parser.add_argument("--datasheet-bandwidth", default="20 GB/s", help="datasheet DRAM bandwidth")
    parser.add_argument("--measured-target", metavar="FILE", help="use this target file for (b)")
    args = parser.parse_args()
    if args.reduced:
        args.runs = min(args.runs, 5)
    started = time.monotonic()
    result = run_study(args)
    result["seconds"] = time.monotonic() - started
    result["python"] = platform.python_version()
    name = "study_reduced.json" if args.reduced else "study.json"
    (CACHE / name).write_text(json.dumps(result, indent=2))
    sys.stdout.write(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
