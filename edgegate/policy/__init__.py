"""Policies: YAML budgets for models (limits, lint options, targets), validated with file:line:col.

Load with :func:`edgegate.policy.load.load_policy`; find the repo's policy with
:func:`edgegate.policy.discover.find_policy`.
"""
