"""A hostile-input campaign over every generator: ``python benchmarks/fuzz.py --cases 100000``.

Each case is a whole ``edgegate`` run (a command line and the files it needs) made by one of
the generators of tests/hostile (hypothesis strategies for policies, command lines, JSON inputs,
models and GitHub Actions runs; byte and field mutators) or of tests/fuzz_models.py (random
valid graphs, byte and proto-field mutations of real models). Every case runs in the sandbox
of tests/hostile/sandbox.py: its own directory, a forked child (``--mode exec``: a real
process) under an address-space limit, a file-size limit and a timeout, at most ``--parallel``
(1 or 2) at once, never able to write outside its directory. The campaign prints, per
generator, the cases, their summed run time and the count of each outcome class (ok,
internal-error, signal, hang, memory, injection, partial-report, ...), then every failure
signature with its count and a saved example (``--failures``, default
benchmarks/.cache/fuzz/), and exits 1 when any case was not ok.

``--generator NAME`` (repeatable) runs some generators only; ``--list`` names them all.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fuzz_models import mutate_bytes, mutate_proto, random_graph, seed_models  # noqa: E402
from tests.hostile import mutate, sandbox  # noqa: E402
from tests.hostile.sandbox import CLASSES, Case  # noqa: E402

POLICY = ("version: 1\nbudgets:\n  all:\n    include: ['*.onnx']\n    dims: {batch: 1, N: 1, height: 32,"
          " width: 32}\n    unestimated: warn\n    limits:\n      macs: {max: 1 MAC}\n")
ESTIMATE = ["estimate", "m.onnx", "--dim", "batch=1", "--dim", "N=1"]


def _hypothesis(name: str) -> Callable[[int, int], list[Case]]:
    """Draw cases from the hypothesis strategy ``name`` (generation only, no shrinking)."""
    def draw(count: int, seed: int) -> list[Case]:
        import hypothesis
        from hypothesis import HealthCheck, Phase, given, settings

        from tests.hostile.strategies import STRATEGIES
        drawn: list[Case] = []

        @settings(max_examples=count, phases=[Phase.generate], database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(STRATEGIES[name]())
        def collect(case: Case) -> None:
            drawn.append(case)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hypothesis.seed(seed)(collect)()
        return drawn[:count]
    return draw


def _model_case(generator: str, data: bytes, rng: random.Random) -> Case:
    """An estimate (any format) or a check with every report of the model ``data``."""
    if rng.random() < 0.5:
        return Case(generator, [*ESTIMATE, "--format", rng.choice(["text", "json", "csv"])],
                    {"m.onnx": data}, timeout=12)
    return Case(generator, ["check", "--root", ".", "--json", "r.json", "--sarif", "r.sarif",
                            "--junit-xml", "r.xml"], {"m.onnx": data, "edgegate.yaml": POLICY},
                reports={"r.json": "json", "r.sarif": "sarif", "r.xml": "junit"}, timeout=12)


def _estimator(kind: str) -> Callable[[int, int], list[Case]]:
    """tests/fuzz_models.py's cases: random valid graphs, byte and field mutations."""
    def make(count: int, seed: int) -> list[Case]:
        rng = random.Random(seed)
        seeds = seed_models()
        cases = []
        for _ in range(count):
            if kind == "graph":
                data = random_graph(rng).SerializeToString()
            elif kind == "bytes":
                data = mutate_bytes(rng, rng.choice(seeds).SerializeToString())
            else:
                data = mutate_proto(rng, rng.choice(seeds)).SerializeToString()
            cases.append(_model_case(f"estimator-{kind}", data, rng))
        return cases
    return make


def _mutator(kind: str) -> Callable[[int, int], list[Case]]:
    """tests/hostile/mutate.py's cases: mutated models (bytes, extreme fields) and policies."""
    def make(count: int, seed: int) -> list[Case]:
        rng = random.Random(seed)
        cases = []
        if kind in ("model", "fields"):
            seeds = mutate.seed_models()
            for _ in range(count):
                data = rng.choice(seeds)
                data = mutate.mutate_model(rng, data) if kind == "model" else mutate.mutate_fields(rng, data)
                cases.append(_model_case(f"mutate-{kind}", data, rng))
            return cases
        seeds_text = mutate.seed_policies()
        conv = mutate.M.conv_model()
        for _ in range(count):
            data = mutate.mutate_policy(rng, rng.choice(seeds_text)).encode("utf-8", "surrogatepass")
            if rng.random() < 0.5:
                cases.append(Case("mutate-policy", ["policy", "validate", "p.yaml"], {"p.yaml": data},
                                  timeout=10))
            else:
                argv = ["check", "--policy", "p.yaml", "--root", ".", "--json", "r.json"]
                cases.append(Case("mutate-policy", argv, {"p.yaml": data, "m.onnx": conv},
                                  reports={"r.json": "json"}, timeout=10))
        return cases
    return make


HYPOTHESIS = ("policy", "policy-focused", "argv", "reports", "json", "model", "model-dataprop",
              "model-fold", "model-malformed", "model-attr", "model-names", "model-deep", "model-native",
              "model-any-domain", "github", "targets")
GENERATORS: dict[str, Callable[[int, int], list[Case]]] = {
    **{name: _hypothesis(name) for name in HYPOTHESIS},
    "mutate-model": _mutator("model"),
    "mutate-fields": _mutator("fields"),
    "mutate-policy": _mutator("policy"),
    "estimator-graph": _estimator("graph"),
    "estimator-bytes": _estimator("bytes"),
    "estimator-fields": _estimator("fields"),
}
"""Every generator by name: (count, seed) -> that many cases."""


