"""Top-off throughput against a raw psycopg INSERT ... ON CONFLICT DO NOTHING.

For each size (default 1,000 and 10,000 channel accounts, 10 posts a week on
two times, 28 days = 40 slots per channel) it measures, in one run:

- topoff first run: ``marketing.services.topoff_slots`` on an empty horizon
  (slot maths + insert), rows/s;
- topoff re-run: the same call again (every row conflicts, 0 created), seconds;
- raw first run: the very same rows, already computed and with their ids
  generated before the clock starts, sent by psycopg as multi-row
  ``INSERT ... ON CONFLICT DO NOTHING`` statements of 1,000 rows in one
  transaction, rows/s (the best the database can do with this statement);
- raw re-run: the same statements again, seconds.

Target: top-off at least half the raw rate. PostgreSQL only. It migrates the
configured database and writes (then deletes) a "bench-topoff" workspace;
point it at a scratch database:

    createdb -h 127.0.0.1 -U postgres sched_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sched_bench \\
        .venv/bin/python bench/topoff_bench.py [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_site.settings")

import django

django.setup()

import psycopg  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from marketing.models import ChannelAccount, Post  # noqa: E402
from marketing.services import topoff_slots  # noqa: E402
from workspaces.models import Workspace  # noqa: E402

DAYS = 28
BATCH = 1000
COLUMNS = (
    "id, workspace_id, channel_account_id, scheduled_for, status, is_paused, "
    "error_message, created_at, updated_at"
)


def make_workspace(size: int) -> Workspace:
    Workspace.objects.filter(slug=f"bench-topoff-{size}").delete()
    workspace = Workspace.objects.create(name=f"Bench top-off {size}", slug=f"bench-topoff-{size}")
    zones = ["UTC", "America/New_York", "Europe/Paris", "Asia/Tokyo"]
    ChannelAccount.objects.bulk_create(
        [
            ChannelAccount(
                workspace=workspace,
                platform="x",
                name=f"Channel {n}",
                posts_per_week=10,
                schedule_times=["09:00", "17:30"],
                schedule_timezone=zones[n % len(zones)],
            )
            for n in range(size)
        ],
        batch_size=2000,
    )
    return workspace


def raw_insert(dsn: str, params: list[tuple]) -> tuple[float, int]:
    """Multi-row INSERT ... ON CONFLICT DO NOTHING over psycopg; (seconds, rows inserted)."""
    inserted = 0
    with psycopg.connect(dsn) as raw, raw.cursor() as cursor:
        started = time.perf_counter()
        for offset in range(0, len(params), BATCH):
            batch = params[offset : offset + BATCH]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(batch))
            flat = [value for row in batch for value in row]
            # Fixed column names; every value is a bound parameter.
            statement = (
                f"INSERT INTO marketing_post ({COLUMNS}) VALUES {values} "  # noqa: S608
                "ON CONFLICT (workspace_id, channel_account_id, scheduled_for) DO NOTHING"
            )
            cursor.execute(statement, flat)
            inserted += cursor.rowcount
        raw.commit()
        return time.perf_counter() - started, inserted


def dsn() -> str:
    settings = connection.settings_dict
    return (
        f"host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432} "
        f"dbname={settings['NAME']} user={settings['USER']}"
        + (f" password={settings['PASSWORD']}" if settings["PASSWORD"] else "")
    )


def measure(size: int) -> dict:
    workspace = make_workspace(size)
    now = timezone.now()

    started = time.perf_counter()
    first = topoff_slots(workspace=workspace, days=DAYS, now=now)
    first_seconds = time.perf_counter() - started

    started = time.perf_counter()
    again = topoff_slots(workspace=workspace, days=DAYS, now=now)
    again_seconds = time.perf_counter() - started
    assert again.instances_created == 0, again

    # The same rows for the raw baseline, computed before its clock starts.
    rows = list(
        Post.objects.filter(workspace=workspace)
        .order_by("channel_account_id", "scheduled_for")
        .values_list("channel_account_id", "scheduled_for")
    )
    Post.objects.filter(workspace=workspace).delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE marketing_post")
    stamp = timezone.now()
    params = [
        (uuid.uuid4(), workspace.pk, channel, at, "planned", False, "", stamp, stamp)
        for channel, at in rows
    ]
    raw_seconds, raw_inserted = raw_insert(dsn(), params)
    raw_again_seconds, raw_again_inserted = raw_insert(
        dsn(), [(uuid.uuid4(), *row[1:]) for row in params]
    )
    assert raw_inserted == first.instances_created and raw_again_inserted == 0

    Workspace.objects.filter(pk=workspace.pk).delete()
    return {
        "size": size,
        "rows": first.instances_created,
        "topoff_rate": first.instances_created / first_seconds,
        "topoff_seconds": first_seconds,
        "topoff_rerun": again_seconds,
        "raw_rate": raw_inserted / raw_seconds,
        "raw_seconds": raw_seconds,
        "raw_rerun": raw_again_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("topoff_bench needs PostgreSQL: set DATABASE_URL=postgres://...")
    call_command("migrate", verbosity=0)
    results = [measure(size) for size in args.sizes]
    print(f"\nTop-off, {DAYS} days, 10 posts/week on 2 times ({timedelta(days=DAYS).days} days)\n")
    print(
        "| channel accounts | rows | top-off first run | rows/s | top-off re-run (0 created) "
        "| raw INSERT ON CONFLICT | raw rows/s | raw re-run | top-off / raw |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['size']:,} | {r['rows']:,} | {r['topoff_seconds']:.2f} s "
            f"| {r['topoff_rate']:,.0f} "
            f"| {r['topoff_rerun']:.2f} s | {r['raw_seconds']:.2f} s | {r['raw_rate']:,.0f} "
            f"| {r['raw_rerun']:.2f} s | {r['topoff_rate'] / r['raw_rate']:.0%} |"
        )


if __name__ == "__main__":
    main()
