"""The rules engine: one module per rule with ``ID``, ``SUMMARY`` and ``check(subject)``.

Each rule reads its own options from the budget and yields Findings, passing ones included.
Each rule module's docstring is its documentation; :mod:`.registry` lists them. This package
module imports nothing, so reading findings (``edgegate merge``, ``trend``) loads no rule.
"""
