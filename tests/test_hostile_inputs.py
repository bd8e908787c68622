"""The hostile-input catalogue: every bad model or policy gets one exact line and an exit code.

Each case runs the real command line and asserts the whole of stderr (one line, no
traceback), the exit code, an empty stdout and that nothing was written beside the input.
The last section pins the estimator bugs these inputs found.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import edgegate
from edgegate.cli import main
from tests.model_helpers import parse

F32 = TensorProto.FLOAT


def _conv_model(x_dims=(1, 3, 8, 8)) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", F32, list(x_dims))
    weight = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["a"], name="conv"),
         helper.make_node("Relu", ["a"], ["y"], name="relu")],
        "g", [x], [helper.make_tensor_value_info("y", F32, None)], [weight])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def _graph_model(nodes, x_dims) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", F32, x_dims)],
                              [helper.make_tensor_value_info("y", F32, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def _run(tmp_path: Path, capsys, *argv: str) -> tuple[int, str, str]:
    """Run edgegate; assert it wrote no file, and return (exit code, stdout, stderr)."""
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    return code, out, err


def _model_error(tmp_path, capsys, path: Path, *options: str) -> tuple[int, str]:
    """Estimate ``path``; return (exit code, message after 'edgegate: error: PATH: ')."""
    code, out, err = _run(tmp_path, capsys, "estimate", str(path), *options)
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    prefix = f"edgegate: error: {path}: "
    assert err.startswith(prefix)
    return code, err[len(prefix):-1]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_random_bytes(tmp_path, capsys):
    path = _write(tmp_path / "random.onnx", bytes(range(256))[::-1] * 4)
    # 0xff... starts a varint that never ends within 10 bytes
    assert _model_error(tmp_path, capsys, path) == (
        3, "not an ONNX model: a varint longer than 10 bytes at offset 0")


def test_truncated_model(tmp_path, capsys):
    data = _conv_model().SerializeToString()
    path = _write(tmp_path / "cut.onnx", data[:200])
    # ir_version takes bytes 0-1; the graph field at offset 2 has a 2-byte length: 200 - 5 remain
    graph_bytes = _conv_model().graph.ByteSize()
    assert _model_error(tmp_path, capsys, path) == (
        3, f"truncated ONNX file (200 bytes): field 'graph' at offset 2 declares {graph_bytes}"
           " bytes but only 195 remain")


def test_bit_flipped_model(tmp_path, capsys):
    data = bytearray(_conv_model().SerializeToString())
    data[0] ^= 0x80  # the ir_version key 0x08 becomes 0x88: a two-byte key, field 129
    path = _write(tmp_path / "flipped.onnx", bytes(data))
    assert _model_error(tmp_path, capsys, path) == (
        3, "not an ONNX model: starts with field 129 of wire type 0, not a ModelProto field")


def test_zero_byte_file(tmp_path, capsys):
    path = _write(tmp_path / "empty.onnx", b"")
    assert _model_error(tmp_path, capsys, path) == (3, "file is empty (0 bytes), not an ONNX model")


def test_git_lfs_pointer(tmp_path, capsys):
    pointer = ("version https://git-lfs.github.com/spec/v1\n"
               "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
               "size 5242880\n")
    path = _write(tmp_path / "lfs.onnx", pointer.encode())
    assert _model_error(tmp_path, capsys, path) == (
        3, "is a Git LFS pointer, not the model of 5242880 bytes: run `git lfs pull` to fetch it")


def test_symlink_loop(tmp_path, capsys):
    (tmp_path / "a.onnx").symlink_to(tmp_path / "b.onnx")
    (tmp_path / "b.onnx").symlink_to(tmp_path / "a.onnx")
    assert _model_error(tmp_path, capsys, tmp_path / "a.onnx") == (3, "symlink loop")


def test_missing_file_and_directory(tmp_path, capsys):
    assert _model_error(tmp_path, capsys, tmp_path / "nope.onnx") == (3, "no such file")
    (tmp_path / "dir.onnx").mkdir()
    assert _model_error(tmp_path, capsys, tmp_path / "dir.onnx") == (3, "is a directory, not an ONNX file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file: chmod 000 cannot make one"
                    " unreadable here (tests/test_load.py fakes the EACCES instead)")
def test_unreadable_file(tmp_path, capsys):
    path = tmp_path / "secret.onnx"
    onnx.save(_conv_model(), path)
    path.chmod(0)
    try:
        assert _model_error(tmp_path, capsys, path) == (3, "permission denied")
    finally:
        path.chmod(0o644)


def test_graph_with_a_cycle(tmp_path, capsys):
    nodes = [helper.make_node("Add", ["x", "b"], ["a"], name="n1"),
             helper.make_node("Relu", ["a"], ["b"], name="n2"),
             helper.make_node("Relu", ["a"], ["y"], name="n3")]
    path = tmp_path / "cycle.onnx"
    onnx.save(_graph_model(nodes, [1, 4]), path)
    assert _model_error(tmp_path, capsys, path) == (3, "the graph has a cycle through node 'n1'")


def test_input_nothing_produces(tmp_path, capsys):
    path = tmp_path / "dangling.onnx"
    onnx.save(_graph_model([helper.make_node("Add", ["x", "ghost"], ["y"], name="n1")], [1, 4]), path)
    assert _model_error(tmp_path, capsys, path) == (3, "node 'n1' reads 'ghost', which nothing produces")


@pytest.mark.parametrize(
    ("dims", "message"),
    [
        ([1, -3], "input 'x' dimension 1 is -3 in the model, not a size: bind it with --input-shape x=1xN"),
    ],
)
def test_negative_input_dimension(tmp_path, capsys, dims, message):
    path = tmp_path / "bad_dim.onnx"
    onnx.save(_graph_model([helper.make_node("Relu", ["x"], ["y"])], dims), path)
    assert _model_error(tmp_path, capsys, path) == (5, message)


def test_negative_dimension_can_be_bound_by_input_shape(tmp_path, capsys):
    # -1 is how some exporters write "dynamic": --input-shape must be able to replace it
    path = tmp_path / "minus_one.onnx"
    onnx.save(_graph_model([helper.make_node("Relu", ["x"], ["y"])], [-1, 4]), path)
    code, out, err = _run(tmp_path, capsys, "estimate", str(path), "--input-shape", "x=2x4",
                          "--format", "json")
    assert (code, err) == (0, "")
    assert '"flops": 8' in out  # Relu over 2*4 elements


def test_absurd_dimensions_overflowing_64_bits(tmp_path, capsys):
    path = tmp_path / "absurd.onnx"
    onnx.save(_graph_model([helper.make_node("Relu", ["x"], ["y"])], [2**32, 2**32]), path)
    # 2^32 * 2^32 = 2^64 elements: refused, never wrapped around to 0
    assert _model_error(tmp_path, capsys, path) == (
        3, "tensor 'x' of shape 4294967296x4294967296 has 18446744073709551616 elements, more than"
           " 64-bit sizes can count (2^63 - 1): check the model's dimensions and bindings")


def test_negative_initializer_dimension(tmp_path, capsys):
    model = _conv_model()
    model.graph.initializer[0].dims[0] = -4
    path = tmp_path / "negative_weight.onnx"
    path.write_bytes(model.SerializeToString())
    assert _model_error(tmp_path, capsys, path) == (3, "tensor 'w' has a negative dimension [-4, 3, 3, 3]")


def test_absurd_binding(tmp_path, capsys):
    path = tmp_path / "dynamic.onnx"
    onnx.save(_graph_model([helper.make_node("Relu", ["x"], ["y"])], ["batch", 8]), path)
    assert _model_error(tmp_path, capsys, path, "--dim", f"batch={10**20}") == (
        5, "dimension 'batch' is bound to 100000000000000000000, more than 64-bit sizes can count"
           " (2^63 - 1)")


def test_missing_external_data_is_not_an_error(tmp_path, capsys):
    model = _conv_model()
    onnx.save(model, tmp_path / "external.onnx", save_as_external_data=True,
              all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    (tmp_path / "weights.bin").unlink()
    code, out, err = _run(tmp_path, capsys, "estimate", str(tmp_path / "external.onnx"),
                          "--format", "json")
    assert (code, err) == (0, "")
    # estimated from the graph alone: 4*6*6 = 144 outputs * 27 = 3888 MACs, 108 params
    assert '"macs": 3888' in out and '"params": 108' in out


def test_one_broken_model_among_good_ones_estimate(tmp_path, capsys):
    onnx.save(_conv_model(), tmp_path / "good.onnx")
    _write(tmp_path / "bad.onnx", b"")
    code, out, err = _run(tmp_path, capsys, "estimate", str(tmp_path / "bad.onnx"),
                          str(tmp_path / "good.onnx"))
    assert code == 3
    assert err == f"edgegate: error: {tmp_path / 'bad.onnx'}: file is empty (0 bytes), not an ONNX model\n"
    assert "good.onnx" in out and "3.89 kMAC" in out


def test_one_broken_model_among_good_ones_check(tmp_path, capsys):
    onnx.save(_conv_model(), tmp_path / "good.onnx")
    _write(tmp_path / "bad.onnx", b"version https://git-lfs.github.com/spec/v1\nsize 10\n")
    policy = tmp_path / "edgegate.yaml"
    policy.write_text("version: 1\nbudgets:\n  all:\n    include: ['*.onnx']\n"
                      "    limits:\n      macs: {max: 1 MMAC}\n")
    code, out, _ = _run(tmp_path, capsys, "check", "--policy", str(policy), "--root", str(tmp_path))
    # the LFS pointer's error code (3) wins over the good model's pass; both are reported
    assert code == 3
    assert "good.onnx" in out and "bad.onnx" in out
    assert "Git LFS pointer" in out


def _policy_error(tmp_path, capsys, text: str) -> tuple[int, str]:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    code, out, err = _run(tmp_path, capsys, "policy", "validate", str(path))
    assert out == "" and err.count("\n") == 1
    return code, err.removeprefix(f"edgegate: error: {path}:").rstrip("\n")


def test_policy_alias_bomb(tmp_path, capsys):
    # nine levels of nine aliases would expand to 9^9 = 387 million strings
    lines = ['version: 1', 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    code, message = _policy_error(tmp_path, capsys, "\n".join(lines) + "\n")
    assert code == 4
    assert message.endswith(": invalid YAML: YAML aliases expand to more than 10000 values (an alias bomb?)")


def test_policy_recursive_alias(tmp_path, capsys):
    assert _policy_error(tmp_path, capsys, "version: 1\nloop: &a [*a]\n") == (
        4, "2:7: invalid YAML: a YAML alias refers to a node that contains it")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\nbudgets: !!python/object/apply:os.system [echo pwned]\n",
         "2:10: invalid YAML: the YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not"
         " allowed in a policy"),
        ("version: !!python/object/new:os.system [echo pwned]\n",
         "1:10: invalid YAML: the YAML tag 'tag:yaml.org,2002:python/object/new:os.system' is not"
         " allowed in a policy"),
        ("version: !!python/name:os.system\n",
         "1:10: invalid YAML: could not determine a constructor for the tag"
         " 'tag:yaml.org,2002:python/name:os.system'"),
    ],
)
def test_policy_python_tags(tmp_path, capsys, text, message):
    assert _policy_error(tmp_path, capsys, text) == (4, message)


def test_huge_policy_loads(tmp_path, capsys):
    lines = ["version: 1", "budgets:"]
    for index in range(1000):
        lines += [f"  b{index}:", f"    include: ['m{index}_*.onnx']", "    limits:",
                  "      macs: {max: 3 MMAC}"]
    path = tmp_path / "huge.yaml"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = _run(tmp_path, capsys, "policy", "validate", str(path))
    assert (code, out, err) == (0, f"{path}: valid (1000 budgets)\n", "")


# Regressions: estimator bugs the catalogue and the fuzzer found.

def _single(op_type: str, inputs, outputs, attrs=None, inits=None, value_info=()):
    graph = helper.make_graph(
        [helper.make_node(op_type, [n for n, *_ in inputs] + [k for k in (inits or {})],
                          [n for n, *_ in outputs], **(attrs or {}))],
        "g", [helper.make_tensor_value_info(*spec) for spec in inputs],
        [helper.make_tensor_value_info(*spec) for spec in outputs],
        [numpy_helper.from_array(v, k) for k, v in (inits or {}).items()], list(value_info))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_string_tensors_have_no_size_instead_of_crashing():
    # was ValueError "no element size known for ONNX dtype STRING" (skl2onnx label outputs)
    model = _single("Identity", [("x", TensorProto.STRING, [4])], [("y", TensorProto.STRING, [4])])
    model.graph.node[0].op_type = "Cast"
    model.graph.node[0].attribute.append(helper.make_attribute("to", TensorProto.STRING))
    e = edgegate.estimate(model)
    assert (e.flops, e.dram_bytes) == (0, 0)


def test_newer_float_types_have_sizes():
    # was ValueError for FLOAT8E8M0 (24) / FLOAT4E2M1 (23): 16 elements of 8 bits (16 B) and
    # 4 bits (8 B); by number, since an older onnx names neither
    for dtype, size in ((24, 16), (23, 8)):
        model = _single("Identity", [("x", dtype, [4, 4])], [("y", dtype, [4, 4])])
        model.graph.node[0].op_type = "Transpose"
        e = edgegate.estimate(model)
        assert e.layers[0].output_bytes == size


def _float8_weight_model() -> onnx.ModelProto:
    """x (FLOAT8E5M2, 4 elements) + a stored FLOAT8E5M2 constant whose payload has the sign bit set."""
    weight = helper.make_tensor("w", TensorProto.FLOAT8E5M2, [4], [0x80, 0xC0, 0x3C, 0xFF], raw=False)
    return helper.make_model(
        helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT8E5M2, [4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT8E5M2, [4])], [weight]),
        opset_imports=[helper.make_opsetid("", 19)], ir_version=9)


def test_a_float8_constant_is_costed_whatever_onnx_reads_of_it():
    # onnx 1.16 under numpy 2 raised OverflowError reading a float8 payload with the sign bit
    # set, and the estimate ended in a traceback
    e = edgegate.estimate(_float8_weight_model())
    assert (e.flops, e.params, e.weight_bytes, e.unestimated) == (4, 4, 4, ())


@pytest.mark.parametrize("error", [OverflowError, ZeroDivisionError, IndexError, AttributeError,
                                   ValueError, TypeError, KeyError])
def test_a_constant_onnx_cannot_read_has_unknown_values(error, monkeypatch):
    # which payloads onnx's reader fails on depends on the onnx and numpy installed: every way
    # it fails leaves the values unknown, and the constant is still counted by its shape
    from edgegate.model import tensors

    def refuse(tensor):
        raise error("cannot read")

    monkeypatch.setattr(tensors.numpy_helper, "to_array", refuse)
    e = edgegate.estimate(_float8_weight_model())
    assert (e.flops, e.params, e.weight_bytes, e.unestimated) == (4, 4, 4, ())


def test_undefined_dtype_number_is_a_model_error():
    model = _single("Relu", [("x", F32, [4])], [("y", F32, [4])])
    model.graph.input[0].type.tensor_type.elem_type = 99
    with pytest.raises(edgegate.ModelError, match="tensor .x. has data type 99, which ONNX does not define"):
        edgegate.estimate(model)


def test_if_without_branches_is_unestimated_not_a_crash():
    # was KeyError 'then_branch'
    model = _single("If", [("c", TensorProto.BOOL, [])], [("y", F32, [4])])
    e = edgegate.estimate(model)
    assert [(u.op_type, u.reason) for u in e.unestimated] == [("If", "If node has no 'then_branch' graph")]


def test_negative_loop_trip_count_is_unestimated():
    # was -3 times the body's cost: negative FLOPs
    text = """
    agraph (float[1, 4] x) => (float[1, 4] y) {
      y = Loop(trips, "", x) <body = body (int64 i, bool c, float[1, 4] v) => (bool co, float[1, 4] vo) {
            co = Identity(c)
            vo = Relu(v)
          }>
    }
    """
    e = edgegate.estimate(parse(text, {"trips": np.array(-3, np.int64)}))
    assert [(u.op_type, u.reason) for u in e.unestimated] == [("Loop", "Loop trip count -3 is not a count")]
    assert e.flops == 0


def test_shape_arithmetic_overflow_is_not_folded_to_a_wrapped_value():
    # Shape -> ReduceProd over a 2^31 x 2^31 x 4 input: 2^64 wraps to 0 in int64. It used to
    # fold to [0] and cost the Relu after the Reshape as 0 FLOPs; now it is not folded.
    text = """
    agraph (float[2147483648, 2147483648, 4] x) => (float[N] y) {
      s = Shape(x)
      p = ReduceProd<keepdims=1>(s)
      r = Reshape(x, p)
      y = Relu(r)
    }
    """
    with pytest.raises(edgegate.ModelError, match=r"more than 64-bit sizes can count"):
        edgegate.estimate(parse(text))
    from edgegate.model.fold import evaluate
    assert evaluate("ReduceProd", {"keepdims": 1}, [np.array([2**31, 2**31, 4], np.int64)]) is None
    assert evaluate("Mul", {}, [np.array([2**32]), np.array([2**31])]) is None
    # exact in range, and integer Div rounds toward zero: -7 / 2 = -3
    assert evaluate("Div", {}, [np.array([-7, 2**62 + 1]), np.array([2, 1])])[0].tolist() == [-3, 2**62 + 1]


def _scan_model(count: int, nested: bool = False) -> onnx.ModelProto:
    """x (3, 2) -> Scan (body: Identity, num_scan_inputs ``count``) -> Relu -> y; with
    ``nested``, the Scan sits in both branches of an If on a constant condition."""
    body = helper.make_graph([helper.make_node("Identity", ["si"], ["so"])], "body",
                             [helper.make_tensor_value_info("si", F32, [2])],
                             [helper.make_tensor_value_info("so", F32, [2])])
    scan = helper.make_node("Scan", ["x"], ["s"], body=body, num_scan_inputs=count, name="scan")
    relu = helper.make_node("Relu", ["s"], ["y"], name="relu")
    nodes = [scan, relu]
    if nested:
        branches = {key: helper.make_graph([scan], key, [], [helper.make_tensor_value_info("s", F32, None)])
                    for key in ("then_branch", "else_branch")}
        nodes = [helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(np.array(True))),
                 helper.make_node("If", ["c"], ["s"], name="if", **branches), relu]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", F32, [3, 2])],
                              [helper.make_tensor_value_info("y", F32, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


@pytest.mark.parametrize("count", [2**40, -(2**40), -1, 0])
@pytest.mark.parametrize("nested", [False, True], ids=["graph", "if-branch"])
def test_a_scan_whose_count_is_no_count_of_its_inputs_is_unestimated_on_every_onnx(nested, count):
    # onnx before 1.23 sized its work by num_scan_inputs first (2**40: out of memory; -1: a C++
    # vector error) and onnx 1.16 crashed without it: the node is hidden from inference, and
    # edgegate says why
    model = _scan_model(count, nested)
    before = model.SerializeToString()
    e = edgegate.estimate(model)
    assert model.SerializeToString() == before
    reasons = {u.node: u.reason for u in e.unestimated}
    assert reasons["scan"] == f"Scan num_scan_inputs {count} is not a count of its 1 inputs"
    assert reasons["relu"] == "shape of tensor 'y' is unknown"


def test_hidden_nodes_are_shown_again_in_the_model_and_its_inference():
    from edgegate.model.screen import HIDDEN_DOMAIN, infer_screened

    model = _scan_model(2**40, nested=True)
    before = model.SerializeToString()
    inferred = infer_screened(model)
    assert model.SerializeToString() == before
    assert [o.domain for o in inferred.opset_import] == [""]
    scans = [n for g in (inferred.graph.node[1].attribute[0].g, inferred.graph.node[1].attribute[1].g)
             for n in g.node]
    assert [(n.op_type, n.domain) for n in scans] == [("Scan", ""), ("Scan", "")]
    assert HIDDEN_DOMAIN not in inferred.SerializeToString().decode("latin-1")


def test_a_scan_with_a_proper_count_is_inferred_and_costed():
    e = edgegate.estimate(_scan_model(1))
    assert e.unestimated == ()
    assert [layer.name for layer in e.layers][-1] == "relu" and e.layers[-1].flops == 6


@pytest.mark.parametrize("where", ["node", "tensor", "graph", "dimparam"])
def test_a_name_that_is_not_utf8_under_the_pure_python_protobuf_is_one_error_line(where, tmp_path):
    # protobuf's pure-Python backend (PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python, the only one
    # protobuf 3.x has on Python 3.11) refuses to parse such a name: UnicodeDecodeError was an
    # internal error; the default backend reads it (test_hostile_mechanisms)
    import random
    import subprocess
    import sys

    from tests.hostile.models import raw_names

    first = random.Random()
    first.choice = lambda options: options[0]  # type: ignore[method-assign]  # the name b"\xff\xfe"
    data = raw_names(first, where)
    (tmp_path / "m.onnx").write_bytes(data)
    env = {**os.environ, "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION": "python"}
    done = subprocess.run([sys.executable, "-m", "edgegate", "estimate", "m.onnx"], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("edgegate: error: m.onnx: onnx.") and "is not valid UTF-8, which protobuf's" \
        " pure-Python backend cannot read" in done.stderr
