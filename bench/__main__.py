"""`python -m bench`: every benchmark, one table; `--json FILE` also writes the figures.

    python -m bench [--quick] [--json FILE] [--only ack fanout quarter imports load]

Runs ack latency (okrbot against bare Bolt), fan-out, the quarter summary and import, each
followed by its scaling at 1×, 4× and 16× a base size, on SQLite in temp dirs. The sizes are
chosen so that the whole suite takes about a quarter of an hour on two cores; the fan-out here
is 2,000 people at an allowed 3,000 posts a minute (`python -m bench.fanout` is the full
10,000-person run), then 10,000 through a flaky Slack with one of two replicas killed
halfway (`python -m bench.fanout --chaos`). `load` is open-loop Slack traffic at 25-200
requests/s into one `okrbot serve` while it fans out 2,000 prompts, on SQLite and PostgreSQL
(OKRBOT_TEST_POSTGRES_URL), next to bare Bolt, then saturation with `--workers 2` (15 s per
rate; `python -m bench.load --seconds 60` for the full minute). `--quick` shrinks everything
to a smoke test of the machinery (load on SQLite only).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import ack_latency, fanout, imports, load
from bench.scaling import FACTORS, Scaling, Step, describe, scale

BENCHMARKS = ("ack", "fanout", "quarter", "imports", "load")
NO_RATE_LIMIT = 1_000_000  # posts a minute: the pipeline, not the allowed rate, is measured


@dataclass(frozen=True)
class Sizes:
    ack_people: int
    ack_requests: tuple[int, ...]
    ack_concurrency: tuple[int, ...]
    ack_warmup: int
    ack_scaling_base: int
    ack_scaling_requests: int
    fanout_people: int
    fanout_rate: int
    fanout_scaling_base: int
    chaos_people: int
    scan_people: int
    quarter_base: int
    import_base_people: int
    import_base_objectives: int


FULL = Sizes(
    ack_people=10_000,
    ack_requests=(200, 500),
    ack_concurrency=(1, 50),
    ack_warmup=30,
    ack_scaling_base=625,
    ack_scaling_requests=100,
    fanout_people=2_000,
    fanout_rate=3_000,
    fanout_scaling_base=150,
    chaos_people=10_000,
    scan_people=100_000,
    quarter_base=625,
    import_base_people=625,
    import_base_objectives=125,
)
# `okrbot serve --workers` in the second ack-latency pass: one per core of the machine.
WORKERS = 2

QUICK = Sizes(
    ack_people=200,
    ack_requests=(20, 50),
    ack_concurrency=(1, 10),
    ack_warmup=5,
    ack_scaling_base=50,
    ack_scaling_requests=10,
    fanout_people=60,
    fanout_rate=3_000,
    fanout_scaling_base=10,
    chaos_people=60,
    scan_people=2_000,
    quarter_base=10,
    import_base_people=20,
    import_base_objectives=5,
)


@dataclass
class Suite:
    sizes: Sizes
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    progress: Console = field(default_factory=lambda: Console(stderr=True))

    def add(self, benchmark: str, size: str, figures: str) -> None:
        self.rows.append((benchmark, size, figures))

    def add_scaling(self, scaling: Scaling, unit: str = "") -> None:
        sizes = " → ".join(f"{step.size:,}" for step in scaling.steps)
        self.add(f"scaling: {scaling.benchmark}", sizes, describe(scaling, unit))
        self.results.setdefault("scaling", []).append(
            {**dataclasses.asdict(scaling), "growth": scaling.growth}
        )


def add_latencies(
    suite: Suite, report: ack_latency.AckReport, levels: Sequence[int], label: str = ""
) -> tuple[float, float]:
    """A row per kind and level; returns the worst okrbot p99 and the worst p99 ratio."""
    worst_p99 = worst_ratio = 0.0
    for level in levels:
        for kind in ack_latency.KINDS:
            ours = report.find("okrbot", kind, level)
            bare = report.find("bolt", kind, level)
            ratio = report.ratio(kind, level)
            if ours is None or bare is None or ratio is None:
                continue
            worst_p99 = max(worst_p99, ours.p99_ms)
            worst_ratio = max(worst_ratio, ratio[1])
            suite.add(
                f"ack latency: {kind}{label}",
                f"{report.people:,} people, {level} client{'s' if level > 1 else ''}",
                f"okrbot p50 {ours.p50_ms:.1f} ms, p99 {ours.p99_ms:.1f} ms; bare Bolt p50 "
                f"{bare.p50_ms:.1f} ms, p99 {bare.p99_ms:.1f} ms; ratio p50 {ratio[0]:.2f}×, "
                f"p99 {ratio[1]:.2f}×; {ours.requests} requests, "
                f"{ours.failures + bare.failures} failed",
            )
    return worst_p99, worst_ratio


def run_ack(suite: Suite) -> None:
    sizes = suite.sizes
    report = asyncio.run(
        ack_latency.measure(
            sizes.ack_people, sizes.ack_requests, sizes.ack_concurrency, warmup=sizes.ack_warmup
        )
    )
    worst_p99, worst_ratio = add_latencies(suite, report, sizes.ack_concurrency)
    # One process is one core's worth of event loop; the remedy at load is more of them.
    busiest = max(sizes.ack_concurrency)
    spread = asyncio.run(
        ack_latency.measure(
            sizes.ack_people,
            sizes.ack_requests[-1:],
            (busiest,),
            warmup=sizes.ack_warmup,
            workers=WORKERS,
        )
    )
    add_latencies(suite, spread, (busiest,), f", --workers {WORKERS}")
    suite.add(
        "ack latency: aim",
        "p99 < 50 ms, ≤ 1.5× Bolt",
        f"worst okrbot p99 {worst_p99:.1f} ms ({'met' if worst_p99 < 50 else 'missed'}); "
        f"worst p99 ratio {worst_ratio:.2f}× ({'met' if worst_ratio <= 1.5 else 'missed'}); "
        f"{report.checkins_stored} check-ins stored of {report.checkins_acked} acked",
    )
    suite.results["ack_latency_workers"] = {
        "workers": WORKERS,
        "latencies": [dataclasses.asdict(latency) for latency in spread.latencies],
        "checkins_stored": spread.checkins_stored,
        "checkins_acked": spread.checkins_acked,
    }
    suite.results["ack_latency"] = {
        "people": report.people,
        "checkins_stored": report.checkins_stored,
        "checkins_acked": report.checkins_acked,
        "latencies": [dataclasses.asdict(latency) for latency in report.latencies],
        "ratios": {
            f"{kind}@{level}": report.ratio(kind, level)
            for level in sizes.ack_concurrency
            for kind in ack_latency.KINDS
        },
    }
    # Against 1×, 4× and 16× the people in the database, okrbot alone, one client.
    reports = {
        factor: asyncio.run(
            ack_latency.measure(
                sizes.ack_scaling_base * factor,
                (sizes.ack_scaling_requests,),
                (1,),
                targets=("okrbot",),
                warmup=sizes.ack_warmup,
            )
        )
        for factor in FACTORS
    }
    for kind in ack_latency.KINDS:
        steps = []
        for factor, scaled in reports.items():
            latency = scaled.find("okrbot", kind, 1)
            assert latency is not None
            steps.append(Step(factor, scaled.people, latency.p50_ms))
        suite.add_scaling(
            Scaling(f"ack {kind} (people in DB)", "okrbot p50, 1 client", "flat", tuple(steps)),
            " ms",
        )


def run_fanout(suite: Suite) -> None:
    sizes = suite.sizes
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'fanout.db'}"
        results = [
            asyncio.run(fanout.fanout(url, sizes.fanout_people, sizes.fanout_rate, replicas))
            for replicas in (1, 2)
        ]
        for result in results:
            suite.add(
                f"fan-out, {result.replicas} replica{'s' if result.replicas > 1 else ''}",
                f"{result.people:,} people, allowed {sizes.fanout_rate:,}/min "
                "(full size: python -m bench.fanout)",
                f"achieved/allowed {result.achieved_ratio:.3f} in {result.seconds:.1f} s; "
                f"{result.rate_limited} 429s of {result.requests} requests; "
                f"{result.duplicates} duplicates, {result.losses} losses",
            )
        flaky = asyncio.run(fanout.chaos(url, sizes.chaos_people, sizes.fanout_rate))
        suite.add(
            "fan-out: flaky Slack, a replica killed",
            f"{flaky.people:,} people, 2 replicas, allowed {sizes.fanout_rate:,}/min, 10% 429 "
            "(Retry-After 1-5 s), 1% 500, replica 0 SIGKILLed halfway",
            f"achieved/allowed {flaky.achieved_ratio:.3f} in {flaky.seconds:.1f} s; "
            f"{flaky.throttled} 429s and {flaky.server_errors} 500s of {flaky.requests} "
            f"requests; {flaky.in_flight_at_kill} in flight at the kill; "
            f"{flaky.duplicates} duplicates, {flaky.losses} lost",
        )
        suite.results["fanout_chaos"] = {
            **dataclasses.asdict(flaky),
            "achieved_ratio": flaky.achieved_ratio,
        }
        scan_seconds, found = asyncio.run(fanout.due_scan(url, sizes.scan_people))
        suite.add(
            "due scan",
            f"{sizes.scan_people:,} schedules",
            f"finding {found} due: {scan_seconds * 1000:.1f} ms",
        )
        suite.results["fanout"] = [
            {**dataclasses.asdict(result), "achieved_ratio": result.achieved_ratio}
            for result in results
        ]
        suite.results["due_scan"] = {
            "schedules": sizes.scan_people,
            "found": found,
            "seconds": scan_seconds,
        }

        def unthrottled(people: int) -> float:
            return asyncio.run(fanout.fanout(url, people, NO_RATE_LIMIT, 1)).seconds

        suite.add_scaling(
            scale(
                "fan-out (no rate limit)",
                "seconds to send every prompt, 1 replica",
                "linear",
                sizes.fanout_scaling_base,
                unthrottled,
            ),
            " s",
        )


def run_quarter(suite: Suite) -> None:
    try:
        from bench import quarter_summary
    except ImportError:
        suite.add("quarter summary", "-", "bench/quarter_summary.py is not there yet")
        return
    sizes = suite.sizes
    largest: dict[str, Any] = {}

    def run(people: int) -> float:
        result = quarter_summary.measure(people)
        largest.clear()
        largest.update(dataclasses.asdict(result))
        return float(result.seconds)

    scaling = scale("quarter summary", "seconds", "linear", sizes.quarter_base, run)
    suite.add(
        "quarter summary",
        f"{largest.get('people', 0):,} people",
        quarter_summary.describe(quarter_summary.Result(**largest)),
    )
    suite.results["quarter_summary"] = largest
    suite.add_scaling(scaling, " s")


def run_imports(suite: Suite) -> None:
    sizes = suite.sizes
    done: list[imports.ImportResult] = []

    def run(factor_people: int) -> float:
        factor = factor_people // sizes.import_base_people
        result = imports.run(factor_people, sizes.import_base_objectives * factor)
        done.append(result)
        return result.seconds

    scaling = scale("import", "seconds, people + OKRs", "linear", sizes.import_base_people, run)
    largest = done[-1]
    suite.add(
        "import",
        f"{largest.people:,} people CSV, {largest.objectives:,} objectives × 3 key results",
        imports.describe(largest),
    )
    suite.results["imports"] = [
        {
            **dataclasses.asdict(result),
            "people_per_second": result.people_per_second,
            "okr_rows_per_second": result.okr_rows_per_second,
        }
        for result in done
    ]
    suite.add_scaling(scaling, " s")


def run_load(suite: Suite) -> None:
    quick = suite.sizes is QUICK
    report = asyncio.run(
        load.measure(
            load.QUICK if quick else load.Sizes(),
            ("sqlite",) if quick else ("sqlite", "postgres"),
            workers=0 if quick else WORKERS,
        )
    )
    for row in load.rows(report):
        suite.add(*row)
    for line in load.aims(report):
        suite.add("load: aim", "", line)
    suite.results["load"] = {
        "sizes": dataclasses.asdict(report.sizes),
        "steps": [
            {
                **dataclasses.asdict(step),
                "kinds": [
                    {**dataclasses.asdict(kind), "over_3s_share": kind.over_3s_share}
                    for kind in step.kinds
                ],
            }
            for step in report.steps
        ],
        "saturations": [dataclasses.asdict(found) for found in report.saturations],
    }


RUNNERS: dict[str, Callable[[Suite], None]] = {
    "ack": run_ack,
    "fanout": run_fanout,
    "quarter": run_quarter,
    "imports": run_imports,
    "load": run_load,
}


def table(suite: Suite, seconds: float) -> Table:
    mode = "quick smoke run" if suite.sizes is QUICK else "full run"
    result = Table(title=f"okrbot benchmarks ({mode}, {seconds:.0f} s, SQLite)")
    result.add_column("benchmark", no_wrap=True)
    result.add_column("size")
    result.add_column("figures")
    for row in suite.rows:
        result.add_row(*row)
    return result


def main(argv: list[str] | None = None) -> Suite:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS))
    args = parser.parse_args(argv)
    suite = Suite(QUICK if args.quick else FULL)
    started = time.perf_counter()
    for name in BENCHMARKS:
        if name not in args.only:
            continue
        suite.progress.log(f"running {name}…")
        section_started = time.perf_counter()
        RUNNERS[name](suite)
        suite.results.setdefault("seconds", {})[name] = time.perf_counter() - section_started
    seconds = time.perf_counter() - started
    Console(width=160).print(table(suite, seconds))
    suite.results["total_seconds"] = seconds
    suite.results["quick"] = args.quick
    suite.results["table"] = [list(row) for row in suite.rows]
    if args.json is not None:
        args.json.write_text(json.dumps(suite.results, indent=2) + "\n", encoding="utf-8")
    return suite


if __name__ == "__main__":
    main()
