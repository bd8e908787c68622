"""Models from other exporters: skl2onnx (run when installed), tf2onnx (run when TensorFlow and
tf2onnx are installed, and mimicked), paddle2onnx (mimicked: paddle2onnx pins onnx <= 1.17).

The mimics copy the patterns the real converters wrote for the same small networks (checked
by hand with tf2onnx 1.17 and paddle2onnx 2.1): tf2onnx keeps Keras' NHWC input behind a
Transpose and names unknown dimensions ``unk__N``; paddle2onnx adds the conv bias as a
separate Add of a (1, C, 1, 1) constant, follows Adds with Identity, writes hardswish as
HardSigmoid * x, flattens through Shape/Slice/Concat/Reshape and names dimensions
``DynamicDimension.N``. float32 = 4 bytes.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import edgegate

F32 = TensorProto.FLOAT


def _graph_model(nodes, inputs, output, initializers, opset=13):
    graph = helper.make_graph(nodes, "exported", inputs, [helper.make_tensor_value_info(output, F32, None)],
                              [numpy_helper.from_array(v, k) for k, v in initializers.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _tf2onnx_like() -> onnx.ModelProto:
    """Keras Conv2D(8, 3, same) + BN (folded by tf2onnx) + ReLU, DepthwiseConv2D(3, same),
    GlobalAveragePooling2D, Dense(4, softmax), as tf2onnx writes it."""
    nodes = [
        helper.make_node("Transpose", ["image"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "kernel"], ["conv"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("Conv", ["relu", "depthwise"], ["dw"], group=8, kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node("GlobalAveragePool", ["dw"], ["gap"]),
        helper.make_node("Squeeze", ["gap", "axes"], ["flat"]),
        helper.make_node("MatMul", ["flat", "dense"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["dense_out"]),
    ]
    inits = {"kernel": np.ones((8, 3, 3, 3), np.float32), "depthwise": np.ones((8, 1, 3, 3), np.float32),
             "axes": np.array([2, 3], np.int64), "dense": np.ones((8, 4), np.float32)}
    inputs = [helper.make_tensor_value_info("image", F32, ["unk__20", 16, 16, 3])]
    return _graph_model(nodes, inputs, "dense_out", inits)


# Both the real export and the mimic, at unk__20 = 1: conv 16*16*8 = 2048 outputs * 27 =
# 55296 MACs; depthwise 2048 * 9 = 18432; Dense 8*4 = 32 -> 73760 MACs. FLOPs: 2*73760 +
# Relu 2048 + GlobalAveragePool 2048 (one per input element) + Softmax 5*4 -> 151636.
TF_MACS, TF_FLOPS = 73760, 151636


def test_tf2onnx_patterns():
    e = edgegate.estimate(_tf2onnx_like(), dims={"unk__20": 1})
    assert (e.macs, e.flops, e.unestimated) == (TF_MACS, TF_FLOPS, ())
    # params: 216 + 72 + 32 = 320 (the Squeeze axes are a shape input)
    assert e.params == 320
    # the NHWC -> NCHW Transpose is a data mover: reads and writes 16*16*3 floats = 3072 B
    assert (e.layers[0].op_types, e.layers[0].input_bytes, e.layers[0].output_bytes) == (
        ("Transpose",), 3072, 3072)


def test_tf2onnx_unknown_dimension_must_be_bound():
    with pytest.raises(edgegate.BindingError, match=r"dimension 0 \('unk__20'\) is unbound"):
        edgegate.estimate(_tf2onnx_like())


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TensorFlow's own imports warn
def test_tf2onnx_real_export(tmp_path):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf = pytest.importorskip("tensorflow")
    tf2onnx = pytest.importorskip("tf2onnx")
    keras = tf.keras
    image = keras.Input((16, 16, 3), name="image")
    x = keras.layers.Conv2D(8, 3, padding="same")(image)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization()(x))
    x = keras.layers.DepthwiseConv2D(3, padding="same")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(image, keras.layers.Dense(4, activation="softmax")(x))
    spec = (tf.TensorSpec((None, 16, 16, 3), tf.float32, name="image"),)
    proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=13)
    (dim,) = [d.dim_param for d in proto.graph.input[0].type.tensor_type.shape.dim if d.dim_param]
    e = edgegate.estimate(proto, dims={dim: 1})
    assert (e.macs, e.flops, e.unestimated) == (TF_MACS, TF_FLOPS, ())


def _paddle2onnx_like() -> onnx.ModelProto:
    """Conv2D(3, 8, 3, padding=1) + BatchNorm2D + hardswish + max_pool2d(2) + adaptive average
    pool + flatten + Linear(8, 4) + softmax, as paddle2onnx writes it."""
    nodes = [
        helper.make_node("Conv", ["x", "conv_w"], ["conv"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["conv", "conv_b"], ["add_1"]),
        helper.make_node("Identity", ["add_1"], ["add_out"]),
        helper.make_node("BatchNormalization", ["add_out", "bn_w", "bn_b", "bn_mean", "bn_var"], ["bn"]),
        helper.make_node("HardSigmoid", ["bn"], ["gate"], alpha=1 / 6, beta=0.5),
        helper.make_node("Mul", ["gate", "bn"], ["hardswish"]),
        helper.make_node("MaxPool", ["hardswish"], ["pool"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["pool"], ["gap"]),
        helper.make_node("Shape", ["gap"], ["shape"]),
        helper.make_node("Slice", ["shape", "c0", "c1", "c0"], ["batch"]),
        helper.make_node("Concat", ["batch", "minus1"], ["flat_shape"], axis=0),
        helper.make_node("Reshape", ["gap", "flat_shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "fc_w"], ["mm"]),
        helper.make_node("Add", ["mm", "fc_b"], ["add_3"]),
        helper.make_node("Identity", ["add_3"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["fetch_name_0"], axis=-1),
    ]
    ones = np.ones
    inits = {"conv_w": ones((8, 3, 3, 3), np.float32), "conv_b": np.zeros((1, 8, 1, 1), np.float32),
             "bn_w": np.full(8, 1.0, np.float32), "bn_b": np.full(8, 2.0, np.float32),
             "bn_mean": np.full(8, 3.0, np.float32), "bn_var": np.full(8, 4.0, np.float32), "c0": np.array([0], np.int64), "c1": np.array([1], np.int64),
             "minus1": np.array([-1], np.int64), "fc_w": ones((8, 4), np.float32),
             "fc_b": ones(4, np.float32)}
    dims = ["DynamicDimension.0", 3, "DynamicDimension.1", "DynamicDimension.2"]
    return _graph_model(nodes, [helper.make_tensor_value_info("x", F32, dims)], "fetch_name_0", inits)


def test_paddle2onnx_patterns():
    dims = {"DynamicDimension.0": 1, "DynamicDimension.1": 16, "DynamicDimension.2": 16}
    e = edgegate.estimate(_paddle2onnx_like(), dims=dims)
    assert e.unestimated == ()
    # conv 8*16*16 = 2048 outputs * 27 = 55296 MACs; Linear 8*4 = 32 -> 55328
    assert e.macs == 55328
    # FLOPs: conv 110592 + bias Add 2048 + BN standing alone (the Add sits between it and the
    # conv, so it does not fold) 2*2048 + hardswish (HardSigmoid * x, costed as the one
    # HardSwish op) 2048 + MaxPool 0 + GlobalAveragePool 8*8*8 = 512 + MatMul 64 + Add 4 +
    # Softmax 5*4 -> 119384
    assert e.flops == 119384
    # params: conv 216 + bias 8 + BN 4*8 + fc 32 + 4 = 292
    assert e.params == 292
    assert [layer.op_types for layer in e.layers][:3] == [("Conv",), ("Add",), ("BatchNormalization",)]


def test_skl2onnx_mlp(tmp_path):
    sklearn_nn = pytest.importorskip("sklearn.neural_network")
    skl2onnx = pytest.importorskip("skl2onnx")
    features = np.random.default_rng(0).random((40, 6)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the MLP does not converge in 20 steps: not our concern
        mlp = sklearn_nn.MLPRegressor(hidden_layer_sizes=(10,), max_iter=20, random_state=0)
        mlp.fit(features, features.sum(axis=1))
    path = tmp_path / "mlp.onnx"
    onnx.save(skl2onnx.to_onnx(mlp, features[:1], target_opset=17), path)
    # skl2onnx leaves the batch dimension nameless: bound by input shape
    e = edgegate.estimate(str(path), input_shapes={"X": (1, 6)})
    # MatMul 6x10 = 60 + MatMul 10x1 = 10 MACs; FLOPs 2*70 + bias Adds 10 + 1 + Relu 10 = 161
    assert (e.macs, e.flops, e.unestimated) == (70, 161, ())
    # params: 60 + 10 + 10 + 1 = 81
    assert e.params == 81


def test_skl2onnx_classifier_is_costed_through_ml_stand_ins(tmp_path):
    pipeline = pytest.importorskip("sklearn.pipeline")
    linear = pytest.importorskip("sklearn.linear_model")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    skl2onnx = pytest.importorskip("skl2onnx")
    features = np.random.default_rng(0).random((40, 6)).astype(np.float32)
    model = pipeline.make_pipeline(preprocessing.StandardScaler(), linear.LogisticRegression())
    model.fit(features, (features.sum(axis=1) > 3).astype(int))
    path = tmp_path / "classifier.onnx"
    onnx.save(skl2onnx.to_onnx(model, features[:1], target_opset={"": 17, "ai.onnx.ml": 3}), path)
    # onnx infers no shape for Scaler: a stand-in gives it, so LinearClassifier is costed
    e = edgegate.estimate(str(path), input_shapes={"X": (1, 6)})
    assert e.unestimated == ()
    # Scaler: 2 FLOPs per element x 6 = 12. LinearClassifier: skl2onnx writes 12 coefficients
    # (2 classes x 6 features): 1*6*2 = 12 MACs; FLOPs 2*12 + 2 intercept adds + 2 scores x 2
    # (LOGISTIC post-transform and the label compare) = 30. Total 42 FLOPs.
    assert (e.macs, e.flops) == (12, 42)
