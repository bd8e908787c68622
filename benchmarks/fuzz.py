"""A longer fuzz campaign than CI's: ``python benchmarks/fuzz.py --cases 5000 [--seed N]``.

Runs the cases of tests/test_fuzz.py from a seeded generator: a third random valid graphs,
a third byte mutations and a third proto-field mutations of real models. Prints how many
cases ran with no crash (a result, or one of edgegate's documented errors) and, for each
crash, its exception and the first case that raised it; exits 1 when any case crashed.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fuzz_models import (  # noqa: E402 - the repo root must be on the path first
    mutate_bytes,
    mutate_proto,
    random_graph,
    run_case,
    seed_models,
)

KINDS = ("graph", "bytes", "fields")


def one_case(kind: str, rng: random.Random, seeds: list, scratch: Path) -> str:
    """Build and run one case of ``kind``; return its outcome ('ok' or an error class name)."""
    if kind == "graph":
        return run_case(random_graph(rng))
    seed = rng.choice(seeds)
    if kind == "fields":
        return run_case(mutate_proto(rng, seed))
    scratch.write_bytes(mutate_bytes(rng, seed.SerializeToString()))
    return run_case(str(scratch))


def main(argv: list[str] | None = None) -> int:
    """Run the campaign and print its counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="cases to run (default: 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    seeds = seed_models()
    outcomes: collections.Counter[str] = collections.Counter()
    crashes: dict[str, tuple[int, str]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder) / "case.onnx"
        for number in range(args.cases):
            kind = KINDS[number % len(KINDS)]
            try:
                outcomes[f"{kind}: {one_case(kind, rng, seeds, scratch)}"] += 1
            except Exception as error:  # noqa: BLE001 - a crash is what the campaign counts
                where = traceback.extract_tb(error.__traceback__)[-1]
                key = f"{type(error).__name__} at {Path(where.filename).name}:{where.lineno}"
                outcomes[f"{kind}: CRASH"] += 1
                crashes.setdefault(key, (number, str(error)[:200]))
    crashed = sum(count for name, count in outcomes.items() if name.endswith("CRASH"))
    seconds = time.perf_counter() - started
    print(f"{args.cases} cases (seed {args.seed}) in {seconds:.1f} s: "
          f"{args.cases - crashed} ran with no crash, {crashed} crashed")
    for name, count in sorted(outcomes.items()):
        print(f"  {name:<24} {count}")
    for key, (number, message) in crashes.items():
        print(f"crash: {key} (first at case {number}): {message}")
    return 1 if crashed else 0


if __name__ == "__main__":
    raise SystemExit(main())
