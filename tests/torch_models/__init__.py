"""Re-implementations of torchvision's classification models, with torchvision's published figures.

Written from the papers and torchvision's documented architecture facts (no torchvision code),
so edgegate's MACs can be checked against the GFLOPS torchvision publishes. ``params`` and
``gflops`` are the ``num_params`` and ``_ops`` entries of each model's ImageNet weights metadata
(``torchvision.models.<Name>_Weights.IMAGENET1K_V1.meta``); the docs print ``_ops`` rounded to
two decimals as "GFLOPS". ``_ops`` counts multiply-accumulates of Conv/Linear/MatMul at the
given input resolution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from .alexnet import alexnet
from .convnext import convnext_tiny
from .densenet import densenet121
from .efficientnet import efficientnet_b0
from .googlenet import googlenet
from .inception import inception_v3
from .mnasnet import mnasnet1_0
from .mobilenet import mobilenet_v2, mobilenet_v3_large, mobilenet_v3_small
from .regnet import regnet_y_400mf
from .resnet import resnet18, resnet34, resnet50, resnet101, resnet152
from .shufflenet import shufflenet_v2_x1_0
from .squeezenet import squeezenet1_0, squeezenet1_1
from .vgg import vgg16, vgg16_bn
from .vit import vit_b_16


@dataclass(frozen=True)
class Reference:
    """A model builder, its input side in pixels, and torchvision's published params and GFLOPS."""

    build: Callable[[], nn.Module]
    resolution: int
    params: int
    gflops: str


# Published figures as strings, so the test can read how many digits were published.
REFERENCES: dict[str, Reference] = {
    "alexnet": Reference(alexnet, 224, 61_100_840, "0.714"),
    "convnext_tiny": Reference(convnext_tiny, 224, 28_589_128, "4.456"),
    "densenet121": Reference(densenet121, 224, 7_978_856, "2.834"),
    "efficientnet_b0": Reference(efficientnet_b0, 224, 5_288_548, "0.386"),
    "googlenet": Reference(googlenet, 224, 6_624_904, "1.498"),
    "inception_v3": Reference(inception_v3, 299, 27_161_264, "5.713"),
    "mnasnet1_0": Reference(mnasnet1_0, 224, 4_383_312, "0.314"),
    "mobilenet_v2": Reference(mobilenet_v2, 224, 3_504_872, "0.301"),
    "mobilenet_v3_large": Reference(mobilenet_v3_large, 224, 5_483_032, "0.217"),
    "mobilenet_v3_small": Reference(mobilenet_v3_small, 224, 2_542_856, "0.057"),
    "regnet_y_400mf": Reference(regnet_y_400mf, 224, 4_344_144, "0.402"),
    "resnet101": Reference(resnet101, 224, 44_549_160, "7.801"),
    "resnet152": Reference(resnet152, 224, 60_192_808, "11.514"),
    "resnet18": Reference(resnet18, 224, 11_689_512, "1.814"),
    "resnet34": Reference(resnet34, 224, 21_797_672, "3.664"),
    "resnet50": Reference(resnet50, 224, 25_557_032, "4.089"),
    "shufflenet_v2_x1_0": Reference(shufflenet_v2_x1_0, 224, 2_278_604, "0.145"),
    "squeezenet1_0": Reference(squeezenet1_0, 224, 1_248_424, "0.819"),
    "squeezenet1_1": Reference(squeezenet1_1, 224, 1_235_496, "0.349"),
    "vgg16": Reference(vgg16, 224, 138_357_544, "15.47"),
    "vgg16_bn": Reference(vgg16_bn, 224, 138_365_992, "15.47"),
    "vit_b_16": Reference(vit_b_16, 224, 86_567_656, "17.564"),
}
