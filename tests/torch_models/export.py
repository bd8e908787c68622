"""Export a module to ONNX as users of torchvision models commonly do (TorchScript exporter)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from torch import nn

OPSET = 17


def export(
    module: nn.Module,
    path: Path,
    shape: Sequence[int],
    dynamic: Mapping[int, str] | None = None,
    fold_constants: bool = True,
) -> Path:
    """Export ``module`` in eval mode for one input named "input" to ``path``; return ``path``.

    ``dynamic`` maps input axes to symbolic dimension names (default: axis 0 is "batch");
    ``fold_constants=False`` keeps eval-mode BatchNorm as its own node instead of folding it
    into the conv. The legacy exporter's DeprecationWarning is silenced (the suite turns
    warnings into errors).
    """
    axes = dict(dynamic) if dynamic is not None else {0: "batch"}
    module.eval()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            module,
            (torch.randn(*shape),),
            str(path),
            dynamo=False,
            opset_version=OPSET,
            do_constant_folding=fold_constants,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": axes, "output": {0: axes[0]} if 0 in axes else {}},
        )
    return path
