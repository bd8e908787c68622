"""``edgegate ops`` keeps telling the truth about the registry and onnx's standard op list."""

from __future__ import annotations

import re
from pathlib import Path

import onnx
import onnx.defs

from edgegate.cli import main
from edgegate.cli.ops import HANDLED, contrib_ops, standard_ops
from edgegate.cost.registry import OPS
from edgegate.model.standard_ops import STANDARD_OPS
from tests.onnx_versions import older

STANDARD_OPS_MODULE = Path(__file__).resolve().parent.parent / "edgegate" / "model" / "standard_ops.py"

ML = "ai.onnx.ml"


def _standard() -> set[tuple[str, str]]:
    """(domain, op) of every standard op ("" for ai.onnx): the installed onnx's; under an older
    onnx, edgegate's table, which the run on the newest onnx checks is onnx's own."""
    if older():
        return {("" if domain == "ai.onnx" else domain, name) for domain, name in STANDARD_OPS}
    return {(s.domain, s.name) for s in onnx.defs.get_all_schemas_with_history()}


def _standard_default_ops() -> set[str]:
    return {name for domain, name in _standard() if domain == ""}


def _standard_keys() -> set[str]:
    """Every standard op as a registry key: "OpType" by default, "domain.OpType" elsewhere."""
    return {f"{domain}.{name}" if domain else name for domain, name in _standard()}


def test_covered_standard_ops_are_exactly_the_registry_plus_the_handled_ones():
    reported = {op.name for op in standard_ops() if op.domain == "ai.onnx" and op.covered}
    default_keys = {key for key in OPS if "." not in key}
    assert reported == default_keys | set(HANDLED)


def test_covered_ml_ops_are_exactly_the_ml_registry_keys():
    reported = {op.name for op in standard_ops() if op.domain == ML and op.covered}
    assert reported == {key.rpartition(".")[2] for key in OPS if key.startswith(ML + ".")}
    assert reported  # skl2onnx's LinearClassifier, TreeEnsemble... are costed


def test_every_registry_key_is_a_standard_op_or_listed_as_contrib():
    # A misspelt registry key would match no node ever; it must show up somewhere.
    standard = _standard_keys()
    assert {key for key in OPS if "." not in key} <= _standard_default_ops()
    assert set(contrib_ops()) == set(OPS) - standard
    assert all(key.startswith("com.microsoft.") for key in contrib_ops())
    assert {key for key in OPS if key.startswith(ML + ".")} <= standard
    assert set(HANDLED) <= _standard_default_ops()


def test_missing_lists_every_uncovered_standard_op_once(capsys):
    assert main(["ops", "--missing"]) == 0
    lines = capsys.readouterr().out.splitlines()
    listed = {(line.split()[0]) for line in lines if line.startswith("  ")}
    uncovered = {op.name for op in standard_ops() if not op.covered}
    assert listed == uncovered
    # every listed op says why it is there; nothing covered leaks in
    assert all("no formula" in line for line in lines if line.startswith("  "))
    assert "Conv" not in listed and "NonMaxSuppression" not in listed


def test_report_shows_opsets_and_domain_counts(capsys):
    assert main(["ops"]) == 0
    out = capsys.readouterr().out
    ops = standard_ops()
    for domain in ("ai.onnx", "ai.onnx.ml"):
        mine = [op for op in ops if op.domain == domain]
        covered = sum(op.covered for op in mine)
        assert f"{domain} (opsets " in out and f"): {covered} of {len(mine)} ops costed" in out
    # Conv is (re)defined at opsets 1, 11 and 22 in onnx's history
    conv = next(op for op in ops if op.name == "Conv" and op.domain == "ai.onnx")
    assert conv.opsets[:2] == (1, 11)
    assert "  Conv " in out and "opsets " + ",".join(map(str, conv.opsets)) in out
    assert "  If " in out and "control flow" in out
    assert f"outside the ONNX standard: {len(contrib_ops())} ops costed" in out
    assert "  com.microsoft.Attention  formula" in out
    # onnxruntime's NCHWc (blocked layout) domain is listed with the contrib ops
    assert "  com.microsoft.nchwc.Conv  formula" in out and "  com.microsoft.nchwc.ReorderOutput  formula" in out


def _installed_standard() -> dict[tuple[str, str], tuple[tuple[int, ...], bool]]:
    """The installed onnx's op schemas as edgegate.model.standard_ops holds them."""
    versions: dict[tuple[str, str], set[int]] = {}
    latest: dict[tuple[str, str], tuple[int, bool]] = {}
    for schema in onnx.defs.get_all_schemas_with_history():
        key = (schema.domain or "ai.onnx", schema.name)
        versions.setdefault(key, set()).add(schema.since_version)
        if key not in latest or schema.since_version > latest[key][0]:
            latest[key] = (schema.since_version, schema.deprecated)
    return {key: (tuple(sorted(found)), latest[key][1]) for key, found in sorted(versions.items())}


def _render(table: dict[tuple[str, str], tuple[tuple[int, ...], bool]]) -> str:
    head = STANDARD_OPS_MODULE.read_text(encoding="utf-8").split("ONNX_VERSION =")[0]
    head = re.sub(r"of onnx \S+ by", f"of onnx {onnx.__version__} by", head)
    rows = "".join(f'    ("{d}", "{n}"): ({opsets!r}, {dep}),\n' for (d, n), (opsets, dep) in table.items())
    return (f'{head}ONNX_VERSION = "{onnx.__version__}"\n\n'
            "STANDARD_OPS: dict[tuple[str, str], tuple[tuple[int, ...], bool]] = {\n" + rows + "}\n"
            '"""(domain, op) -> (the opsets that (re)define it, deprecated at its latest version)."""\n')


def test_the_standard_op_table_is_onnx_s_own(request):
    installed = _installed_standard()
    if request.config.getoption("--update-golden") and not older():
        STANDARD_OPS_MODULE.write_text(_render(installed), encoding="utf-8")
    # A newer onnx may add opsets: compare up to the newest opset the table knows per domain
    # (ops other tests register in domains of their own are no standard ops).
    newest: dict[str, int] = {}
    for (domain, _), (opsets, _) in STANDARD_OPS.items():
        newest[domain] = max(newest.get(domain, 0), *opsets)
    if older():  # an older onnx has fewer ops and opsets: each of them is in the table
        assert [key for key, (opsets, _) in installed.items() if key[0] in newest
                and not set(opsets) <= set(STANDARD_OPS.get(key, ((), False))[0])] == []
        return
    known = {key: tuple(v for v in opsets if v <= newest.get(key[0], 0))
             for key, (opsets, _) in installed.items()}
    assert {key: opsets for key, opsets in known.items() if opsets} == {
        key: opsets for key, (opsets, _) in STANDARD_OPS.items()}
    assert [key for key, (opsets, deprecated) in STANDARD_OPS.items()
            if installed[key][0] == opsets and installed[key][1] != deprecated] == []
