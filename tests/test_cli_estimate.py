"""``edgegate estimate`` through main(): formats, options and one-line errors with exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from edgegate.cli import main
from edgegate.errors import ExitCode
from tests.model_helpers import parse, save

ROOT = Path(__file__).resolve().parent.parent
KWS = str(ROOT / "examples" / "kws_dscnn.onnx")

TWO_LAYERS = """
agraph (float[N, 3, 8, 8] x) => (float[N, 2] y) {
  a = Conv<pads=[1,1,1,1]>(x, w)
  r = Relu(a)
  p = GlobalAveragePool(r)
  f = Flatten(p)
  y = Gemm<transB=1>(f, fc)
}
"""


@pytest.fixture()
def small_model(tmp_path):
    return save(parse(TWO_LAYERS, {"w": (4, 3, 3, 3), "fc": (2, 4)}), tmp_path / "small.onnx")


def test_text_output_totals_and_top_layers(small_model, capsys):
    assert main(["estimate", small_model, "--dim", "N=1"]) == 0
    out = capsys.readouterr().out
    # conv: 256 outputs * 27 = 6912 MACs; gemm 1*4*2 = 8 MACs -> 6920 MAC = 6.92 kMAC
    assert "MACs             6.92 kMAC" in out
    # FLOPs: conv 13824 + relu 256 + pool 256 + gemm 16 = 14352
    assert "FLOPs            14.4 kFLOP" in out
    assert "3 layers from 5 nodes; 0 unestimated" in out
    assert "top 3 layers, by flops:" in out
    lines = out.splitlines()
    first_row = lines[lines.index("  top 3 layers, by flops:") + 2]
    assert first_row.split()[:3] == ["0", "Conv:a", "Conv+Relu"]


def test_per_layer_lists_all_in_graph_order(small_model, capsys):
    assert main(["estimate", small_model, "--dim", "N=1", "--per-layer"]) == 0
    out = capsys.readouterr().out
    assert "all layers, graph order:" in out
    rows = out.splitlines()[-3:]
    assert [row.split()[2] for row in rows] == ["Conv+Relu", "GlobalAveragePool", "Gemm"]


def test_json_is_valid_and_exact(small_model, capsys):
    assert main(["estimate", small_model, "--dim", "N=2", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    schema = json.loads(resources.files("edgegate").joinpath("schemas/estimate.schema.json").read_text())
    jsonschema.validate(document, schema)
    metrics = document["models"][0]["metrics"]
    # batch 2 doubles every count: 2 * 6920 MACs, 2 * 14352 FLOPs
    assert metrics["macs"] == 13840 and metrics["flops"] == 28704
    assert isinstance(metrics["dram_bytes"], int)
    assert document["models"][0]["settings"]["dims"] == {"N": 2}


def test_csv_rows_per_layer(small_model, capsys):
    assert main(["estimate", small_model, "--dim", "N=1", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["op_types"] for row in rows] == ["Conv+Relu", "GlobalAveragePool", "Gemm"]
    assert rows[0]["macs"] == "6912" and rows[0]["model"] == small_model


def test_sort_by_params(small_model, capsys):
    assert main(["estimate", small_model, "--dim", "N=1", "--sort", "params", "--top", "1"]) == 0
    out = capsys.readouterr().out
    # conv has 108 params, gemm 8
    assert out.splitlines()[-1].split()[2] == "Conv+Relu"


def test_one_broken_model_does_not_hide_the_others(small_model, tmp_path, capsys):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"")
    code = main(["estimate", str(broken), small_model, "--dim", "N=1"])
    captured = capsys.readouterr()
    assert code == ExitCode.MODEL_ERROR
    assert captured.err == f"edgegate: error: {broken}: file is empty (0 bytes), not an ONNX model\n"
    assert "6.92 kMAC" in captured.out


def _error_for(path: str, *extra: str) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "edgegate", "estimate", path, *extra],
        capture_output=True, text=True, cwd=ROOT,
    )
    return proc.returncode, proc.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12345\n", "Git LFS pointer"),
        (b"\x00\x01garbage\xff" * 10, "not an ONNX model"),
    ],
)
def test_bad_files_one_line_no_traceback(tmp_path, content, expected):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    code, err = _error_for(str(path))
    assert code == ExitCode.MODEL_ERROR
    assert err.count("\n") == 1 and expected in err and str(path) in err
    assert "Traceback" not in err


def test_truncated_model(tmp_path):
    whole = (ROOT / "examples" / "kws_dscnn.onnx").read_bytes()
    path = tmp_path / "cut.onnx"
    path.write_bytes(whole[: len(whole) // 2])
    code, err = _error_for(str(path))
    assert code == ExitCode.MODEL_ERROR and "truncated" in err and err.count("\n") == 1


@pytest.mark.parametrize(("target", "expected"), [("missing.onnx", "no such file"), (".", "directory")])
def test_missing_file_and_directory(tmp_path, target, expected):
    code, err = _error_for(str(tmp_path / target))
    assert code == ExitCode.MODEL_ERROR and expected in err and err.count("\n") == 1


def test_unbound_dimension_exit_code():
    code, err = _error_for(KWS)
    assert code == ExitCode.BINDING_ERROR
    assert err == (
        f"edgegate: error: {KWS}: input 'mfcc' dimension 0 ('batch') is unbound: "
        "bind it with --dim batch=N or --input-shape mfcc=Nx1x49x10\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dim", "batch"], "--dim 'batch' is not NAME=VALUE (for example --dim batch=1)"),
        (["--dim", "batch=-1"], "--dim batch: '-1' is not a non-negative integer"),
        (["--input-shape", "mfcc=1x1x49xQ"], "is not a shape of non-negative integers"),
    ],
)
def test_usage_errors(args, message):
    code, err = _error_for(KWS, *args)
    assert code == ExitCode.USAGE and message in err


def test_any_dimension_name_binds_and_zero_is_a_size(tmp_path, capsys):
    text = """
    agraph (float[1, n, 4] past, float[1, "n + s", 4] mask) => (float[1, n, 4] y, float[1, "n + s", 4] z) {
      y = Relu(past)
      z = Relu(mask)
    }
    """
    path = save(parse(text), tmp_path / "kv.onnx")
    # split at the last '=': the name may hold spaces and signs
    assert main(["estimate", path, "--format", "json", "--dim", "n=0", "--dim", "n + s = 3"]) == 0
    record = json.loads(capsys.readouterr().out)["models"][0]
    # the empty past costs nothing; the mask is 1*3*4 = 12 elements
    assert record["metrics"]["flops"] == 12
    assert record["settings"]["dims"] == {"n": 0, "n + s": 3}


def test_loop_trips_option(tmp_path, capsys):
    text = """
    agraph (float[1, 4] x, int64 n) => (float[1, 4] y) {
      y = Loop(n, "", x) <body = body (int64 i, bool c, float[1, 4] v) => (bool co, float[1, 4] vo) {
            co = Identity(c)
            vo = Relu(v)
          }>
    }
    """
    path = save(parse(text), tmp_path / "loop.onnx")
    assert main(["estimate", path, "--format", "json", "--loop-trips", "default=3"]) == 0
    record = json.loads(capsys.readouterr().out)["models"][0]
    # 3 trips of a Relu over 4 elements; the settings record the trip count given
    assert (record["metrics"]["flops"], record["unestimated"]) == (12, [])
    assert record["settings"]["loop_trips"] == {"default": 3}
    code, err = _error_for(path, "--loop-trips", "default=three")
    assert code == ExitCode.USAGE and "--loop-trips default: 'three' is not a non-negative integer" in err


def test_help_and_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["estimate", "--help"])
    assert info.value.code == 0
    assert "--input-shape" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("edgegate 0.")


def test_command_table_is_sorted_and_every_command_has_help():
    from edgegate.cli import COMMANDS

    assert list(COMMANDS) == sorted(COMMANDS)
    for name in COMMANDS:
        with pytest.raises(SystemExit) as info:
            main([name, "--help"])
        assert info.value.code == 0, name


@pytest.mark.parametrize("argv, listed", [
    (["--help"], "all"), (["-h", "check"], "all"), (["chek"], "all"), (["check", "--help"], "check"),
])
def test_only_a_named_command_gets_its_parser_alone(argv, listed, capsys):
    from edgegate.cli import COMMANDS, build_parser

    parser = build_parser(argv)
    commands = next(action for action in parser._actions if action.dest == "command").choices
    assert sorted(commands) == (sorted(COMMANDS) if listed == "all" else [listed])
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    if argv == ["chek"]:
        assert info.value.code == ExitCode.USAGE and "'trend'" in err and "'baseline'" in err
    elif listed == "all":
        assert all(name in out for name in COMMANDS)
