"""How long does the recurrence engine take to answer "when is the next run?".

The dispatcher asks once per run of every schedule, so this is its hot path.
Each row is next_run(rec, after) with `after` a year after the series start,
in New York (a DST zone), in microseconds per call (best of 5 repeats).
Baselines measured in the same run: one zoneinfo wall-time-to-UTC resolution
(the floor for any correct answer) and a bare cronsim step.

Run: .venv/bin/python bench/recurrence_bench.py
"""

from __future__ import annotations

import sys
import timeit
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cronsim import CronSim

from schedules.recurrence import build, next_run, next_runs, runs_between

ZONE = "America/New_York"
START = "2026-01-05T09:00"  # a Monday, local time
REPEATS = 5


def per_call_us(func, number: int) -> float:
    best = min(timeit.repeat(func, number=number, repeat=REPEATS))
    return best / number * 1e6


def main() -> None:
    tz = ZoneInfo(ZONE)
    rows: list[tuple[str, str, float]] = []

    local = datetime(2027, 3, 14, 2, 30)
    rows.append(
        (
            "baseline: zoneinfo resolve",
            "naive.replace(tzinfo=tz).astimezone(UTC)",
            per_call_us(lambda: local.replace(tzinfo=tz, fold=0).astimezone(UTC), 100_000),
        )
    )
    aware = datetime(2027, 1, 5, 9, tzinfo=tz)
    rows.append(
        (
            "baseline: bare cronsim",
            "next(CronSim('0 9 * * 1', dt))",
            per_call_us(lambda: next(CronSim("0 9 * * 1", aware)), 10_000),
        )
    )

    cases = [
        ("once", ""),
        ("daily", ""),
        ("weekly", "weekly:monday"),
        ("weekly", "weekly:monday,thursday"),
        ("monthly", "monthly:31"),
        ("monthly", "monthly:-1"),
        ("cron", "0 9 * * 1"),
        ("cron", "*/15 * * * *"),
        ("rrule", "FREQ=WEEKLY;BYDAY=MO,TH"),
        ("rrule", "FREQ=MONTHLY;BYDAY=-1FR"),
    ]
    for schedule_type, pattern in cases:
        rec = build(schedule_type, START, ZONE, pattern)
        after = rec.start + timedelta(days=365, hours=3)
        number = 2_000 if schedule_type in ("cron", "rrule") else 20_000
        rows.append(
            (
                f"next_run {schedule_type}",
                pattern or "-",
                per_call_us(lambda rec=rec, after=after: next_run(rec, after), number),
            )
        )

    for schedule_type, pattern in [("daily", ""), ("weekly", "weekly:monday"), ("monthly", "")]:
        rec = build(schedule_type, START, ZONE, pattern, max_runs=10_000)
        after = rec.start + timedelta(days=365, hours=3)
        rows.append(
            (
                f"next_run {schedule_type}, max_runs=10000",
                pattern or "-",
                per_call_us(lambda rec=rec, after=after: next_run(rec, after), 20_000),
            )
        )

    daily = build("daily", START, ZONE)
    after = daily.start + timedelta(days=365)
    rows.append(
        (
            "next_runs daily, 10 runs",
            "-",
            per_call_us(lambda: next_runs(daily, after, 10), 5_000),
        )
    )
    month_start = datetime(2027, 3, 1, tzinfo=UTC)
    rows.append(
        (
            "runs_between daily, 31-day window",
            "-",
            per_call_us(
                lambda: runs_between(daily, month_start, month_start + timedelta(days=31)), 2_000
            ),
        )
    )
    rows.append(
        (
            "build + next_run daily",
            "-",
            per_call_us(lambda: next_run(build("daily", START, ZONE), after), 5_000),
        )
    )

    print(f"Python {sys.version.split()[0]}, zone {ZONE}, `after` = start + 1 year\n")
    print("| operation | pattern | µs/call |")
    print("| --- | --- | ---: |")
    for name, pattern, micros in rows:
        print(f"| {name} | `{pattern}` | {micros:.1f} |")


if __name__ == "__main__":
    main()
