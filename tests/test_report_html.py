"""The HTML report (``check --html``): one self-contained page (no script, nothing fetched),
names escaped, the roofline charts' geometry computed by hand, and (slow) the page as headless
Chromium renders it: the DOM text a person sees."""

from __future__ import annotations

import html.parser
import io
import math
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from gate_helpers import conv_relu, save, write
from hypothesis import given, settings
from hypothesis import strategies as st
from report_fixture import HOSTILE_ADVICE, records

from edgegate.cli import main
from edgegate.report import html as html_report
from edgegate.report.charts import MOST_LABELS, Box, Roof, charts_of, layer_chart, place_labels
from edgegate.report.facts import short_names


def _page(document=None) -> str:
    out = io.StringIO()
    html_report.write(records() if document is None else document, out)
    return out.getvalue()


def test_the_page_is_self_contained():
    page = _page()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "<link" not in page and "@import" not in page
    loads = _Attributes()
    loads.feed(page)
    assert loads.found == []  # nothing to load: no src or href on any element
    # the only URLs: the SVG namespace, and the advice's text (shown, never a link)
    assert set(re.findall(r"https?://[^\"'\s<)]+", page)) == {"http://www.w3.org/2000/svg", "http://x.invalid/p.png"}


class _Attributes(html.parser.HTMLParser):
    """Every src and href attribute of the page's elements."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.found += [(name, value) for name, value in attrs if name in ("src", "href", "xlink:href")]


def test_hostile_names_are_escaped_text():
    page = _page()
    assert "<img src=x>" not in page and "&lt;img src=x&gt;" in page
    advice = HOSTILE_ADVICE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert f"advice: {advice}" in page
    assert "models/we,ird: 100%\\n::error::pwned.onnx" in page  # the newline shown as \n


def test_the_roofline_of_the_fixture_by_hand():
    # kws on mcu (1 GFLOP/s, 500 MB/s; ridge 2 FLOP/B): 38912 FLOPs / 27648 B = 1.407 FLOP/B, at
    # 38912 FLOPs / 55.296 us = 703.7 MFLOP/s, under the roof's 500 MB/s x 1.407 = 703.7 MFLOP/s
    # (every layer is memory-bound, so the model is on the roof too)
    (models,) = charts_of(records())
    (kws,) = models.dots
    assert models.title == "Models on mcu" and kws.label == "kws" and kws.status == "pass"
    assert math.isclose(kws.intensity, 38912 / 27648) and math.isclose(kws.rate, 38912 / 55.296e-6)
    assert math.isclose(models.roofs[0].attainable(kws.intensity), kws.rate)
    # its layers are on the roof: conv1 36864 FLOPs / 24576 B = 1.5 FLOP/B at 36864 / 49.152e-6 =
    # 750 MFLOP/s = 500 MB/s x 1.5
    chart = layer_chart(records()["models"][0])
    assert chart is not None and chart.roofs == (Roof("fp32", 1e9, 5e8),)
    conv1 = chart.dots[0]
    assert (conv1.label, conv1.intensity, conv1.bound) == ("conv1", 1.5, "bandwidth")
    assert math.isclose(conv1.rate, 7.5e8) and math.isclose(chart.roofs[0].attainable(1.5), conv1.rate)
    assert math.isclose(conv1.share, 49.152 / 55.296)


def test_roof_and_ridge_by_hand():
    roof = Roof("int8", 1.92e9, 4e8)  # stm32h743 at int8: 1.92 GOP/s, 400 MB/s
    assert roof.ridge == 4.8
    assert roof.attainable(1.0) == 4e8 and roof.attainable(100.0) == 1.92e9


def test_short_names_tell_models_apart():
    assert short_names(["models/a/net.onnx", "models/b/net.onnx", "kws.onnx"]) == {
        "models/a/net.onnx": "a/net", "models/b/net.onnx": "b/net", "kws.onnx": "kws"}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 300), st.floats(0, 200)), min_size=1, max_size=25))
def test_placed_labels_never_overlap_each_other_or_a_point(points):
    area = Box(0, 0, 300, 200)
    dots = [(x, y, 4.0) for x, y in points]
    labels = [f"model_{i}" for i in range(len(points))]
    placed = place_labels(dots, labels, area, 6.6, 13)
    boxes = [p.box for p in placed if p is not None]
    for i, box in enumerate(boxes):
        assert box.inside(area)
        assert not any(box.overlaps(other) for other in boxes[i + 1:])
    for index, spot in enumerate(placed):
        if spot is not None:
            assert not any(spot.box.overlaps(Box(x - r, y - r, x + r, y + r))
                           for number, (x, y, r) in enumerate(dots) if number != index)


def test_labels_past_the_most_a_chart_holds_are_left_out():
    # 100 points spread out: only the first MOST_LABELS (60) get a label
    points = [(10.0 + 30 * (i % 10), 10.0 + 30 * (i // 10), 2.0) for i in range(100)]
    placed = place_labels(points, ["x"] * 100, Box(0, 0, 400, 400), 6.6, 13)
    assert all(spot is None for spot in placed[MOST_LABELS:]) and MOST_LABELS == 60
    assert sum(spot is not None for spot in placed[:MOST_LABELS]) > 50


def test_at_most_fifty_layer_charts():
    document = records()
    kws = document["models"][0]
    document["models"] = [{**kws, "model": f"models/m{i:03d}.onnx"} for i in range(55)]
    page = _page(document)
    assert page.count("<details><summary>Layers of models/m") == html_report.LAYER_CHARTS == 50
    assert "Layer charts for the first 50 models (failing first); 5 more in the JSON report's layers." in page


POLICY = """\
version: 1
budgets:
  pi:
    target: raspberry-pi-5
    limits:
      flops: {max: 200 kFLOP}
      params: {max: 500, severity: warning}
