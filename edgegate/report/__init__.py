"""Output formats: each module renders results for one audience (people, CI, machines).

The check reporters are listed in :mod:`edgegate.report.registry`; ``estimate_text`` and
``estimate_csv`` render ``edgegate estimate``. This package module imports nothing, so the
estimate command does not load the CI reporters.
"""
