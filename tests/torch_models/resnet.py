"""ResNet-18/34/50/101/152 (He et al. 2015), bottlenecks strided on the 3x3 conv (v1.5)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .common import conv_bn


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and an identity (or 1x1 projection) shortcut."""

    expansion = 1

    def __init__(self, cin: int, width: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(cin, width, 3, stride), conv_bn(width, width, 3, act=None)
        )
        self.shortcut = _shortcut(cin, width * self.expansion, stride)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        """Residual sum followed by ReLU."""
        return self.relu(self.body(x) + self.shortcut(x))


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided), 1x1 expand by four, and a shortcut."""

    expansion = 4

    def __init__(self, cin: int, width: int, stride: int) -> None:
        super().__init__()
        cout = width * self.expansion
        self.body = nn.Sequential(
            conv_bn(cin, width, 1),
            conv_bn(width, width, 3, stride),
            conv_bn(width, cout, 1, act=None),
        )
        self.shortcut = _shortcut(cin, cout, stride)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        """Residual sum followed by ReLU."""
        return self.relu(self.body(x) + self.shortcut(x))


def _shortcut(cin: int, cout: int, stride: int) -> nn.Module:
    """Identity when shapes agree, else a strided 1x1 convolution with BatchNorm."""
    if stride == 1 and cin == cout:
        return nn.Identity()
    return conv_bn(cin, cout, 1, stride, act=None)


class ResNet(nn.Module):
    """7x7 stem, max-pool, four stages of residual blocks (64-128-256-512 wide), pool, fc."""

    def __init__(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        depths: tuple[int, ...],
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, 64, 7, 2), nn.MaxPool2d(3, 2, 1))
        stages: list[nn.Module] = []
        cin = 64
        for index, (width, depth) in enumerate(zip((64, 128, 256, 512), depths)):
            blocks: list[nn.Module] = []
            for position in range(depth):
                stride = 2 if index > 0 and position == 0 else 1
                blocks.append(block(cin, width, stride))
                cin = width * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Image batch to class logits."""
        return self.fc(torch.flatten(self.pool(self.stages(self.stem(x))), 1))


def resnet18() -> ResNet:
    """ResNet-18: basic blocks, depths 2-2-2-2."""
    return ResNet(BasicBlock, (2, 2, 2, 2))


def resnet34() -> ResNet:
    """ResNet-34: basic blocks, depths 3-4-6-3."""
    return ResNet(BasicBlock, (3, 4, 6, 3))


def resnet50() -> ResNet:
    """ResNet-50: bottlenecks, depths 3-4-6-3."""
    return ResNet(Bottleneck, (3, 4, 6, 3))


def resnet101() -> ResNet:
    """ResNet-101: bottlenecks, depths 3-4-23-3."""
    return ResNet(Bottleneck, (3, 4, 23, 3))


def resnet152() -> ResNet:
    """ResNet-152: bottlenecks, depths 3-8-36-3."""
    return ResNet(Bottleneck, (3, 8, 36, 3))
