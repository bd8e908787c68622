"""A timing's summary: the median and its spread (quartiles, min, max), robust to a busy machine."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """Seconds per run: median, first and third quartile, fastest and slowest, and how many."""

    median: float
    q1: float
    q3: float
    fastest: float
    slowest: float
    runs: int

    @property
    def spread(self) -> float:
        """The interquartile range relative to the median (0.05: the middle half within 5%)."""
        return (self.q3 - self.q1) / self.median if self.median else 0.0


def summarize(seconds: Sequence[float]) -> Timing:
    """The Timing of ``seconds`` (at least one run); quartiles by the inclusive method."""
    ordered = sorted(seconds)
    if len(ordered) == 1:
        only = ordered[0]
        return Timing(only, only, only, only, only, 1)
    q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return Timing(statistics.median(ordered), q1, q3, ordered[0], ordered[-1], len(ordered))
