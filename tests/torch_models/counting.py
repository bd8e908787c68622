"""Helpers that predict, from a torch module, what its ONNX export holds."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle


def randomize(model: nn.Module) -> None:
    """Give every weight and statistic distinct values, as a trained model has.

    Freshly initialized models have identical tensors (zero biases, unit norm scales) that the
    exporter merges into one initializer shared through Identity nodes; trained ones do not.
    """
    with torch.no_grad():
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.uniform_(0.5, 1.5)


class BatchNormFolding:
    """Within ``with``, watches a forward pass and sums how the export changes the param count.

    A BatchNorm whose input is a Conv2d output is folded into that conv by the exporter: its
    weight and bias (2C) go, and a bias-free conv gains a bias (C). Any other BatchNorm stays
    a node whose running mean and variance become two more constant vectors (+2C).
    """

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.delta = 0
        self._conv_outputs: dict[int, tuple[nn.Module, torch.Tensor]] = {}
        self._handles: list[RemovableHandle] = []

    def __enter__(self) -> BatchNormFolding:
        for module in self.model.modules():
            if isinstance(module, nn.Conv2d):
                self._handles.append(module.register_forward_hook(self._after_conv))
            elif isinstance(module, nn.BatchNorm2d):
                self._handles.append(module.register_forward_pre_hook(self._before_norm))
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for handle in self._handles:
            handle.remove()
        self._conv_outputs.clear()

    def _after_conv(self, conv: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        # The output is kept alive until exit, so its id cannot be reused by another tensor.
        self._conv_outputs[id(output)] = (conv, output)

    def _before_norm(self, norm: nn.Module, inputs: Any) -> None:
        producer = self._conv_outputs.get(id(inputs[0]))
        channels = int(norm.num_features)
        if producer is None:
            self.delta += 2 * channels
        elif producer[0].bias is None:
            self.delta -= channels
        else:
            self.delta -= 2 * channels
