"""``python -m edgegate``: the same entry point as the ``edgegate`` console script."""

from __future__ import annotations

from edgegate.cli import main

raise SystemExit(main())
