"""Hypothesis strategies for hostile edgegate inputs; each top-level one yields a whole Case.

* :func:`policy_cases`  policies: YAML structure and syntax, numbers, units, globs, extends graphs
* :func:`policy_focused_cases`  a valid policy with exactly one hostile value
* :func:`argv_cases`    command lines of every command with hostile option values and paths
* :func:`reports_cases` check and merge with every report option (--json, --sarif, --junit-xml,
                        --html, --pr-comment, --format NAME:PATH, --github-summary, --history),
                        paths shared, unwritable, special, or on a full disk; --quiet
* :func:`json_cases`    baseline, merge (check result) and history inputs
* :func:`model_cases`   models: data propagation, folding, malformed attributes and their types,
                        raw-bytes names, functions, control flow, nesting, any op of onnx
                        (tests.hostile.models families)
* :func:`targets_cases` target files (estimate --target, policy validate, a budget's target),
                        ``target measure`` and ``measure`` options
* :func:`github_cases`  any of the above run under GitHub Actions with workflow commands planted

Use them in tests with ``@given(policy_cases())`` and run the Case with gen.sandbox.run; the
campaign (gen.campaign) draws many and runs them in a sandbox.
"""

from __future__ import annotations

import json
import random
from typing import Any

import yaml
from hypothesis import strategies as st

from tests.hostile import models as M
from tests.hostile import wire as w
from tests.hostile.sandbox import MARK, Case, Dir, Fifo, Symlink

CONV = M.conv_model()
RELU = M.relu_model()
INJ = f"::error title={MARK}::{MARK}"
POLICY = ("version: 1\nbudgets:\n  all:\n    include: ['*.onnx']\n    dims: {batch: 1}\n"
          "    limits:\n      macs: {max: 1 MAC}\n      flops: {max: 1 GFLOP}\n")

# ----------------------------------------------------------------------------- atoms

UNITS = ["", "B", "kB", "KB", "KiB", "MiB", "GiB", "TiB", "MB", "GB/s", "MiB/s", "FLOP", "FLOPs",
         "kFLOP", "MFLOP", "GFLOP", "TFLOP", "MAC", "MMAC", "GMAC", "params", "kparam", "M params",
         "M", "k", "G", "T", "FLOP/B", "FLOP/s", "TOPS", "GOP/s", "ms", "s", "us", "µs", "fps", "%",
         "Gbit/s", "mac", "GFLOPS", " ", "\t", "MiB MiB"]

NUMBER_TEXTS = ["1", "0", "-1", "1.1", ".5", "5.", "1e6", "1E-3", "1e400", "-1e400", "1e-400",
                "1e999999999", "1e-999999999", "9" * 5000, "1" + "0" * 4400, "0x10", "1_000",
                "٣", "²", "１", "nan", "NaN", ".nan", "inf", ".inf", "-.inf", "+1", "--1", "1e",
                "e5", "1e+308", "1.7976931348623157e309", "0.0000000000000000000000001",
                "123456789012345678901234567890", "-0", "1/2", "∞", ""]
HUGE_EXPONENTS = ("1e999999999", "1e-999999999")


@st.composite
def numbers(draw: Any, allow_hang: bool = False) -> Any:
    """A number as YAML may carry it: int, float (nan, inf), or text."""
    texts = [t for t in NUMBER_TEXTS if allow_hang or t not in HUGE_EXPONENTS]
    return draw(st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from([10**400, -(10**400), 2**63, 2**64, 10**4299, 0]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(texts),
    ))


@st.composite
def quantities(draw: Any, allow_hang: bool = False) -> Any:
    number = draw(numbers(allow_hang))
    if not isinstance(number, str) and draw(st.booleans()):
        return number
    unit = draw(st.sampled_from(UNITS))
    space = draw(st.sampled_from([" ", "", "  ", "\t", "\u00a0"]))
    return f"{number}{space}{unit}" if unit.strip() else f"{number}"


GLOB_ATOMS = ["*", "**", "**/", "?", "[a-z]", "[z-a]", "[!]", "[!a]", "[^]", "[]", "[", "]", "[\\]",
              "\\", "/", "./", "../", ".", "a", "b", "zz", ".onnx", "*.onnx", "{a,b}", "(", ")", "|",
              "+", "$", "^", "\x00", "é", "\n", "[[:alpha:]]", "[a-]", "[-a]", "[!-]", "//", "~",
              "%s", "(?", "[9-0]", "[\udcff]"]


@st.composite
def globs(draw: Any) -> str:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return "**/" * draw(st.integers(8, 20)) + "zz.onnx"
    if kind == 1:
        return "*a" * draw(st.integers(8, 16)) + "b.onnx"
    if kind == 2:
        return "*" * draw(st.integers(2, 60)) + "x"
    return "".join(draw(st.lists(st.sampled_from(GLOB_ATOMS), min_size=1, max_size=8)))


hostile_text = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", "\n", INJ, f"\n{INJ}", f"##[error]{MARK}", "x\x00y", "\ufffe",
                     "\uffff", "a" * 5000, "é", "\u2028", "%0A::error::x", "${{ secrets.X }}",
                     "{{", "'", '"', "&a", "*a", "!!python/name:os.system", "- a", "? a", "|", ">"]))

