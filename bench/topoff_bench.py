"""Top-off throughput against a raw psycopg INSERT ... SELECT FROM unnest(...) ON CONFLICT.

For each size (default 1,000 and 10,000 channel accounts, 10 posts a week on
two times, 28 days = 40 slots per channel) it measures, in one run:

- topoff first run: ``marketing.services.topoff_slots`` on an empty horizon
  (slot maths + insert), rows/s;
- topoff re-run: the same call again (every row conflicts, 0 created), rows/s;
- raw first run: the very same rows, already computed and with their ids
  generated before the clock starts, sent by psycopg as
  ``INSERT ... SELECT FROM unnest(ids, channels, instants) ON CONFLICT DO
  NOTHING`` in 2,000-row batches, arrays bound in binary, one transaction:
  the fastest way psycopg has to insert-if-absent rows it already holds;
- raw re-run: the same statements again (new ids, every row conflicts).

Each figure is printed with the 1-minute load average when it was taken, and
the ratio to its raw counterpart. Target: top-off first run at least 1.0 x
the raw first run's rows/s, re-run at least 2 x the raw first run's rows/s.
PostgreSQL only. It migrates the configured database and writes (then
deletes) a "bench-topoff" workspace; point it at a scratch database:

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
BATCH = 2000
RAW_UNNEST = (
    "INSERT INTO marketing_post (id, workspace_id, channel_account_id, scheduled_for, status, "
    "is_paused, error_message, created_at, updated_at) "
    "SELECT t.id, %b, t.channel, t.at, %b, %b, %b, %b, %b "
    "FROM unnest(%b::uuid[], %b::uuid[], %b::timestamptz[]) AS t(id, channel, at) "
    "ON CONFLICT (workspace_id, channel_account_id, scheduled_for) DO NOTHING"
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


def raw_insert(dsn: str, workspace_id, rows: list[tuple]) -> tuple[float, int]:
    """The unnest baseline over psycopg; rows are (id, channel, instant); (seconds, inserted)."""
    stamp = timezone.now()
    ids, channels, instants = (list(column) for column in zip(*rows, strict=True))
    inserted = 0
    with psycopg.connect(dsn) as raw, raw.cursor() as cursor:
        started = time.perf_counter()
        for offset in range(0, len(rows), BATCH):
            end = offset + BATCH
            cursor.execute(
                RAW_UNNEST,
                (
                    workspace_id,
                    "planned",
                    False,
                    "",
                    stamp,
                    stamp,
                    ids[offset:end],
                    channels[offset:end],
                    instants[offset:end],
                ),
            )
            inserted += cursor.rowcount
        raw.commit()
        return time.perf_counter() - started, inserted


def load1() -> float:
    return os.getloadavg()[0]


def dsn() -> str:
    settings = connection.settings_dict
    return (
        f"host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432} "
        f"dbname={settings['NAME']} user={settings['USER']}"
        + (f" password={settings['PASSWORD']}" if settings["PASSWORD"] else "")
    )


def clear(workspace: Workspace) -> None:
    """Empty the workspace's posts and VACUUM, so every first run meets the same table."""
    Post.objects.filter(workspace=workspace).delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE marketing_post")


def measure(size: int) -> dict:
    workspace = make_workspace(size)
    now = timezone.now()
    # A warm-up run, then cleared: the timed runs below (top-off and raw)
    # both start from a vacuumed table with the same free space to reuse.
    topoff_slots(workspace=workspace, days=DAYS, now=now)
    rows = list(
        Post.objects.filter(workspace=workspace)
        .order_by("channel_account_id", "scheduled_for")
        .values_list("channel_account_id", "scheduled_for")
    )
    clear(workspace)

    started = time.perf_counter()
    first = topoff_slots(workspace=workspace, days=DAYS, now=now)
    first_seconds = time.perf_counter() - started
    first_load = load1()

    started = time.perf_counter()
    again = topoff_slots(workspace=workspace, days=DAYS, now=now)
    again_seconds = time.perf_counter() - started
    again_load = load1()
    assert again.instances_created == 0, again

    # The same rows for the raw baseline, computed (ids too) before its clock starts.
    clear(workspace)
    raw_seconds, raw_inserted = raw_insert(
        dsn(), workspace.pk, [(uuid.uuid4(), *row) for row in rows]
    )
    raw_load = load1()
    raw_again_seconds, raw_again_inserted = raw_insert(
        dsn(), workspace.pk, [(uuid.uuid4(), *row) for row in rows]
    )
    raw_again_load = load1()
    assert raw_inserted == first.instances_created and raw_again_inserted == 0

    Workspace.objects.filter(pk=workspace.pk).delete()
    wanted = first.instances_created
    return {
        "size": size,
        "rows": wanted,
        "topoff": (first_seconds, wanted / first_seconds, first_load),
        "topoff_rerun": (again_seconds, wanted / again_seconds, again_load),
        "raw": (raw_seconds, wanted / raw_seconds, raw_load),
        "raw_rerun": (raw_again_seconds, wanted / raw_again_seconds, raw_again_load),
    }


def figure(measured: tuple[float, float, float]) -> str:
    seconds, rate, load = measured
    return f"{seconds:.2f} s, {rate:,.0f} rows/s (load {load:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("topoff_bench needs PostgreSQL: set DATABASE_URL=postgres://...")
    call_command("migrate", verbosity=0)
    results = [measure(size) for size in args.sizes]
    print(f"\nTop-off, {DAYS} days, 10 posts/week on 2 times, PostgreSQL\n")
    print("| channel accounts | rows | what | time, rate (1-min load) | rate / raw first run |")
    print("|---:|---:|---|---:|---:|")
    for r in results:
        raw_rate = r["raw"][1]
        for label, key in (
            ("top-off first run", "topoff"),
            ("top-off re-run (0 created)", "topoff_rerun"),
            ("raw unnest first run", "raw"),
            ("raw unnest re-run", "raw_rerun"),
        ):
            print(
                f"| {r['size']:,} | {r['rows']:,} | {label} | {figure(r[key])} "
                f"| {r[key][1] / raw_rate:.2f} x |"
            )


if __name__ == "__main__":
    main()
