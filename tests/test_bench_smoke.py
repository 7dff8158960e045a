"""`python -m bench --quick` runs every benchmark end to end and reports each in its table and
its JSON; the figures themselves are for people to read, so only their presence is checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ("ack latency", "fan-out", "due scan", "quarter summary", "import", "load")


# About a minute on two cores: every benchmark starts real servers and sender processes.
@pytest.mark.slow
def test_quick_bench_reports_every_benchmark(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text(encoding="utf-8"))
    names = [row[0] for row in figures["table"]]
    for benchmark in BENCHMARKS:
        assert any(name.startswith(benchmark) for name in names), benchmark
        assert benchmark in done.stdout
    expected = {"ack_latency", "fanout", "fanout_chaos", "due_scan", "imports", "load"}
    scaled_expected = {"fan-out (no rate limit)", "import"}
    if (REPO_ROOT / "bench" / "quarter_summary.py").exists():
        expected.add("quarter_summary")
        scaled_expected.add("quarter summary")
    assert expected <= set(figures)
    scaled = {scaling["benchmark"] for scaling in figures["scaling"]}
    assert scaled_expected <= scaled
    assert all(len(scaling["growth"]) == 2 for scaling in figures["scaling"])
    assert all(row["failures"] == 0 for row in figures["ack_latency"]["latencies"])
