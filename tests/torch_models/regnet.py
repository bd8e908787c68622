"""RegNetY-400MF (Radosavovic et al. 2020): widths from the quantized linear rule, Y = with SE."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .common import SqueezeExcite, conv_bn


def stage_plan(
    depth: int, w0: int, wa: float, wm: float, quantum: int = 8
) -> list[tuple[int, int]]:
    """(width, depth) per stage: u_j = w0 + wa*j, snapped to w0 * wm^round(log_wm(u_j / w0)).

    Each snapped width is rounded to a multiple of ``quantum``; runs of equal width form a stage.
    """
    widths = []
    for j in range(depth):
        exponent = round(math.log((w0 + wa * j) / w0) / math.log(wm))
        widths.append(int(round(w0 * wm**exponent / quantum) * quantum))
    plan: list[tuple[int, int]] = []
    for width in widths:
        if plan and plan[-1][0] == width:
            plan[-1] = (width, plan[-1][1] + 1)
        else:
            plan.append((width, 1))
    return plan


class YBlock(nn.Module):
    """1x1, grouped 3x3 (strided), SE squeezing to a quarter of the block input, 1x1; residual."""

    def __init__(self, cin: int, cout: int, stride: int, group_width: int, se_ratio: float) -> None:
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(cin, cout, 1),
            conv_bn(cout, cout, 3, stride, groups=cout // group_width),
            SqueezeExcite(cout, int(round(se_ratio * cin))),
            conv_bn(cout, cout, 1, act=None),
        )
        projection = stride != 1 or cin != cout
        self.shortcut = conv_bn(cin, cout, 1, stride, act=None) if projection else nn.Identity()
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        """Residual sum followed by ReLU."""
        return self.relu(self.body(x) + self.shortcut(x))


class RegNet(nn.Module):
    """32-channel stem, one stride-2 stage per distinct width, pool, fc."""

    def __init__(
        self,
        plan: list[tuple[int, int]],
        group_width: int,
        se_ratio: float,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [conv_bn(3, 32, 3, 2)]
        cin = 32
        for width, count in plan:
            for index in range(count):
                layers.append(YBlock(cin, width, 2 if index == 0 else 1, group_width, se_ratio))
                cin = width
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Image batch to class logits."""
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def regnet_y_400mf() -> RegNet:
    """RegNetY-400MF: depth 16, w0 48, wa 27.89, wm 2.09, group width 8, SE ratio 0.25."""
    return RegNet(stage_plan(16, 48, 27.89, 2.09), group_width=8, se_ratio=0.25)
