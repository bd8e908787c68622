"""A roofline chart (:class:`~edgegate.report.charts.Chart`) as inline SVG, for the HTML report:
no script, no external font or stylesheet, every name escaped.

Log-log axes with a grid line per decade; a roof per precision with its ridge point marked and
named; models as dots coloured by their verdict, layers as discs whose area is their share of
the model's time, red when memory-bound; labels beside their points, never over each other
(:func:`~edgegate.report.charts.place_labels`); each point has a ``<title>`` with its numbers.
"""

from __future__ import annotations

import math
from html import escape

from edgegate.report.charts import (
    COLORS,
    MOST_LABELS,
    Box,
    Chart,
    Dot,
    Roof,
    axis_range,
    decades,
    place_labels,
)
from edgegate.units import format_quantity

WIDTH, HEIGHT = 760, 460
_LEFT, _RIGHT, _TOP, _BOTTOM = 86, 24, 34, 56
_STATUS_FILL = {"FAIL": "#d62728", "warn": "#e6a700", "pass": "#2b8a3e"}
_BOUND_FILL = {"bandwidth": "#d62728", "compute": "#1f77b4"}
_FONT = 11
_CHAR = _FONT * 0.6


class _Scale:
    """Data (log10) to drawing coordinates inside the plot area."""

    def __init__(self, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        self.x0, self.x1 = (math.log10(v) for v in x_range)
        self.y0, self.y1 = (math.log10(v) for v in y_range)
        self.width = WIDTH - _LEFT - _RIGHT
        self.height = HEIGHT - _TOP - _BOTTOM

    def x(self, value: float) -> float:
        return _LEFT + (math.log10(value) - self.x0) / (self.x1 - self.x0) * self.width

    def y(self, value: float) -> float:
        return _TOP + self.height - (math.log10(value) - self.y0) / (self.y1 - self.y0) * self.height


def roofline_svg(chart: Chart) -> str:
    """The chart as one ``<svg>`` element."""
    intensities = [d.intensity for d in chart.dots] + [r.ridge for r in chart.roofs]
    rates = [d.rate for d in chart.dots] + [r.peak for r in chart.roofs]
    x_range, y_range = axis_range(intensities), axis_range(rates)
    scale = _Scale(x_range, y_range)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}"'
             f' height="{HEIGHT}" role="img" aria-label="{escape(chart.title)}" class="roofline">',
             f'<text x="{_LEFT}" y="20" class="title">{escape(chart.title)}</text>']
    parts += _grid(scale, x_range, y_range)
    ridge_labels = []
    for roof in chart.roofs:
        parts += _roof(scale, roof, x_range, y_range)
        text = _ridge_text(roof)
        x, y = scale.x(roof.ridge) + 8, scale.y(roof.peak) - 8
        ridge_labels.append(Box(x, y - _FONT, x + len(text) * _CHAR, y + 3))
    points = sorted(chart.dots, key=lambda d: (d.share is not None, -(d.share or 0), d.status != "FAIL"))
    parts += [_dot(scale, dot) for dot in points]
    area = Box(_LEFT, _TOP, WIDTH - _RIGHT, HEIGHT - _BOTTOM)
    spots = place_labels([(scale.x(d.intensity), scale.y(d.rate), _radius(d)) for d in points],
                         [d.label for d in points], area, _CHAR, _FONT + 2, ridge_labels)
    unlabelled = []
    for dot, spot in zip(points, spots):
        if spot is None:
            unlabelled.append(dot.label)
            continue
        parts.append(f'<text x="{spot.x:.1f}" y="{spot.y:.1f}" text-anchor="{spot.anchor}" class="label">'
                     f'{escape(dot.label)}</text>')
    parts.append("</svg>")
    if unlabelled:
        more = f" and {len(unlabelled) - 10} more" if len(unlabelled) > 10 else ""
        parts.append('<p class="note">Not labelled (no room beside the point, or past the first'
                     f' {MOST_LABELS}): {escape(", ".join(unlabelled[:10]))}{more}</p>')
    return "\n".join(parts)


