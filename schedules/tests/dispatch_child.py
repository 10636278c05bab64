"""Run the dispatcher in an OS process of its own against the test database.

Tests start several of these at once (``python -m schedules.tests.dispatch_child``)
to prove that concurrent dispatchers never double or drop a run, and one that
SIGKILLs itself in the middle of a batch, before its commit, to prove a crash
leaves nothing half done. Prints the dispatch report as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from datetime import datetime, timedelta
from pathlib import Path

BARRIER_TIMEOUT_SECONDS = 120


def _wait_for_go(barrier: Path, name: str) -> None:
    (barrier / f"ready-{name}").touch()
    deadline = time.monotonic() + BARRIER_TIMEOUT_SECONDS
    while not (barrier / "go").exists():
        if time.monotonic() > deadline:
            raise SystemExit("never got the go signal")
        time.sleep(0.01)


def _crash_in_batch(dispatcher, batch_number: int) -> None:
    """SIGKILL this process in batch ``batch_number`` (0-based), after its jobs
    are inserted and before its transaction commits."""
    real = dispatcher._count_runs
    seen = {"batches": 0}

    def count_runs_or_die(schedules, created):
        if seen["batches"] == batch_number:
            os.kill(os.getpid(), signal.SIGKILL)
        seen["batches"] += 1
        real(schedules, created)

    dispatcher._count_runs = count_runs_or_die


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--now", required=True, help="ISO instant the dispatcher takes as now")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--name", default=str(os.getpid()))
    parser.add_argument("--barrier", help="folder: touch ready-<name>, then wait for 'go'")
    parser.add_argument("--crash-in-batch", type=int)
    args = parser.parse_args()

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_site.settings")
    django.setup()
    from schedules import dispatcher

    if args.crash_in_batch is not None:
        _crash_in_batch(dispatcher, args.crash_in_batch)
    if args.barrier:
        _wait_for_go(Path(args.barrier), args.name)
    report = dispatcher.dispatch_due(
        now=datetime.fromisoformat(args.now),
        batch_size=args.batch_size,
        lookahead=timedelta(0),
        time_budget=600,
    )
    print(json.dumps({"name": args.name, "claimed": report.claimed, "jobs": report.jobs_created}))


if __name__ == "__main__":
    main()