PRESETS = ["raspberry-pi-5", "cortex-m7-int8", "coral-edgetpu", "jetson-orin-nano", "nope",
           "/etc/passwd", "passwd.yaml", "/proc/self/environ", "/dev/zero", "/dev/null", "p.yaml", "./p.yaml",
           "../p.yaml", "missing.yaml", "dir.yaml", "fifo.yaml", "link.yaml", "", ".", "/",
           "a\\b", "x\x00.yaml", f"##[error]{MARK}", f"{INJ}.yaml", "C:\\x.yaml", "p.yml",
           "e" * 300 + ".yaml"]
METRICS = ["macs", "flops", "params", "weight_bytes", "peak_activation_bytes", "dram_bytes",
           "arithmetic_intensity", "file_bytes", "dram_bytes_onchip", "latency_ms",
           "bandwidth_at_fps", "flop", "MACS", f"##[error]{MARK}"]


@st.composite
def limits(draw: Any) -> dict:
    out: dict = {}
    for metric in draw(st.lists(st.sampled_from(METRICS), min_size=0, max_size=4, unique=True)):
        spec: dict = {}
        for key in draw(st.lists(st.sampled_from(["max", "min", "max_increase", "severity", "message"]),
                                 max_size=3, unique=True)):
            if key == "max_increase":
                spec[key] = draw(st.one_of(quantities(), st.sampled_from(["5%", "-5%", "1e400%", "nan%", "%"])))
            elif key == "severity":
                spec[key] = draw(st.sampled_from(["error", "warning", "fatal", True, None, 1]))
            elif key == "message":
                spec[key] = draw(hostile_text)
            else:
                spec[key] = draw(quantities())
        out[metric] = spec if draw(st.integers(0, 9)) else draw(quantities())
    return out


@st.composite
def settings(draw: Any) -> dict:
    out: dict = {}
    if draw(st.booleans()):
        out["dims"] = draw(st.dictionaries(st.one_of(st.just("batch"), hostile_text), numbers(), max_size=3))
    if draw(st.integers(0, 3)) == 0:
        out["input_shapes"] = {draw(st.sampled_from(["x", "images", INJ])): draw(st.lists(numbers(), max_size=5))}
    if draw(st.integers(0, 3)) == 0:
        out["precision"] = draw(st.sampled_from(["model", "fp32", "fp16", "int8", "int4", 8, None]))
    if draw(st.integers(0, 3)) == 0:
        out["target"] = draw(st.sampled_from(["raspberry-pi-5", "stm32h743", "t", "nope", INJ, 1]))
    if draw(st.integers(0, 3)) == 0:
        out["fps"] = draw(quantities())
    if draw(st.integers(0, 4)) == 0:
        out["unestimated"] = draw(st.sampled_from(["fail", "warn", "ignore", "off", False]))
    return out


@st.composite
def budgets(draw: Any) -> dict:
    out: dict = {}
    for name in draw(st.lists(st.one_of(st.sampled_from(["all", "a", "b"]), hostile_text),
                              min_size=1, max_size=3, unique=True)):
        budget: dict = draw(settings())
        if draw(st.integers(0, 2)):
            budget["include"] = draw(st.lists(globs(), min_size=0, max_size=3))
        if draw(st.integers(0, 3)) == 0:
            budget["exclude"] = draw(st.lists(globs(), min_size=0, max_size=2))
        budget["limits"] = draw(limits())
        if draw(st.integers(0, 4)) == 0:
            budget["ops"] = {"forbid": draw(st.lists(hostile_text, max_size=2)),
                             "target": draw(st.booleans())}
        if draw(st.integers(0, 5)) == 0:
            budget["opset"] = {"min": draw(numbers()), "max": draw(numbers())}
        if draw(st.integers(0, 5)) == 0:
            budget["dynamic_dims"] = draw(st.sampled_from(["error", "warning", "off", False, True]))
        if draw(st.integers(0, 5)) == 0:
            budget["fits_on_chip"] = draw(st.sampled_from(["error", "warning", "off", False]))
        out[name] = budget
    return out


@st.composite
def targets(draw: Any) -> dict:
    return {draw(st.sampled_from(["t", "raspberry-pi-5", INJ, "-x"])): {
        "peak": {draw(st.sampled_from(["fp32", "fp16", "int8", "fp64"])): draw(quantities())},
        "dram_bandwidth": draw(quantities()),
        **({"onchip_bytes": draw(quantities())} if draw(st.booleans()) else {}),
        **({"supported_ops": draw(st.lists(hostile_text, max_size=3))} if draw(st.booleans()) else {}),
    }}


@st.composite
def custom_ops(draw: Any) -> dict:
    return {draw(st.sampled_from(["com.vendor.Custom", "Custom", "Conv", INJ])):
            draw(st.one_of(st.fixed_dictionaries({"as": st.sampled_from(["Conv", "Relu", "Nope", ""])}),
                           st.fixed_dictionaries({"flops_per_output": numbers()}),
                           st.fixed_dictionaries({"macs_per_output": numbers(),
                                                  "flops_per_output": numbers()})))}


@st.composite
def policy_data(draw: Any) -> dict:
    data: dict = {"version": draw(st.sampled_from([1, 1, 1, 1, "1", 2, None, 1.0, True, 10**5000 if False else 0]))}
    if draw(st.integers(0, 3)) == 0:
        data["extends"] = draw(st.sampled_from(PRESETS))
    if draw(st.integers(0, 2)) == 0:
        data["defaults"] = draw(settings())
    if draw(st.integers(0, 3)) == 0:
        data["targets"] = draw(targets())
    if draw(st.integers(0, 3)) == 0:
        data["custom_ops"] = draw(custom_ops())
    if draw(st.integers(0, 6)):
        data["budgets"] = draw(budgets())
    if draw(st.integers(0, 8)) == 0:
        data[draw(hostile_text)] = draw(numbers())
    return data


