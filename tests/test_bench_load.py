"""The load benchmark's machinery, at smoke-test size: open-loop signed Slack traffic into a real
`okrbot serve` (and bare Bolt) while the scheduler fans out prompts, then saturation. The
figures are for people to read; what is checked is that every field of the table is there, that
every request was acked, and that every check-in okrbot acked was stored."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path

import pytest

# bench/ is the repository's, not the installed package's: `python -m bench` runs it from the
# checkout, and plain `pytest` (as .ci/run calls it) does not put the checkout on sys.path.
ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
load = importlib.import_module("bench.load")


# Starts okrbot serve and bare Bolt: about half a minute on two cores.
@pytest.mark.slow
def test_quick_load_bench_reports_every_kind_and_stores_every_acked_checkin() -> None:
    report = asyncio.run(load.measure(load.QUICK, ("sqlite",)))
    ours = [step for step in report.steps if step.target == "okrbot"]
    bare = [step for step in report.steps if step.target == "bolt"]
    assert [step.rate for step in ours] == list(load.QUICK.rates)
    assert [step.rate for step in bare] == list(load.QUICK.rates)
    for step in ours + bare:
        assert [kind.kind for kind in step.kinds] == list(load.KINDS)
        assert sum(kind.requests for kind in step.kinds) > 0
        assert all(kind.failures == 0 for kind in step.kinds)
        assert step.server_lag_ms >= 0 and step.client_lag_ms >= 0
    for step in ours:
        assert step.checkins_acked > 0
        assert step.checkins_stored == step.checkins_acked
        assert step.fanout_sent > 0
    for kind in load.KINDS:
        assert report.ratio("sqlite", kind) is not None
    assert all(found.failures == 0 for found in report.saturations)
    table = load.rows(report)
    whats = [what for what, _size, _figures in table]
    assert "load: okrbot, sqlite" in whats and "load: bare Bolt" in whats
    assert "load saturation: okrbot, sqlite, 1 worker" in whats
    okrbot_row = table[whats.index("load: okrbot, sqlite")][2]
    for field in ("click", "submit", "okr", "kudos", "p99", "max", ">3 s", "loop lag"):
        assert field in okrbot_row
    assert "check-ins stored" in okrbot_row and "fan-out" in okrbot_row
