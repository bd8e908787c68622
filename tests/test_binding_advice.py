"""An unbound input dimension under ``edgegate check`` advises the policy's ``dims:`` /
``input_shapes:``, not the estimate command's ``--dim``; a BindingError without the fields
that name the input and dimension keeps its message."""

from __future__ import annotations

from gate_helpers import conv_relu, save, write
from onnx import TensorProto

from edgegate.cli import main
from edgegate.errors import BindingError
from edgegate.rules import engine
from edgegate.rules.binding import policy_advice
from edgegate.rules.subject import InputFact

INPUTS = (InputFact("x", ("batch", 3, None, 224), TensorProto.FLOAT),)


def _error(message="input 'x' dimension 0 ('batch') is unbound: bind it with --dim batch=N", **fields):
    error = BindingError(message, "m.onnx")
    for name, value in fields.items():
        setattr(error, name, value)
    return error


def test_a_named_dimension_advises_dims_or_input_shapes():
    advised = policy_advice(_error(input_name="x", dim_index=0, dim_name="batch"), "edge", INPUTS)
    # the example shape keeps the declared sizes (3, 224) and marks the others N
    assert str(advised) == ("m.onnx: input 'x' dimension 0 ('batch') is unbound: set dims:"
                            " {batch: N} or input_shapes: {x: [N, 3, N, 224]} in the policy budget 'edge'")
    assert advised.exit_code == 5


def test_an_anonymous_dimension_advises_input_shapes():
    advised = policy_advice(_error(input_name="x", dim_index=2, dim_name=None), "edge", INPUTS)
    assert advised.message == ("input 'x' dimension 2 has no size: set input_shapes: {x: [N, 3, N, 224]}"
                               " in the policy budget 'edge'")


def test_an_input_without_a_shape_advises_input_shapes():
    advised = policy_advice(_error(input_name="mask", dim_index=None, dim_name=None), "edge", INPUTS)
    assert advised.message == ("input 'mask' has no declared shape: set input_shapes: {mask: [...]}"
                               " in the policy budget 'edge'")


def test_an_error_without_the_fields_keeps_its_message():
    error = _error()
    assert policy_advice(error, "edge", INPUTS) is error


def test_check_reports_the_advice_with_exit_5(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    save(conv_relu(3, 8, 16, batch="batch"), tmp_path / "m.onnx")
    write(tmp_path / "edgegate.yaml", "version: 1\nbudgets:\n  edge: {}\n")
    # the real estimator: bind.py names the input and dimension on the error
    assert main(["check"]) == 5
    # conv_relu's input is x[batch, 3, 16, 16]
    assert ("  ERROR m.onnx: input 'x' dimension 0 ('batch') is unbound: set dims: {batch: N}"
            " or input_shapes: {x: [N, 3, 16, 16]} in the policy budget 'edge'\n") in capsys.readouterr().out


def test_check_keeps_the_estimator_s_message_without_the_fields(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    save(conv_relu(3, 8, 16), tmp_path / "m.onnx")
    write(tmp_path / "edgegate.yaml", "version: 1\nbudgets:\n  edge: {}\n")

    def unbound(path, **options):
        raise _error()

    monkeypatch.setattr(engine, "estimate_file", unbound)
    assert main(["check"]) == 5
    assert "  ERROR m.onnx: input 'x' dimension 0 ('batch') is unbound: bind it with --dim" \
        in capsys.readouterr().out


def test_a_name_yaml_would_split_is_quoted():
    inputs = (InputFact("attention_mask", (1, "past_sequence_length + sequence_length"), TensorProto.INT64),)
    error = _error(input_name="attention_mask", dim_index=1, dim_name="past_sequence_length + sequence_length")
    advised = policy_advice(error, "decode", inputs)
    # the advice is YAML that binds it: the key quoted
    assert advised.message == (
        "input 'attention_mask' dimension 1 ('past_sequence_length + sequence_length') is unbound: set"
        ' dims: {"past_sequence_length + sequence_length": N} or input_shapes: {attention_mask: [1, N]}'
        " in the policy budget 'decode'")
