"""The check's text output, for a person reading a CI log.

Per model and budget: the settings, each checked metric with value, limit, headroom (or
excess) in percent and pass/fail, the top layers under a failing metric, a ratchet hint under
a metric far below its limit, each lint rule's result, the target's ridge point and bound,
and coverage. A summary line ends the report. Reads only the RunResult.
"""

from __future__ import annotations

from typing import Any, Mapping, TextIO

from edgegate.findings import Finding, ModelResult, RunResult
from edgegate.units import format_quantity


def write(result: RunResult, out: TextIO) -> None:
    """Write the whole run as text to ``out``."""
    for model in result.results:
        _model(model, result.strict, out)
        out.write("\n")
    if result.skipped:
        out.write(f"not selected by any budget: {', '.join(result.skipped)}\n")
    counts = result.counts()
    noun = "check" if counts["checked"] == 1 else "checks"
    out.write(f"{counts['checked']} model {noun}: {counts['passed']} passed, {counts['failed']} failed"
              f" ({_plural(counts['errors'], 'error')}, {_plural(counts['warnings'], 'warning')})")
    if result.no_fail and not result.passed:
        out.write("; --no-fail: reporting only")
    out.write("\n")


def _model(model: ModelResult, strict: bool, out: TextIO) -> None:
    """One model under one budget."""
    verdict = "PASSED" if model.passed(strict) else "FAILED"
    out.write(f"{model.model} [budget {model.budget}]: {verdict}\n")
    if model.error is not None:
        out.write(f"  ERROR {model.error}\n")
        return
    out.write(f"  settings: {_settings(model.settings)}\n")
    for finding in sorted(model.findings, key=lambda f: f.rule != "limits"):  # metrics first
        _finding(finding, strict, model, out)
    if model.target is not None:
        out.write(f"  target: {_target(model.target)}\n")
    if model.coverage:
        coverage = model.coverage
        out.write(f"  coverage: {coverage['node_share']:.0%} of nodes ({coverage['known_nodes']}/"
                  f"{coverage['nodes']}) and {coverage['flop_share']:.0%} of FLOPs from known formulas\n")


def _status(finding: Finding, strict: bool) -> str:
    """pass, FAIL (fails the gate) or warn (a warning that does not)."""
    if finding.passed:
        return "pass"
    return "FAIL" if finding.fails(strict) else "warn"


def _finding(finding: Finding, strict: bool, model: ModelResult, out: TextIO) -> None:
    """A metric line with value/limit/headroom, or a lint rule line, plus its detail lines."""
    status = _status(finding, strict)
    if finding.rule != "limits" or finding.value is None or finding.limit is None:
        out.write(f"  {status}  {finding.rule:<22} {finding.message}\n")
        return
    unit = finding.unit or ""
    headroom = finding.headroom or 0.0
    room = f"headroom {headroom:.1f}%" if headroom >= 0 else f"excess {-headroom:.1f}%"
    limit = f"{finding.bound} {format_quantity(finding.limit, unit)}"
    out.write(f"  {status}  {finding.metric or '':<22} {format_quantity(finding.value, unit):>12}"
              f"  {limit:<16} {room}\n")
    if not finding.passed and finding.advice:
        out.write(f"        {finding.advice}\n")
    layers = model.contributors.get(finding.metric or "", ()) if not finding.passed else ()
    if layers:
        shown = ", ".join(f"{c.layer} {format_quantity(c.value, c.unit)} ({c.share:.0%})" for c in layers)
        out.write(f"        top layers: {shown}\n")
    if finding.suggestion:
        where = "under half its max" if finding.bound == "max" else "over twice its min"
        out.write(f"        {where}: ratchet to {finding.suggestion}\n")


def _settings(settings: Mapping[str, Any]) -> str:
    """``precision model, fusion paper, target x, 30 fps, dims batch=1``."""
    parts = [f"precision {settings.get('precision')}", f"fusion {settings.get('fusion')}"]
    if settings.get("target"):
        parts.append(f"target {settings['target']}")
    if settings.get("fps") is not None:
        parts.append(format_quantity(settings["fps"], "fps"))
    if settings.get("dims"):
        parts.append("dims " + ", ".join(f"{k}={v}" for k, v in settings["dims"].items()))
    if settings.get("input_shapes"):
        shapes = ", ".join(f"{k}={'x'.join(map(str, v))}" for k, v in settings["input_shapes"].items())
        parts.append(f"shapes {shapes}")
    return ", ".join(parts)


def _target(target: Mapping[str, Any]) -> str:
    """The target line: peak, bandwidth, ridge point, bound and the on-chip assumption."""
    onchip = target["onchip_bytes"]
    memory = (f"intermediates kept in {format_quantity(onchip, 'B')} on chip when they fit"
              if onchip else "every intermediate goes to DRAM")
    weights = "weights resident on chip" if target["weights_resident"] else "weights streamed from DRAM"
    return (f"{target['name']} at {target['precision']}: peak {format_quantity(target['peak_flops'], 'FLOP/s')},"
            f" DRAM {format_quantity(target['dram_bandwidth'], 'B/s')}, ridge point"
            f" {format_quantity(target['ridge_point'], 'FLOP/B')}; {target['bound']}-bound;"
            f" {memory}, {weights}")


def _plural(count: int, noun: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
