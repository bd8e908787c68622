"""Small tensors kept in external data files are read by offset; big ones never are.

A writer given a size threshold of 0 moves a Reshape's shape constant out of the model too;
without its value nothing after the Reshape has a shape.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

import edgegate
from edgegate.model import external
from edgegate.model.wire import PAYLOAD_THRESHOLD

# Conv 16 -> 8 channels, 1x1, over 4x4: 8*16*16 = 2048 MACs; Reshape to [1, 128];
# MatMul by [128, 10]: 128*10 = 1280 MACs. 3328 in all.
MACS = 2048 + 1280


def _model() -> onnx.ModelProto:
    weights = [numpy_helper.from_array(np.ones((8, 16, 1, 1), np.float32), "w"),
               numpy_helper.from_array(np.array([1, -1], np.int64), "shape"),
               numpy_helper.from_array(np.ones((128, 10), np.float32), "fc")]
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"]),
             helper.make_node("Reshape", ["c", "shape"], ["flat"]),
             helper.make_node("MatMul", ["flat", "fc"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16, 4, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _save_external(folder: Path, location: str = "m.data") -> Path:
    path = folder / "m.onnx"
    onnx.save(_model(), path, save_as_external_data=True, location=location, size_threshold=0)
    return path


def test_shape_constant_in_external_data_is_read(tmp_path: Path) -> None:
    estimate = edgegate.estimate(_save_external(tmp_path))
    assert estimate.macs == MACS and not estimate.unestimated
    # the Reshape's shape is shape arithmetic, no param: the same as with everything embedded
    assert estimate.params == edgegate.estimate(_model()).params == 8 * 16 + 128 * 10


def test_only_small_tensors_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[int] = []
    real = external._DataFiles.read
    monkeypatch.setattr(external._DataFiles, "read",
                        lambda self, location, at, n: reads.append(n) or real(self, location, at, n))
    assert edgegate.estimate(_save_external(tmp_path)).macs == MACS
    # w is 512 B and shape 16 B: both at most the threshold; fc (5120 B) is never read
    assert sorted(reads) == [16, 512] and max(reads) <= PAYLOAD_THRESHOLD


def _lower_bound(path: Path) -> bool:
    estimate = edgegate.estimate(path)
    # the Conv is costed; the MatMul after the Reshape of unknown shape is not
    return estimate.macs == 2048 and any(u.op_type == "MatMul" for u in estimate.unestimated)


def test_missing_data_file_leaves_values_unknown(tmp_path: Path) -> None:
    path = _save_external(tmp_path)
    (tmp_path / "m.data").unlink()
    assert _lower_bound(path)


def test_data_file_short_of_the_range_leaves_values_unknown(tmp_path: Path) -> None:
    path = _save_external(tmp_path)
    (tmp_path / "m.data").write_bytes(b"\0" * 8)
    assert _lower_bound(path)


def test_data_file_outside_the_model_folder_is_not_read(tmp_path: Path) -> None:
    outside, inside = tmp_path / "outside", tmp_path / "models"
    outside.mkdir()
    inside.mkdir()
    _save_external(outside)
    path = inside / "m.onnx"
    os.replace(outside / "m.onnx", path)
    (inside / "m.data").symlink_to(outside / "m.data")
    assert _lower_bound(path)


@pytest.mark.parametrize("location", ["../m.data", "/tmp/m.data", "sub/../../m.data"])
def test_locations_leading_out_are_not_read(tmp_path: Path, location: str) -> None:
    path = _save_external(tmp_path)
    model = onnx.load(path, load_external_data=False)
    for tensor in model.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = location
    (tmp_path / "in").mkdir()
    moved = tmp_path / "in" / "m.onnx"
    onnx.save(model, moved)
    assert _lower_bound(moved)


def test_a_fifo_as_data_file_is_not_opened(tmp_path: Path) -> None:
    path = _save_external(tmp_path)
    (tmp_path / "m.data").unlink()
    os.mkfifo(tmp_path / "m.data")
    assert _lower_bound(path)


_TEXT = st.one_of(st.text(max_size=12), st.sampled_from(["m.data", "0", "-1", "16", "9" * 5000, "1e3",
                                                         "\0", "..", "/dev/zero", "a" * 5000]))


@given(entries=st.lists(st.tuples(st.sampled_from(["location", "offset", "length", "checksum", ""]), _TEXT),
                        max_size=5),
       dims=st.lists(st.integers(-2, 2**40), max_size=3),
       dtype=st.sampled_from([TensorProto.INT64, TensorProto.STRING, TensorProto.FLOAT, 0, 999]))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_external_data_entry_reads_or_leaves_the_value(tmp_path: Path, entries, dims, dtype) -> None:
    # whatever the entries say, inlining reads a small tensor or leaves it external: no exception
    path = _save_external(tmp_path)
    model = onnx.load(path, load_external_data=False)
    tensor = model.graph.initializer[1]
    del tensor.external_data[:]
    for key, value in entries:
        tensor.external_data.add(key=key, value=value)
    del tensor.dims[:]
    tensor.dims.extend(dims)
    tensor.data_type = dtype
    read = external.inline_small_external(model, str(path))
    assert read in (1, 2)
    assert tensor.data_location == TensorProto.EXTERNAL or len(tensor.raw_data) <= PAYLOAD_THRESHOLD
