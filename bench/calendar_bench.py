"""The calendar API for a month holding 5,000 posts: query count and time.

Writes a "bench-calendar" workspace (50 channels, 5,000 posts over 30 days:
planned slots, scheduled content and wave posts), then times
``GET /api/v1/marketing/calendar`` through the real view stack (in-process
APIClient, authenticated) and compares with a raw baseline measured in the
same run: raw rows + json, i.e. one hand-written SQL query fetching the same
rows and columns with psycopg (its C loaders) and ``json.dumps`` of them
(``default=str`` for UUIDs and datetimes), the least any implementation must
do. Prints a markdown table with the ratio (baseline time / API time, target
at least 0.7) and the 1-minute load average beside each figure.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sched_bench \\
        .venv/bin/python bench/calendar_bench.py [--posts 5000] [--repeat 5]

Works on SQLite too (the raw baseline then uses Django's cursor).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_site.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from marketing.models import ChannelAccount, ContentItem, Post, Wave  # noqa: E402
from workspaces.models import Membership, Workspace  # noqa: E402

MONTH_START = datetime(2030, 3, 1, tzinfo=UTC)
RAW_SQL = """
SELECT p.id, p.scheduled_for, p.status, p.is_paused, p.executed_at, p.error_message,
       p.job_id, c.id, c.name, c.platform, ci.id, ci.title, w.id, w.wave_id, w.type
FROM marketing_post p
JOIN marketing_channelaccount c ON c.id = p.channel_account_id
LEFT JOIN marketing_contentitem ci ON ci.id = p.content_item_id
LEFT JOIN marketing_wave w ON w.id = p.wave_id
WHERE p.workspace_id = %s AND p.scheduled_for >= %s AND p.scheduled_for < %s
ORDER BY p.scheduled_for, c.name
"""


def build(posts: int):
    Workspace.objects.filter(slug="bench-calendar").delete()
    user, _ = get_user_model().objects.get_or_create(username="bench-calendar")
    workspace = Workspace.objects.create(name="Bench calendar", slug="bench-calendar")
    Membership.objects.create(user=user, workspace=workspace, role="owner")
    channels = ChannelAccount.objects.bulk_create(
        ChannelAccount(workspace=workspace, platform="x", name=f"Channel {n:02d}")
        for n in range(50)
    )
    content = ContentItem.objects.bulk_create(
        ContentItem(workspace=workspace, title=f"Item {n}") for n in range(200)
    )
    waves = Wave.objects.bulk_create(
        Wave(workspace=workspace, content_item=content[n], type="simultaneous", wave_id=f"w-{n}")
        for n in range(20)
    )
    step = timedelta(days=30) / posts
    rows = []
    for n in range(posts):
        kind = n % 4
        rows.append(
            Post(
                workspace=workspace,
                channel_account=channels[n % 50],
                scheduled_for=MONTH_START + step * n,
                status="planned" if kind == 0 else "scheduled",
                content_item=None if kind == 0 else content[n % 200],
                wave=waves[n % 20] if kind == 3 else None,
            )
        )
    Post.objects.bulk_create(rows, batch_size=2000)
    return user, workspace


def time_api(client, workspace, repeat: int):
    url = (
        f"/api/v1/marketing/calendar?tenant_id={workspace.pk}"
        "&start_date=2030-03-01&end_date=2030-03-31&timezone=UTC"
    )
    timings, queries, size, count = [], 0, 0, 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:300]
        queries = len(captured.captured_queries)
        size = len(response.content)
        count = sum(len(day) for day in response.json().values())
    return statistics.median(timings), queries, size, count


def time_raw(workspace, repeat: int):
    end = MONTH_START + timedelta(days=31)
    timings = []
    rows = []
    if connection.vendor == "postgresql":
        import psycopg

        s = connection.settings_dict
        dsn = (
            f"host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432} "
            f"dbname={s['NAME']} user={s['USER']}"
        )
        with psycopg.connect(dsn) as raw, raw.cursor() as cursor:
            for _ in range(repeat):
                started = time.perf_counter()
                cursor.execute(RAW_SQL, (workspace.pk, MONTH_START, end))
                rows = cursor.fetchall()
                json.dumps(rows, default=str)
                timings.append(time.perf_counter() - started)
    else:
        with connection.cursor() as cursor:
            for _ in range(repeat):
                started = time.perf_counter()
                cursor.execute(RAW_SQL, (workspace.pk.hex, MONTH_START, end))
                rows = cursor.fetchall()
                json.dumps(rows, default=str)
                timings.append(time.perf_counter() - started)
    return statistics.median(timings), len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    setup_test_environment()  # lets the in-process client use the "testserver" host
    user, workspace = build(args.posts)
    client = APIClient()
    client.force_authenticate(user)
    client.get(
        f"/api/v1/marketing/calendar?tenant_id={workspace.pk}&start_date=2030-03-01&end_date=2030-03-02"
    )
    api_seconds, queries, size, count = time_api(client, workspace, args.repeat)
    api_load = os.getloadavg()[0]
    raw_seconds, raw_rows = time_raw(workspace, args.repeat)
    raw_load = os.getloadavg()[0]
    assert raw_rows == count == args.posts, (raw_rows, count)
    Workspace.objects.filter(pk=workspace.pk).delete()
    print(
        f"\nCalendar API, one month with {args.posts:,} posts "
        f"({connection.vendor}, median of {args.repeat})\n"
    )
    print("| what | queries | time (1-min load) | rows | response | baseline / this |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| GET /api/v1/marketing/calendar | {queries} "
        f"| {api_seconds * 1000:.0f} ms (load {api_load:.2f}) "
        f"| {count:,} | {size / 1024:,.0f} KiB | {raw_seconds / api_seconds:.2f} x |"
    )
    print(
        f"| raw rows + json (psycopg fetchall, json.dumps) | 1 "
        f"| {raw_seconds * 1000:.0f} ms (load {raw_load:.2f}) | {raw_rows:,} | - | 1.00 x |"
    )


if __name__ == "__main__":
    main()
