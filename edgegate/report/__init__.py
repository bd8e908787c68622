"""Output formats: each module renders results for one audience (people, CI, machines)."""
