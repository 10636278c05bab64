"""What each fault costs at production cadence: the issue's table.

The fault suite's harness (``scheduler_site/faults``), at the scale and pace
of a real installation: ``--schedules`` per-minute crons (200 by default)
posting to a local webhook, plus ``--ticks`` RRULEs every 2 s (2 by default;
without them the recovery could only be seen at the next minute's crons),
the product's default settings (sweeper cadence,
visibility timeout) except what a fault itself needs, and each fault's
window about three minutes long: ``--before`` seconds of normal running, the
outage starting 5 s before a minute boundary (so every cron falls due while
the component is away), then ``--after`` seconds from its return (the next
minute's runs show the recovery), then up to ``--settle`` seconds for
retries and the sweeper to settle every occurrence.

It starts its own PostgreSQL cluster and Redis on spare ports (never the
shared ones) and needs the PostgreSQL server binaries and redis-server:

    .venv/bin/python bench/fault_table.py                      # all six, 20-25 minutes
    .venv/bin/python bench/fault_table.py --fault redis-down,postgres-down --schedules 50

Prints one row per fault, with the 1-minute load average at the end of its
window (the machine's own load bends these figures), then what each fault
missed of the issue's targets.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduler_site.faults import scenarios
from scheduler_site.faults.scenarios import FAULTS, Timing
from scheduler_site.faults.servers import missing_servers
from scheduler_site.faults.stack import Stack, minute_cron, tick_schedule, webhook_config

# Seconds each component stays away (the ranges).
OUTAGE_SECONDS = {
    "worker-kill": 10,
    "beat-kill": 60,
    "redis-down": 60,
    "postgres-down": 30,
    "worker-stop": 40,
    "webhook-slow": 60,
}
OUTAGE_AT_SECOND = 55
RECOVERY_BOUND_SECONDS = 15.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schedules", type=int, default=200, help="per-minute crons")
    parser.add_argument("--ticks", type=int, default=2, help="RRULEs every 2 s")
    parser.add_argument(
        "--fault", default="all", help=f"all, or a comma-separated list of {', '.join(FAULTS)}"
    )
    parser.add_argument("--before", type=float, default=30.0)
    parser.add_argument("--after", type=float, default=75.0)
    parser.add_argument("--settle", type=float, default=120.0)
    parser.add_argument(
        "--steady", type=float, default=120.0, help="wait for an earlier fault's backlog"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="per job worker")
    parser.add_argument("--keep", action="store_true", help="keep the logs (printed path)")
    args = parser.parse_args()
    names = list(FAULTS) if args.fault == "all" else args.fault.split(",")
    unknown = [name for name in names if name not in FAULTS]
    if unknown:
        parser.error(f"unknown fault(s): {', '.join(unknown)}")
    args.faults = names
    return args


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> int:
    args = parse_args()
    missing = missing_servers()
    if missing:
        print(f"cannot run: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    stack = Stack(worker_concurrency=args.concurrency, keep=args.keep)
    verdicts = []
    try:
        progress(f"starting the stack in {stack.base}")
        stack.start()
        progress(f"up: {stack.timings}")
        # One retry at the product's default backoff (about a minute): a
        # redelivery shows, and it settles within the window.
        config = webhook_config(stack.receiver.url, max_retries=1)
        stack.create_schedules(
            [minute_cron(f"cron-{n:03d}", config) for n in range(args.schedules)]
            + [tick_schedule(f"tick-{n}", config, offset=n % 2) for n in range(args.ticks)]
        )
        progress(f"{args.schedules} per-minute crons and {args.ticks} 2-second ticks created")
        for name in args.faults:
            timing = Timing(
                before=args.before,
                outage=OUTAGE_SECONDS[name],
                after=args.after,
                outage_at_second=OUTAGE_AT_SECOND,
            )
            progress(f"{name}: {timing}")
            verdict = scenarios.run_fault(
                stack,
                FAULTS[name],
                timing,
                settle_timeout=args.settle,
                steady_timeout=args.steady,
            )
            verdicts.append(verdict)
            progress(scenarios.table_row(verdict))
    finally:
        stack.close()
    print(
        f"\n{args.schedules} per-minute crons, {args.ticks} 2-second ticks; "
        f"start-up {stack.timings}\n"
    )
    print(scenarios.TABLE_HEADER)
    for verdict in verdicts:
        print(scenarios.table_row(verdict))
    print()
    for verdict in verdicts:
        problems = verdict.problems(recovery_bound=RECOVERY_BOUND_SECONDS)
        context = f" (note: {verdict.context()})" if verdict.context() else ""
        print(f"- {verdict.fault.name}: {'; '.join(problems) or 'every target met'}{context}")
    if args.keep:
        print(f"\nlogs: {stack.logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
