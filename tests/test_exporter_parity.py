"""The same network exported by torch.onnx's two exporters costs the same.

Each network here is exported with ``dynamo=True`` (onnxscript, opset 18) and ``dynamo=False``
(the TorchScript exporter, opset 18, and opset 13/16 where it decomposes HardSwish and
LayerNorm), and the estimates must agree: MACs and FLOPs equal, params within 64 elements,
peak activation and DRAM traffic within 1%. The networks are the patterns that made them
differ: GhostNet's full-range ``[:, :C]`` Slice, activations and norms that one exporter writes
as one op and the other as a chain, q/k/v cut by ``unbind`` (three Slices) or one Split,
same-type casts. Weights are perturbed first: random-init networks hold identical tensors
(zero biases, unit norm scales) that the exporters merge differently. torch.cond and
torch.while_loop export with the dynamo exporter only; they must be costed completely.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")  # torch.onnx's dynamo exporter writes through it

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import edgegate  # noqa: E402
from edgegate.cli import main  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.slow]


def _perturb(module: nn.Module) -> nn.Module:
    """Distinct values in every float parameter and buffer (no two equal tensors)."""
    generator = torch.Generator().manual_seed(1234)
    with torch.no_grad():
        for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
            if tensor.is_floating_point():
                noise = torch.randn(tensor.shape, generator=generator) * 0.01
                tensor.mul_(1 + noise.abs()) if name.endswith("running_var") else tensor.add_(noise)
    return module.eval()


def _export(module: nn.Module, args: tuple, path: Path, dynamo: bool, opset: int = 18) -> str:
    """Export quietly (no warnings, no progress lines) and return the file's path."""
    with warnings.catch_warnings(), torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        if dynamo:
            torch.onnx.export(module, args, str(path), dynamo=True, opset_version=opset,
                              input_names=["x"], external_data=False)
        else:
            torch.onnx.export(module, args, str(path), dynamo=False, opset_version=opset,
                              input_names=["x"])
    return str(path)


def _exports(module: nn.Module, args: tuple, tmp_path: Path, legacy_opsets=(18,)) -> dict[str, edgegate.Estimate]:
    """The estimates of ``module`` exported by dynamo (opset 18) and by the legacy exporter."""
    _perturb(module)
    found = {"dynamo": edgegate.estimate(_export(module, args, tmp_path / "dynamo.onnx", True))}
    for opset in legacy_opsets:
        path = _export(module, args, tmp_path / f"legacy{opset}.onnx", False, opset)
        found[f"legacy{opset}"] = edgegate.estimate(path)
    return found


def _assert_parity(estimates: dict[str, edgegate.Estimate]) -> None:
    reference = estimates["dynamo"]
    assert reference.unestimated == ()
    for name, other in estimates.items():
        assert other.unestimated == (), name
        assert (other.macs, other.flops) == (reference.macs, reference.flops), name
        assert abs(other.params - reference.params) <= 64, (name, other.params, reference.params)
        for metric in ("peak_activation_bytes", "dram_bytes"):
            mine, theirs = getattr(other, metric), getattr(reference, metric)
            assert math.isclose(mine, theirs, rel_tol=0.01), (name, metric, mine, theirs)


