"""The hostile-input generators as properties: whatever they draw, edgegate ends cleanly.

Each hypothesis strategy of tests/hostile/strategies.py draws whole cases (policies, command
lines of every command, report options, JSON inputs, models of every family, target files,
GitHub Actions runs) that run in the sandbox (tests/hostile/sandbox.py) under tmp_path and must
classify ``ok``: exit 0-5, clean stderr, no signal, hang, memory blow-up, live workflow command
or cut report. A few dozen examples each here; benchmarks/fuzz.py runs them by the hundred
thousand.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile import sandbox
from tests.hostile.strategies import STRATEGIES

HOSTILE = settings(max_examples=25, deadline=None, database=None, derandomize=True,
                   suppress_health_check=list(HealthCheck))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_generated_cases_end_cleanly(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    @HOSTILE
    @given(st.data())
    def check(data: st.DataObject) -> None:
        case = data.draw(STRATEGIES[name]())
        try:
            outcome = sandbox.run(case, "fork", timeout=12, base=tmp_path_factory.mktemp(name))
        except sandbox.UnsafeCase:
            return  # a case that could write outside its directory is never run
        assert outcome.cls == "ok", (outcome.cls, outcome.detail, case.argv, case.note)

    check()