def _dump(data: Any, style: int) -> str:
    """YAML text for ``data``: block, flow or JSON-ish (JSON is YAML)."""
    try:
        if style == 0:
            return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        if style == 1:
            return yaml.safe_dump(data, default_flow_style=True, allow_unicode=False, width=10**6)
        return json.dumps(data, ensure_ascii=False, default=str)
    except (ValueError, OverflowError, yaml.YAMLError):
        return yaml.safe_dump(json.loads(json.dumps(data, default=str)), sort_keys=False)


SYNTAX_TRICKS = ["", "", "", "\x00", "\t", "\ufeff", "&a [1]\n*a", "!!python/object/apply:os.system [x]",
                 "!!binary AAAA", "!!set {a}", "!!timestamp 2001-12-14", "<<: *x", "? [a]\n: b",
                 "%YAML 1.1\n---", "---\n---", "...", "\x85", "\u2028", "\r", "\x1b[31m", "!!float 1e400",
                 "!!int 0x7fffffffffffffffffff", "~", "key: [" * 50, "- " * 300]


@st.composite
def policy_text(draw: Any) -> str:
    """A policy document: generated structure, a YAML style, and a syntax trick."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        depth = draw(st.sampled_from([50, 200, 400, 1000, 3000]))
        o, c = draw(st.sampled_from([("[", "]"), ("{a: ", "}"), ("[{a: ", "}]")]))
        return f"version: 1\nbudgets: {o * depth}{c * depth}\n"
    if kind == 1:
        depth = draw(st.sampled_from([100, 500, 1000]))
        return "version: 1\nx:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(depth))
    text = _dump(draw(policy_data()), draw(st.integers(0, 2)))
    trick = draw(st.sampled_from(SYNTAX_TRICKS))
    if trick:
        lines = text.splitlines()
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, trick if draw(st.booleans()) else "  " + trick)
        text = "\n".join(lines) + "\n"
    return text


def _extends_files(draw: Any) -> dict[str, Any]:
    """Several policy files that extend each other: chains, cycles, diamonds, specials."""
    n = draw(st.integers(1, 6))
    files: dict[str, Any] = {}
    for i in range(n):
        parent = draw(st.one_of(st.integers(0, n), st.sampled_from(PRESETS)))
        head = f"version: 1\nextends: {json.dumps(f'p{parent}.yaml' if isinstance(parent, int) else parent)}\n"
        files[f"p{i}.yaml"] = head + (POLICY.split("\n", 1)[1] if draw(st.booleans()) else "")
    if draw(st.integers(0, 4)) == 0:
        depth = draw(st.sampled_from([200, 990, 1500, 3000]))
        for i in range(depth):
            files[f"c{i}.yaml"] = f"version: 1\nextends: c{i + 1}.yaml\n"
        files[f"c{depth}.yaml"] = POLICY
        files["p0.yaml"] = "version: 1\nextends: c0.yaml\n"
    files["dir.yaml"] = Dir()
    files["fifo.yaml"] = Fifo()
    files["link.yaml"] = Symlink("link.yaml")
    return files


@st.composite
def policy_cases(draw: Any) -> Case:
    """Validate or check with a hostile policy (and, sometimes, an extends graph)."""
    files: dict[str, Any] = {"m.onnx": CONV}
    if draw(st.integers(0, 3)) == 0:
        files.update(_extends_files(draw))
        entry = "p0.yaml"
    else:
        files["p.yaml"] = draw(policy_text())
        entry = "p.yaml"
    if draw(st.integers(0, 4)) == 0:
        files["/".join(["d"] * draw(st.integers(5, 40))) + "/m.onnx"] = CONV
        files["a" * 40 + ".onnx"] = CONV
    if draw(st.booleans()):
        return Case("policy", ["policy", "validate", entry], files, note="validate", timeout=10)
    reports = {"r.json": "json", "r.sarif": "sarif", "r.xml": "junit"}
    argv = ["check", "--policy", entry, "--root", ".", "--json", "r.json", "--sarif", "r.sarif",
            "--junit-xml", "r.xml"]
    return Case("policy", argv, files, reports=reports, note="check", timeout=10)


# ----------------------------------------------------------------------------- argv

PATHS = ["m.onnx", "missing.onnx", "dir", "fifo", "/dev/full", "/dev/zero", "/dev/null",
         "/proc/self/environ", "passwd", "link", "r.json", "", ".", "-", "--", "x" * 300,
         "a/" * 100 + "x", f"x\n{INJ}", f"##[error]{MARK}", "\udcff.onnx", "nested/new/r.json"]
OPTION_VALUES = ["0", "-1", "1", "10000", str(10**30), "nan", "inf", "-inf", "1e400", "²", "٣", "",
                 " ", "x", "1/0", "0/0", "1/2", "2/1", f"##[error]{MARK}", INJ, "\x00"]


@st.composite
def binding(draw: Any) -> list[str]:
    opt = draw(st.sampled_from(["--dim", "--input-shape", "--input-value"]))
    name = draw(st.sampled_from(["batch", "x", "n", "ghost", f"##[error]{MARK}", "é", "=", "a=b"]))
    value = draw(st.one_of(st.sampled_from(OPTION_VALUES + ["1x2", "1x²", "0x1", "1,,2", "x", "1e6x1e6",
                                                           "1000000x1000000", "2147483648x2147483648"]),
                           st.integers(-5, 10**20).map(str)))
    return [opt, f"{name}={value}"]


def _report_opts(draw: Any, reports: dict[str, str]) -> list[str]:
    out = []
    for option, kind in (("--json", "json"), ("--sarif", "sarif"), ("--junit-xml", "junit")):
        if draw(st.integers(0, 2)) == 0:
            path = draw(st.sampled_from(["r.json", "r.out", "/dev/full", "dir", "fifo", "nested/new/r.x",
                                         "r.sarif", "r.xml"]))
            out += [option, path]
            key = path if path not in reports else path + f"#{len(reports)}"
            if path not in ("dir", "fifo"):
                reports[key] = kind
    for option, kind in (("--html", "html"), ("--pr-comment", "comment"), ("--github-summary", "markdown")):
        if draw(st.integers(0, 5)) == 0:
            path = draw(st.sampled_from(["r.html", "r.md", "r.json", "dir", "fifo", "nested/new/r.x", "/dev/null"]))
            out += [option, path]
            key = path if path not in reports else path + f"#{len(reports)}"
            if path not in ("dir", "fifo", "/dev/null"):
                reports[key] = kind
    if draw(st.integers(0, 3)) == 0:
        fmt = draw(st.sampled_from(["text", "json", "github", "markdown", "sarif", "junit", "auto", "nope",
                                    "html", "comment"]))
        target = draw(st.sampled_from(["", ":r.out", ":r.json", ":", ":/dev/full"]))
        out += ["--format", fmt + target]
        if target not in ("", ":", ":/dev/full") and fmt in ("json", "sarif", "junit", "markdown", "text", "github",
                                                             "html", "comment"):
            p = target[1:]
            reports[p if p not in reports else p + f"#{len(reports)}"] = fmt
    return out


@st.composite
def argv_cases(draw: Any) -> Case:
    """Any command with hostile values for its options and paths."""
    command = draw(st.sampled_from(["estimate", "check", "baseline", "diff", "init", "merge", "trend",
                                    "policy", "ops", "plot", "target", "measure"]))
    files: dict[str, Any] = {"m.onnx": RELU, "c.onnx": CONV, "edgegate.yaml": POLICY, "dir": Dir(),
                             "passwd": "root:x:0:0:root:/root:/bin/bash\nuser:x:1000:1000::/home/u:/bin/sh\n",
                             "fifo": Fifo(), "link": Symlink("link"),
                             "r.json": json.dumps({"schema_version": 1, "models": []})}
    reports: dict[str, str] = {}
    def path():
        return draw(st.sampled_from(PATHS))
    def value():
        return draw(st.sampled_from(OPTION_VALUES))
    argv: list[str] = [command]
    if command == "estimate":
        argv += [draw(st.sampled_from(["m.onnx", "c.onnx"])), *([path()] if draw(st.booleans()) else [])]
        for _ in range(draw(st.integers(0, 3))):
            argv += draw(binding())
        argv += draw(st.sampled_from([[], ["--format", "json"], ["--format", "csv"], ["--netron"],
                                      ["--top", value()], ["--per-layer"], ["--sort", "flops"]]))
    elif command in ("check", "baseline"):
        argv += draw(st.sampled_from([[], ["--policy", path()], ["--policy", "edgegate.yaml"]]))
        argv += draw(st.sampled_from([[], ["--root", path()], ["--root", "."]]))
        argv += draw(st.sampled_from([[], ["--jobs", value()], ["--shard", value()], ["--all"],
                                      ["--jobs", "3"], ["--changed-since", value()]]))
        if command == "check":
            argv += draw(st.sampled_from([[], ["--baseline", path()], ["--history", path()], ["--top", value()],
                                          ["--strict"], ["--no-fail"], ["--quiet"], ["-q"], ["--no-quiet"]]))
            argv += _report_opts(draw, reports)
            if draw(st.booleans()):
                argv += [draw(st.sampled_from(["m.onnx", "c.onnx", path()]))]
        else:
            argv += ["--out", path()]
    elif command == "diff":
        argv += [draw(st.sampled_from(["m.onnx", "c.onnx"])), draw(st.sampled_from(["c.onnx", path()]))]
        for _ in range(draw(st.integers(0, 2))):
            argv += draw(binding())
        argv += draw(st.sampled_from([[], ["--target", value()], ["--top", value()], ["--format", "json"]]))
    elif command == "init":
        argv += ["--root", draw(st.sampled_from([".", path()]))]
        argv += draw(st.sampled_from([[], ["--output", path()], ["--output", "dir", "--force"]]))
        argv += draw(st.sampled_from([["--dim", "batch=1"], ["--dim", "batch=" + value()], []]))
        argv += draw(st.sampled_from([[], ["--headroom", value()], ["--fps", value(), "--target", "raspberry-pi-5"],
                                      ["--target", value()]]))
    elif command == "merge":
        argv += [draw(st.sampled_from(["r.json", path()])) for _ in range(draw(st.integers(1, 3)))]
        argv += draw(st.sampled_from([[], ["--history", path()], ["--quiet"]]))
        argv += _report_opts(draw, reports)
    elif command == "trend":
        files["h.jsonl"] = json.dumps({"schema": "edgegate.history", "model": "m", "metrics": {"flops": 1}}) + "\n"
        argv += [draw(st.sampled_from(["h.jsonl", path()]))]
        argv += draw(st.sampled_from([[], ["--model", draw(globs())], ["--metric", value()], ["--last", value()],
                                      ["--format", "json"]]))
    elif command == "policy":
        argv += ["validate", draw(st.sampled_from(["edgegate.yaml", path()]))]
    elif command == "ops":
        argv += draw(st.sampled_from([[], ["--missing"]]))
    elif command == "target":
        # --quick: a valid full measurement takes a minute or two by design (a benchmark, not a hang)
        argv += ["measure", "--quick", "--out", draw(st.sampled_from(["t.yaml", "t.txt", "dir", "fifo",
                                                                      "edgegate.yaml", "nested/t.yaml", path()]))]
        argv += draw(st.sampled_from([["--threads", value()], ["--precision", draw(hostile_text)],
                                      ["--precision", "fp64,int8"], ["--force"], []]))
    elif command == "measure":
        argv += [draw(st.sampled_from(["m.onnx", "c.onnx", path()]))]
        argv += draw(st.sampled_from([["--runs", value()], ["--warmup", value()], ["--threads", value()],
                                      ["--target", value()], ["--format", "json"], []]))
    else:
        files["h.jsonl"] = json.dumps(HISTORY) + "\n"
        argv += draw(st.sampled_from([["flops", "c.onnx", path()], ["roofline", "c.onnx", "--target", value()],
                                      ["roofline", "c.onnx", "--policy", path(), "--target", "t"],
                                      ["history", "h.jsonl", "--metric", value()],
                                      ["history", "h.jsonl", "--model", draw(globs())]]))
        argv += ["--out", draw(st.sampled_from(["o.png", "o.svg", "o.pdf", "o", path()]))]
        for _ in range(draw(st.integers(0, 2))):
            argv += draw(binding())
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(1, len(argv)))
        argv.insert(at, draw(st.sampled_from(["--", "-", "--=", "--json=", "-j", "-jx", "--format"])))
        reports = {}  # the options after the inserted token may no longer be options
    github = draw(st.integers(0, 3)) == 0
    # a quick measurement takes seconds on an idle machine: its bound leaves room for a busy one
    timeout = 30 if command in ("target", "measure") else 10
    return Case("argv", argv, files, reports=reports, github=github, note=command, timeout=timeout)


# ----------------------------------------------------------------------------- JSON inputs

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
              st.floats(allow_nan=True, allow_infinity=True), hostile_text),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(hostile_text, children, max_size=3)),
    max_leaves=8)

FINDING = {"rule": "limits", "severity": "error", "passed": False, "model": "m.onnx", "message": "m",
           "budget": "all", "metric": "macs", "value": 3888, "limit": 1, "bound": "max", "unit": "MAC",
           "headroom_percent": -388700.0, "node": "conv", "suggestion": None, "advice": ""}
RECORD = {"model": "m.onnx", "budget": "all", "passed": False, "error": None, "exit_code": None,
          "settings": {"dims": {"batch": 1}, "precision": "model"}, "target": None,
          "metrics": {"macs": 3888, "flops": 7776}, "coverage": {"nodes": 2, "known_nodes": 2,
                                                                 "node_share": 1.0, "flop_share": 1.0},
          "findings": [FINDING], "contributors": {"macs": [{"layer": "conv", "value": 3888, "unit": "MAC",
                                                             "share": 1.0}]}}
RESULT = {"schema_version": 1, "edgegate_version": "0.1.0", "policy": "edgegate.yaml", "passed": False,
          "exit_code": 1, "strict": False, "no_fail": False,
          "summary": {"checked": 1, "passed": 0, "failed": 1, "errors": 1, "warnings": 0},
          "skipped": [], "models": [RECORD]}
BASELINE = {"schema": "edgegate.baseline", "schema_version": 1, "edgegate_version": "0.1.0",
            "policy": "edgegate.yaml", "models": {"c.onnx": {"all": {"sha256": "0" * 64, "settings": {
                "dims": {"batch": 1}, "input_shapes": {}, "precision": "model", "fusion": "paper",
                "target": None, "fps": None}, "metrics": {"macs": 3888, "flops": 7776}}}}}
HISTORY = {"schema": "edgegate.history", "time": "2026-01-01T00:00:00Z", "commit": "abc",
           "edgegate_version": "0.1.0", "model": "m.onnx", "budget": "all", "passed": True,
           "metrics": {"flops": 7776, "macs": 3888, "params": 108, "peak_activation_bytes": 10,
                       "dram_bytes": 100}}


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, prefix + (index,))
    return found


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replace(copy[path[0]], path[1:], new)
    return copy


@st.composite
def mutated_json(draw: Any, template: Any) -> str:
    """``template`` with one to three subtrees replaced by hostile JSON, as text; or deep nesting."""
    kind = draw(st.integers(0, 12))
    if kind == 0:
        depth = draw(st.sampled_from([500, 990, 5000, 100_000]))
        return "[" * depth + "]" * depth
    value = template
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(value)))
        value = _replace(value, path, draw(json_values))
    text = json.dumps(value, ensure_ascii=draw(st.booleans()), allow_nan=True)
    if draw(st.integers(0, 6)) == 0:
        text = text.replace("3888", draw(st.sampled_from(["1e400", "-1e400", "9" * 5000, "NaN", "Infinity"])), 1)
    return text


@st.composite
def json_cases(draw: Any) -> Case:
    """merge / check --baseline / trend over hostile JSON documents."""
    kind = draw(st.sampled_from(["merge", "baseline", "history"]))
    files: dict[str, Any] = {"c.onnx": CONV, "edgegate.yaml": POLICY.replace(
        "macs: {max: 1 MAC}", "macs: {max: 1 MAC, max_increase: 5%}")}
    reports: dict[str, str] = {}
    if kind == "merge":
        files["a.json"] = draw(mutated_json(RESULT))
        argv = ["merge", "a.json"]
        if draw(st.booleans()):
            files["b.json"] = json.dumps({**RESULT, "models": [{**RECORD, "model": "z.onnx"}]})
            argv.append("b.json")
        argv += draw(st.sampled_from([[], ["--format", "github"], ["--format", "markdown"],
                                      ["--history", "h.jsonl"]]))
        argv += ["--json", "o.json", "--sarif", "o.sarif", "--junit-xml", "o.xml"]
        reports = {"o.json": "json", "o.sarif": "sarif", "o.xml": "junit"}
    elif kind == "baseline":
        files["b.json"] = draw(mutated_json(BASELINE))
        argv = ["check", "--root", ".", "--baseline", "b.json", "--json", "o.json"]
        reports = {"o.json": "json"}
    else:
        lines = [draw(mutated_json(HISTORY)) if draw(st.booleans()) else json.dumps(HISTORY)
                 for _ in range(draw(st.integers(1, 3)))]
        files["h.jsonl"] = "\n".join(lines) + "\n"
        argv = ["trend", "h.jsonl"] + draw(st.sampled_from([[], ["--format", "json"], ["--last", "1"],
                                                            ["--metric", "macs"]]))
    return Case("json", argv, files, reports=reports, github=draw(st.integers(0, 4)) == 0, note=kind, timeout=10)


# ----------------------------------------------------------------------------- models

@st.composite
def attribute_confusion(draw: Any) -> bytes:
    """A node whose attribute is declared with a type its op does not take (hypothesis-native)."""
    op = draw(st.sampled_from(sorted(M.ATTRIBUTE_TARGETS)))
    name, proper = draw(st.sampled_from(M.ATTRIBUTE_TARGETS[op]))
    kind = draw(st.sampled_from([k for k in M.KINDS if k != proper]))
    rng = random.Random(draw(st.integers(0, 2**32)))
    data = M.malformed(rng)  # a valid-ish frame for op; swap in our attribute
    inputs, graph_inputs, inits = M._inputs_for(op)
    domain = "com.microsoft" if op in ("Attention", "MatMulNBits") else ""
    graph = w.graph([w.node(op, inputs, ["y"], name="n0", domain=domain,
                            attrs=[M.wrong_attribute(op, name, kind, rng)])], "g", graph_inputs,
                    [w.value_info("y", 1, None)], inits)
    del data
    return w.model(graph, [w.opset("", draw(st.sampled_from([11, 13, 17, 21])))]
                   + ([w.opset(domain, 1)] if domain else []))


@st.composite
def hostile_name_model(draw: Any) -> bytes:
    """A model with one kind of name set to arbitrary bytes (hypothesis draws the bytes)."""
    name = draw(st.one_of(st.binary(min_size=1, max_size=12), st.sampled_from(M.HOSTILE_NAMES[:-1])))

    class Fixed(random.Random):
        def choice(self, seq: Any) -> Any:
            return name if seq is M.HOSTILE_NAMES else super().choice(seq)
    return M.raw_names(Fixed(draw(st.integers(0, 2**32))))


model_bytes = st.one_of(
    st.randoms(use_true_random=False).map(M.native_op),
    st.randoms(use_true_random=False).map(M.any_domain_op),
    st.randoms(use_true_random=False).map(M.shape_dataprop),
    st.randoms(use_true_random=False).map(M.fold_blowup),
    st.randoms(use_true_random=False).map(M.malformed),
    attribute_confusion(),
    hostile_name_model(),
    st.randoms(use_true_random=False).map(M.FAMILIES["deep"]),
)


@st.composite
def model_cases(draw: Any, family: str | None = None) -> Case:
    """estimate (any format), check with every report, or diff, over a hostile model."""
    if family is None:
        data = draw(model_bytes)
    elif family == "attr":
        data = draw(attribute_confusion())
    elif family == "names":
        data = draw(hostile_name_model())
    else:
        data = M.FAMILIES[family](draw(st.randoms(use_true_random=False)))
    how = draw(st.sampled_from(["estimate", "estimate", "check", "check", "diff"]))
    files: dict[str, Any] = {"m.onnx": data}
    reports: dict[str, str] = {}
    if how == "estimate":
        argv = ["estimate", "m.onnx", "--dim", "batch=1", "--dim", "N=2"] + draw(st.sampled_from(
            [[], ["--format", "json"], ["--format", "csv", "--per-layer"], ["--netron"], ["--per-layer"],
             ["--fusion", "none"], ["--precision", "int8"]]))
    elif how == "check":
        files["edgegate.yaml"] = POLICY + "    unestimated: warn\n"
        argv = ["check", "--root", ".", "--json", "r.json", "--sarif", "r.sarif", "--junit-xml", "r.xml",
                "--format", "markdown:r.md"]
        reports = {"r.json": "json", "r.sarif": "sarif", "r.xml": "junit", "r.md": "markdown"}
    else:
        files["c.onnx"] = CONV
        argv = ["diff", "c.onnx", "m.onnx", "--dim", "batch=1"] + draw(st.sampled_from([[], ["--format", "json"]]))
    return Case(f"model-{family or 'any'}", argv, files, reports=reports,
                github=draw(st.integers(0, 3)) == 0, note=how, timeout=12)


@st.composite
def github_cases(draw: Any) -> Case:
    """Any case, under GitHub Actions, with the github format where it exists."""
    inner = draw(st.one_of(model_cases("names"), argv_cases(), json_cases(), policy_cases(), reports_cases(),
                           targets_cases(), policy_focused_cases()))
    inner.github = True
    if inner.argv[0] in ("check", "merge") and draw(st.booleans()):
        inner.argv += ["--format", draw(st.sampled_from(["github", "text"]))]
    inner.generator = "github"
    return inner


STRATEGIES = {
    "policy": policy_cases,
    "argv": argv_cases,
    "json": json_cases,
    "model": model_cases,
    "model-dataprop": lambda: model_cases("dataprop"),
    "model-fold": lambda: model_cases("fold"),
    "model-malformed": lambda: model_cases("malformed"),
    "model-attr": lambda: model_cases("attr"),
    "model-names": lambda: model_cases("names"),
    "model-deep": lambda: model_cases("deep"),
    "model-native": lambda: model_cases("native"),
    "model-any-domain": lambda: model_cases("any-domain"),
    "github": github_cases,
}


# ----------------------------------------------------------------------------- focused policies

FOCUS_BASE = {"version": 1, "targets": {"t": {"peak": {"fp32": "1 TFLOP/s", "int8": "4 TOPS"},
                                              "dram_bandwidth": "10 GB/s", "onchip_bytes": "1 MiB"}},
              "defaults": {"dims": {"batch": 1}, "target": "t", "fps": 30},
              "custom_ops": {"com.vendor.Custom": {"flops_per_output": 2}},
              "budgets": {"all": {"include": ["*.onnx"], "unestimated": "warn",
                                  "limits": {"macs": {"max": "1 MAC"}, "flops": {"max": "1 GFLOP"},
                                             "latency_ms": {"max": "10 ms"},
                                             "bandwidth_at_fps": {"max": "1 GB/s"}}}}}


@st.composite
def policy_focused_cases(draw: Any) -> Case:
    """A valid policy with exactly one hostile value, so the check gets past the schema to
    glob matching, unit arithmetic, targets and custom-op costs; then check with every report."""
    data = json.loads(json.dumps(FOCUS_BASE))
    where = draw(st.sampled_from(["include", "include", "exclude", "limit", "limit", "peak", "bandwidth",
                                  "fps", "custom", "dims", "budget-name", "message", "target-name"]))
    budget = data["budgets"]["all"]
    if where in ("include", "exclude"):
        budget[where] = [draw(globs())]
    elif where == "limit":
        metric = draw(st.sampled_from(["macs", "flops", "latency_ms", "bandwidth_at_fps"]))
        budget["limits"][metric] = {draw(st.sampled_from(["max", "min", "max_increase"])): draw(quantities(True))}
    elif where == "peak":
        data["targets"]["t"]["peak"]["fp32"] = draw(quantities())
    elif where == "bandwidth":
        data["targets"]["t"]["dram_bandwidth"] = draw(quantities())
    elif where == "fps":
        data["defaults"]["fps"] = draw(quantities())
    elif where == "custom":
        data["custom_ops"]["com.vendor.Custom"] = {draw(st.sampled_from(["flops_per_output", "macs_per_output"])):
                                                   draw(numbers())}
    elif where == "dims":
        data["defaults"]["dims"] = {draw(st.sampled_from(["batch", INJ, "x\ny"])): draw(numbers())}
    elif where == "budget-name":
        data["budgets"] = {draw(hostile_text): budget}
    elif where == "message":
        budget["limits"]["macs"]["message"] = draw(hostile_text)
    else:
        data["targets"] = {draw(hostile_text): data["targets"]["t"]}
    files: dict[str, Any] = {"p.yaml": _dump(data, draw(st.integers(0, 2))), "m.onnx": M.unestimated_named("n")}
    if where in ("include", "exclude"):
        files["/".join(["d"] * draw(st.integers(5, 30))) + "/m.onnx"] = CONV
        files["a" * 40 + ".onnx"] = CONV
    argv = ["check", "--policy", "p.yaml", "--root", ".", "--json", "r.json", "--sarif", "r.sarif",
            "--junit-xml", "r.xml"]
    return Case("policy-focused", argv, files, reports={"r.json": "json", "r.sarif": "sarif", "r.xml": "junit"},
                github=draw(st.integers(0, 3)) == 0, note=where, timeout=8)


STRATEGIES["policy-focused"] = policy_focused_cases


# ----------------------------------------------------------------------------- report writers

@st.composite
def reports_cases(draw: Any) -> Case:
    """check (or merge) writing many reports: paths shared by two options, directories, FIFOs,
    symlinks, missing parents, files of another kind, a full disk (a small file-size limit)."""
    files: dict[str, Any] = {"m.onnx": M.unestimated_named(draw(st.sampled_from(["n", f"##[error]{MARK}", "x\ufffe"]))),
                             "c.onnx": CONV, "edgegate.yaml": POLICY, "dir": Dir(), "fifo": Fifo(),
                             "loop": Symlink("loop"), "link": Symlink("r.json"), "existing.json": "{}\n",
                             "h.jsonl": draw(st.sampled_from(["", json.dumps(HISTORY) + "\n", "not a history\n"]))}
    paths = ["r.json", "r.out", "r.xml", "r.sarif", "r.html", "r.md", "dir", "fifo", "loop", "link", "nested/new/r.x",
             "existing.json", "edgegate.yaml", "m.onnx", "/dev/null", "/dev/full", "h.jsonl"]
    options = [("--json", "json"), ("--sarif", "sarif"), ("--junit-xml", "junit"), ("--html", "html"),
               ("--pr-comment", "comment"), ("--github-summary", "markdown")]
    argv = draw(st.sampled_from([["check", "--root", "."], ["check", "--root", ".", "m.onnx"]]))
    reports: dict[str, str] = {}
    for option, kind in draw(st.lists(st.sampled_from(options), min_size=1, max_size=6, unique=True)):
        path = draw(st.sampled_from(paths))
        argv += [option, path]
        if path not in ("dir", "fifo", "loop", "/dev/null", "/dev/full", "edgegate.yaml", "m.onnx", "h.jsonl"):
            reports[path if path not in reports else f"{path}#{len(reports)}"] = kind
    for _ in range(draw(st.integers(0, 2))):
        fmt = draw(st.sampled_from(["json", "sarif", "junit", "html", "comment", "markdown", "text", "github"]))
        path = draw(st.sampled_from(["", *paths]))
        argv += ["--format", f"{fmt}:{path}" if path else fmt]
        if path and path not in ("dir", "fifo", "loop", "/dev/null", "/dev/full", "edgegate.yaml", "m.onnx", "h.jsonl"):
            reports[path if path not in reports else f"{path}#{len(reports)}"] = fmt
    if draw(st.booleans()):
        argv += ["--history", draw(st.sampled_from(["h.jsonl", "new.jsonl", "r.json", "dir", "fifo", "existing.json"]))]
    argv += draw(st.sampled_from([[], ["--quiet"], ["--no-quiet"], ["--strict"], ["--no-fail"]]))
    fsize = draw(st.sampled_from([None, None, None, 4096, 64 * 1024]))
    return Case("reports", argv, files, reports=reports, github=draw(st.integers(0, 3)) == 0, note="check",
                timeout=12, fsize=fsize)


# ----------------------------------------------------------------------------- targets

@st.composite
def target_text(draw: Any) -> str:
    """A target file: valid, or with one hostile value (a number, a unit, an efficiency table)."""
    data: dict[str, Any] = {"version": 1, "peak": {"fp32": "100 GFLOP/s"}, "dram_bandwidth": "10 GB/s"}
    where = draw(st.sampled_from(["none", "peak", "bandwidth", "onchip", "efficiency", "key", "ops", "version"]))
    if where == "peak":
        data["peak"] = {draw(st.sampled_from(["fp32", "int8", "fp64", INJ])): draw(quantities())}
    elif where == "bandwidth":
        data["dram_bandwidth"] = draw(quantities())
    elif where == "onchip":
        data["onchip_bytes"] = draw(quantities())
    elif where == "efficiency":
        data["efficiency"] = {draw(st.sampled_from(["fp32", "int8", "version"])): {
            draw(st.sampled_from(["conv", "matmul", "elementwise", INJ])): draw(numbers())}}
    elif where == "key":
        data[draw(hostile_text)] = draw(numbers())
    elif where == "ops":
        data["supported_ops"] = draw(st.lists(hostile_text, max_size=3))
    elif where == "version":
        data["version"] = draw(numbers())
    return _dump(data, draw(st.integers(0, 2)))


@st.composite
def targets_cases(draw: Any) -> Case:
    """A target file read by estimate --target, diff --target, policy validate or a budget; or
    ``target measure`` / ``measure`` with hostile options (a valid quick measurement, rarely)."""
    files: dict[str, Any] = {"m.onnx": CONV, "t.yaml": draw(target_text()), "dir": Dir(), "fifo": Fifo()}
    how = draw(st.sampled_from(["estimate", "estimate", "validate", "budget", "diff", "measure", "target"]))
    if how == "estimate":
        argv = ["estimate", "m.onnx", "--target", draw(st.sampled_from(["t.yaml", "dir/x.yaml", "fifo.yaml", "t.yml"])),
                *draw(st.sampled_from([[], ["--format", "json"], ["--format", "csv"], ["--sort", "latency_ms"]]))]
    elif how == "validate":
        argv = ["policy", "validate", "t.yaml"]
    elif how == "diff":
        argv = ["diff", "m.onnx", "m.onnx", "--target", "t.yaml"]
    elif how == "budget":
        files["p.yaml"] = POLICY.replace("    limits:", "    target: t.yaml\n    limits:") + "      latency_ms: {max: 1 s}\n"
        argv = ["check", "--policy", "p.yaml", "--root", ".", "--json", "r.json"]
        return Case("targets", argv, files, reports={"r.json": "json"}, note=how, timeout=12)
    elif how == "measure":
        argv = ["measure", "m.onnx", *draw(st.sampled_from([["--runs", "0"], ["--threads", "100000"],
                                                            ["--target", "t.yaml"], []]))]
    else:
        quick = draw(st.integers(0, 40)) == 0
        out = draw(st.sampled_from(["new.yaml", "t.yaml", "dir", "fifo", "new.txt", "nested/n.yaml"]))
        threads = "1" if quick else draw(st.sampled_from(["0", "-1", "100000", str(10**30), "x", "1"]))
        argv = ["target", "measure", "--out", out, "--threads", threads, "--quick",
                *draw(st.sampled_from([[], ["--force"], ["--precision", "fp64"], ["--precision", ""]]))]
    return Case("targets", argv, files, note=how, timeout=30 if how in ("target", "measure") else 12)


STRATEGIES["reports"] = reports_cases
STRATEGIES["targets"] = targets_cases
