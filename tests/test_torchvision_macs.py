"""edgegate's MACs on PyTorch exports of torchvision-shaped models, against torchvision's figures.

Each model in tests/torch_models is checked so:
- its parameter count equals torchvision's published ``num_params`` exactly, and torch's own
  operator count (``torch.utils.flop_counter``: Conv/Linear/matmul FLOPs, 2 per
  multiply-accumulate) matches the published GFLOPS: the architecture is torchvision's;
- edgegate's MACs on the ONNX export equal torch's count, to the MAC, with nothing unestimated;
- edgegate's MACs agree with torchvision's published GFLOPS (really GMACs) within
  max(1% of the published value, half a unit in its last published digit);
- edgegate's params equal the constants the export holds, predicted from the torch module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from torch.utils.flop_counter import FlopCounterMode  # noqa: E402
from torch_models import REFERENCES  # noqa: E402
from torch_models.counting import BatchNormFolding, randomize  # noqa: E402
from torch_models.export import export  # noqa: E402

import edgegate  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.slow]

NAMES = sorted(REFERENCES)


def published_tolerance(published: str) -> float:
    """max(1% of the published value, half a unit in its last published digit), in its unit.

    "0.057" -> max(0.00057, 0.0005) = 0.00057; "15.47" -> max(0.1547, 0.005) = 0.1547.
    """
    decimals = len(published.partition(".")[2])
    return max(0.01 * float(published), 0.5 * 10.0**-decimals)


# Scalars the exporter writes as constants, which edgegate counts as params (the cost model
# counts every constant a layer reads as data; small ones with equal values count once): GELU,
# x * 0.5 * (1 + erf(x / sqrt(2))), is recognized as one op, so its scalars are part of it
# (none); ViT picks q, k, v and the class token with Gather indices 0, 1, 2 and computes the
# attention scale from the head count 12 and the exponent -0.5, one Constant per layer each,
# equal values: 5 scalars.
EXPORTED_SCALARS = {"convnext_tiny": 0, "vit_b_16": 3 + 2}


@dataclass(frozen=True)
class Measured:
    """What one model measures in torch and, exported, in edgegate."""

    torch_params: int
    export_params: int
    torch_macs: int
    estimate: edgegate.Estimate


class Measurements:
    """Builds, counts, exports and estimates each model once per session, on first request."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.cache: dict[str, Measured] = {}

    def __call__(self, name: str) -> Measured:
        """The measurements of the named model (computed on first use)."""
        if name not in self.cache:
            self.cache[name] = self._measure(name)
        return self.cache[name]

    def _measure(self, name: str) -> Measured:
        reference = REFERENCES[name]
        torch.manual_seed(0)
        model = reference.build().eval()
        randomize(model)
        shape = (1, 3, reference.resolution, reference.resolution)
        with BatchNormFolding(model) as folding, torch.no_grad():
            with FlopCounterMode(display=False) as counter:
                model(torch.randn(*shape))
        params = sum(p.numel() for p in model.parameters())
        # Inception's auxiliary head only runs in training, so it is not exported.
        aux = getattr(model, "aux", None)
        unused = sum(p.numel() for p in aux.parameters()) if aux is not None else 0
        path = export(model, self.workdir / f"{name}.onnx", shape)
        try:
            estimate = edgegate.estimate(path, dims={"batch": 1})
        finally:
            path.unlink()
        return Measured(
            torch_params=params,
            export_params=params - unused + folding.delta + EXPORTED_SCALARS.get(name, 0),
            torch_macs=counter.get_total_flops() // 2,
            estimate=estimate,
        )


@pytest.fixture(scope="session")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Measurements:
    """Session-wide cache: every model is exported once (exports are the slow part)."""
    return Measurements(tmp_path_factory.mktemp("torchvision"))


def test_tolerance_rule() -> None:
    # 1% wins for most figures; half a unit of the last digit wins when 1% is below it.
    assert published_tolerance("4.089") == pytest.approx(0.04089)
    assert published_tolerance("0.3") == pytest.approx(0.05)
    assert published_tolerance("0.057") == pytest.approx(0.00057)
    assert published_tolerance("15.47") == pytest.approx(0.1547)


@pytest.mark.parametrize("name", NAMES)
def test_params_equal_published(name: str, measured: Measurements) -> None:
    assert measured(name).torch_params == REFERENCES[name].params


@pytest.mark.parametrize("name", NAMES)
def test_torch_count_matches_published(name: str, measured: Measurements) -> None:
    published = REFERENCES[name].gflops
    gmacs = measured(name).torch_macs / 1e9
    assert abs(gmacs - float(published)) <= published_tolerance(published)


@pytest.mark.parametrize("name", NAMES)
def test_edgegate_macs_equal_torch_count(name: str, measured: Measurements) -> None:
    result = measured(name)
    assert result.estimate.unestimated == ()
    assert result.estimate.macs == result.torch_macs


@pytest.mark.parametrize("name", NAMES)
def test_edgegate_macs_match_published(
    name: str, measured: Measurements, record_property: pytest.RecordProperty
) -> None:
    published = REFERENCES[name].gflops
    gmacs = measured(name).estimate.macs / 1e9
    ratio = gmacs / float(published)
    record_property("edgegate_macs", measured(name).estimate.macs)
    record_property("published_gflops", published)
    record_property("ratio", f"{ratio:.6f}")
    print(f"{name}: edgegate {gmacs:.6f} GMACs, published {published}, ratio {ratio:.6f}")
    assert abs(gmacs - float(published)) <= published_tolerance(published), f"ratio {ratio:.6f}"


@pytest.mark.parametrize("name", NAMES)
def test_edgegate_params_equal_exported_weights(name: str, measured: Measurements) -> None:
    assert measured(name).estimate.params == measured(name).export_params
