"""Regression tracking: baselines, deltas against a baseline or a git REF, the metrics history."""
