"""timm's architectures, exported and estimated: edgegate's MACs against torch's own count.

Run ``python benchmarks/sweep_timm.py`` (``--mode legacy|dynamo``, ``--every N`` to take one
family in N, ``--names A,B`` for given models, ``--results FILE``). One model per timm family
(its smallest-sounding name), built from its configuration with random weights (nothing is
downloaded), each in a process of its own:
- torch's count: ``FlopCounterMode`` over one forward pass, attention through the math kernel;
- the export (TorchScript exporter at opset 17, or ``dynamo=True``) and ``edgegate.estimate``.
Prints, per model that differs, both counts and the difference; then how many are equal to the
MAC, differ, leave nodes unestimated, fail, or could not be built or exported, and the slowest
estimates. Needs torch==2.13.0 and timm (installed with ``--no-deps``, as .ci/run does).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"
NAME_HINTS = ("test_", "atto", "femto", "pico", "nano", "xxs", "tiny", "xs", "small", "_t", "s0", "b0",
              "18", "_050", "_100", "26", "34")
# families whose models are language models, segmenters or too large for a sweep on 2 cores
LEFT_OUT = {"gemma", "qwen", "deepseek", "sam", "samvit", "aimv", "naflexvit", "nasnetalarge", "pnasnet"}

ONE = r'''
import contextlib, io, json, sys, time, warnings
sys.path.insert(0, {tests!r})
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode
from published_helpers import import_or_skip
timm = import_or_skip("timm", torchvision=True)
import edgegate
name, mode, path = {name!r}, {mode!r}, {path!r}
row = {{"name": name, "mode": mode}}
try:
    torch.manual_seed(0)
    model = timm.create_model(name, pretrained=False).eval()
    image = torch.randn(1, *model.pretrained_cfg["input_size"])
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), sdpa_kernel(SDPBackend.MATH), counter:
        model(image)
    row["torch_macs"] = counter.get_total_flops() // 2
    row["torch_ops"] = {{str(op): flops // 2 for op, flops in counter.get_flop_counts()["Global"].items()}}
    with warnings.catch_warnings(), torch.no_grad(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        if mode == "dynamo":
            torch.onnx.export(model, (image,), path, dynamo=True, external_data=False)
        else:
            torch.onnx.export(model, (image,), path, dynamo=False, opset_version=17)
except Exception as error:
    row["not_built"] = f"{{type(error).__name__}}: {{str(error)[:160]}}"
    print(json.dumps(row)); raise SystemExit(0)
start = time.perf_counter()
try:
    estimate = edgegate.estimate(path)
except edgegate.EdgegateError as error:
    row["error"] = str(error)[:300]
else:
    row["macs"] = estimate.macs
    row["unestimated"] = sorted({{f"{{u.op_type}}: {{u.reason[:100]}}" for u in estimate.unestimated}})
row["estimate_s"] = round(time.perf_counter() - start, 2)
print(json.dumps(row))
'''


def family_names(every: int) -> list[str]:
    """One model per timm family (the name with the earliest size hint), one family in ``every``."""
    sys.path.insert(0, str(TESTS))
    from published_helpers import _torchvision_stand_in

    with _torchvision_stand_in():
        import timm

        names = timm.list_models()
    families: dict[str, list[str]] = {}
    for name in names:
        families.setdefault(re.split(r"[_\d]", name)[0], []).append(name)

    def rank(name: str) -> tuple[int, int]:
        hint = next((i for i, h in enumerate(NAME_HINTS) if h in name), len(NAME_HINTS))
        return hint, len(name)

    chosen = [min(members, key=rank) for family, members in sorted(families.items())
              if family not in LEFT_OUT]
    return chosen[::every]


def run_one(name: str, mode: str, workdir: Path, timeout: float) -> dict:
    """One model's row, from a process of its own (its memory and torch's state go with it)."""
    path = workdir / f"{name}.{mode}.onnx"
    script = ONE.format(tests=str(TESTS), name=name, mode=mode, path=str(path))
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"name": name, "mode": mode, "not_built": f"timed out after {timeout:g} s"}
    finally:
        path.unlink(missing_ok=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"name": name, "mode": mode, "error": f"exit {done.returncode}: {done.stderr.strip()[-300:]}"}
    return json.loads(lines[-1])


def report(rows: list[dict]) -> None:
    """Per-model differences, then the counts and the slowest estimates."""
    counts = {"equal": 0, "differ": 0, "unestimated": 0, "error": 0, "not built": 0}
    for row in rows:
        if "not_built" in row:
            counts["not built"] += 1
        elif "error" in row:
            counts["error"] += 1
            print(f"  {row['name']}: error: {row['error']}")
        else:
            if row["unestimated"]:
                counts["unestimated"] += 1
                print(f"  {row['name']}: unestimated: {row['unestimated'][:3]}")
            difference = row["macs"] - row["torch_macs"]
            counts["equal" if difference == 0 else "differ"] += 1
            if difference:
                share = difference / row["torch_macs"]
                print(f"  {row['name']}: edgegate {row['macs']:,} torch {row['torch_macs']:,} "
                      f"({difference:+,}, {share:+.2%}) torch ops {row['torch_ops']}")
    print("  " + ", ".join(f"{count} {what}" for what, count in counts.items()))
    timed = sorted((row for row in rows if "estimate_s" in row), key=lambda row: -row["estimate_s"])
    print("  slowest estimates: " + ", ".join(f"{row['name']} {row['estimate_s']} s" for row in timed[:5]))


def main(argv: list[str] | None = None) -> int:
    """Sweep the chosen models and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["legacy", "dynamo"], default="legacy")
    parser.add_argument("--every", type=int, default=1, help="take one family in N (default: all)")
    parser.add_argument("--names", help="comma-separated timm model names instead of one per family")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per model (default: 600)")
    parser.add_argument("--results", type=Path, help="also write the rows as JSON lines here")
    args = parser.parse_args(argv)
    names = args.names.split(",") if args.names else family_names(args.every)
    workdir = HERE / ".cache" / "timm"
    workdir.mkdir(parents=True, exist_ok=True)
    rows, start = [], time.perf_counter()
    for index, name in enumerate(names, 1):
        rows.append(run_one(name, args.mode, workdir, args.timeout))
        print(f"[{index}/{len(names)}] {name}: {json.dumps(rows[-1])[:200]}", flush=True)
        if args.results:
            args.results.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    print(f"{len(names)} models, {args.mode} export, {time.perf_counter() - start:.0f} s:")
    report(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
