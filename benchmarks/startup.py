"""Start-up cost, as whole processes: each runtime dependency's import, and the commands a hook
or a CI step runs on a tiny model. Usage: ``python benchmarks/startup.py [--repeat N]``.

Every command runs once to warm up (page cache, bytecode), then all take turns ``--repeat``
times; each row is the median of the child's CPU time (user + system, from ``os.wait4``: what
"process time" means, less moved by other load than wall time) and of its wall time, and the
difference from bare ``python -c pass``. The pre-commit hook's command (``edgegate check
--quiet`` on a staged model, with a policy) is compared with the floor
``python -c "import onnx; onnx.load(p)"``, and also with that floor's numpy BLAS kept to one
thread, as the ``edgegate`` command keeps it (the threads OpenBLAS starts at import cost
0.06-0.12 s of CPU on 2 CPUs): the first difference is what a user pays over loading the
model, the second is edgegate's own work. Results go to benchmarks/.cache/startup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
PY = sys.executable
# Bytecode is cached as an installed package's would be (see run.py).
CHILD_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
DEPENDENCIES = ("numpy", "ml_dtypes", "onnx", "yaml", "jsonschema", "junit_xml")
POLICY = """version: 1
budgets:
  tiny:
    include: ['*.onnx']
    limits:
      macs: {max: 1 GMAC}
"""
HOOK = "pre-commit hook: edgegate check --quiet tiny.onnx"
# (row, budget in seconds of CPU time above its reference, reference row)
BUDGETS = [
    ("edgegate --help", 0.15, "python -c pass"),
    (HOOK, 0.15, "floor: import onnx; onnx.load"),
    (HOOK, 0.15, "floor, one BLAS thread"),
]


TINY_MODEL = """
import sys, onnx
from onnx import TensorProto, helper
w = helper.make_tensor("w", TensorProto.FLOAT, [8, 3, 3, 3], [0.0] * 216)
nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["r"]),
         helper.make_node("GlobalAveragePool", ["r"], ["y"])]
graph = helper.make_graph(nodes, "tiny",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 1, 1])], [w])
onnx.save(helper.make_model(graph), sys.argv[1])
"""


def tiny_model(folder: Path) -> Path:
    """A 3-node model (Conv, Relu, GlobalAveragePool), written by a child with onnx.helper."""
    path = folder / "tiny.onnx"
    subprocess.run([PY, "-c", TINY_MODEL, str(path)], check=True, env=CHILD_ENV)
    return path


def commands(folder: Path, model: Path) -> dict[str, list[str]]:
    """The rows: bare Python, each dependency's import, the floor and edgegate's commands."""
    rows = {"python -c pass": [PY, "-c", "pass"]}
    rows.update({f"import {name}": [PY, "-c", f"import {name}"] for name in DEPENDENCIES})
    rows["floor: import onnx; onnx.load"] = [PY, "-c", f"import onnx; onnx.load({str(model)!r})"]
    rows["floor, one BLAS thread"] = [PY, "-c", "import os; os.environ['OPENBLAS_NUM_THREADS'] = '1'; "
                                      f"import onnx; onnx.load({str(model)!r})"]
    rows["edgegate --version"] = [PY, "-m", "edgegate", "--version"]
    rows["edgegate --help"] = [PY, "-m", "edgegate", "--help"]
    rows["edgegate policy validate"] = [PY, "-m", "edgegate", "policy", "validate",
                                        str(folder / "edgegate.yaml")]
    rows["edgegate estimate tiny.onnx"] = [PY, "-m", "edgegate", "estimate", str(model)]
    rows[HOOK] = [
        PY, "-m", "edgegate", "check", "--quiet", "--root", str(folder), str(model)]
    return rows


def run_once(command: list[str], cwd: Path) -> tuple[float, float]:
    """CPU seconds (user + system) and wall seconds of one run; exits when it fails."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd,
                             env=CHILD_ENV)
    assert child.stderr is not None
    error = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command)} failed:\n{error.decode(errors='replace')}")
    return usage.ru_utime + usage.ru_stime, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed rounds (default 15)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "edgegate.yaml").write_text(POLICY, encoding="utf-8")
        model = tiny_model(folder)
        rows = commands(folder, model)
        for command in rows.values():
            run_once(command, folder)
        rounds = [{row: run_once(command, folder) for row, command in rows.items()}
                  for _ in range(args.repeat)]
    cpu = {row: statistics.median(r[row][0] for r in rounds) for row in rows}
    wall = {row: statistics.median(r[row][1] for r in rounds) for row in rows}
    load = os.getloadavg()
    print(f"medians of {args.repeat} rounds; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    print("| command | CPU s | above bare Python | wall s | budget |")
    print("| --- | ---: | ---: | ---: | --- |")
    verdicts = {}
    for row in rows:
        budgets = []
        for name, limit, reference in BUDGETS:
            if name == row:
                over = cpu[row] - cpu[reference]
                verdicts[f"{row} vs {reference}"] = met = over <= limit
                budgets.append(f"{over:+.3f} s vs {reference}: {'met' if met else 'MISSED'} (<= {limit} s)")
        above = cpu[row] - cpu["python -c pass"]
        print(f"| {row} | {cpu[row]:.3f} | {above:+.3f} | {wall[row]:.3f} | {'; '.join(budgets)} |")
    CACHE.mkdir(exist_ok=True)
    (CACHE / "startup.json").write_text(json.dumps(
        {"cpu_seconds": cpu, "wall_seconds": wall, "load": load, "repeat": args.repeat,
         "met": verdicts}, indent=2), encoding="utf-8")
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