def _grid(scale: _Scale, x_range: tuple[float, float], y_range: tuple[float, float]) -> list[str]:
    """Decade grid lines, tick labels and axis titles."""
    parts = [f'<rect x="{_LEFT}" y="{_TOP}" width="{scale.width}" height="{scale.height}" class="plot"/>']
    for value in decades(*x_range):
        x = scale.x(value)
        parts.append(f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{HEIGHT - _BOTTOM}" class="grid"/>')
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - _BOTTOM + 16}" text-anchor="middle" class="tick">'
                     f'{_number(value)}</text>')
    for value in decades(*y_range):
        y = scale.y(value)
        parts.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - _RIGHT}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
                     f'{escape(format_quantity(value, "FLOP/s"))}</text>')
    parts.append(f'<text x="{_LEFT + scale.width / 2:.1f}" y="{HEIGHT - 14}" text-anchor="middle"'
                 ' class="axis">arithmetic intensity (FLOP per DRAM byte)</text>')
    parts.append(f'<text transform="translate(16 {_TOP + scale.height / 2:.1f}) rotate(-90)"'
                 ' text-anchor="middle" class="axis">attainable FLOP/s</text>')
    return parts


def _roof(scale: _Scale, roof: Roof, x_range: tuple[float, float], y_range: tuple[float, float]) -> list[str]:
    """A roof's sloped and flat parts (clipped to the plot) and its ridge point, named."""
    color = COLORS.get(roof.precision, "#555")
    start = max(x_range[0], y_range[0] / roof.bandwidth)
    path = [(start, roof.attainable(start)), (roof.ridge, roof.peak), (x_range[1], roof.peak)]
    points = " ".join(f"{scale.x(x):.1f},{scale.y(y):.1f}" for x, y in path)
    rx, ry = scale.x(roof.ridge), scale.y(roof.peak)
    text = (f"{roof.precision} roof: peak {format_quantity(roof.peak, 'FLOP/s')},"
            f" DRAM {format_quantity(roof.bandwidth, 'B/s')}")
    return [f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2.5" class="roof"/>',
            f'<line x1="{rx:.1f}" y1="{ry:.1f}" x2="{rx:.1f}" y2="{HEIGHT - _BOTTOM}" stroke="{color}"'
            ' stroke-dasharray="4 3" class="ridge"/>',
            f'<path d="M{rx:.1f},{ry - 6:.1f} l6,6 l-6,6 l-6,-6 z" fill="{color}" class="ridge-point">'
            f'<title>{escape(text)}</title></path>',
            f'<text x="{rx + 8:.1f}" y="{ry - 8:.1f}" class="ridge-label" fill="{color}">'
            f'{escape(_ridge_text(roof))}</text>']


def _ridge_text(roof: Roof) -> str:
    """``ridge 9.00 FLOP/B (fp32)``."""
    return f"ridge {format_quantity(roof.ridge, 'FLOP/B')} ({roof.precision})"


def _radius(dot: Dot) -> float:
    """A model's dot radius, or a layer's: its area in proportion to its share of the time."""
    return 5.0 if dot.share is None else 3.0 + 16.0 * math.sqrt(dot.share)


def _dot(scale: _Scale, dot: Dot) -> str:
    """One point with a tooltip."""
    x, y = scale.x(dot.intensity), scale.y(dot.rate)
    details = (f"{dot.label}: {format_quantity(dot.intensity, 'FLOP/B')},"
               f" {format_quantity(dot.rate, 'FLOP/s')}")
    if dot.share is None:
        fill, stroke, kind = _STATUS_FILL.get(dot.status, "#555"), COLORS.get(dot.precision, "#555"), "model"
    else:
        details += f", {dot.share:.0%} of the time, {dot.bound}-bound"
        fill, stroke, kind = _BOUND_FILL.get(dot.bound, "#555"), "#333", "layer"
    opacity = "" if dot.share is None else ' fill-opacity="0.55"'
    return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{_radius(dot):.1f}" fill="{fill}"{opacity}'
            f' stroke="{stroke}" stroke-width="1.5" class="{kind}"><title>{escape(details)}</title></circle>')


def _number(value: float) -> str:
    """A decade as a plain number: 0.01, 0.1, 1, 10, 1000, 1e+06."""
    return f"{value:g}"
