"""The check's text output, for a person reading a CI log.

Per model and budget: the settings, each checked metric with value, limit, headroom (or
excess) in percent and pass/fail, the top layers under a failing metric, a ratchet hint under
a metric far below its limit, each lint rule's result, the target's ridge point and bound,
and coverage; with ``--changed-since``, each changed model's metrics before and after
(:mod:`edgegate.report.delta_lines`). A summary line ends the report. ``quiet`` (``check
--quiet``) keeps only what needs attention: a model whose checks all pass is its verdict line,
any other its verdict and the checks that failed or warned. Reads only the run's records;
names from the model or policy are printed with control characters escaped, so each stays on
its line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TextIO

from edgegate.report.facts import Record, has_limit, label, printable, quantity, room, status, top_layers
from edgegate.units import format_quantity


def write(records: Record, out: TextIO, quiet: bool = False) -> None:
    """Write the whole run as text to ``out`` (only what failed or warned when ``quiet``)."""
    for model in records["models"]:
        write_model(model, records["strict"], out, quiet)
        if not quiet:
            out.write("\n")
    if not quiet and records.get("deltas"):
        from edgegate.report import delta_lines  # 2 ms with regression.deltas: only a run with deltas

        for line in delta_lines.text_lines(records):
            out.write(f"{line}\n")
    write_tail(records, out)


def write_model(model: Record, strict: bool, out: TextIO, quiet: bool = False) -> None:
    """One model under one budget: verdict, settings, every finding, target and coverage; only
    the verdict and the checks that failed or warned when ``quiet``."""
    verdict = "PASSED" if model["passed"] else "FAILED"
    out.write(f"{printable(label(model))}: {verdict}\n")
    if model["error"] is not None:
        out.write(f"  ERROR {printable(model['error'])}\n")
        return
    if model["settings"] and not quiet:
        out.write(f"  settings: {printable(_settings(model['settings'], model.get('dims_used')))}\n")
    for finding in sorted(model["findings"], key=lambda f: f["rule"] != "limits"):  # metrics first
        if not (quiet and finding["passed"]):
            _finding(finding, strict, model, out)
    if quiet:
        return
    if model["target"] is not None:
        out.write(f"  target: {printable(_target(model['target']))}\n")
    if model["coverage"]:
        coverage = model["coverage"]
        out.write(f"  coverage: {coverage['node_share']:.0%} of nodes ({coverage['known_nodes']}/"
                  f"{coverage['nodes']}) and {coverage['flop_share']:.0%} of FLOPs from known formulas\n")


def write_tail(records: Record, out: TextIO) -> None:
    """The models no budget selected, and the summary line."""
    if records["skipped"]:
        out.write(f"not selected by any budget: {printable(', '.join(records['skipped']))}\n")
    counts = records["summary"]
    noun = "check" if counts["checked"] == 1 else "checks"
    out.write(f"{counts['checked']} model {noun}: {counts['passed']} passed, {counts['failed']} failed"
              f" ({_plural(counts['errors'], 'error')}, {_plural(counts['warnings'], 'warning')})")
    if counts.get("unreadable"):
        out.write(f", {counts['unreadable']} could not be read")
    if counts.get("not_estimated"):
        out.write(f", {counts['not_estimated']} could not be estimated")
    if records["no_fail"] and not records["passed"]:
        out.write("; --no-fail: reporting only")
    out.write("\n")


def _finding(finding: Record, strict: bool, model: Record, out: TextIO) -> None:
    """A metric line with value/limit/headroom, or a lint rule line, plus its detail lines."""
    state = status(finding, strict)
    if not has_limit(finding):
        out.write(f"  {state}  {printable(finding['rule']):<22} {printable(finding['message'])}\n")
        return
    limit = f"{finding['bound']} {quantity(finding, 'limit')}"
    shown_room = room(finding) or "headroom 0.0%"
    out.write(f"  {state}  {printable(finding['metric'] or ''):<22} {quantity(finding, 'value'):>12}"
              f"  {limit:<16} {shown_room}\n")
    if not finding["passed"] and finding["advice"]:
        out.write(f"        {printable(finding['advice'])}\n")
    layers = top_layers(model, finding)
    if layers:
        out.write(f"        top layers: {layers}\n")
    if finding["suggestion"]:
        where = "under half its max" if finding["bound"] == "max" else "over twice its min"
        out.write(f"        {where}: ratchet to {printable(finding['suggestion'])}\n")


def _settings(settings: Mapping[str, Any], dims_used: Mapping[str, int] | None = None) -> str:
    """``precision model, fusion paper, target x, 30 fps, dims batch=1``: the dims the model
    uses (``dims_used``; all the budget binds when not known)."""
    parts = [f"precision {settings.get('precision')}", f"fusion {settings.get('fusion')}"]
    if settings.get("target"):
        parts.append(f"target {settings['target']}")
    if settings.get("fps") is not None:
        parts.append(format_quantity(settings["fps"], "fps"))
    dims = settings.get("dims") if dims_used is None else dims_used
    if dims:
        parts.append("dims " + ", ".join(f"{k}={v}" for k, v in dims.items()))
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
    peak = format_quantity(target["peak_flops"], "FLOP/s")
    return (f"{target['name']} at {target['precision']}: peak {peak},"
            f" DRAM {format_quantity(target['dram_bandwidth'], 'B/s')}, ridge point"
            f" {format_quantity(target['ridge_point'], 'FLOP/B')}; {target['bound']}-bound;"
            f" {memory}, {weights}")


def _plural(count: int, noun: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