"""


class _Text(html.parser.HTMLParser):
    """The text a DOM dump shows, outside <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._style = False

    def handle_starttag(self, tag, attrs):
        self._style = tag == "style"

    def handle_endtag(self, tag):
        self._style = False

    def handle_data(self, data):
        if not self._style:
            self.parts.append(data)


@pytest.mark.slow
def test_chromium_renders_the_report(tmp_path, monkeypatch, capsys):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium not installed (Debian: apt-get install -y chromium)")
    monkeypatch.chdir(tmp_path)
    # small: 112640 FLOPs, passes; big: 450560 FLOPs > 200 kFLOP, fails by (450560 - 2e5) / 2e5 = 125.3%;
    # big's params 32 x 3 x 9 = 864 > 500 is a warning
    save(conv_relu(3, 8, 16), tmp_path / "models" / "small.onnx")
    save(conv_relu(3, 32, 16), tmp_path / "models" / "big.onnx")
    write(tmp_path / "edgegate.yaml", POLICY)
    assert main(["check", "--root", ".", "--html", "report.html", "--format", "text:log.txt"]) == 1
    profile = tempfile.mkdtemp(dir=tmp_path)
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--mute-audio", f"--user-data-dir={profile}",
         "--virtual-time-budget=2000", "--dump-dom", (tmp_path / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    parser = _Text()
    parser.feed(done.stdout)
    text = " ".join(" ".join(parser.parts).split())
    assert "edgegate FAILED" in text
    assert "Checks that failed models/big.onnx [budget pi] flops max flops 451 kFLOP exceeds max 200 kFLOP" in text
    assert "found 451 kFLOP, expected max 200 kFLOP (excess 125.3%)" in text
    assert "Warnings models/big.onnx [budget pi] params max" in text
    assert "headroom 43.7%" in text  # small: (200000 - 112640) / 200000
    # the roofline: raspberry-pi-5's fp32 ridge 154 GFLOP/s / 17.1 GB/s = 9.00 FLOP/B, both models on it
    assert "Models on raspberry-pi-5" in text and "ridge 9.00 FLOP/B (fp32)" in text
    assert re.search(r"\bbig\b.*\bsmall\b|\bsmall\b.*\bbig\b", text)
    assert "Layers of models/big.onnx [budget pi]" in text
    assert Path(tmp_path / "report.html").stat().st_size < 200_000