class Ghost(nn.Module):
    """GhostNet modules: cat(primary, cheap)[:, :oup], once full range (oup = 2 * init, which
    the legacy exporter keeps as a Slice), once a real selection (oup odd)."""

    def __init__(self) -> None:
        super().__init__()
        self.primary = nn.Sequential(nn.Conv2d(8, 8, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.cheap = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False), nn.BatchNorm2d(8),
                                   nn.ReLU())
        self.primary2 = nn.Sequential(nn.Conv2d(16, 8, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.cheap2 = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.primary(x)
        full = torch.cat([a, self.cheap(a)], dim=1)[:, :16]
        b = self.primary2(full)
        return torch.cat([b, self.cheap2(b)], dim=1)[:, :15]


class HandHardSwish(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * F.relu6(x + 3.0) / 6.0


class HandSiLU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


class Activations(nn.Module):
    """Conv -> activation, for every activation exporters write in more than one form."""

    ACTIVATIONS = (nn.GELU(), nn.GELU(approximate="tanh"), nn.Hardswish(), nn.Hardsigmoid(), nn.SiLU(),
                   nn.Mish(), HandHardSwish(), HandSiLU(), nn.ReLU6())

    def __init__(self) -> None:
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(8, 8, 3, padding=1) for _ in self.ACTIVATIONS)
        self.acts = nn.ModuleList(self.ACTIVATIONS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv, act in zip(self.convs, self.acts):
            x = act(conv(x))
        return x


class HandRMSNorm(nn.Module):
    """The RMSNorm Llama-style code writes, with its float32 casts."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.to(torch.float32)
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + 1e-6)
        return self.weight * h.to(x.dtype)


class DivRMSNorm(HandRMSNorm):
    """RMSNorm written as a division by the root mean square."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * (x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))


class HandLayerNorm(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = x.mean(-1, keepdim=True)
        s = (x - u).pow(2).mean(-1, keepdim=True)
        return (x - u) / torch.sqrt(s + 1e-5) * self.weight + self.bias


class Norms(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fcs = nn.ModuleList(nn.Linear(32, 32) for _ in range(5))
        # nn.RMSNorm has no legacy export (aten::rms_norm); Llama code writes it by hand
        self.norms = nn.ModuleList([nn.LayerNorm(32), HandLayerNorm(32), DivRMSNorm(32), HandRMSNorm(32)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.fcs[0](x)
        for fc, norm in zip(self.fcs[1:], self.norms):
            x = fc(norm(x))
        return x


class Attention(nn.Module):
    """A ViT block: class token, position embedding, pre-norm attention whose q, k, v come
    from one projection (``unbind``: three Slices in one export, one Split in the other),
    softmax in float32 (a same-type cast), then a GELU MLP; and a GPT-style ``split``."""

    def __init__(self, dim: int = 32, heads: int = 4) -> None:
        super().__init__()
        self.heads = heads
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.zeros(1, 17, dim))
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.qkv2, self.proj2 = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        x = torch.cat([self.cls.expand(b, -1, -1), x], dim=1) + self.pos
        h = c // self.heads
        qkv = self.qkv(self.norm1(x)).reshape(b, n + 1, 3, self.heads, h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        scores = ((q @ k.transpose(-2, -1)) * h ** -0.5).float().softmax(-1)
        x = x + self.proj((scores @ v).transpose(1, 2).reshape(b, n + 1, c))
        q, k, v = self.qkv2(x).split(c, dim=-1)
        q, k, v = (t.reshape(b, n + 1, self.heads, h).transpose(1, 2) for t in (q, k, v))
        x = x + self.proj2(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n + 1, c))
        return x + self.mlp(self.norm2(x))


def test_ghost_slices(tmp_path):
    estimates = _exports(Ghost(), (torch.randn(1, 8, 16, 16),), tmp_path)
    _assert_parity(estimates)
    # the full-range Slice is no layer in either export
    for estimate in estimates.values():
        assert not [layer for layer in estimate.layers
                    if layer.op_types == ("Slice",) and layer.input_bytes == layer.output_bytes == 16 * 256 * 4]


def test_decomposed_activations(tmp_path):
    # opset 13: the legacy exporter writes HardSwish as HardSigmoid * x
    estimates = _exports(Activations(), (torch.randn(1, 8, 8, 8),), tmp_path, legacy_opsets=(18, 13))
    _assert_parity(estimates)
    # every activation fuses into its Conv: nine layers, each Conv + its activation's nodes
    for estimate in estimates.values():
        assert len(estimate.layers) == 9
        assert all(layer.op_types[0] == "Conv" for layer in estimate.layers)
    # FLOPs: 9 convs of 512 outputs * (2 * 72 + 1 bias) + one per element per activation,
    # two for the two SiLUs
    assert estimates["dynamo"].flops == 9 * 512 * 145 + 512 * (9 + 2)


def test_decomposed_norms(tmp_path):
    # opset 16: the legacy exporter writes LayerNorm as ReduceMean, Sub, Pow, ...
    estimates = _exports(Norms(), (torch.randn(1, 8, 32),), tmp_path, legacy_opsets=(18, 16))
    _assert_parity(estimates)
    # each norm is one layer: 5 Linear MatMuls, 5 bias Adds, 4 norms
    assert all(len(e.layers) == 14 for e in estimates.values())


def test_attention_blocks(tmp_path):
    estimates = _exports(Attention(), (torch.randn(1, 16, 32),), tmp_path)
    _assert_parity(estimates)


class Cond(nn.Module):
    """torch.cond on a scalar input, each branch Conv1d + ReLU over the outer input, viewed
    by a shape the exporter stores in the outer graph (as a voice-activity model does)."""

    def __init__(self) -> None:
        super().__init__()
        self.fast = nn.Conv1d(1, 8, 16, stride=8)
        self.slow = nn.Sequential(nn.Conv1d(1, 8, 8, stride=4), nn.ReLU(), nn.Conv1d(8, 8, 3, padding=1))
        self.head = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor, rate: torch.Tensor) -> torch.Tensor:
        def fast(x: torch.Tensor) -> torch.Tensor:
            return torch.relu(self.fast(x.view(1, 1, -1))).mean(-1)

        def slow(x: torch.Tensor) -> torch.Tensor:
            return torch.relu(self.slow(x.view(1, 1, -1))).mean(-1)

        return self.head(torch.cond(rate > 8000, fast, slow, (x,)))


def test_torch_cond_is_costed_with_and_without_the_condition(tmp_path, capsys):
    model = _perturb(Cond())
    args = (torch.randn(1, 256), torch.tensor(16000))
    with warnings.catch_warnings(), torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, args, str(tmp_path / "cond.onnx"), dynamo=True, opset_version=18,
                          input_names=["x", "rate"], external_data=False)
    path = str(tmp_path / "cond.onnx")
    # fast: 8 channels * 31 outputs ((256 - 16) / 8 + 1) * 16 taps = 3,968 MACs;
    # slow: 8 * 63 * 8 = 4,032 + 8 * 63 * 8 * 3 = 12,096 -> 16,128; head 8 * 2 = 16
    fast = edgegate.estimate(path, input_values={"rate": 16000})
    slow = edgegate.estimate(path, input_values={"rate": 100})
    unknown = edgegate.estimate(path)
    for estimate in (fast, slow, unknown):
        assert estimate.unestimated == ()
    assert (fast.macs, slow.macs) == (3_968 + 16, 16_128 + 16)
    # unknown rate: the costlier branch by FLOPs, the slow one
    assert unknown.macs == 16_128 + 16
    # params are what the file stores, whichever branch runs
    assert fast.params == slow.params == unknown.params
    # the same from the command line
    assert main(["estimate", path, "--input-value", "rate=16000", "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)["models"][0]
    assert (record["metrics"]["macs"], record["unestimated"]) == (3_968 + 16, [])


class WhileLoop(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(16, 16)

    def forward(self, x: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
        def condition(i: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
            return i < n

        def body(i: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return i + 1, torch.tanh(self.fc(h))

        from torch._higher_order_ops.while_loop import while_loop

        return while_loop(condition, body, (torch.zeros((), dtype=torch.int64), x))[1]


def test_torch_while_loop_runs_as_its_bound_says(tmp_path):
    model = _perturb(WhileLoop())
    path = tmp_path / "while.onnx"
    with warnings.catch_warnings(), torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, 16), torch.tensor(3)), str(path), dynamo=True,
                          opset_version=18, input_names=["x", "n"], external_data=False)
    five = edgegate.estimate(str(path), input_values={"n": 5})
    # 5 trips of a 16 x 16 Linear: 256 MACs each
    assert (five.macs, five.unestimated) == (5 * 256, ())
    unknown = edgegate.estimate(str(path))
    assert [u.op_type for u in unknown.unestimated] == ["Loop"]
    # the body's weights are params either way: 256 + 16 (and the counter's scalars)
    assert unknown.params == five.params >= 272
    assert edgegate.estimate(str(path), loop_trips={"default": 2}).macs == 2 * 256
