"""load_policy returns a policy loaded before only while every file it read is unchanged."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from edgegate.errors import PolicyError
from edgegate.policy.load import load_policy

POLICY = """version: 1
budgets:
  small:
    include: ['*.onnx']
    target: {target}
    limits:
      macs: {{max: {macs} MMAC}}
"""

TARGET = """version: 1
peak: {{fp32: {peak} GFLOP/s}}
dram_bandwidth: 10 GB/s
"""


def _write(folder: Path, macs: int = 100, target: str = "raspberry-pi-5") -> Path:
    path = folder / "edgegate.yaml"
    path.write_text(POLICY.format(target=target, macs=macs), encoding="utf-8")
    return path


def test_same_files_give_the_same_policy(tmp_path: Path) -> None:
    path = _write(tmp_path)
    assert load_policy(path) is load_policy(path)


def test_a_rewritten_policy_of_the_same_size_is_read_again(tmp_path: Path) -> None:
    path = _write(tmp_path, macs=100)
    first = load_policy(path)
    stamp = path.stat()
    _write(tmp_path, macs=200)  # same length, and the same mtime and inode below
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_size == stamp.st_size
    second = load_policy(path)
    assert second is not first
    assert (first.budgets[0].limits[0].max, second.budgets[0].limits[0].max) == (100e6, 200e6)


def test_a_changed_target_file_is_read_again(tmp_path: Path) -> None:
    (tmp_path / "board.yaml").write_text(TARGET.format(peak=1), encoding="utf-8")
    path = _write(tmp_path, target="board.yaml")
    assert load_policy(path).targets["board.yaml"].peak["fp32"] == 1e9
    (tmp_path / "board.yaml").write_text(TARGET.format(peak=2), encoding="utf-8")
    assert load_policy(path).targets["board.yaml"].peak["fp32"] == 2e9


def test_a_policy_that_became_invalid_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path)
    load_policy(path)
    path.write_text("version: 1\nbudgets: 5\n", encoding="utf-8")
    with pytest.raises(PolicyError):
        load_policy(path)


def test_a_relative_path_is_read_from_each_working_directory(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for name, macs in (("a", 100), ("b", 300)):
        (tmp_path / name).mkdir()
        _write(tmp_path / name, macs=macs)
    monkeypatch.chdir(tmp_path / "a")
    assert load_policy("edgegate.yaml").budgets[0].limits[0].max == 100e6
    monkeypatch.chdir(tmp_path / "b")
    assert load_policy("edgegate.yaml").budgets[0].limits[0].max == 300e6


def test_a_deleted_working_directory_still_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path)
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert load_policy(path).budgets[0].name == "small"
