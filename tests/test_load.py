"""Tests for edgegate.model.load: stripped models match onnx.load, and bad files fail in one line.

``onnx.load(..., load_external_data=False)`` is the oracle: the loaded model must equal it
once the payloads of the big tensors are cleared from the oracle too.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from edgegate.errors import ModelError
from edgegate.model import wire
from edgegate.model.load import load_model, load_model_info, payload_dropped
from edgegate.model.names import is_repeated
from edgegate.model.sparse import densify_sparse_initializers
from edgegate.model.wire import PAYLOAD_THRESHOLD

FLOAT = TensorProto.FLOAT
PAYLOAD_FIELDS = ("raw_data", "float_data", "int32_data", "int64_data", "double_data",
                  "uint64_data", "string_data")


def _array(shape: tuple[int, ...], dtype: Any = np.float32) -> np.ndarray:
    """Distinct values (0, 1, 2, ...) so a wrong slice of bytes shows up as a wrong value."""
    return np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)


def _init(name: str, shape: tuple[int, ...], dtype: Any = np.float32) -> TensorProto:
    return numpy_helper.from_array(_array(shape, dtype), name)


def _constant(output: str, shape: tuple[int, ...]) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [output], value=_init(output + "_value", shape))


def _branch(name: str, weight: str) -> onnx.GraphProto:
    """An If branch adding a big (64x64 float = 16 KiB) initializer to the outer x."""
    return helper.make_graph(
        [helper.make_node("Add", ["x", weight], [name + "_out"])], name, [],
        [helper.make_tensor_value_info(name + "_out", FLOAT, [64, 64])], [_init(weight, (64, 64))])


def _loop_body() -> onnx.GraphProto:
    """A Loop body that adds a big (64x64) initializer to its carried value each iteration."""
    return helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
            helper.make_node("Add", ["carried", "loop_w"], ["carried_out"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("iter", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("carried", FLOAT, [64, 64]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("carried_out", FLOAT, [64, 64]),
        ],
        [_init("loop_w", (64, 64))],
    )


def _function() -> onnx.FunctionProto:
    """A model-local function whose body holds a big Constant (32x32 float = 4 KiB)."""
    return helper.make_function(
        "local", "AddBias", ["a"], ["b"],
        [_constant("fn_bias", (32, 32)), helper.make_node("Add", ["a", "fn_bias"], ["b"])],
        [helper.make_opsetid("", 17)],
    )


def _full_model() -> onnx.ModelProto:
    """Big and small initializers, big/small Constants, If and Loop subgraphs, a function,
    a big sparse initializer and a training-info graph with a big initializer."""
    sparse = helper.make_sparse_tensor(
        _init("sparse", (400,)), _init("sparse_idx", (400,), np.int64), [1000])
    nodes = [
        helper.make_node("Conv", ["x4", "conv_w"], ["conv"]),
        helper.make_node("Reshape", ["conv", "shape"], ["flat"]),
        _constant("big_const", (64, 64)),
        _constant("small_const", (2,)),
        helper.make_node("Add", ["x", "big_const"], ["y0"]),
        helper.make_node("If", ["cond"], ["y1"], then_branch=_branch("then", "then_w"),
                         else_branch=_branch("else", "else_w")),
        helper.make_node("Loop", ["trip", "cond", "y1"], ["y2"], body=_loop_body()),
        helper.make_node("AddBias", ["y2"], ["y3"], domain="local"),
    ]
    graph = helper.make_graph(
        nodes, "full",
        [
            helper.make_tensor_value_info("x", FLOAT, [64, 64]),
            helper.make_tensor_value_info("x4", FLOAT, [1, 16, 8, 8]),
            helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
            helper.make_tensor_value_info("trip", TensorProto.INT64, []),
        ],
        [
            helper.make_tensor_value_info("y3", FLOAT, [64, 64]),
            helper.make_tensor_value_info("flat", FLOAT, None),
        ],
        [
            _init("conv_w", (32, 16, 3, 3)),
            numpy_helper.from_array(np.array([1, -1], np.int64), "shape"),
            _init("tiny", (3,)),
        ],
        sparse_initializer=[sparse],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("local", 1)],
        functions=[_function()])
    training = model.training_info.add()
    training.initialization.CopyFrom(helper.make_graph(
        [], "init", [], [helper.make_tensor_value_info("train_w", FLOAT, [64, 64])],
        [_init("train_w", (64, 64))]))
    return model


# Tensors over 1024 payload bytes in _full_model: conv_w 32*16*3*3*4 = 18432 B, big_const,
# then_w, else_w, loop_w and train_w 64*64*4 = 16384 B, fn_bias_value 32*32*4 = 4096 B, sparse
# values 400*4 = 1600 B and indices 400*8 = 3200 B. shape (16 B) and tiny (12 B) keep theirs.
BIG = {"conv_w", "big_const_value", "then_w", "else_w", "loop_w", "train_w", "fn_bias_value",
       "sparse", "sparse_idx"}


def _tensors(message: Any) -> Iterator[TensorProto]:
    """Every TensorProto inside ``message``, found through the proto's own reflection."""
    for descriptor, value in message.ListFields():
        if descriptor.message_type is None:
            continue
        values = value if is_repeated(descriptor) else [value]
        for item in values:
            if isinstance(item, TensorProto):
                yield item
            else:
                yield from _tensors(item)


