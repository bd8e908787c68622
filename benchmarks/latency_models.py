"""The latency study's models: 30 networks of nine families, exported once into a cache.

CNNs are the torchvision-shaped builders of tests/torch_models (ResNet, MobileNet, MnasNet,
EfficientNet, ShuffleNet, RegNet, VGG, DenseNet, SqueezeNet, GoogLeNet, Inception, AlexNet,
ConvNeXt), a few at a second resolution; the transformers are ViT-B/16 and a BERT-sized text
encoder built from its encoder layer; the MLPs are built with onnx.helper. None of them is
among the layers ``edgegate target measure`` calibrates on. ``reduced`` halves the image side
(and shortens the sequences) for a quick run that only proves the study works.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class StudyModel:
    """A model of the study: its name, family, a writer of its ONNX file, the input shape."""

    name: str
    family: str
    write: Callable[[Path], None]
    shape: tuple[int, ...]


def _torch_export(build: Callable[[], object], shape: tuple[int, ...]) -> Callable[[Path], None]:
    """A writer exporting ``build()`` with torch for an input of ``shape`` (batch fixed)."""
    def write(path: Path) -> None:
        import torch

        sys.path.insert(0, str(ROOT / "tests"))
        from torch_models.export import export

        torch.manual_seed(0)
        export(build(), path, shape, dynamic={})  # type: ignore[arg-type]
    return write


def _encoder(tokens: int, dim: int, heads: int, layers: int) -> Callable[[], object]:
    """A BERT-like text encoder over token embeddings: ``layers`` pre-norm encoder layers."""
    def build() -> object:
        from torch import nn
        from torch_models.vit import EncoderLayer

        return nn.Sequential(*[EncoderLayer(dim, heads, 4 * dim) for _ in range(layers)], nn.LayerNorm(dim))
    return build


def _vit(image: int) -> Callable[[], object]:
    """ViT-B/16 at ``image`` x ``image`` pixels."""
    def build() -> object:
        from torch_models.vit import VisionTransformer

        return VisionTransformer(image, 16, 12, 12, 768, 3072)
    return build


def _torchvision(name: str) -> Callable[[], object]:
    """The torchvision-shaped builder ``name`` of tests/torch_models."""
    def build() -> object:
        import torch_models

        return getattr(torch_models, name)()
    return build


def _mlp(batch: int, sizes: tuple[int, ...]) -> Callable[[Path], None]:
    """A writer of a Gemm+Relu multilayer perceptron with ``sizes`` features, built with onnx.helper."""
    def write(path: Path) -> None:
        rng = np.random.default_rng(0)
        nodes, weights, x = [], [], "input"
        for index, (cin, cout) in enumerate(zip(sizes, sizes[1:])):
            w, b = f"w{index}", f"b{index}"
            matrix = (rng.standard_normal((cout, cin)) * cin**-0.5).astype(np.float32)
            bias = np.zeros(cout, np.float32)
            weights += [numpy_helper.from_array(matrix, w), numpy_helper.from_array(bias, b)]
            nodes.append(helper.make_node("Gemm", [x, w, b], [f"g{index}"], transB=1))
            x = f"g{index}"
            if index < len(sizes) - 2:
                nodes.append(helper.make_node("Relu", [x], [f"r{index}"]))
                x = f"r{index}"
        graph = helper.make_graph(
            nodes, "mlp", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, sizes[0]])],
            [helper.make_tensor_value_info(x, TensorProto.FLOAT, [batch, sizes[-1]])], weights)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
        onnx.save(model, str(path))
    return write


def study_models(reduced: bool) -> list[StudyModel]:
    """The study's models; ``reduced`` halves image sides and sequence lengths (VGG and AlexNet
    stay at 224: their fixed-size average pools export only for sides that divide evenly)."""
    d = 2 if reduced else 1
    side, small = 224 // d, 160 // d
    models = [
        ("resnet18", "resnet", side), ("resnet34", "resnet", side), ("resnet50", "resnet", side),
        ("resnet101", "resnet", side), ("mobilenet_v2", "mobilenet", side),
        ("mobilenet_v3_large", "mobilenet", side), ("mobilenet_v3_small", "mobilenet", side),
        ("mnasnet1_0", "mobilenet", side), ("efficientnet_b0", "efficientnet", side),
        ("shufflenet_v2_x1_0", "shufflenet", side), ("regnet_y_400mf", "regnet", side),
        ("vgg16", "vgg", 224), ("vgg16_bn", "vgg", 224), ("densenet121", "densenet", side),
        ("squeezenet1_0", "squeezenet", side), ("squeezenet1_1", "squeezenet", side),
        ("googlenet", "inception", side), ("inception_v3", "inception", 299 // d),
        ("alexnet", "alexnet", 224), ("convnext_tiny", "convnext", side),
    ]
    found = [StudyModel(f"{name}@{size}", family, _torch_export(_torchvision(name), (1, 3, size, size)),
                        (1, 3, size, size)) for name, family, size in models]
    found += [StudyModel(f"{name}@{small}", family, _torch_export(_torchvision(name), (1, 3, small, small)),
                         (1, 3, small, small))
              for name, family in (("resnet18", "resnet"), ("mobilenet_v2", "mobilenet"),
                                   ("efficientnet_b0", "efficientnet"), ("densenet121", "densenet"))]
    tokens = 128 // d
    found += [
        StudyModel(f"vit_b_16@{side}", "transformer", _torch_export(_vit(side), (1, 3, side, side)),
                   (1, 3, side, side)),
        StudyModel(f"bert_encoder_{tokens}x768", "transformer", _torch_export(_encoder(tokens, 768, 12, 6),
                                                                             (1, tokens, 768)),
                   (1, tokens, 768)),
        StudyModel(f"small_encoder_{tokens}x256", "transformer", _torch_export(_encoder(tokens, 256, 4, 4),
                                                                              (1, tokens, 256)),
                   (1, tokens, 256)),
        StudyModel("mlp_784_b1", "mlp", _mlp(1, (784, 1024, 1024, 10)), (1, 784)),
        StudyModel(f"mlp_784_b{64 // d}", "mlp", _mlp(64 // d, (784, 1024, 1024, 10)), (64 // d, 784)),
        StudyModel("mlp_wide_b16", "mlp", _mlp(16, (2048, 4096, 4096, 1000)), (16, 2048)),
    ]
    return found


def model_file(model: StudyModel, cache: Path) -> Path:
    """The model's ONNX file in ``cache``, written on first use."""
    path = cache / f"{model.name}.onnx"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.onnx")
        model.write(partial)
        partial.replace(path)
    return path