def stream(names: list[str], total: int, seed: int, chunk: int) -> Iterator[Case]:
    """``total`` cases, ``chunk`` at a time from each generator in turn."""
    made = 0
    round_ = 0
    while made < total:
        for name in names:
            want = min(chunk, total - made)
            if want <= 0:
                return
            for case in GENERATORS[name](want, seed * 100_003 + round_)[:want]:
                made += 1
                yield case
        round_ += 1


def run_campaign(args: argparse.Namespace) -> dict[str, Any]:
    """Run the cases, at most ``args.parallel`` at once; return the counts and signatures."""
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    seconds: collections.Counter[str] = collections.Counter()
    signatures: dict[str, dict[str, Any]] = {}
    failures = Path(args.failures)
    running: list[dict[str, Any]] = []
    done = 0
    started = time.monotonic()

    def record(case: Case, outcome: sandbox.Outcome) -> None:
        nonlocal done
        done += 1
        counts[case.generator][outcome.cls] += 1
        seconds[case.generator] += outcome.seconds
        if outcome.cls == "ok":
            return
        key = sandbox.signature(case, outcome)
        entry = signatures.setdefault(key, {"class": outcome.cls, "count": 0, "generators": {},
                                            "detail": outcome.detail[:300], "examples": []})
        entry["count"] += 1
        entry["generators"][case.generator] = entry["generators"].get(case.generator, 0) + 1
        if len(entry["examples"]) < args.keep:
            entry["examples"].append(str(sandbox.save_failure(case, outcome, failures)))
        print(f"[{done}] {case.generator}: {outcome.cls}: {outcome.detail[:160]}", flush=True)

    for case in stream(args.generator or list(GENERATORS), args.cases, args.seed, args.chunk):
        if args.minutes is not None and time.monotonic() - started > args.minutes * 60:
            break
        while len(running) >= args.parallel:
            for handle in list(running):
                outcome = sandbox.poll(handle)
                if outcome is not None:
                    running.remove(handle)
                    record(handle["case"], outcome)
            if len(running) >= args.parallel:
                time.sleep(0.002)
        try:
            running.append(sandbox.start(case, args.mode, args.timeout))
        except sandbox.UnsafeCase:
            counts[case.generator]["refused"] += 1  # could write outside its directory: never run
        if done and done % args.every == 0:
            print(f"{done} cases, {time.monotonic() - started:.0f} s", flush=True)
    for handle in running:
        record(handle["case"], sandbox.finish(handle))
    return {"cases": done, "seed": args.seed, "mode": args.mode, "parallel": args.parallel,
            "seconds": round(time.monotonic() - started, 1), "load": os.getloadavg(),
            "counts": {name: dict(found) for name, found in counts.items()},
            "case_seconds": {name: round(value, 1) for name, value in seconds.items()},
            "signatures": dict(sorted(signatures.items(), key=lambda item: -item[1]["count"]))}


def table(result: dict[str, Any]) -> str:
    """The per-generator counts as a markdown table (benchmarks/README.md holds one)."""
    classes = ["ok"] + [c for c in CLASSES[1:] if any(c in found for found in result["counts"].values())]
    extra = ["refused"] if any("refused" in found for found in result["counts"].values()) else []
    head = ["generator", "cases", "case-seconds", *classes, *extra]
    lines = ["| " + " | ".join(head) + " |", "| --- | " + " | ".join("---:" for _ in head[1:]) + " |"]
    total: collections.Counter[str] = collections.Counter()
    for name, found in sorted(result["counts"].items()):
        cases = sum(value for key, value in found.items() if key != "refused")
        total.update(found)
        total["cases"] += cases
        cells = [str(cases), f"{result['case_seconds'].get(name, 0):.0f}",
                 *(str(found.get(c, 0)) for c in [*classes, *extra])]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    cells = [str(total["cases"]), f"{sum(result['case_seconds'].values()):.0f}",
             *(str(total.get(c, 0)) for c in [*classes, *extra])]
    lines.append("| **total** | " + " | ".join(f"**{cell}**" for cell in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the campaign, print its table and failure signatures; exit 1 on any failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="cases to run (default: 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--generator", action="append", choices=sorted(GENERATORS), help="only these")
    parser.add_argument("--list", action="store_true", help="list the generators and exit")
    parser.add_argument("--mode", choices=("fork", "exec"), default="fork",
                        help="fork: children of this process (fast); exec: real processes")
    parser.add_argument("--parallel", type=int, choices=(1, 2), default=2, help="cases at once (default: 2)")
    parser.add_argument("--timeout", type=float, default=12.0, help="seconds a case may take (default: 12)")
    parser.add_argument("--chunk", type=int, default=50, help="cases drawn per generator at a time")
    parser.add_argument("--keep", type=int, default=3, help="examples saved per failure signature")
    parser.add_argument("--minutes", type=float,
                        help="stop drawing cases after this many minutes; the counts so far are reported")
    parser.add_argument("--every", type=int, default=1000, help="progress line every N cases")
    parser.add_argument("--failures", default=str(ROOT / "benchmarks" / ".cache" / "fuzz"),
                        help="where failing cases are saved")
    parser.add_argument("--results", help="also write the counts and signatures as JSON here")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(sorted(GENERATORS)))
        return 0
    result = run_campaign(args)
    if args.results:
        Path(args.results).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    bad = sum(entry["count"] for entry in result["signatures"].values())
    print(f"\n{result['cases']} cases (seed {args.seed}, {args.mode}, {args.parallel} at once) in"
          f" {result['seconds']:.0f} s; load average {', '.join(f'{x:.2f}' for x in result['load'])};"
          f" {result['cases'] - bad} ok, {bad} not ok\n")
    print(table(result))
    for key, entry in result["signatures"].items():
        print(f"{entry['count']:6}  {key[:160]}\n        e.g. {entry['examples'][:1]}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