def _oracle_stripped(path: Path, big: set[str]) -> onnx.ModelProto:
    """onnx.load's model with the payloads of the tensors named in ``big`` cleared and its
    sparse initializers densified, as the loader documents."""
    model = onnx.load(path, load_external_data=False)
    for tensor in _tensors(model):
        if tensor.name in big:
            for name in PAYLOAD_FIELDS:
                tensor.ClearField(name)
    densify_sparse_initializers(model)
    return model


@pytest.fixture
def full_path(tmp_path: Path) -> Path:
    path = tmp_path / "full.onnx"
    onnx.save(_full_model(), path)
    return path


@pytest.mark.parametrize("window", [21, 97, 4096, wire.WINDOW])
def test_matches_oracle_with_big_payloads_cleared(
    full_path: Path, window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small read windows put window edges inside field headers; the result must not change.
    monkeypatch.setattr(wire, "WINDOW", window)
    loaded = load_model_info(full_path)
    assert loaded.model == _oracle_stripped(full_path, BIG)
    assert loaded.stripped == BIG
    assert loaded.file_bytes == full_path.stat().st_size


def test_small_tensors_keep_exact_values(full_path: Path) -> None:
    graph = load_model(full_path).graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer
             if t.name in ("shape", "tiny")}
    assert inits["shape"].tolist() == [1, -1]
    assert inits["tiny"].tolist() == [0.0, 1.0, 2.0]  # _array((3,)) = arange(3)
    small = graph.node[3].attribute[0].t
    assert numpy_helper.to_array(small).tolist() == [0.0, 1.0]


def test_big_tensors_keep_dims_and_dtype_but_lose_payload(full_path: Path) -> None:
    model = load_model(full_path)
    conv_w = model.graph.initializer[0]
    assert (conv_w.name, list(conv_w.dims), conv_w.data_type) == ("conv_w", [32, 16, 3, 3], FLOAT)
    assert payload_dropped(conv_w)
    assert not conv_w.HasField("raw_data")
    then_w = model.graph.node[5].attribute[1].g.initializer[0]  # attributes sorted: else, then
    assert (then_w.name, list(then_w.dims), payload_dropped(then_w)) == ("then_w", [64, 64], True)
    assert not payload_dropped(model.graph.initializer[1])  # shape keeps its 16 bytes


def _threshold_model(raw_bytes: int) -> onnx.ModelProto:
    """One initializer 'edge' of ``raw_bytes`` uint8 values stored as raw_data."""
    tensor = helper.make_tensor("edge", TensorProto.UINT8, [raw_bytes], b"\x07" * raw_bytes,
                                raw=True)
    graph = helper.make_graph([helper.make_node("Identity", ["edge"], ["y"])], "g", [],
                              [helper.make_tensor_value_info("y", TensorProto.UINT8, None)],
                              [tensor])
    return helper.make_model(graph)


