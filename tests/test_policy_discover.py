"""Discovery (--policy, edgegate.yaml, .edgegate.yaml, [tool.edgegate]) and glob selection."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from gate_helpers import write

from edgegate.errors import PolicyError, UsageError
from edgegate.policy.discover import find_policy, repo_root
from edgegate.policy.load import load_policy
from edgegate.policy.select import matches, selects
from edgegate.policy.types import Budget

MINIMAL = "version: 1\nbudgets:\n  {name}: {{}}\n"


def test_explicit_policy_wins(tmp_path):
    write(tmp_path / "edgegate.yaml", MINIMAL.format(name="root"))
    other = write(tmp_path / "ci" / "gate.yaml", MINIMAL.format(name="ci"))
    assert find_policy(tmp_path, str(other)) == other


def test_explicit_policy_must_exist(tmp_path):
    with pytest.raises(UsageError) as error:
        find_policy(tmp_path, "nope.yaml")
    assert str(error.value) == "--policy: no such file 'nope.yaml'"


@pytest.mark.parametrize(("files", "found"), [
    (["edgegate.yaml", ".edgegate.yaml", "pyproject.toml"], "edgegate.yaml"),
    ([".edgegate.yaml", "pyproject.toml"], ".edgegate.yaml"),
    (["pyproject.toml"], "pyproject.toml"),
])
def test_discovery_order(tmp_path, files, found):
    for name in files:
        text = ('[tool.edgegate]\nversion = 1\n[tool.edgegate.budgets.py]\n' if name == "pyproject.toml"
                else MINIMAL.format(name=name.strip(".").split(".")[0]))
        write(tmp_path / name, text)
    assert find_policy(tmp_path) == tmp_path / found


def test_pyproject_without_tool_table_is_not_a_policy(tmp_path):
    write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    with pytest.raises(UsageError) as error:
        find_policy(tmp_path)
    assert str(error.value) == (
        f"no policy found in {tmp_path}: pass --policy PATH, or create edgegate.yaml"
        " (`edgegate init` writes one), or add [tool.edgegate] to pyproject.toml")


@pytest.mark.skipif(sys.version_info < (3, 11), reason="reading [tool.edgegate] needs Python 3.11 (tomllib)")
def test_pyproject_policy_loads_and_errors_name_the_table(tmp_path):
    path = write(tmp_path / "pyproject.toml", """\
[project]
name = "x"

[tool.edgegate]
version = 1

[tool.edgegate.budgets.all.limits.flops]
max = "2 GFLOP"
""")
    (budget,) = load_policy(path).budgets
    assert budget.limits[0].max == 2_000_000_000
    path.write_text(path.read_text().replace('"2 GFLOP"', '"2 GFLOPS"'))
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert str(error.value) == (
        f"{path}: tool.edgegate.budgets.all.limits.flops.max: '2 GFLOPS' is not a FLOP count:"
        " unknown unit 'GFLOPS' (use FLOP, kFLOP, MFLOP, GFLOP, TFLOP, or a plain number in FLOP)")


def test_repo_root_is_the_nearest_git_directory(tmp_path):
    (tmp_path / ".git").mkdir()
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert repo_root(deep) == tmp_path.resolve()
    assert repo_root(Path("/")) == Path("/")  # no .git above: the start itself


@pytest.mark.parametrize(("path", "pattern", "selected"), [
    ("models/a.onnx", "models/*.onnx", True),
    ("models/sub/a.onnx", "models/*.onnx", False),  # * stays within one directory
    ("models/sub/a.onnx", "models/**/*.onnx", True),
    ("models/a.onnx", "models/**/*.onnx", True),  # ** matches zero directories too
    ("a.onnx", "*.onnx", True),
    ("deep/er/a.onnx", "*.onnx", True),  # no '/' in the glob: matches the name at any depth
    ("deep/er/a.onnx", "a.onnx", True),
    ("deep/er/a.onnx", "er/a.onnx", False),  # with a '/', it is anchored at the root
    ("models/kws_v2.onnx", "models/kws_v?.onnx", True),
    ("models/kws_v10.onnx", "models/kws_v?.onnx", False),
    ("models/b.onnx", "models/[ab].onnx", True),
    ("models/c.onnx", "models/[!ab].onnx", True),
    ("models/a.onnx", "models/[!ab].onnx", False),
    ("models/a+b.onnx", "models/a+b.onnx", True),  # regex characters are literal
    ("models/a.onnx", "models/**", True),
    ("net.onnx", "/net.onnx", True),  # a leading '/' anchors at the root, as in .gitignore
    ("sub/net.onnx", "/net.onnx", False),
    ("models/a.onnx", "./models/*.onnx", True),  # so does './'
    ("x/models/a.onnx", "./models/*.onnx", False),
])
def test_glob_matching(path, pattern, selected):
    assert matches(path, [pattern]) is selected


def test_budget_include_and_exclude():
    budget = Budget("det", include=("models/detector/**/*.onnx",), exclude=("**/*_fp32.onnx",))
    assert selects(budget, "models/detector/v2/yolo.onnx")
    assert not selects(budget, "models/detector/v2/yolo_fp32.onnx")
    assert not selects(budget, "models/kws/tiny.onnx")
    assert selects(Budget("all"), "x/y/z.onnx")  # the default include is **/*.onnx


@pytest.mark.parametrize("text, has_table", [
    ('[project]\nname = "x"\ndependencies = ["edgegate"]\n', False),
    ("[tool.ruff]\nline-length = 100\n", False),
    ("[tool.black]\nedgegate = 1\n", False),
    ("[tool]\nruff = {}\n[project]\nedgegate = 1\n", False),
    ("[tool.edgegate]\nversion = 1\n", True),
    ("[tool.ruff]\nx = 1\n[tool.edgegate.budgets.a]\nx = 1\n", True),
    ("tool.edgegate.version = 1\n", True),
    ('[tool]\nfoo = ["a"]\nedgegate = { version = 1 }\n', True),
    ('[ tool . "edgegate" ]\nversion = 1\n', True),
])
def test_without_tomllib_a_pyproject_without_the_table_is_no_policy(text, has_table, monkeypatch):
    # Python 3.10 has no TOML reader: most projects' pyproject.toml has no [tool.edgegate] and
    # must not stop discovery; one that may have it is an error saying what is needed
    from types import SimpleNamespace

    from edgegate.config import document

    monkeypatch.setattr(document, "sys", SimpleNamespace(version_info=(3, 10, 13)))
    if not has_table:
        assert document.load_pyproject("pyproject.toml", text) is None
        return
    with pytest.raises(PolicyError, match=r"pyproject.toml.*needs Python 3.11 or later \(tomllib\)"):
        document.load_pyproject("pyproject.toml", text)
