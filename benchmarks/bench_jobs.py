"""``edgegate check --all`` over 200 generated models with ``--jobs 1`` and ``--jobs 2``.

Run ``python benchmarks/bench_jobs.py [--models N] [--repeat R]``. Models (CNNs of 20 to 59
Conv+Relu layers, so estimates differ in cost) are generated once under
``benchmarks/.cache/jobs/``; each command runs R times and the best wall time counts. Prints
both times and the speed-up; both runs must produce the same JSON document. It also times
the same check given one file that is no model (start-up, policy, reports: the part no worker
can share) and
prints the speed-up two workers could reach at best with that serial part (Amdahl's law).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
# Children cache bytecode, as an installed package does, even when the calling shell sets
# PYTHONDONTWRITEBYTECODE; otherwise every run recompiles edgegate before checking anything.
CHILD_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
CACHE = HERE / ".cache" / "jobs"
POLICY = """\
version: 1
defaults:
  dims: {batch: 1}
budgets:
  all:
    limits:
      flops: {max: 2 GFLOP}
      peak_activation_bytes: {max: 8 MiB}
"""


def cnn(index: int) -> onnx.ModelProto:
    """Model ``index``: 20 + index % 40 Conv(3x3)+Relu layers of 8 + index % 5 * 4 channels."""
    depth, width, size = 20 + index % 40, 8 + index % 5 * 4, 32
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, size, size])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    nodes, weights, previous, channels = [], [], "x", 3
    for layer in range(depth):
        name = f"w{layer}"
        weights.append(numpy_helper.from_array(np.zeros((width, channels, 3, 3), np.float32), name))
        out = "y" if layer == depth - 1 else f"a{layer}"
        nodes.append(helper.make_node("Conv", [previous, name], [f"c{layer}"], name=f"conv{layer}",
                                      pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node("Relu", [f"c{layer}"], [out], name=f"relu{layer}"))
        previous, channels = out, width
    graph = helper.make_graph(nodes, f"cnn{index}", [x], [y], weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def build(count: int) -> Path:
    """The repo under the cache: ``count`` models in 10 folders and the policy."""
    root = CACHE / f"repo{count}"
    if not (root / "edgegate.yaml").exists():
        for index in range(count):
            path = root / "models" / f"group{index % 10}" / f"cnn{index:04d}.onnx"
            path.parent.mkdir(parents=True, exist_ok=True)
            onnx.save(cnn(index), str(path))
        (root / "edgegate.yaml").write_text(POLICY, encoding="utf-8")
    return root


def timed(root: Path, jobs: int, repeat: int, files: tuple[str, ...] = ("--all",)) -> tuple[float, dict]:
    """Best wall time of ``edgegate check --all --jobs N`` (or of ``check FILES``) and its JSON
    document (without the per-model check times)."""
    out = root / f"result-jobs{jobs}.json"
    command = [sys.executable, "-m", "edgegate", "check", *files, "--root", str(root),
               "--policy", str(root / "edgegate.yaml"), "--jobs", str(jobs), "--no-fail",
               "--json", str(out)]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False, env=CHILD_ENV)
        best = min(best, time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()}")
    document = json.loads(out.read_text(encoding="utf-8"))
    for model in document["models"]:
        model.pop("seconds", None)  # wall time: differs from run to run
    return best, document


def main(argv: list[str] | None = None) -> int:
    """Build the models, time both job counts, print the speed-up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    root = build(args.models)
    serial, one = timed(root, 1, args.repeat)
    parallel, two = timed(root, 2, args.repeat)
    fixed, _ = timed(root, 1, args.repeat, files=("README.txt",))  # a file that is no model
    if one != two:
        raise SystemExit("--jobs 1 and --jobs 2 produced different results")
    bound = serial / (fixed + (serial - fixed) / 2)
    print(f"{args.models} models, best of {args.repeat}; load average {os.getloadavg()[0]:.2f}:")
    print(f"  --jobs 1  {serial:6.2f} s")
    print(f"  --jobs 2  {parallel:6.2f} s")
    print(f"  speed-up  {serial / parallel:6.2f}x")
    print(f"  no model  {fixed:6.2f} s (serial: start-up, policy, report)")
    print(f"  at best   {bound:6.2f}x with two workers and that serial part")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