@pytest.mark.parametrize(("raw_bytes", "dropped"), [(1021, False), (1022, True)])
def test_threshold_counts_serialized_payload_bytes(
    tmp_path: Path, raw_bytes: int, dropped: bool
) -> None:
    # raw_data field = 1 tag byte + 2 length bytes + data: 1024 B (kept, not over the
    # threshold) for 1021 data bytes, 1025 B (dropped) for 1022.
    assert PAYLOAD_THRESHOLD == 1024
    path = tmp_path / "edge.onnx"
    onnx.save(_threshold_model(raw_bytes), path)
    tensor = load_model(path).graph.initializer[0]
    assert payload_dropped(tensor) is dropped
    assert len(tensor.raw_data) == (0 if dropped else raw_bytes)


@pytest.mark.parametrize(
    ("dtype", "field", "value"),
    [
        (TensorProto.FLOAT, "float_data", 1.5),
        (TensorProto.INT32, "int32_data", 100_000),
        (TensorProto.INT64, "int64_data", 100_000),
        (TensorProto.DOUBLE, "double_data", 1.5),
        (TensorProto.UINT64, "uint64_data", 100_000),
        (TensorProto.STRING, "string_data", b"abc"),
    ],
)
def test_every_payload_field_is_dropped(tmp_path: Path, dtype: int, field: str, value: Any) -> None:
    # 600 values of at least 3 bytes each (100_000 is a 3-byte varint, a string is a tag, a
    # length and 3 bytes) make each payload over 1800 bytes > 1024.
    tensor = helper.make_tensor("t", dtype, [600], [value] * 600)
    assert len(getattr(tensor, field)) == 600
    graph = helper.make_graph([helper.make_node("Identity", ["t"], ["y"])], "g", [],
                              [helper.make_tensor_value_info("y", dtype, None)], [tensor])
    path = tmp_path / f"{field}.onnx"
    onnx.save(helper.make_model(graph), path)
    loaded = load_model_info(path)
    assert loaded.stripped == {"t"}
    assert loaded.model == _oracle_stripped(path, {"t"})
    assert payload_dropped(loaded.model.graph.initializer[0])


def test_external_data_is_never_read(tmp_path: Path) -> None:
    path = tmp_path / "ext.onnx"
    onnx.save(_full_model(), path, save_as_external_data=True, location="ext.data",
              size_threshold=1024)
    written = onnx.load(str(path), load_external_data=False)
    (tmp_path / "ext.data").unlink()
    loaded = load_model_info(path)
    # onnx's writer externalizes graph and subgraph initializers over 1024 bytes (conv_w,
    # then_w, else_w, loop_w; onnx 1.18 a function's Constant too); the other big tensors stay
    # inline and are stripped.
    external = {t.name for t in _tensors(written) if t.data_location == TensorProto.EXTERNAL}
    assert {"conv_w", "then_w", "else_w", "loop_w"} <= external
    inline_big = BIG - external
    assert loaded.stripped == inline_big
    assert loaded.model == _oracle_stripped(path, inline_big)
    conv_w = loaded.model.graph.initializer[0]
    assert (conv_w.data_location, list(conv_w.dims)) == (TensorProto.EXTERNAL, [32, 16, 3, 3])
    assert {e.key: e.value for e in conv_w.external_data}["location"] == "ext.data"
    assert not payload_dropped(conv_w)


def _shapes(model: onnx.ModelProto) -> dict[str, list[int | str]]:
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    values = list(inferred.graph.value_info) + list(inferred.graph.output)
    return {
        v.name: [d.dim_value if d.HasField("dim_value") else d.dim_param
                 for d in v.type.tensor_type.shape.dim]
        for v in values
    }


def test_shape_inference_matches_full_model(full_path: Path) -> None:
    stripped = _shapes(load_model(full_path))
    assert stripped == _shapes(onnx.load(full_path))
    # Conv 32 filters of 3x3, no pads, on 1x16x8x8 -> 1x32x6x6; Reshape [1, -1] -> 1x(32*6*6).
    assert stripped["conv"] == [1, 32, 6, 6]
    assert stripped["flat"] == [1, 1152]


