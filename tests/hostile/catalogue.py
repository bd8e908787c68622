"""Named reproducers for every class of issue 10 (1-11): the issue's examples and the further
members the first hostile-input campaign found, one :class:`~tests.hostile.sandbox.Case` each.

    python -m tests.hostile.catalogue                 # run all (forked children), one line each
    python -m tests.hostile.catalogue 2 7.glob-range  # a class, or one case
    python -m tests.hostile.catalogue --mode exec     # as real processes

Every case runs in its own directory under the sandbox's limits (tests/hostile/sandbox.py);
tests/test_hostile_classes.py runs them as the fast regression tests.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from onnx import helper

from tests.hostile import models as M
from tests.hostile import wire as w
from tests.hostile.sandbox import MARK, Case, Dir, Fifo, run, save_failure

i64 = M.i64
POLICY = "version: 1\nbudgets:\n  all:\n    include: ['*.onnx']\n    dims: {batch: 1}\n    limits:\n      macs: {max: 1 GMAC}\n"
CONV = M.conv_model()
RELU = M.relu_model()

CASES: dict[str, tuple[int, str, Callable[[], Case]]] = {}


def case(cls: int, name: str, note: str):
    def register(fn: Callable[[], Case]) -> Callable[[], Case]:
        CASES[f"{cls}.{name}"] = (cls, note, fn)
        return fn
    return register


def est(name: str, data: bytes, *options: str, timeout: float = 20, **kw) -> Case:
    return Case(f"repro-{name}", ["estimate", "m.onnx", *options], {"m.onnx": data},
                timeout=timeout, **kw)


def check(name: str, policy: str | bytes, files: dict | None = None, *options: str,
          timeout: float = 20, **kw) -> Case:
    all_files = {"edgegate.yaml": policy.encode() if isinstance(policy, str) else policy,
                 "m.onnx": CONV, **(files or {})}
    return Case(f"repro-{name}", ["check", "--policy", "edgegate.yaml", "--root", ".", *options],
                all_files, timeout=timeout, **kw)


def validate(name: str, policy: str | bytes, timeout: float = 20, **kw) -> Case:
    return Case(f"repro-{name}", ["policy", "validate", "p.yaml"],
                {"p.yaml": policy.encode() if isinstance(policy, str) else policy}, timeout=timeout, **kw)


def slice_shape(start: int, end: int, step: int) -> bytes:
    return M.build([helper.make_node("Shape", ["x"], ["s"]),
                    helper.make_node("Slice", ["s", "a", "b", "c", "d"], ["q"]),
                    helper.make_node("Reshape", ["x", "q"], ["y"])],
                   {"a": i64(start), "b": i64(end), "c": i64(0), "d": i64(step)})


# ------------------------------------------------------------------ 1 native crash
@case(1, "slice-step-max", "issue: Shape -> Slice steps=[2**63-1] (start 1): onnx data propagation")
def _(): return est("slice-step-max", slice_shape(1, 4, 2**63 - 1))


@case(1, "slice-end-max", "Slice start 0, end 2**63-1, step 2**63-1: i += step wraps")
def _(): return est("slice-end-max", slice_shape(0, 2**63 - 1, 2**63 - 1))


@case(1, "slice-negative-wrap", "Slice start -1, end -2**63, step -(2**63-1)")
def _(): return est("slice-negative-wrap", slice_shape(-1, -(2**63), -(2**63 - 1)))


@case(1, "slice-step-2^62", "Slice start 3, step 2**62: the loop appends dims until memory runs out")
def _(): return est("slice-step-2^62", slice_shape(3, 4, 2**62), timeout=40)


# ------------------------------------------------------------------ 2 folding materializes
@case(2, "constantofshape-65536", "issue: Shape -> ConstantOfShape -> Add over x[65536, 65536] (16 GiB)")
def _(): return est("cos", M.build([helper.make_node("Shape", ["x"], ["s"]),
                                    helper.make_node("ConstantOfShape", ["s"], ["c"]),
                                    helper.make_node("Add", ["x", "c"], ["y"])],
                                   inputs=[("x", M.F32, [65536, 65536])]), timeout=40)


def _fold(kind: str, big: int) -> bytes:
    nodes = {"expand": [helper.make_node("Expand", ["one", "s"], ["c"])],
             "tile": [helper.make_node("Tile", ["one", "s"], ["c"])],
             "range": [helper.make_node("Range", ["z", "n", "o"], ["ci"]),
                       helper.make_node("Cast", ["ci"], ["c"], to=1)]}[kind]
    return M.build(nodes + [helper.make_node("Add", ["x", "c"], ["y"])],
                   {"one": np.ones(1, np.float32), "s": i64(big), "z": np.array(0, np.int64),
                    "n": np.array(big, np.int64), "o": np.array(1, np.int64)},
                   inputs=[("x", M.F32, [1])])


@case(2, "expand-1e9", "issue: Expand of a constant to 1e9 elements")
def _(): return est("expand", _fold("expand", 10**9), timeout=40)


@case(2, "tile-1e9", "issue: Tile of a constant 1e9 times")
def _(): return est("tile", _fold("tile", 10**9), timeout=40)


@case(2, "range-1e12", "issue: Range(0, 1e12, 1)")
def _(): return est("range", _fold("range", 10**12), timeout=40)


@case(2, "scan-2^40", "issue: Scan with num_scan_inputs=2**40")
def _(): return est("scan", M.scan_model(2**40), timeout=40)


@case(2, "input-value-1e6x1e6", "issue: --input-value on a [1e6, 1e6] input")
def _():
    data = M.build([helper.make_node("Relu", ["x"], ["y"])], inputs=[("x", M.F32, [10**6, 10**6])])
    return est("input-value", data, "--input-value", "x=1", timeout=40)


@case(2, "pad-1e10", "Pad of a constant by 1e10 (fold.py has no Pad evaluator: onnx data_prop?)")
def _(): return est("pad", M.build([helper.make_node("Pad", ["one", "p"], ["c"]),
                                    helper.make_node("Add", ["x", "c"], ["y"])],
                                   {"one": np.ones(1, np.float32), "p": i64(0, 10**10)},
                                   inputs=[("x", M.F32, [1])]), timeout=40)


@case(2, "constantofshape-direct-1e10", "ConstantOfShape of a stored shape [1e10]")
def _(): return est("cos-direct", M.build([helper.make_node("ConstantOfShape", ["s"], ["c"]),
                                           helper.make_node("Add", ["x", "c"], ["y"])],
                                          {"s": i64(10**10)}, inputs=[("x", M.F32, [1])]), timeout=40)


# ------------------------------------------------------------------ 3 malformed graphs
def _one(op: str, inputs, attrs, graph_inputs, inits=(), domain="") -> bytes:
    g = w.graph([w.node(op, inputs, ["y"], name="n0", domain=domain, attrs=attrs)], "g",
                graph_inputs, [w.value_info("y", 1, None)], list(inits))
    return w.model(g, [w.opset("", 17)] + ([w.opset(domain, 1)] if domain else []))


X23 = [w.value_info("x2", 1, [2, 3]), w.value_info("x3", 1, [3, 4])]


@case(3, "einsum-equation-graph", "issue: Einsum whose equation is typed GRAPH")
def _(): return est("einsum", _one("Einsum", ["x2", "x3"], [w.attr("equation", w.GRAPH, g=M._g1())], X23))


@case(3, "constant-value-ints-string", "issue: Constant value_ints typed STRING")
def _(): return est("constant", w.model(w.graph(
    [w.node("Constant", [], ["c"], attrs=[w.attr("value_ints", w.STRING, s=b"abc")]),
     w.node("Add", ["x", "c"], ["y"])], "g", [w.value_info("x", 7, [3])], [w.value_info("y", 7, None)])))


@case(3, "conv-empty-weight", "issue: a required input given as '' (Conv weight)")
def _(): return est("conv-empty", _one("Conv", ["x", ""], [], [w.value_info("x", 1, [1, 3, 8, 8])]))


@case(3, "loop-body-min-dims", "issue: a Loop body with -2^63 dims")
def _(): return est("loop-dims", M.loop_with_dims([-(2**63)]))


for _kind in ("recursive", "mutual", "duplicate", "too_many_inputs", "too_few_inputs", "attr_ref", "deep"):
    def _make(kind=_kind):
        return est(f"function-{kind}", M.function_model(kind))
    CASES[f"3.function-{_kind}"] = (3, f"issue: local function {_kind}", _make)


@case(3, "gemm-transA-string", "Gemm transA typed STRING")
def _(): return est("gemm", _one("Gemm", ["x2", "m"], [w.attr("transA", w.STRING, s=b"1")],
                                 [w.value_info("x2", 1, [2, 3])], [w.tensor("m", [3, 4], 1, floats=[1.0] * 12)]))


@case(3, "conv-kernel-shape-graph", "Conv kernel_shape typed GRAPH")
def _(): return est("conv-ks", _one("Conv", ["x", "w"], [w.attr("kernel_shape", w.GRAPH, g=M._g1())],
                                    [w.value_info("x", 1, [1, 3, 8, 8])],
                                    [w.tensor("w", [4, 3, 3, 3], 1, raw=bytes(4 * 108))]))


@case(3, "if-branch-typed-ints", "If then_branch typed INTS")
def _(): return est("if-ints", _one("If", ["c"], [w.attr("then_branch", w.INTS, ints=[1]),
                                                  w.attr("else_branch", w.GRAPH, g=M._g1())],
                                    [w.value_info("c", 9, [])]))


@case(3, "scan-no-inputs", "Scan with num_scan_inputs=0 and no inputs")
def _(): return est("scan0", _one("Scan", [], [w.attr("body", w.GRAPH, g=M._g1()),
                                               w.attr("num_scan_inputs", w.INT, i=0)], []))


# ------------------------------------------------------------------ 4 names not UTF-8
for _where in ("node", "tensor", "op", "domain", "input", "initializer", "output", "graph", "dimparam"):
    def _make(where=_where):
        import random as _r

        class _R(_r.Random):
            def choice(self, seq):  # always the first hostile name: b"\xff\xfe"
                return seq[0] if seq is M.HOSTILE_NAMES else super().choice(seq)
        data = M.raw_names(_R(0), where)
        return Case(f"repro-utf8-{where}", ["check", "--policy", "edgegate.yaml", "--root", ".",
                                             "--json", "r.json", "--sarif", "r.sarif", "--junit-xml", "r.xml"],
                    {"edgegate.yaml": POLICY.replace("macs: {max: 1 GMAC}", "macs: {max: 1 MAC}") +
                     "    unestimated: warn\n", "m.onnx": data},
                    reports={"r.json": "json", "r.sarif": "sarif", "r.xml": "junit"})
    CASES[f"4.{_where}-name-not-utf8"] = (4, f"a {_where} name of raw bytes ff fe (check, all reports)", _make)

CASES["4.node-name-estimate-json"] = (4, "estimate --format json with a node name not UTF-8", lambda: est(
    "utf8-json", M.unestimated_named(b"\xff\xfe"), "--format", "json"))
CASES["4.node-name-netron"] = (4, "estimate --netron with a node name not UTF-8", lambda: est(
    "utf8-netron", M.unestimated_named(b"\xff\xfe"), "--netron"))
CASES["4.node-name-diff"] = (4, "diff with node names not UTF-8", lambda: Case(
    "repro-utf8-diff", ["diff", "a.onnx", "b.onnx"], {"a.onnx": M.unestimated_named(b"\xff\xfe"),
                                                       "b.onnx": M.unestimated_named(b"\xfe\xff")}))


# ------------------------------------------------------------------ 5 recursion limits
@case(5, "loops-3000-deep", "issue: Loops nested 3,000 deep (wire reader)")
def _(): return est("deep-loops", M.deep_nesting(3000, "Loop", 2048))


@case(5, "ifs-150-deep", "If branches nested 150 deep, small enough that the wire reader skips them")
def _(): return est("deep-ifs", M.deep_nesting(150, "If", 0))


@case(5, "yaml-flow-400", "issue: a YAML flow collection 400+ deep")
def _(): return validate("yaml-flow", "version: 1\nbudgets: " + "[" * 400 + "]" * 400 + "\n")


@case(5, "yaml-block-deep", "block mappings 1000 deep")
def _(): return validate("yaml-block", "version: 1\nx:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(1000)))


@case(5, "extends-chain-3000", "issue: an extends chain of 3,000 files")
def _():
    n = 3000
    files = {f"p{i}.yaml": f"version: 1\nextends: p{i + 1}.yaml\n" for i in range(n)}
    files[f"p{n}.yaml"] = POLICY
    files["edgegate.yaml"] = "version: 1\nextends: p0.yaml\n"
    return Case("repro-extends-chain", ["check", "--root", "."], {**files, "m.onnx": CONV})


@case(5, "pyproject-deep-array", "issue: deep arrays in pyproject.toml [tool.edgegate]")
def _():
    toml = "[tool.edgegate]\nversion = 1\nx = " + "[" * 5000 + "]" * 5000 + "\n"
    return Case("repro-toml", ["check", "--root", "."], {"pyproject.toml": toml, "m.onnx": CONV})


@case(5, "pyproject-deep-inline-table", "inline tables 2000 deep in [tool.edgegate]")
def _():
    toml = "[tool.edgegate]\nversion = 1\nx = " + "{a = " * 2000 + "1" + "}" * 2000 + "\n"
    return Case("repro-toml-table", ["check", "--root", "."], {"pyproject.toml": toml, "m.onnx": CONV})


@case(5, "baseline-json-1e5", "issue: a baseline JSON nested 1e5 deep")
def _(): return check("baseline-deep", POLICY, {"b.json": "[" * 100_000 + "]" * 100_000}, "--baseline", "b.json")


@case(5, "merge-json-1e5", "issue: merge JSON nested 1e5 deep")
def _(): return Case("repro-merge-deep", ["merge", "a.json"], {"a.json": "[" * 100_000 + "]" * 100_000})


@case(5, "history-json-1e5", "trend over a history line nested 1e5 deep")
def _(): return Case("repro-history-deep", ["trend", "h.jsonl"], {"h.jsonl": "[" * 100_000 + "]" * 100_000 + "\n"})


@case(5, "schema-deep-json-in-yaml", "a policy value that is a list nested 900 deep (block style, passes YAML?)")
def _():
    text = "version: 1\nbudgets:\n  a:\n    include:\n" + "".join(" " * (4 + 2 * i) + "-\n" for i in range(300)) + " " * 606 + "- x\n"
    return validate("deep-block-list", text)


# ------------------------------------------------------------------ 6 numbers
@case(6, "flops-max-1e400", "issue: flops: {max: 1e400}")
def _(): return check("max-1e400", POLICY.replace("macs: {max: 1 GMAC}", "flops: {max: 1e400}"))


@case(6, "macs-1e400-MAC", "issue: '1e400 MAC'")
def _(): return check("1e400-MAC", POLICY.replace("1 GMAC", "'1e400 MAC'"))


@case(6, "peak-1e400", "issue: target peak: 1e400 FLOP/s")
def _():
    text = ("version: 1\ntargets:\n  t:\n    peak: {fp32: '1e400 FLOP/s'}\n    dram_bandwidth: 1 GB/s\n"
            "budgets:\n  all:\n    target: t\n    limits:\n      latency_ms: {max: 1 ms}\n")
    return check("peak-1e400", text)


@case(6, "bandwidth-1e400", "dram_bandwidth: '1e400 B/s'")
def _():
    text = ("version: 1\ntargets:\n  t:\n    peak: {fp32: 1 TFLOP/s}\n    dram_bandwidth: '1e400 B/s'\n"
            "budgets:\n  all:\n    target: t\n    limits:\n      latency_ms: {max: 1 ms}\n")
    return check("bw-1e400", text)


@case(6, "flops-per-output-nan", "issue: custom_ops flops_per_output: .nan")
def _():
    text = POLICY + "custom_ops:\n  com.vendor.Custom: {flops_per_output: .nan}\n"
    return check("nan-custom", text, {"m.onnx": M.unestimated_named("n")})


@case(6, "flops-per-output-inf", "custom_ops macs_per_output: .inf")
def _():
    text = POLICY + "custom_ops:\n  com.vendor.Custom: {macs_per_output: .inf}\n"
    return check("inf-custom", text, {"m.onnx": M.unestimated_named("n")})


@case(6, "int-5000-digits", "issue: an integer of 5,000 digits")
def _(): return validate("5000-digits", POLICY.replace("1 GMAC", "1" * 5000))


@case(6, "dims-5000-digits", "dims: {batch: <5,000 digits>}")
def _(): return validate("dims-digits", POLICY.replace("batch: 1", "batch: " + "9" * 5000))


@case(6, "dim-superscript-two", "issue: --dim batch=²")
def _(): return est("dim-sup", RELU, "--dim", "batch=²")


@case(6, "dim-arabic-digit", "--dim batch=٣ (an Arabic-Indic digit: isdigit and int() accept it)")
def _(): return est("dim-arabic", RELU, "--dim", "batch=٣")


@case(6, "input-shape-superscript", "--input-shape x=1x²")
def _(): return est("shape-sup", RELU, "--input-shape", "x=1x²")


@case(6, "shard-superscript", "--shard ¹/²")
def _(): return check("shard-sup", POLICY, None, "--shard", "¹/²")


@case(6, "init-headroom-nan", "issue: init --headroom nan")
def _(): return Case("repro-headroom-nan", ["init", "--root", ".", "--dim", "batch=1", "--headroom", "nan"],
                     {"m.onnx": RELU})


@case(6, "init-headroom-inf", "init --headroom inf")
def _(): return Case("repro-headroom-inf", ["init", "--root", ".", "--dim", "batch=1", "--headroom", "inf"],
                     {"m.onnx": RELU})


@case(6, "init-fps-nan", "init --fps nan --target raspberry-pi-5")
def _(): return Case("repro-fps-nan", ["init", "--root", ".", "--dim", "batch=1", "--target",
                                       "raspberry-pi-5", "--fps", "nan"], {"m.onnx": RELU})


@case(6, "input-value-inf", "issue: --input-value n=inf on an int64 input")
def _():
    data = M.build([helper.make_node("Cast", ["n"], ["y"], to=1)], inputs=[("n", 7, [])])
    return est("value-inf", data, "--input-value", "n=inf")


@case(6, "input-value-nan-int", "--input-value n=nan on an int64 input")
def _():
    data = M.build([helper.make_node("Cast", ["n"], ["y"], to=1)], inputs=[("n", 7, [])])
    return est("value-nan", data, "--input-value", "n=nan")


@case(6, "input-value-1e300-int8", "--input-value n=1e300 on an int8 input")
def _():
    data = M.build([helper.make_node("Cast", ["n"], ["y"], to=1)], inputs=[("n", 3, [])])
    return est("value-big", data, "--input-value", "n=1e300")


@case(6, "input-value-string-input", "--input-value s=1 on a STRING input")
def _():
    data = M.build([helper.make_node("Identity", ["s"], ["y"])], inputs=[("s", 8, [])])
    return est("value-str", data, "--input-value", "s=1")


@case(6, "macs-1e999999999", "issue: '1e999999999 MAC' hangs (Fraction builds 10**999999999)")
def _(): return validate("1e999999999", POLICY.replace("1 GMAC", "'1e999999999 MAC'"), timeout=20)


@case(6, "macs-1e-999999999", "'1e-999999999 MAC' (a tiny one)")
def _(): return validate("1e-999999999", POLICY.replace("1 GMAC", "'1e-999999999 MAC'"), timeout=20)


@case(6, "fps-1e999999", "fps: '1e999999 fps'")
def _(): return validate("fps-huge", POLICY.replace("dims: {batch: 1}", "dims: {batch: 1}\n    fps: '1e999999 fps'"), timeout=20)


@case(6, "max-increase-1e400", "max_increase: '1e400%'")
def _(): return check("inc-1e400", POLICY.replace("macs: {max: 1 GMAC}", "macs: {max_increase: '1e400%'}"),
                      {"b.json": "{}"})


@case(6, "top-huge", "estimate --top 10**30")
def _(): return est("top", CONV, "--top", str(10**30))


@case(6, "check-top-negative", "check --top -5 (a negative count)")
def _(): return check("top-neg", POLICY.replace("1 GMAC", "1 MAC"), None, "--top", "-5")


@case(6, "trend-last-huge", "trend --last 10**30")
def _(): return Case("repro-last", ["trend", "h.jsonl", "--last", str(10**30)],
                     {"h.jsonl": json.dumps({"schema": "edgegate.history", "model": "m", "metrics": {"flops": 1}}) + "\n"})


# ------------------------------------------------------------------ 7 globs and policy bytes
def _glob_policy(glob: str) -> str:
    return POLICY.replace("include: ['*.onnx']", f"include: [{json.dumps(glob)}]")


@case(7, "glob-range-reversed", "issue: include glob [z-a]")
def _(): return check("glob-za", _glob_policy("[z-a].onnx"))


@case(7, "glob-bang-only", "issue: include glob [!]")
def _(): return check("glob-bang", _glob_policy("[!]x.onnx"))


@case(7, "glob-backslash-end", "include glob ending in a class with a lone backslash: [\\]")
def _(): return check("glob-bs", _glob_policy("a[\\\\]b.onnx"))


@case(7, "glob-class-caret", "include glob [^] (a regex negation that fnmatch does not have)")
def _(): return check("glob-caret", _glob_policy("[^]x.onnx"))


@case(7, "glob-trend-model", "trend --model '[z-a]'")
def _(): return Case("repro-trend-glob", ["trend", "h.jsonl", "--model", "[z-a]"],
                     {"h.jsonl": json.dumps({"schema": "edgegate.history", "model": "m", "metrics": {"flops": 1}}) + "\n"})


@case(7, "glob-doublestar-14", "issue: '**/'*14 + 'zz.onnx' over a deep tree (regex backtracking)")
def _():
    deep = "/".join(["d"] * 30) + "/m.onnx"
    return check("glob-ds", _glob_policy("**/" * 14 + "zz.onnx"), {deep: CONV}, timeout=20)


@case(7, "glob-star-a-12", "issue: '*a'*12 + 'b.onnx' (regex backtracking)")
def _():
    return check("glob-stara", _glob_policy("*a" * 12 + "b.onnx"), {"a" * 40 + ".onnx": CONV}, timeout=20)


@case(7, "nul-in-policy", "issue: a NUL byte in the policy")
def _(): return validate("nul", "version: 1\x00\n")


@case(7, "policy-proc-environ", "issue: --policy /proc/self/environ")
def _(): return Case("repro-environ", ["check", "--policy", "/proc/self/environ", "--root", "."], {"m.onnx": CONV})


@case(7, "extends-proc-environ", "issue: extends: /proc/self/environ")
def _(): return validate("ext-environ", "version: 1\nextends: /proc/self/environ\n")


@case(7, "extends-etc-passwd", "issue: extends: /etc/passwd quotes the file in the error")
def _(): return validate("ext-passwd", "version: 1\nextends: /etc/passwd\n")


@case(7, "extends-secret-yaml", "extends: a YAML file of secrets: the first value is quoted")
def _(): return Case("repro-secret", ["policy", "validate", "p.yaml"],
                     {"p.yaml": "version: 1\nextends: secrets.yml\n",
                      "secrets.yml": "version: 1\napi_token: ghp_SECRETSECRETSECRET\n"})


@case(7, "policy-50MB", "issue: a 50 MB policy takes over 30 s")
def _():
    body = "".join(f"  b{i}:\n    include: ['m{i}_*.onnx']\n    limits:\n      macs: {{max: 3 MMAC}}\n"
                   for i in range(600_000))
    return validate("50mb", "version: 1\nbudgets:\n" + body, timeout=30)


@case(7, "policy-c1-control", "a C1 control character (U+0085) in a policy string")
def _(): return validate("c1", "version: 1\nbudgets:\n  a\u0085b: {limits: {macs: {max: 1}}}\n")


@case(7, "policy-utf16", "a UTF-16 policy (with BOM)")
def _(): return validate("utf16", POLICY.encode("utf-16"))


@case(7, "policy-bom-utf8", "a UTF-8 BOM in front of the policy")
def _(): return validate("bom", "\ufeff" + POLICY)


@case(7, "policy-surrogate", "a policy with a lone surrogate escape \\ud800 in a double-quoted string")
def _(): return validate("surrogate", POLICY.replace("budgets:\n  all:", 'budgets:\n  "a\\ud800b":'))


# ------------------------------------------------------------------ 8 special files
@case(8, "fifo-history", "issue: a FIFO as --history")
def _(): return check("fifo-history", POLICY, {"h.jsonl": Fifo()}, "--history", "h.jsonl", timeout=10)


@case(8, "fifo-baseline", "issue: a FIFO as --baseline")
def _(): return check("fifo-baseline", POLICY, {"b.json": Fifo()}, "--baseline", "b.json", timeout=10)


@case(8, "fifo-merge", "issue: a FIFO as a merge input")
def _(): return Case("repro-fifo-merge", ["merge", "a.json"], {"a.json": Fifo()}, timeout=10)


@case(8, "fifo-policy-validate", "issue: a FIFO given to policy validate")
def _(): return Case("repro-fifo-validate", ["policy", "validate", "p.yaml"], {"p.yaml": Fifo()}, timeout=10)


@case(8, "fifo-trend", "a FIFO given to trend")
def _(): return Case("repro-fifo-trend", ["trend", "h.jsonl"], {"h.jsonl": Fifo()}, timeout=10)


@case(8, "fifo-extends", "extends: a FIFO")
def _(): return Case("repro-fifo-extends", ["policy", "validate", "p.yaml"],
                     {"p.yaml": "version: 1\nextends: f.yaml\n", "f.yaml": Fifo()}, timeout=10)


@case(8, "fifo-json-report", "a FIFO as the --json report path")
def _(): return check("fifo-json", POLICY, {"r.json": Fifo()}, "--json", "r.json", timeout=10)


@case(8, "fifo-pyproject", "pyproject.toml is a FIFO (policy discovery reads it)")
def _(): return Case("repro-fifo-pyproject", ["check", "--root", "."], {"pyproject.toml": Fifo(), "m.onnx": CONV}, timeout=10)


@case(8, "init-output-dir", "issue: init --output DIR")
def _(): return Case("repro-init-dir", ["init", "--root", ".", "--dim", "batch=1", "--output", "out", "--force"],
                     {"m.onnx": RELU, "out": Dir()})


@case(8, "init-output-missing-parent", "init --output missing/dir/p.yaml")
def _(): return Case("repro-init-parent", ["init", "--root", ".", "--dim", "batch=1", "--output", "nope/p.yaml"],
                     {"m.onnx": RELU})


@case(8, "merge-models-int", "issue: merge of {\"models\": [5]}")
def _(): return Case("repro-merge-5", ["merge", "a.json"], {"a.json": json.dumps({"schema_version": 1, "models": [5]})})


@case(8, "merge-findings-int", "merge of a model record whose findings are [5]")
def _():
    rec = {"model": "m", "budget": "b", "error": None, "findings": [5]}
    return Case("repro-merge-f", ["merge", "a.json"], {"a.json": json.dumps({"schema_version": 1, "models": [rec]})})


@case(8, "merge-minimal-record", "merge of a record with only model and budget (reporting it)")
def _():
    rec = {"model": "m", "budget": "b", "error": None}
    return Case("repro-merge-min", ["merge", "a.json"], {"a.json": json.dumps({"schema_version": 1, "models": [rec]})})


@case(8, "baseline-entry-list", "a baseline whose model entry is a list")
def _(): return check("baseline-list", POLICY, {"b.json": json.dumps({"schema": "edgegate.baseline", "schema_version": 1,
                                                                       "models": {"m.onnx": {"all": [1]}}})},
                      "--baseline", "b.json")


@case(8, "history-metrics-string", "trend over a history line whose metric is a string")
def _(): return Case("repro-hist-str", ["trend", "h.jsonl"], {"h.jsonl": json.dumps(
    {"schema": "edgegate.history", "model": "m", "metrics": {"flops": "x"}}) + "\n" + json.dumps(
    {"schema": "edgegate.history", "model": "m", "metrics": {"flops": 2}}) + "\n"})


@case(8, "model-dev-zero", "a model that is /dev/zero (a character device)")
def _(): return Case("repro-devzero", ["estimate", "/dev/zero"], {})


@case(8, "baseline-dev-zero", "--baseline /dev/zero (reads forever)")
def _(): return check("baseline-zero", POLICY, None, "--baseline", "/dev/zero", timeout=10)


# ------------------------------------------------------------------ 9 resources
@case(9, "jobs-10000", "issue: --jobs 10000 with two models (pids cgroup caps it at 200 here)")
def _(): return check("jobs", POLICY, {"a.onnx": CONV}, "--jobs", "10000", timeout=30)


@case(9, "jobs-huge", "--jobs 10**30")
def _(): return check("jobs-huge", POLICY, {"a.onnx": CONV}, "--jobs", str(10**30), timeout=30)


@case(9, "shard-huge", "--shard 1/10**30")
def _(): return check("shard-huge", POLICY, None, "--shard", f"1/{10**30}")


# ------------------------------------------------------------------ 10 report writers
@case(10, "junit-ufffe", "issue: U+FFFE in a node name crashes JUnit, then no other report is written")
def _():
    return check("junit-fffe", POLICY.replace("1 GMAC", "1 MAC"), {"m.onnx": M.unestimated_named("a\ufffeb")},
                 "--junit-xml", "r.xml", "--json", "r.json", "--sarif", "r.sarif",
                 reports={"r.xml": "junit", "r.json": "json", "r.sarif": "sarif"})


@case(10, "junit-budget-ufffe", "U+FFFF in a budget name (JUnit package)")
def _():
    return check("junit-budget", POLICY.replace("  all:", '  "a\\uffffb":'), None,
                 "--junit-xml", "r.xml", "--json", "r.json", reports={"r.xml": "junit", "r.json": "json"})


@case(10, "sarif-non-utf8-path", "issue: a model file name that is not UTF-8 crashes SARIF")
def _():
    return Case("repro-sarif-name", ["check", "--policy", "edgegate.yaml", "--root", ".", "--sarif", "r.sarif",
                                      "--json", "r.json"],
                {"edgegate.yaml": POLICY.replace("1 GMAC", "1 MAC"), os.fsdecode(b"m\xff.onnx"): CONV},
                reports={"r.sarif": "sarif", "r.json": "json"})


@case(10, "json-non-utf8-path", "a model file name that is not UTF-8: --json")
def _():
    return Case("repro-json-name", ["check", "--policy", "edgegate.yaml", "--root", ".", "--json", "r.json"],
                {"edgegate.yaml": POLICY, os.fsdecode(b"m\xff.onnx"): CONV}, reports={"r.json": "json"})


@case(10, "text-non-utf8-path", "a model file name that is not UTF-8: text report, estimate")
def _():
    return Case("repro-text-name", ["estimate", os.fsdecode(b"m\xff.onnx")], {os.fsdecode(b"m\xff.onnx"): CONV})


@case(10, "json-dev-full", "issue: --json /dev/full")
def _(): return check("json-full", POLICY, None, "--json", "/dev/full")


@case(10, "json-full-tmpfs", "issue: --json on a full tmpfs leaves a truncated file")
def _():
    return check("json-tmpfs", POLICY, {f"m{i}.onnx": CONV for i in range(60)}, "--json",
                 "r.json", "--format", "markdown", reports={"r.json": "json"}, fsize=64 * 1024)


@case(10, "json-junit-same-path", "issue: --json P --junit-xml P silently overwrites")
def _(): return check("same-path", POLICY, None, "--json", "r.out", "--junit-xml", "r.out",
                      reports={"r.out": "json", "r.out#2": "junit"})


@case(10, "format-path-twice", "--format json:r --format sarif:r (same path twice)")
def _(): return check("same-path-format", POLICY, None, "--format", "json:r", "--format", "sarif:r",
                      reports={"r": "json", "r#2": "sarif"})


@case(10, "summary-is-report", "--github-summary P --json P")
def _(): return check("same-summary", POLICY, None, "--json", "r.json", "--github-summary", "r.json",
                      reports={"r.json": "json", "r.json#2": "markdown"})


@case(10, "netron-into-dir", "--netron when m.netron.json is a directory")
def _(): return Case("repro-netron-dir", ["estimate", "m.onnx", "--netron"], {"m.onnx": CONV, "m.netron.json": Dir()})


@case(10, "history-dir", "--history DIR")
def _(): return check("history-dir", POLICY, {"h": Dir()}, "--history", "h")


# ------------------------------------------------------------------ 11 injection
GH = {"github": True}
INJ = f"::error title={MARK}::{MARK}"


@case(11, "estimate-text-node-newline", "issue: estimate text prints a node name with its newline")
def _(): return est("inj-est", M.unestimated_named("conv\n" + INJ), "--per-layer", **GH)


@case(11, "estimate-csv-node-newline", "issue: estimate --format csv")
def _(): return est("inj-csv", M.unestimated_named("conv\n" + INJ), "--format", "csv", "--per-layer", **GH)


@case(11, "estimate-op-domain-newline", "estimate text: a custom op's domain with a newline (unestimated list)")
def _(): return est("inj-domain", w.model(w.graph([w.node("Custom", ["x"], ["y"], name="n", domain="v\n" + INJ)],
                                                   "g", [w.value_info("x", 1, [1])], [w.value_info("y", 1, None)]),
                                           [w.opset("", 17), w.opset("v\n" + INJ, 1)]), **GH)


@case(11, "diff-node-newline", "issue: diff prints layer names raw")
def _(): return Case("repro-inj-diff", ["diff", "a.onnx", "b.onnx"],
                     {"a.onnx": M.unestimated_named("conv\n" + INJ), "b.onnx": M.conv_model("conv\n" + INJ + "2")}, **GH)


@case(11, "netron-path", "issue: --netron prints the sidecar path raw ('edgegate: wrote PATH')")
def _():
    name = f"m\n{INJ}.onnx"
    return Case("repro-inj-netron", ["estimate", name, "--netron"], {name: CONV}, **GH)


@case(11, "text-report-model-path", "issue: --format text under Actions: the line starts with the model path")
def _():
    name = f"{INJ}.onnx"
    return Case("repro-inj-text", ["check", "--policy", "edgegate.yaml", "--root", ".", "--format", "text", name],
                {"edgegate.yaml": POLICY, name: CONV}, **GH)


@case(11, "estimate-model-path", "estimate prints the model path at the start of its header line")
def _():
    name = f"{INJ}.onnx"
    return Case("repro-inj-est-path", ["estimate", name], {name: CONV}, **GH)


@case(11, "error-dim-name", "issue: an error message echoes a --dim name with ##[")
def _(): return est("inj-dim", RELU, "--dim", f"##[error]{MARK}=x", **GH)


@case(11, "error-policy-key", "issue: a policy error echoes an unknown key with ##[")
def _(): return validate("inj-key", f"version: 1\n'##[error]{MARK}': 1\n", **GH)


@case(11, "error-policy-key-newline", "a policy error echoes a key holding a newline")
def _(): return validate("inj-key-nl", f'version: 1\n"x\\n{INJ}": 1\n', **GH)


@case(11, "error-path", "issue: an error names a path holding a newline")
def _(): return Case("repro-inj-path", ["estimate", f"x\n{INJ}.onnx"], {}, **GH)


@case(11, "nothing-to-check-path", "'nothing to check' line with a policy path holding a newline")
def _():
    pol = f"p\n{INJ}.yaml"
    return Case("repro-inj-nothing", ["check", "--policy", pol, "--root", ".", "none.onnx"], {pol: POLICY}, **GH)


@case(11, "trend-model", "trend prints model names from the history raw")
def _(): return Case("repro-inj-trend", ["trend", "h.jsonl"], {"h.jsonl": json.dumps(
    {"schema": "edgegate.history", "model": f"m\n{INJ}", "metrics": {"flops": 1}}) + "\n"}, **GH)


@case(11, "merge-model-github", "merge --format github of a record whose error holds a newline")
def _():
    rec = {"model": "m.onnx", "budget": "b", "error": f"x\n{INJ}", "exit_code": 3, "passed": False,
           "findings": [], "metrics": {}, "settings": {}, "target": None, "coverage": {}, "contributors": {}}
    doc = {"schema_version": 1, "models": [rec], "policy": "p", "strict": False, "no_fail": False, "skipped": []}
    return Case("repro-inj-merge", ["merge", "a.json", "--format", "text"], {"a.json": json.dumps(doc)}, **GH)


@case(11, "policy-validate-path", "policy validate prints 'PATH: valid' raw")
def _():
    pol = f"x\n{INJ}.yaml"
    return Case("repro-inj-valid", ["policy", "validate", pol], {pol: POLICY}, **GH)


@case(11, "init-wrote-path", "init prints 'wrote PATH' raw")
def _():
    out = f"x\n{INJ}.yaml"
    return Case("repro-inj-init", ["init", "--root", ".", "--dim", "batch=1", "--output", out], {"m.onnx": RELU}, **GH)


# ------------------------------------------------------------------ found by this repo's campaign
@case(1, "reshape-flat-data-prop", "a constant 31622x31622 reshaped to 1-D, then Add: data propagation"
      " would make a billion dimensions")
def _(): return est("reshape-flat", M.build([helper.make_node("ConstantOfShape", ["s"], ["c"]),
                                            helper.make_node("Reshape", ["c", "flat"], ["f"]),
                                            helper.make_node("Add", ["x", "f"], ["y"])],
                                           {"s": i64(31622, 31622), "flat": i64(-1)},
                                           inputs=[("x", M.F32, [1])]), timeout=30)


@case(1, "reshape-computed-flat", "x[30000, 30000] reshaped to the 1-D shape data propagation computes"
      " (Shape, Gather, Mul): data propagation would make 9*10^8 dimensions")
def _(): return est("computed-flat", M.computed_flat(30000), timeout=30)


@case(1, "rank1-input-add", "a 1-D float input of 10^8 elements into Add (data propagation per element)")
def _(): return est("rank1-add", M.build([helper.make_node("Add", ["x", "x"], ["y"])],
                                        inputs=[("x", M.F32, [10**8])]), timeout=30)


@case(3, "function-unused", "a local function no node calls, with the data-propagation screen walking it")
def _():
    functions = [w.function("F", "local", ["a"], ["b"], [w.node("Relu", ["a"], ["b"])])]
    graph = w.graph([w.node("Relu", ["x"], ["y"])], "g", [w.value_info("x", 1, [1, 4])], [w.value_info("y", 1, None)])
    return est("function-unused", w.model(graph, [w.opset("", 17), w.opset("local", 1)], functions=functions))


@case(9, "target-measure-threads-huge", "target measure --threads 10**30 (threads are capped at the CPUs)")
def _(): return Case("repro-threads", ["target", "measure", "--out", "t.yaml", "--threads", str(10**30)], {})


@case(10, "stdout-on-full-disk", "estimate --per-layer whose output exceeds a 4 KiB file-size limit")
def _():
    nodes = [helper.make_node("Relu", [f"t{i}"], [f"t{i + 1}"], name=f"relu{i}") for i in range(200)]
    data = M.build(nodes, inputs=[("t0", M.F32, [1, 8])], outputs=["t200"])
    return Case("repro-stdout-full", ["estimate", "m.onnx", "--per-layer"], {"m.onnx": data}, fsize=4096)


@case(10, "history-onto-other-file", "check --history r.json (a report): refused, the reports still written")
def _(): return check("history-other", POLICY, {"r.json": '{"not": "a history"}\n'}, "--history", "r.json",
                      "--sarif", "r.sarif", reports={"r.sarif": "sarif"})


@case(10, "one-writer-fails", "--json names a directory: the SARIF and JUnit reports are still written")
def _(): return check("one-fails", POLICY, {"dir": Dir()}, "--json", "dir", "--sarif", "r.sarif", "--junit-xml",
                      "r.xml", reports={"r.sarif": "sarif", "r.xml": "junit"})


@case(10, "report-onto-policy", "--json edgegate.yaml: a report never overwrites an input of the run")
def _(): return check("report-policy", POLICY, None, "--json", "edgegate.yaml")


@case(10, "baseline-onto-policy", "baseline --out edgegate.yaml (a policy, not a baseline): refused")
def _(): return Case("repro-baseline-policy", ["baseline", "--root", ".", "--out", "edgegate.yaml"],
                     {"edgegate.yaml": POLICY, "m.onnx": CONV})


@case(11, "argparse-error-value", "an argparse error echoing a value with a workflow command")
def _(): return Case("repro-argparse", ["estimate", "m.onnx", "--top", f"##[error]{MARK}"], {"m.onnx": RELU}, **GH)


@case(11, "github-annotation-node", "an unestimated node named ##[error]... in a github annotation")
def _(): return check("gh-annotation", POLICY.replace("    limits:", "    unestimated: warn\n    limits:"),
                      {"m.onnx": M.unestimated_named(f"##[error]{MARK}")}, "--format", "github", **GH)


# ------------------------------------------------------------------ running
def main(argv: list[str] | None = None) -> int:
    """Run the chosen reproducers (default: all) and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("select", nargs="*", help="class numbers or case names (default: all)")
    parser.add_argument("--mode", choices=("exec", "fork"), default="fork")
    parser.add_argument("--json", help="write the outcomes as JSON here")
    parser.add_argument("--failures", help="save each case that is not ok under this folder")
    args = parser.parse_args(argv)
    chosen = [name for name, (cls, _, _) in CASES.items()
              if not args.select or str(cls) in args.select or name in args.select]
    results: dict = {}
    for name in chosen:
        _, note, make = CASES[name]
        made = make()
        made.note = note
        outcome = run(made, args.mode)
        last = outcome.stderr.decode("utf-8", "backslashreplace").strip().splitlines()[-1:] or [""]
        print(f"{name:40} {outcome.cls:15} rc={outcome.rc} sig={outcome.signal} {outcome.seconds:5.1f}s "
              f"rss={outcome.maxrss_kb // 1024}M  {outcome.detail[:110]} | {last[0][:160]}", flush=True)
        results[name] = {**outcome.summary(), "note": note, "stderr_tail": last[0][:400]}
        if args.failures and outcome.cls != "ok":
            made.generator = name
            save_failure(made, outcome, Path(args.failures))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
