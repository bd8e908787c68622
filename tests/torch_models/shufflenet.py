"""ShuffleNet v2 x1.0 (Ma et al. 2018): channel split, two branches, channel shuffle."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .common import conv_bn


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``groups`` groups; the shapes are read from the tensor."""
    n, c, h, w = x.size()
    x = x.view(n, groups, c // groups, h, w).transpose(1, 2).contiguous()
    return x.view(n, -1, h, w)


class ShuffleBlock(nn.Module):
    """Stride 1: split channels, transform one half. Stride 2: transform two copies. Shuffle."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        half = cout // 2
        self.stride = stride
        if stride > 1:
            self.left = nn.Sequential(
                conv_bn(cin, cin, 3, stride, groups=cin, act=None), conv_bn(cin, half, 1)
            )
        self.right = nn.Sequential(
            conv_bn(cin if stride > 1 else half, half, 1),
            conv_bn(half, half, 3, stride, groups=half, act=None),
            conv_bn(half, half, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Both halves concatenated, then shuffled."""
        if self.stride == 1:
            keep, work = x.chunk(2, dim=1)
            out = torch.cat([keep, self.right(work)], 1)
        else:
            out = torch.cat([self.left(x), self.right(x)], 1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """3x3 stem, max-pool, three stages (4-8-4 blocks), 1x1 conv to 1024, spatial mean, fc."""

    def __init__(
        self, repeats: tuple[int, ...], widths: tuple[int, ...], num_classes: int = 1000
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [conv_bn(3, widths[0], 3, 2), nn.MaxPool2d(3, 2, 1)]
        cin = widths[0]
        for count, cout in zip(repeats, widths[1:]):
            layers.append(ShuffleBlock(cin, cout, 2))
            layers += [ShuffleBlock(cout, cout, 1) for _ in range(count - 1)]
            cin = cout
        layers.append(conv_bn(cin, widths[-1], 1))
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(widths[-1], num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Image batch to class logits."""
        return self.fc(self.features(x).mean([2, 3]))


def shufflenet_v2_x1_0() -> ShuffleNetV2:
    """ShuffleNet v2 at width 1.0: stage widths 116-232-464, head 1024."""
    return ShuffleNetV2((4, 8, 4), (24, 116, 232, 464, 1024))