def test_unpacked_float_data_is_dropped(tmp_path: Path) -> None:
    # 300 float_data entries written unpacked (tag 0x25 = field 4, wire type 5, then 4 bytes):
    # 300 * 5 = 1500 payload bytes > 1024, so the loader drops them.
    dims = b"\x08" + bytes([0xAC, 0x02])  # dims: 300 as varint 0xAC 0x02
    tensor = dims + b"\x10\x01" + b"\x25\x00\x00\x80\x3f" * 300 + b"\x42\x01w"
    model = helper.make_model(helper.make_graph([], "g", [], []))
    data = model.SerializeToString() + _field(7, _field(5, tensor))
    path = tmp_path / "unpacked.onnx"
    path.write_bytes(data)
    loaded = load_model_info(path)
    weight = loaded.model.graph.initializer[0]
    assert (weight.name, list(weight.dims), len(weight.float_data)) == ("w", [300], 0)
    assert loaded.stripped == {"w"}
    assert len(onnx.load(path).graph.initializer[0].float_data) == 300  # the oracle keeps them


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2) with a one-byte tag and a two-byte length."""
    assert len(payload) < 1 << 14
    return bytes([number << 3 | 2, len(payload) & 0x7F | 0x80, len(payload) >> 7]) + payload


def test_padded_length_varint_is_rewritten(tmp_path: Path) -> None:
    # The graph's length is written as a 3-byte varint although 2 would do; parsers accept it
    # and the rewrite must replace the whole padded varint, not its minimal size.
    model = _threshold_model(4000)
    graph = model.graph.SerializeToString()
    padded = b"\x3a" + bytes([len(graph) & 0x7F | 0x80, (len(graph) >> 7) | 0x80, 0x00]) + graph
    model.ClearField("graph")
    path = tmp_path / "padded.onnx"
    path.write_bytes(model.SerializeToString() + padded)
    loaded = load_model(path)
    assert loaded == _oracle_stripped(path, {"edge"})
    tensor = loaded.graph.initializer[0]
    assert (tensor.name, list(tensor.dims), payload_dropped(tensor)) == ("edge", [4000], True)


def test_many_small_nodes_around_big_initializers(tmp_path: Path) -> None:
    # 3000 Relu nodes (names of 1 to 4 digits, so node lengths vary) fill about 75 KB, several
    # 16 KiB read windows, before the initializers (graph field 5 follows node field 1).
    nodes = [helper.make_node("Relu", [f"v{i}"], [f"v{i + 1}"], name=str(i)) for i in range(3000)]
    inits = [_init(f"big{i}", (300,)) for i in range(3)] + [_init("small", (2,))]
    graph = helper.make_graph(nodes, "many", [helper.make_tensor_value_info("v0", FLOAT, [300])],
                              [helper.make_tensor_value_info("v3000", FLOAT, [300])], inits)
    path = tmp_path / "many.onnx"
    onnx.save(helper.make_model(graph), path)
    loaded = load_model_info(path)
    assert loaded.stripped == {"big0", "big1", "big2"}  # 300 floats = 1200 B > 1024; small is 8 B
    assert loaded.model == _oracle_stripped(path, {"big0", "big1", "big2"})


def _error(path: Path) -> str:
    with pytest.raises(ModelError) as caught:
        load_model(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert caught.value.exit_code == 3
    return message[len(str(path)) + 2:]


def test_missing_file(tmp_path: Path) -> None:
    assert _error(tmp_path / "nope.onnx") == "no such file"


def test_directory(tmp_path: Path) -> None:
    assert _error(tmp_path) == "is a directory, not an ONNX file"


def test_fifo(tmp_path: Path) -> None:
    path = tmp_path / "pipe.onnx"
    os.mkfifo(path)
    assert _error(path) == "not a regular file"  # and no blocking open() waiting for a writer


def test_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.onnx"
    onnx.save(_threshold_model(10), path)
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make open() fail the way it does for users
        real_open = builtins.open

        def denied(file: Any, *args: Any, **kwargs: Any) -> Any:
            if str(file) == str(path):
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", denied)
    assert _error(path) == "permission denied"


def test_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a.onnx").symlink_to(tmp_path / "b.onnx")
    (tmp_path / "b.onnx").symlink_to(tmp_path / "a.onnx")
    assert _error(tmp_path / "a.onnx") == "symlink loop"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.onnx"
    path.write_bytes(b"")
    assert _error(path) == "file is empty (0 bytes), not an ONNX model"


def test_lfs_pointer(tmp_path: Path) -> None:
    path = tmp_path / "lfs.onnx"
    path.write_text(
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        "size 12345\n"
    )
    assert _error(path) == ("is a Git LFS pointer, not the model of 12345 bytes: "
                            "run `git lfs pull` to fetch it")


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.onnx"
    path.write_text("hello, this is not a model\n")
    # 'h' = 0x68: field 13 with wire type 0, not a ModelProto field.
    assert _error(path) == ("not an ONNX model: looks like a text file; starts with field 13 "
                            "of wire type 0, not a ModelProto field")


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "random.onnx"
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert _error(path).startswith("not an ONNX model: ")


def test_truncated_inside_graph(tmp_path: Path) -> None:
    model = _threshold_model(4000)
    path = tmp_path / "cut.onnx"
    data = model.SerializeToString()
    path.write_bytes(data[:2000])
    # Fields before the graph: ir_version (2 B), then graph starts at offset 2 with tag, a
    # 2-byte length and a body that the cut leaves 2000 - 2 - 3 = 1995 bytes of.
    assert data[:2] == b"\x08" + bytes([model.ir_version])
    graph_len = model.graph.ByteSize()
    assert _error(path) == (f"truncated ONNX file (2000 bytes): field 'graph' at offset 2 declares "
                            f"{graph_len} bytes but only 1995 remain")


def test_truncated_inside_a_varint(tmp_path: Path) -> None:
    path = tmp_path / "cut.onnx"
    path.write_bytes(_threshold_model(4000).SerializeToString()[:4])  # ends in the graph's length
    assert _error(path) == ("truncated ONNX file (4 bytes): "
                            "the data ends inside the field at offset 2")


def test_protobuf_without_graph(tmp_path: Path) -> None:
    path = tmp_path / "nograph.onnx"
    path.write_bytes(onnx.ModelProto(ir_version=9, producer_name="x").SerializeToString())
    assert _error(path) == "not an ONNX model: has no graph"


def test_corrupt_node_is_a_decode_error(tmp_path: Path) -> None:
    # A graph whose only node field holds the bytes 0x0f: field 1 with wire type 7, invalid.
    path = tmp_path / "corrupt.onnx"
    path.write_bytes(b"\x08\x09" + b"\x3a\x03" + b"\x0a\x01\x0f")
    assert _error(path).startswith("not an ONNX model: protobuf decode error")


def _graph_with(trailer: bytes) -> bytes:
    """A model whose big graph (one 4000-byte initializer) ends with ``trailer``."""
    model = _threshold_model(4000)
    graph = model.graph.SerializeToString() + trailer
    model.ClearField("graph")
    return model.SerializeToString() + _field(7, graph)


def test_field_cut_at_the_end_of_a_nested_message(tmp_path: Path) -> None:
    # The graph ends in a lone node key (0x0a) whose length byte lies outside the graph.
    path = tmp_path / "cut_node.onnx"
    data = _graph_with(b"\x0a")
    path.write_bytes(data)
    assert _error(path) == ("not an ONNX model: the data ends inside the field at offset "
                            f"{len(data) - 1}")


def test_field_longer_than_its_nested_message(tmp_path: Path) -> None:
    # The graph ends in a node (key 0x0a) declaring 5 bytes with none left in the graph.
    path = tmp_path / "long_node.onnx"
    data = _graph_with(b"\x0a\x05")
    path.write_bytes(data)
    assert _error(path) == (f"not an ONNX model: field 1 at offset {len(data) - 2} declares "
                            "5 bytes but only 0 remain of its message")


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_varint_round_trip(value: int) -> None:
    encoded = wire.encode_varint(value)
    assert wire.read_varint(encoded, 0) == (value, len(encoded))
    assert len(encoded) == max(1, -(-value.bit_length() // 7))  # 7 payload bits per byte


def test_overlong_varint_is_not_onnx(tmp_path: Path) -> None:
    # ir_version's value is eleven 0xff bytes and a 0x01: protobuf varints stop at 10 bytes.
    path = tmp_path / "varint.onnx"
    path.write_bytes(b"\x08" + b"\xff" * 11 + b"\x01")
    assert _error(path) == "not an ONNX model: a varint longer than 10 bytes at offset 0"


def test_name_holding_a_nul_byte(tmp_path: Path) -> None:
    # os.stat raises ValueError (not OSError) for such a name: `measure` reached it unguarded
    with pytest.raises(ModelError, match="the file name holds a NUL byte"):
        load_model(str(tmp_path / "m\0.onnx"))
