"""docs/policy.md and docs/targets.md stay true to the code.

Every policy snippet loads with edgegate's own loader (``<!-- fragment -->`` skips one,
``<!-- file: PATH -->`` names the file other snippets extend, ``<!-- invalid: NAME -->`` marks
the broken example whose pasted output must match a real run); every schema key, metric,
preset and target is named; the targets table and ridge points match the shipped files.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest

from edgegate.cli import main
from edgegate.config import resources
from edgegate.config.schema import policy_schema
from edgegate.errors import ExitCode
from edgegate.metrics import METRICS
from edgegate.policy.load import load_policy
from edgegate.target.load import load_shipped_target
from edgegate.units import parse_quantity

DOCS = Path(__file__).resolve().parent.parent / "docs"
POLICY_DOC = (DOCS / "policy.md").read_text(encoding="utf-8")
TARGETS_DOC = (DOCS / "targets.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"(?:<!--\s*(?P<mark>[^>]*?)\s*-->\n)?```(?P<lang>\w+)\n(?P<body>.*?)```", re.S)


def _blocks(text: str) -> list[tuple[str, str, str]]:
    """``(mark, language, body)`` of every fenced block in ``text``, in order."""
    return [(m["mark"] or "", m["lang"], m["body"]) for m in BLOCK.finditer(text)]


ALL_BLOCKS = [(doc, *block) for doc, text in (("policy", POLICY_DOC), ("targets", TARGETS_DOC))
              for block in _blocks(text)]
SNIPPETS = [(doc, index, mark, body) for index, (doc, mark, lang, body) in enumerate(ALL_BLOCKS)
            if lang in ("yaml", "toml") and mark != "fragment" and not mark.startswith("invalid")]
NAMED = {mark[len("file:"):].strip(): body
         for _, mark, _, body in ALL_BLOCKS if mark.startswith("file:")}


def _write_named_files(root: Path) -> None:
    """Write every ``<!-- file: PATH -->`` snippet under ``root``, so others can extend them."""
    for name, body in NAMED.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(body, encoding="utf-8")


@pytest.mark.parametrize("doc, index, mark, body", SNIPPETS,
                         ids=[f"{doc}-block{index}" for doc, index, _, _ in SNIPPETS])
def test_every_policy_snippet_loads(tmp_path, doc, index, mark, body):
    _write_named_files(tmp_path)
    if mark.startswith("file:"):
        path = tmp_path / mark[len("file:"):].strip()
        if path.suffix == ".toml" and sys.version_info < (3, 11):
            pytest.skip("reading [tool.edgegate] needs Python 3.11 (tomllib)")
    else:
        path = tmp_path / f"snippet{index}.yaml"
        path.write_text(body, encoding="utf-8")
    policy = load_policy(path)
    assert policy.budgets  # a loaded policy always has a budget; loading is the real check


def test_the_snippets_cover_yaml_toml_and_extends():
    # the checks above are only meaningful if the docs have snippets of each kind
    languages = {lang for _, _, lang, _ in ALL_BLOCKS}
    assert {"yaml", "toml"} <= languages
    assert len(SNIPPETS) >= 10
    assert "team/base.yaml" in NAMED and "pyproject.toml" in NAMED


def test_broken_example_prints_the_pasted_output(tmp_path, monkeypatch, capsys):
    marks = [i for i, (_, mark, _, _) in enumerate(ALL_BLOCKS) if mark.startswith("invalid:")]
    assert len(marks) == 1
    _, mark, _, body = ALL_BLOCKS[marks[0]]
    name = mark[len("invalid:"):].strip()
    output = next(block for block in ALL_BLOCKS[marks[0] + 1:] if block[2] == "text")[3]
    command, *expected = output.strip().splitlines()
    (tmp_path / name).write_text(body, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert command.startswith("$ edgegate ")
    code = main(shlex.split(command)[2:])
    assert code == ExitCode.POLICY_ERROR
    assert capsys.readouterr().err.splitlines() == expected


def _schema_keys(node: object) -> set[str]:
    """Every property name anywhere in the policy JSON schema."""
    found: set[str] = set()
    if isinstance(node, dict):
        found.update(node.get("properties", {}))
        for value in node.values():
            found |= _schema_keys(value)
    elif isinstance(node, list):
        for value in node:
            found |= _schema_keys(value)
    return found


def test_every_schema_key_is_documented():
    keys = _schema_keys(policy_schema())
    assert {"version", "budgets", "max_increase", "weight_store_bytes", "as"} <= keys
    assert sorted(key for key in keys if f"`{key}`" not in POLICY_DOC) == []


def test_every_metric_is_documented():
    assert sorted(name for name in METRICS if f"`{name}`" not in POLICY_DOC) == []


def test_every_preset_and_target_is_named():
    presets, targets = sorted(resources.presets()), sorted(resources.targets())
    assert len(presets) >= 4 and len(targets) >= 4
    assert [name for name in presets if f"`{name}`" not in POLICY_DOC] == []
    assert [name for name in targets if f"`{name}`" not in TARGETS_DOC] == []


def test_every_target_source_is_cited():
    for name in resources.targets():
        target_file = resources.targets()[name].read_text(encoding="utf-8")
        urls = re.findall(r"^\s+- (https?://\S+)$", target_file, re.M)
        assert urls, name
        assert [url for url in urls if url not in TARGETS_DOC] == []


def _table(text: str, header: str) -> dict[str, list[str]]:
    """The rows of the markdown table starting ``header``: ``{first cell: other cells}``."""
    lines = text[text.index(header):].splitlines()[2:]
    rows = {}
    for line in lines:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = cells[1:]
    return rows


def _quantity(cell: str, kind: str) -> int | float:
    """A table cell in base units; ``-`` (not stated) is 0."""
    return 0 if cell == "-" else parse_quantity(cell, kind)


def test_targets_table_matches_the_shipped_files():
    rows = _table(TARGETS_DOC, "| target | fp32 peak |")
    assert sorted(rows) == sorted(resources.targets())
    for name, (fp32, fp16, int8, bandwidth, onchip, store) in rows.items():
        target = load_shipped_target(name)
        stated = zip(("fp32", "fp16", "int8"), (fp32, fp16, int8))
        assert {key: _quantity(cell, "FLOP/s") for key, cell in stated if cell != "-"} == target.peak
        assert _quantity(bandwidth, "B/s") == target.dram_bandwidth, name
        assert _quantity(onchip, "B") == target.onchip_bytes, name
        assert _quantity(store, "B") == target.weight_store_bytes, name


def test_ridge_points_are_peak_over_bandwidth():
    # e.g. raspberry-pi-5 fp32: 153.6e9 / 17.068e9 = 8.9993 -> "9.00"; stm32h743 int8:
    # 1.92e9 / 400e6 = 4.80; checked against Target.ridge_point to the printed 2 decimals
    rows = _table(TARGETS_DOC, "| target | fp32 ridge |")
    assert sorted(rows) == sorted(resources.targets())
    assert rows["stm32h743"] == ["2.40", "-", "4.80"]
    for name, cells in rows.items():
        target = load_shipped_target(name)
        for precision, cell in zip(("fp32", "fp16", "int8"), cells):
            ridge = target.ridge_point(precision)
            assert (cell == "-") == (ridge is None), (name, precision)
            if ridge is not None:
                assert float(cell) == pytest.approx(ridge, abs=0.005), (name, precision)
