"""The mechanisms behind issue 10's fixes, one at a time, with outcomes worked out by hand:
the printable helper and the inert stream, the file gate, JSON reading and the published
document schemas, quantity limits, linear glob matching, folding's size prediction, the
data-propagation screen and --jobs. tests/test_hostile_classes.py runs the whole command
lines; these pin each mechanism's own contract."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper

from edgegate.cli import main
from edgegate.documents import SCHEMAS, problem, validator
from edgegate.errors import PolicyError, UsageError
from edgegate.files import append_text, read_text, write_text
from edgegate.jsonfile import MAX_JSON_DEPTH, dumps, parse_json
from edgegate.model.fold import MAX_FOLD_ELEMENTS, evaluate, predicted_elements
from edgegate.model.names import decode_names
from edgegate.model.screen import data_propagation_hazard, memory_cap
from edgegate.policy.select import compile_glob, glob_problem, matches
from edgegate.printable import ZWSP, InertStream, printable
from edgegate.scale.parallel import cpu_count, resolve_jobs
from edgegate.units import QuantityError, format_quantity, parse_quantity


@pytest.mark.parametrize(("text", "shown"), [
    ("conv\n::error::x", "conv\\n::error::x"),  # one line: the second one can no longer start
    ("::warning::x.onnx", ZWSP + "::warning::x.onnx"),  # a leading ':' (after blanks) is broken
    ("  :x", ZWSP + "  :x"),
    ("a##[group]b", f"a#{ZWSP}#[group]b"),  # ##[ anywhere
    ("cr\rlf", "cr\\rlf"),
    ("\x1b[31mred\x85", "\\x1b[31mred\\x85"),
    ("\ufffe\uffff\u2028", "\\ufffe\\uffff\\u2028"),  # XML forbids the first two
    ("m\udcff.onnx", "m\\udcff.onnx"),  # a file name that is not UTF-8
    ("models/a.onnx", "models/a.onnx"),
])
def test_printable_keeps_text_on_its_line_and_inert(text, shown):
    assert printable(text) == shown


def test_inert_stream_ends_lines_at_cr_too_and_lets_commands_through():
    out = io.StringIO()
    stream = InertStream(out)
    stream.write("a\r::error::x\nb##[")
    stream.write_command("::group::title\n")
    stream.write("c\n")
    stream.flush()
    assert out.getvalue() == f"a\r{ZWSP}::error::x\nb#{ZWSP}#[::group::title\nc\n"


def test_under_github_actions_every_line_edgegate_prints_is_inert(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["estimate", str(tmp_path / "##[error]x.onnx")]) == 3
    err = capsys.readouterr().err
    assert err == f"edgegate: error: {tmp_path}/#{ZWSP}#[error]x.onnx: no such file\n"


def test_json_output_writes_the_command_marker_as_an_escape():
    text = dumps({"name": "##[error]x"})
    assert "##[" not in text and text == '{"name": "#\\u0023[error]x"}'
    assert json.loads(text) == {"name": "##[error]x"}


def test_the_file_gate_refuses_fifos_devices_directories_and_big_files(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "big").write_bytes(b"x" * 11)
    (tmp_path / "latin1").write_bytes(b"caf\xe9")
    cases = {"fifo": "a FIFO, not a file", "/dev/zero": "a device, not a file", ".": "a directory, not a file",
             "big": "11 bytes, more than the 0 KiB a policy may have", "latin1": "not UTF-8 text (byte 3)",
             "missing": "no such file"}
    for name, reason in cases.items():
        path = name if name.startswith("/") else str(tmp_path / name)
        with pytest.raises(PolicyError) as error:
            read_text(path, "policy", 10, error=PolicyError)
        assert error.value.message == f"cannot read policy: {reason}"


def test_a_write_replaces_the_file_whole_and_never_writes_into_a_fifo(tmp_path):
    target = tmp_path / "r.json"
    target.write_text("old")
    write_text(target, "new\n", "--json")
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]  # no temporary file left
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(UsageError, match=r"^--json: cannot write '.*fifo': a FIFO, not a file$"):
        write_text(tmp_path / "fifo", "x", "--json")
    with pytest.raises(UsageError, match="a FIFO with no reader"):
        append_text(tmp_path / "fifo", "x", "--history")
    assert append_text(target, "more\n", "--history") == 4  # the size before
    assert target.read_text() == "new\nmore\n"


def test_json_inputs_refuse_what_no_edgegate_document_holds():
    for text, reason in (("[1e400]", "the number 1e400 is out of range"), ("[NaN]", "NaN is not a number"),
                         ("[Infinity]", "Infinity is not a number JSON allows"),
                         ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), "nested 65 levels deep"),
                         ("[" * 100_000 + "]" * 100_000, "nested more than 64 levels deep"),
                         ("[" + "9" * 5000 + "]", "Exceeds the limit")):
        with pytest.raises(ValueError, match=re.escape(reason)):
            parse_json(text)
    assert parse_json("[" * 64 + "]" * 64) == parse_json("[" * 64 + "]" * 64)


def test_the_published_schemas_are_valid_and_name_the_first_problem():
    for name in SCHEMAS:
        type(validator(name)).check_schema(validator(name).schema)
    history = {"schema": "edgegate.history", "model": "m.onnx", "metrics": {"flops": "x"}}
    assert problem("history", history) == "metrics.flops: 'x' is not of type 'number'"
    baseline = {"schema": "edgegate.baseline", "schema_version": 1, "models": {"m.onnx": {"all": {
        "sha256": "0" * 64, "settings": {}, "metrics": {"flops": 1}}}}}
    assert problem("baseline", baseline) is None
    baseline["models"]["m.onnx"]["all"]["sha256"] = "x"
    assert problem("baseline", baseline) == "models.m.onnx.all.sha256: 'x' does not match '^[0-9a-f]{64}$'"


@pytest.mark.parametrize(("text", "reason"), [
    ("1e400 MAC", "it is more than 2^63 - 1 MAC"),
    ("9223372036854775808", "it is more than 2^63 - 1 MAC"),
    ("1e999999999 MAC", "the exponent is out of range"),
    ("1" + "0" * 41 + " MAC", "more than 40 digits"),
    ("٣ MAC", "expected a number and a unit"),
])
def test_quantities_are_bounded_before_anything_big_is_computed(text, reason):
    with pytest.raises(QuantityError, match=re.escape(reason)):
        parse_quantity(text, "MAC")


def test_quantities_up_to_the_limit_parse_exactly_and_huge_numbers_still_format():
    assert parse_quantity("9223372036854775807", "MAC") == 2**63 - 1
    assert parse_quantity("1e-400 MAC", "MAC") == 0.0
    assert format_quantity(10**400, "FLOP") == "1.00e+400 FLOP"
    assert format_quantity(float("inf"), "FLOP") == "inf TFLOP"


@pytest.mark.parametrize(("pattern", "problem_text"), [
    ("[z-a].onnx", "glob '[z-a].onnx': bad character range z-a"),
    ("[!]x", "glob '[!]x': the character class [!] matches nothing"),
    ("x" * 1025, "glob of 1025 characters: at most 1024"),
])
def test_globs_that_match_nothing_sensible_are_errors(pattern, problem_text):
    assert glob_problem(pattern) == problem_text


def test_glob_matching_takes_one_step_per_character_whatever_the_glob():
    deep = "/".join(["d"] * 30) + "/m.onnx"
    assert not matches(deep, ["**/" * 14 + "zz.onnx"])
    assert matches(deep, ["**/" * 14 + "m.onnx"])
    glob = compile_glob("*a" * 12 + "b.onnx")
    assert not glob.matches("a" * 40 + ".onnx")
    assert len(glob.steps) <= 41  # one cached step per character read: no backtracking
    assert matches("models/c.onnx", ["models/[!ab].onnx"]) and not matches("models/x/y.onnx", ["models/x[!a]y.onnx"])


def test_folding_predicts_sizes_from_operands_before_allocating():
    shape = np.array([65536, 65536], np.int64)
    assert predicted_elements("ConstantOfShape", {}, [shape]) == 65536**2
    assert evaluate("ConstantOfShape", {}, [shape]) is None  # 16 GiB never allocated
    assert predicted_elements("Range", {}, [np.array(0), np.array(10**12), np.array(3)]) == 333333333334
    assert predicted_elements("Tile", {}, [np.ones(3), np.array([10**9])]) == 3 * 10**9
    assert predicted_elements("Add", {}, [np.ones((1000, 1)), np.ones((1, 1000))]) == 10**6
    assert predicted_elements("Gather", {"axis": 1}, [np.ones((4, 5)), np.ones(7)]) == 28
    small = evaluate("ConstantOfShape", {}, [np.array([256, 256], np.int64)])
    assert small is not None and small[0].size == MAX_FOLD_ELEMENTS


@pytest.mark.parametrize("op_type, operands", [
    ("ConstantOfShape", [np.array([[2], [3]], np.int64)]),
    ("Reshape", [np.ones(6, np.float32), np.array([[2], [3]], np.int64)]),
    ("Expand", [np.ones(1, np.float32), np.array([[2], [3]], np.int64)]),
    ("Slice", [np.arange(6), np.array([[1]], np.int64), np.array([[4]], np.int64)]),
    ("ConstantOfShape", [np.array(3, np.int64)]),
])
def test_a_shape_operand_that_is_not_1d_never_folds(op_type, operands):
    # numpy 1.x made each row of [[2], [3]] an int (with a warning from 1.25) and folded it as
    # [2, 3], where numpy 2 refuses: the estimate depended on the numpy installed
    assert evaluate(op_type, {}, operands) is None


def _slice_model(step: int) -> onnx.ModelProto:
    nodes = [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Slice", ["s", "a", "b", "z", "c"], ["q"])]
    inits = [onnx.numpy_helper.from_array(np.array([v], np.int64), name)
             for name, v in (("a", 1), ("b", 4), ("z", 0), ("c", step))]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", 1, [4, 3, 2, 1])],
                              [helper.make_tensor_value_info("q", 7, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_the_screen_keeps_data_propagation_from_hazards():
    assert data_propagation_hazard(_slice_model(2)) is None
    assert data_propagation_hazard(_slice_model(2**63 - 1)) == "Slice node '' has a step beyond 65536"
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", 1, [10**6])], [])
    assert data_propagation_hazard(helper.make_model(graph)) == "tensor 'x' is 1-D with 1000000 elements"


def test_memory_cap_turns_a_runaway_allocation_into_a_memory_error():
    with pytest.raises(MemoryError), memory_cap(64 << 20):
        bytearray(256 << 20)
    assert len(bytearray(256 << 20)) == 256 << 20  # the limit is gone after the block


def _padded_shape_filled(pad: int) -> onnx.ModelProto:
    """ConstantOfShape of an empty shape padded to ``pad`` elements: onnx before 1.23 infers
    an output of ``pad`` dimensions, appending one at a time."""
    graph = helper.make_graph(
        [helper.make_node("Shape", ["x"], ["s"], start=4, end=1), helper.make_node("Pad", ["s", "pads"], ["q"]),
         helper.make_node("ConstantOfShape", ["q"], ["y"])],
        "g", [helper.make_tensor_value_info("x", 1, [7, 1, 1, 3])], [helper.make_tensor_value_info("y", 1, None)],
        [onnx.numpy_helper.from_array(np.array([pad, -2], np.int64), "pads")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_every_native_inference_pass_runs_under_a_memory_cap(monkeypatch):
    from edgegate.model import screen, shapes

    caps, cap = [], screen.memory_cap

    def recorded(extra):
        caps.append(extra)
        return cap(extra)

    monkeypatch.setattr(screen, "memory_cap", recorded)
    monkeypatch.setattr(shapes, "memory_cap", recorded)
    model = _padded_shape_filled(10)
    inferred = screen.infer_screened(model)  # here, not in a child: the caps are seen
    assert caps == [screen.INFERENCE_BYTES, screen.DATA_PROPAGATION_BYTES]  # y unknown without
    shapes._guessed_shapes(inferred)
    assert caps[2:] == [screen.INFERENCE_BYTES]  # the look-ahead's per-node rules


def test_a_billion_dimensions_are_a_model_error_not_all_memory():
    from edgegate.errors import ModelError
    from edgegate.estimator.estimate import estimate

    try:
        found = estimate(_padded_shape_filled(10**9))
    except ModelError as error:  # onnx before 1.23, stopped at the cap in a few seconds
        assert "shape inference ran out of memory" in str(error)
    else:
        assert found.layers == ()


def test_names_that_are_not_utf8_become_text_once():
    model = onnx.ModelProto()
    model.graph.node.add(name="x", op_type="Relu", input=["a"], output=["b"])
    data = model.SerializeToString().replace(b"\x1a\x01x", b"\x1a\x01\xff")  # NodeProto.name is field 3
    loaded = onnx.ModelProto()
    loaded.ParseFromString(data)
    assert loaded.graph.node[0].name == b"\xff"
    assert decode_names(loaded) == 1
    assert loaded.graph.node[0].name == "\\xff"


def test_jobs_never_outnumber_the_models_or_the_cpus():
    assert resolve_jobs(10_000, 2) == min(2, cpu_count())
    assert resolve_jobs(0, 1000) == cpu_count()
    assert resolve_jobs(10**30, 1000) == cpu_count()
    with pytest.raises(UsageError):
        resolve_jobs(-1, 3)


def test_the_baseline_and_history_edgegate_writes_fit_their_schemas(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x = helper.make_tensor_value_info("x", 1, [1, 8])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x],
                              [helper.make_tensor_value_info("y", 1, None)])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "m.onnx")
    Path("edgegate.yaml").write_text("version: 1\nbudgets:\n  all:\n    limits:\n      flops: {max: 1 GFLOP}\n")
    assert main(["baseline", "--root", ".", "--out", "b.json"]) == 0
    assert main(["check", "--root", ".", "--history", "h.jsonl", "--baseline", "b.json"]) == 0
    assert problem("baseline", json.loads(Path("b.json").read_text())) is None
    assert [problem("history", json.loads(line)) for line in Path("h.jsonl").read_text().splitlines()] == [None]



def _graph_with(nodes: list[onnx.NodeProto], attribute: onnx.AttributeProto) -> onnx.ModelProto:
    """``nodes`` over the [2, 3] input x, the first one (n0) given ``attribute``."""
    nodes[0].attribute.append(attribute)
    index = helper.make_tensor("i", onnx.TensorProto.INT64, [2], [0, 1])
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)], [index])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


MISTYPED = {
    # the no-op test reads perm (STRING where INTS)
    "Transpose": ([helper.make_node("Transpose", ["x"], ["y"], name="n0")],
                  helper.make_attribute("perm", "0,1")),
    # nested Concats are one concatenation when their axes agree (STRING where INT)
    "Concat": ([helper.make_node("Concat", ["x", "x"], ["c"], name="n0"),
                helper.make_node("Concat", ["c", "x"], ["y"], name="n1", axis=0)],
               helper.make_attribute("axis", "0")),
    # x * HardSigmoid(x) is HardSwish when alpha is 1/6 (STRING where FLOAT)
    "HardSigmoid": ([helper.make_node("HardSigmoid", ["x"], ["h"], name="n0"),
                     helper.make_node("Mul", ["x", "h"], ["y"], name="n1")],
                    helper.make_attribute("alpha", "1/6")),
    # Gather of 0..n-1 is a no-op (FLOATS where INT)
    "Gather": ([helper.make_node("Gather", ["x", "i"], ["y"], name="n0")],
               helper.make_attribute("axis", [0.5])),
    # a Pad of zeros is a no-op; pads is an attribute up to opset 10 only (INT where INTS)
    "Pad": ([helper.make_node("Pad", ["x", "p"], ["y"], name="n0"),
             helper.make_node("Constant", [], ["p"], value_ints=[0, 0, 0, 0])],
            helper.make_attribute("pads", 0)),
}


@pytest.mark.parametrize("op_type", sorted(MISTYPED))
def test_a_mistyped_attribute_leaves_its_node_unestimated_whichever_pass_reads_it(op_type):
    """Movers, fusion and the decomposed-form matcher read attributes before any formula: a
    mistyped one makes the node unestimated with its reason, never a view or a crash."""
    from edgegate import estimate

    nodes, attribute = MISTYPED[op_type]
    result = estimate(_graph_with([onnx.NodeProto.FromString(n.SerializeToString()) for n in nodes],
                                  attribute))
    assert [(u.node, u.reason.split(":")[0]) for u in result.unestimated] == [("n0", "malformed node")]


def test_a_no_op_gather_test_never_allocates_along_a_huge_axis():
    # Gather's no-op test compares the indices with 0..n-1: on an axis of 2^40 it must see that
    # two indices cannot be 2^40 positions before building the range (8 TiB)
    from edgegate import estimate

    gather = helper.make_node("Gather", ["x", "i"], ["y"], name="g")
    graph = helper.make_graph(
        [gather], "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1 << 40, 1])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
        [helper.make_tensor("i", onnx.TensorProto.INT64, [2], [0, 1])])
    result = estimate(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    assert [layer.op_types for layer in result.layers] == [("Gather",)]


def test_measure_refuses_inputs_too_big_to_feed_before_allocating(tmp_path):
    from edgegate.target.measure.model_run import MAX_FEED_BYTES, random_inputs

    relu = helper.make_node("Relu", ["x"], ["y"])
    side = 1 << 20  # 2^40 floats: 4 TiB
    graph = helper.make_graph(
        [relu], "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [side, side])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [side, side])])
    path = tmp_path / "big.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(UsageError, match=f"feeds at most {MAX_FEED_BYTES:,}"):
        random_inputs(str(path), {}, {}, {})


@pytest.mark.parametrize(("value", "scalar"), [
    (np.array(True), 1.0), (np.array([[3]], np.int64), 3.0), (np.array(0.5, np.float16), 0.5),
    (np.array("1", dtype=object), None),  # a string: float() would raise
    (np.array(1 + 2j, np.complex64), None),  # complex: float() warns and drops a part
    (np.array([1.0, 2.0]), None), (None, None),
])
def test_a_constant_reads_as_a_scalar_only_when_it_holds_one_real_number(value, scalar):
    # If conditions, Loop trip counts and the decomposed-form matcher's constants read this
    from edgegate.model.info import TensorInfo

    assert TensorInfo("c", None, 1, is_constant=True, value=value).scalar() == scalar


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the child process needs os.fork")
def test_onnxruntime_runs_in_a_child_whose_crash_is_a_model_error():
    import signal

    from edgegate.target.measure.model_run import _in_child

    assert _in_child(lambda: [0.5, 0.25]) == [0.5, 0.25]
    assert _in_child(lambda: "bad model") == "bad model"
    assert _in_child(lambda: os.kill(os.getpid(), signal.SIGSEGV)) == "onnxruntime died on it (SIGSEGV)"
    assert _in_child(lambda: os._exit(3)) == "onnxruntime ended without a result"


def test_onnxruntime_runs_here_when_a_process_limit_refuses_the_fork(monkeypatch):
    from edgegate.target.measure.model_run import _in_child

    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    assert _in_child(lambda: [float(os.getpid())]) == [float(os.getpid())]


@pytest.mark.parametrize(("argv", "code"), [
    (["check", "--root", "x" * 5000], 2),  # ENAMETOOLONG: pathlib's is_dir raises it
    (["baseline", "--root", "x" * 5000, "--out", "b.json"], 2),
    (["estimate", "x" * 5000], 3),  # a model path: the loader's error
    (["check", "--policy", "p" * 5000], 2),
])
def test_a_path_the_os_refuses_is_a_clean_error(argv, code, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.startswith("edgegate: error:") and err.count("\n") == 1


def test_a_working_directory_that_is_gone_is_a_usage_error(tmp_path, monkeypatch, capsys):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("edgegate: error:") and err.count("\n") == 1


@pytest.mark.parametrize("writes", [
    ["x"],  # over the graph input it reads: a node whose reader is itself
    ["w"],  # over an initializer
])
def test_a_value_written_twice_is_a_model_error(writes, tmp_path, capsys):
    node = helper.make_node("Transpose", ["x"], writes, name="n0")
    second = helper.make_node("Relu", ["x"], ["y"], name="n1")
    graph = helper.make_graph(
        [node, second], "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
        [helper.make_tensor("w", onnx.TensorProto.FLOAT, [1], [0.0])])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    assert main(["estimate", str(path)]) == 3
    assert f"node 'n0' writes '{writes[0]}', which the graph already has" in capsys.readouterr().err


def test_two_nodes_writing_one_value_is_a_model_error(tmp_path, capsys):
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="a"), helper.make_node("Sigmoid", ["x"], ["y"], name="b")]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    assert main(["estimate", str(path)]) == 3
    assert "node 'b' writes 'y'" in capsys.readouterr().err


def test_folding_leaves_a_node_with_a_mistyped_attribute_alone():
    # Shape's start typed STRING: folding would slice the shape with it (a TypeError); the node
    # stays, and is unestimated with the reason
    from edgegate import estimate

    shape = helper.make_node("Shape", ["x"], ["s"], name="n0")
    shape.attribute.append(helper.make_attribute("start", "1"))
    cast = helper.make_node("Cast", ["s"], ["y"], name="n1", to=onnx.TensorProto.FLOAT)
    graph = helper.make_graph(
        [shape, cast], "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)])
    result = estimate(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    assert [(u.node, u.reason.split(":")[0]) for u in result.unestimated] == [("n0", "malformed node")]


def test_merge_refuses_a_check_result_whose_coverage_lacks_what_the_reports_read(tmp_path, capsys):
    # the check schema is open to added fields, but a non-empty coverage must hold the counts
    # the text report prints; an empty one (a model that could not be estimated) stays valid
    model = {"model": "m.onnx", "budget": "all", "passed": True, "error": None, "exit_code": None,
             "settings": {"dims": {}}, "target": None, "metrics": {"macs": 1}, "findings": [],
             "contributors": {}}
    document = {"schema_version": 1, "edgegate_version": "0.1.0", "policy": "edgegate.yaml",
                "passed": True, "exit_code": 0, "strict": False, "no_fail": False,
                "summary": {"checked": 1, "passed": 1, "failed": 0, "errors": 0, "warnings": 0},
                "skipped": []}
    good = {"nodes": 2, "known_nodes": 2, "node_share": 1.0, "flop_share": 1.0}
    for name, coverage in (("good.json", good), ("empty.json", {}), ("bad.json", {"x": "A"})):
        one = {**model, "model": name.replace(".json", ".onnx"), "coverage": coverage}
        (tmp_path / name).write_text(json.dumps({**document, "models": [one]}))
    assert main(["merge", str(tmp_path / "good.json"), str(tmp_path / "empty.json")]) == 0
    capsys.readouterr()
    assert main(["merge", str(tmp_path / "good.json"), str(tmp_path / "bad.json")]) == 2
    err = capsys.readouterr().err
    assert "bad.json: not a check result: models[0].coverage" in err and err.count("\n") == 1


def test_a_percentage_too_long_to_read_is_a_policy_error(tmp_path, capsys):
    (tmp_path / "p.yaml").write_text("version: 1\nbudgets:\n  all:\n    include: ['*.onnx']\n    limits:\n"
                                     f"      params: {{max_increase: '{'9' * 5000}%'}}\n")
    assert main(["policy", "validate", str(tmp_path / "p.yaml")]) == 4
    err = capsys.readouterr().err
    assert "max_increase" in err and "at most 100 digits" in err and err.count("\n") == 1


def test_a_scan_over_a_scalar_is_not_a_division_by_zero():
    from edgegate import estimate

    body = helper.make_graph(
        [helper.make_node("Identity", ["xi"], ["yo"])], "body",
        [helper.make_tensor_value_info("xi", onnx.TensorProto.FLOAT, [])],
        [helper.make_tensor_value_info("yo", onnx.TensorProto.FLOAT, [])])
    scan = helper.make_node("Scan", ["x"], ["y"], name="s", body=body, num_scan_inputs=1)
    graph = helper.make_graph(
        [scan], "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)])
    result = estimate(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    assert [u.node for u in result.unestimated] == ["s"]


@pytest.mark.parametrize("shape", [(2**31 + 2,) * 466, (1, -1) * 300, (2**40, 2**40)])
def test_a_shape_too_big_for_64_bits_is_told_in_a_short_line(shape):
    # a 466-dimension shape of 2^31 each has a 4,300-digit element count: past Python's
    # integer-string limit, printing it raised ValueError (found by the campaign)
    from edgegate.errors import ModelError
    from edgegate.model.tensors import checked_shape

    with pytest.raises(ModelError) as raised:
        checked_shape("t", shape)
    message = str(raised.value)
    assert len(message) < 300 and "\n" not in message
    if len(shape) > 8:
        assert f"(rank {len(shape)})" in message


@pytest.mark.parametrize(("op_type", "inputs"), [("Min", [""]), ("Unsqueeze", ["", "i"]), ("Max", ["", ""])])
def test_an_op_over_absent_inputs_is_a_constant_without_a_value(op_type, inputs):
    # Min("") evaluated to an object array holding None, which no ONNX tensor can hold:
    # injecting it as an initializer raised NotImplementedError (found by a random-node sweep).
    # With no data input present the node is a constant (the cost model's rule), of unknown value
    from edgegate import estimate

    nodes = [helper.make_node(op_type, inputs, ["o"], name="n0"), helper.make_node("Relu", ["o"], ["y"])]
    graph = helper.make_graph(nodes, "g", [], [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
                              [helper.make_tensor("i", onnx.TensorProto.INT64, [1], [0])])
    result = estimate(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    assert (result.layers, result.unestimated, result.macs) == ((), (), 0)


def test_a_contrib_attribute_of_another_type_never_makes_a_count_an_array():
    # onnx has no schema for com.microsoft ops, so their attribute types go unchecked: a
    # MatMulNBits whose N was a TENSOR made its MACs numpy.ndarray([32]), and the text report
    # failed formatting it (found by the campaign on 2ed8c25, model-malformed)
    from edgegate import estimate

    node = helper.make_node("MatMulNBits", ["a", "w"], ["y"], name="n0", domain="com.microsoft",
                            K=8, bits=4, block_size=32)
    node.attribute.append(helper.make_attribute("N", helper.make_tensor("n", onnx.TensorProto.INT64, [1], [4])))
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("a", onnx.TensorProto.FLOAT, [1, 4, 8])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
        [helper.make_tensor("w", onnx.TensorProto.UINT8, [4, 1, 16], bytes(64), raw=True)])
    result = estimate(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                              helper.make_opsetid("com.microsoft", 1)]))
    assert [(u.node, u.reason.split(":")[0]) for u in result.unestimated] == [("n0", "malformed node")]
    assert type(result.macs) is int and type(result.flops) is int
