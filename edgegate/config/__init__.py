"""Configuration files: policies and targets as YAML (or ``[tool.edgegate]`` in pyproject.toml).

Read into plain data with the file:line:col of every key (:mod:`.document`), validated against
the shipped JSON Schema (:mod:`.schema`); the shipped presets and targets (:mod:`.resources`).
"""
