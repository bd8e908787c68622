"""MobileNet v2 (Sandler et al. 2018) and v3 large/small (Howard et al. 2019)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .common import Activation, SqueezeExcite, conv_bn, make_divisible

# MobileNet v2 stages: expansion t, output channels c, repeats n, first stride s.
V2_STAGES = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)

# MobileNet v3 blocks: kernel, expanded channels, output channels, SE, hard-swish, stride.
V3Block = tuple[int, int, int, bool, bool, int]
V3_LARGE = (
    (3, 16, 16, False, False, 1),
    (3, 64, 24, False, False, 2),
    (3, 72, 24, False, False, 1),
    (5, 72, 40, True, False, 2),
    (5, 120, 40, True, False, 1),
    (5, 120, 40, True, False, 1),
    (3, 240, 80, False, True, 2),
    (3, 200, 80, False, True, 1),
    (3, 184, 80, False, True, 1),
    (3, 184, 80, False, True, 1),
    (3, 480, 112, True, True, 1),
    (3, 672, 112, True, True, 1),
    (5, 672, 160, True, True, 2),
    (5, 960, 160, True, True, 1),
    (5, 960, 160, True, True, 1),
)
V3_SMALL = (
    (3, 16, 16, True, False, 2),
    (3, 72, 24, False, False, 2),
    (3, 88, 24, False, False, 1),
    (5, 96, 40, True, True, 2),
    (5, 240, 40, True, True, 1),
    (5, 240, 40, True, True, 1),
    (5, 120, 48, True, True, 1),
    (5, 144, 48, True, True, 1),
    (5, 288, 96, True, True, 2),
    (5, 576, 96, True, True, 1),
    (5, 576, 96, True, True, 1),
)


class InvertedResidual(nn.Module):
    """Expand 1x1 (skipped when it would not widen), depthwise kxk, optional SE, linear 1x1."""

    def __init__(
        self,
        cin: int,
        expanded: int,
        cout: int,
        kernel: int,
        stride: int,
        act: Activation,
        se: bool = False,
        eps: float = 1e-5,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        if expanded != cin:
            layers.append(conv_bn(cin, expanded, 1, act=act, eps=eps))
        layers.append(
            conv_bn(expanded, expanded, kernel, stride, groups=expanded, act=act, eps=eps)
        )
        if se:
            squeezed = make_divisible(expanded // 4)
            layers.append(SqueezeExcite(expanded, squeezed, gate=nn.Hardsigmoid))
        layers.append(conv_bn(expanded, cout, 1, act=None, eps=eps))
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: Tensor) -> Tensor:
        """The block, plus its input when shapes allow."""
        out = self.body(x)
        return out + x if self.residual else out


class MobileNetV2(nn.Module):
    """32-channel stem, 17 inverted residual blocks, 1x1 conv to 1280, pool, dropout, fc."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = [conv_bn(3, 32, 3, 2, act=nn.ReLU6)]
        cin = 32
        for expansion, cout, repeats, stride in V2_STAGES:
            for index in range(repeats):
                step = stride if index == 0 else 1
                layers.append(InvertedResidual(cin, cin * expansion, cout, 3, step, nn.ReLU6))
                cin = cout
        layers.append(conv_bn(cin, 1280, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        """Image batch to class logits."""
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


class MobileNetV3(nn.Module):
    """Hard-swish stem, the block table, 1x1 conv to 6x, pool, a two-layer hard-swish classifier."""

    def __init__(self, blocks: tuple[V3Block, ...], last: int, num_classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = [conv_bn(3, 16, 3, 2, act=nn.Hardswish, eps=1e-3)]
        cin = 16
        for kernel, expanded, cout, se, hard_swish, stride in blocks:
            act: Activation = nn.Hardswish if hard_swish else nn.ReLU
            layers.append(InvertedResidual(cin, expanded, cout, kernel, stride, act, se, eps=1e-3))
            cin = cout
        layers.append(conv_bn(cin, 6 * cin, 1, act=nn.Hardswish, eps=1e-3))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(6 * cin, last), nn.Hardswish(), nn.Dropout(0.2), nn.Linear(last, num_classes)
        )

    def forward(self, x: Tensor) -> Tensor:
        """Image batch to class logits."""
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def mobilenet_v2() -> MobileNetV2:
    """MobileNet v2, width 1.0."""
    return MobileNetV2()


def mobilenet_v3_large() -> MobileNetV3:
    """MobileNet v3 large, classifier width 1280."""
    return MobileNetV3(V3_LARGE, 1280)


def mobilenet_v3_small() -> MobileNetV3:
    """MobileNet v3 small, classifier width 1024."""
    return MobileNetV3(V3_SMALL, 1024)
