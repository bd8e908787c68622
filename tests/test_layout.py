"""The package's plan holds: every import points down the layers, no module cycle exists, and
a command imports only what it uses (start-up is most of a pre-commit hook's cost) and keeps
numpy's BLAS to one thread.

The layers, bottom to top (README "Layout" says the same): the root's leaf utilities; config
and model; cost; estimate; target; policy; rules; regression; report; scale; cli. A module may
import its own folder and any lower layer, never a higher one. ``edgegate/__init__.py`` is the
public facade (it loads the estimator lazily) and stands above them all.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gate_helpers import conv_relu, save, write
from onnx_versions import older

PACKAGE = Path(__file__).resolve().parent.parent / "edgegate"

LAYERS: list[set[str]] = [
    {"documents", "errors", "files", "jsonfile", "metrics", "printable", "units", "vcs", "version"},
    {"config", "model"},
    {"cost"},
    {"estimator"},
    {"target"},
    {"policy"},
    {"rules"},
    {"regression"},
    {"report"},
    {"scale"},
    {"cli"},
    {"__main__"},
]
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path) -> set[str]:
    """The edgegate modules ``name`` imports (``from pkg import mod`` resolves to the module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
    return {m for m in found if m == "edgegate" or m.startswith("edgegate.")}


def layer(module: str) -> str:
    """The layer a module belongs to: its folder, or its own name at the package root."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


GRAPH = {name: imported(name, path) for name, path in MODULES.items()}


def test_every_module_is_in_a_layer():
    assert sorted({layer(m) for m in MODULES} - set(RANK) - {"__init__"}) == []


@pytest.mark.parametrize("name", sorted(m for m in MODULES if layer(m) != "__init__"))
def test_imports_point_down(name):
    upward = [
        target for target in sorted(GRAPH[name])
        if layer(target) == "__init__" or RANK[layer(target)] > RANK[layer(name)]
    ]
    assert upward == []


def test_no_import_cycle():
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, trail: list[str]) -> bool:
        state[node] = 1
        for target in sorted(GRAPH.get(node, ())):
            if state.get(target) == 1:
                cycle.extend(trail[trail.index(target):] + [target] if target in trail else [target])
                return True
            if target not in state and visit(target, trail + [target]):
                return True
        state[node] = 2
        return False

    for start in sorted(GRAPH):
        if start not in state and visit(start, [start]):
            break
    assert cycle == []


@pytest.mark.parametrize(
    "argv",
    [["--version"], ["--help"], ["policy", "--help"], ["merge", "--help"], ["trend", "--help"], ["ops"],
     ["policy", "validate", str(PACKAGE.parent / "examples" / "edgegate.yaml")],
     ["policy", "validate", str(PACKAGE.parent / "policies" / "targets" / "raspberry-pi-5.yaml")]],
)
def test_commands_that_read_no_model_import_no_onnx_numpy_or_jsonschema(argv):
    # nor numpy (0.2 s), nor jsonschema (0.08 s): a valid policy is recognised without it
    code = (
        "import sys; from edgegate.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'onnx', 'numpy', 'jsonschema'}))"
    )
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("options", [["--quiet"], ["--format", "json"], ["--github-summary", "summary.md"]])
def test_a_plain_check_imports_no_regression_layer_git_or_hashlib(tmp_path, options):
    # 15 ms of a hook's start-up, loaded only for --baseline, --changed-since and --history (their
    # tests: test_baseline.py, test_ref_deltas.py, test_history_trend.py); hashlib for --shard
    save(conv_relu(3, 8, 16), tmp_path / "m.onnx")
    write(tmp_path / "edgegate.yaml", "version: 1\nbudgets:\n  all:\n    limits:\n      macs: {max: 1 GMAC}\n")
    code = (
        "import sys, onnx; ours = set(sys.modules)\n"  # what onnx imports itself (1.16: hashlib) is not ours
        "from edgegate.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print(code, sorted(m for m in set(sys.modules) - ours"
        " if m in ('edgegate.vcs', 'hashlib') or m.startswith('edgegate.regression')))"
    )
    argv = ["check", *options, "--root", str(tmp_path), str(tmp_path / "m.onnx")]
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=tmp_path)
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stderr


@pytest.mark.parametrize(
    ("argv", "given", "seen"),
    [(["ops"], None, "1"),  # none given: one thread
     (["ops"], "3", "3"),  # a user's setting wins
     (["target", "--help"], None, None)],  # timing the device: numpy's matmul keeps its threads
)
def test_the_command_keeps_openblas_to_one_thread_unless_told_or_timing(argv, given, seen):
    env = {name: value for name, value in os.environ.items() if name != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    code = (
        "import os, sys; from edgegate.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print(os.environ.get('OPENBLAS_NUM_THREADS'))"
    )
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env)
    assert done.stdout.strip().splitlines()[-1] == str(seen), done.stderr


def test_the_library_leaves_the_environment_alone():
    env = {name: value for name, value in os.environ.items() if name != "OPENBLAS_NUM_THREADS"}
    model = PACKAGE.parent / "examples" / "kws_dscnn.onnx"
    code = ("import os, sys, edgegate; edgegate.estimate(sys.argv[1], dims={'batch': 1})\n"
            "print(os.environ.get('OPENBLAS_NUM_THREADS'))")
    done = subprocess.run([sys.executable, "-c", code, str(model)], capture_output=True, text=True, env=env)
    assert done.stdout.strip() == "None", done.stderr


def test_dtype_table_matches_onnx():
    from onnx import TensorProto

    from edgegate.model.dtypes import DTYPES

    names = {code: name for name, code in TensorProto.DataType.items() if code}
    ours = {code: name for code, (name, _) in DTYPES.items()}
    if older():  # an older onnx defines fewer types: those it has are named alike
        assert {code: ours.get(code) for code in names} == names
        return
    assert ours == names


def test_the_public_estimate_is_the_function_whatever_was_imported_first():
    code = "import edgegate.estimator.estimate, edgegate; print(edgegate.estimate.__module__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "edgegate.estimator.estimate"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir() or (os.cpu_count() or 1) < 2,
                    reason="counts threads in /proc (Linux), and OpenBLAS starts them only with 2+ CPUs")
def test_the_command_sets_the_thread_count_before_numpy_starts_its_threads():
    env = {name: value for name, value in os.environ.items() if name != "OPENBLAS_NUM_THREADS"}
    model = PACKAGE.parent / "examples" / "kws_dscnn.onnx"
    # OpenBLAS stops its threads before a fork (edgegate forks for shape inference) and starts
    # them again at the next product: one afterwards shows how many it is configured for
    code = ("import os, sys; from edgegate.cli import main\n"
            "main(sys.argv[1:]); import numpy\n"
            "square = numpy.ones((256, 256)); square @ square\n"
            "print(len(os.listdir('/proc/self/task')))")
    threads = {}
    for name, prefix in (("command", ""), ("plain numpy", "import numpy; ")):
        done = subprocess.run([sys.executable, "-c", prefix + code, "estimate", "--dim", "batch=1", str(model)],
                              capture_output=True, text=True, env=env)
        threads[name] = int(done.stdout.strip().splitlines()[-1])
    assert threads["command"] == 1  # this process's own thread only
    assert threads["plain numpy"] > 1  # numpy imported first starts OpenBLAS's threads: the test can fail
