"""Server time of the pages: the calendar month with 5,000 events, and the list pages.

Writes a "bench-pages" workspace (50 channels and 5,000 posts in one month,
20 daily schedules, 500 past jobs, 100 campaigns, 300 templates), then times
each page through the full Django stack in-process (test Client, signed in,
templates rendered) and compares with raw baselines measured in the same run:
the one SQL query that fetches the month's posts, and /healthz (the cheapest
request the stack can answer). Prints a markdown table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sched_bench \\
        .venv/bin/python bench/pages_bench.py [--posts 5000] [--repeat 5]

Works on SQLite too.
"""

from __future__ import annotations

import argparse
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
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from campaigns.models import Campaign  # noqa: E402
from jobs.models import Job  # noqa: E402
from marketing.models import ChannelAccount, ContentItem, Post  # noqa: E402
from schedules.services import schedule_create  # noqa: E402
from templates_lib.models import JobTemplate  # noqa: E402
from workspaces.models import Membership, Workspace  # noqa: E402

MONTH_START = datetime(2030, 3, 1, tzinfo=UTC)
RAW_SQL = """
SELECT p.id, p.scheduled_for, p.status, c.name, ci.title
FROM marketing_post p
JOIN marketing_channelaccount c ON c.id = p.channel_account_id
LEFT JOIN marketing_contentitem ci ON ci.id = p.content_item_id
WHERE p.workspace_id = %s AND p.scheduled_for >= %s AND p.scheduled_for < %s
ORDER BY p.scheduled_for
"""


def build(posts: int):
    Workspace.objects.filter(slug="bench-pages").delete()
    user, _ = get_user_model().objects.get_or_create(username="bench-pages")
    Membership.objects.filter(user=user).delete()
    workspace = Workspace.objects.create(name="Bench pages", slug="bench-pages", timezone="UTC")
    Membership.objects.create(user=user, workspace=workspace, role="owner")
    campaigns = Campaign.objects.bulk_create(
        Campaign(workspace=workspace, name=f"Campaign {n}", color="#1E88E5", target_job_count=50)
        for n in range(100)
    )
    JobTemplate.objects.bulk_create(
        JobTemplate(workspace=workspace, name=f"Template {n}", campaign=campaigns[n % 100])
        for n in range(300)
    )
    channels = ChannelAccount.objects.bulk_create(
        ChannelAccount(workspace=workspace, platform="x", name=f"Channel {n:02d}")
        for n in range(50)
    )
    content = ContentItem.objects.bulk_create(
        ContentItem(workspace=workspace, title=f"Item {n}", campaign=campaigns[n % 100])
        for n in range(200)
    )
    step = timedelta(days=30) / posts
    Post.objects.bulk_create(
        (
            Post(
                workspace=workspace,
                channel_account=channels[n % 50],
                scheduled_for=MONTH_START + step * n,
                status="planned" if n % 2 else "scheduled",
                content_item=None if n % 2 else content[n % 200],
            )
            for n in range(posts)
        ),
        batch_size=2000,
    )
    for n in range(20):
        schedule_create(
            workspace=workspace,
            name=f"Daily {n}",
            schedule_type="daily",
            scheduled_at=MONTH_START + timedelta(hours=n),
            timezone="UTC",
            campaign=campaigns[n],
            now=MONTH_START - timedelta(days=1),
        )
    Job.objects.bulk_create(
        Job(
            workspace=workspace,
            name=f"Run {n}",
            campaign=campaigns[n % 100],
            status="succeeded" if n % 5 else "failed",
            scheduled_for=MONTH_START - timedelta(hours=n),
        )
        for n in range(500)
    )
    return user, workspace


def time_page(client, url: str, repeat: int):
    client.get(url)  # warm: template loading, first connection
    timings, queries, size = [], 0, 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured.captured_queries)
        size = len(response.content)
    return statistics.median(timings), queries, size, p95(timings)


def p95(timings: list[float]) -> float:
    """Nearest-rank 95th percentile (the slowest run when there are fewer than 20)."""
    ordered = sorted(timings)
    return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]


def time_raw(workspace, repeat: int):
    end = MONTH_START + timedelta(days=31)
    key = workspace.pk if connection.vendor == "postgresql" else workspace.pk.hex
    timings, rows = [], []
    with connection.cursor() as cursor:
        for _ in range(repeat):
            started = time.perf_counter()
            cursor.execute(RAW_SQL, (key, MONTH_START, end))
            rows = cursor.fetchall()
            timings.append(time.perf_counter() - started)
    return statistics.median(timings), len(rows)


PAGES = [
    ("Calendar month (5,000 posts + daily runs)", "/calendar/?view=month&date=2030-03-10&tz=UTC"),
    ("Calendar week", "/calendar/?view=week&date=2030-03-10&tz=UTC"),
    ("Calendar agenda (14 days, first 500 shown)", "/calendar/?view=agenda&date=2030-03-10&tz=UTC"),
    ("Calendar month, htmx fragment", "/calendar/?view=month&date=2030-03-10&tz=UTC"),
    ("Campaigns list (100)", "/campaigns/"),
    ("Template library (300)", "/templates/"),
    ("Schedules list (20)", "/schedules/"),
    ("Jobs list (500, 50 a page)", "/jobs/"),
    ("Channels list (50)", "/channels/"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    setup_test_environment()
    user, workspace = build(args.posts)
    client = Client()
    client.force_login(user)
    htmx = Client(HTTP_HX_REQUEST="true")
    htmx.force_login(user)
    rows = []
    for label, url in PAGES:
        chosen = htmx if "htmx" in label else client
        rows.append((label, url, *time_page(chosen, url, args.repeat)))
    raw_seconds, raw_rows = time_raw(workspace, args.repeat)
    health = time_page(client, "/healthz", args.repeat)
    Workspace.objects.filter(pk=workspace.pk).delete()
    print(f"\nPages, server time in-process ({connection.vendor}, median of {args.repeat})\n")
    print(f"1-minute load average at the end: {os.getloadavg()[0]:.2f}\n")
    print("| page | queries | median | p95 | HTML |")
    print("|---|---:|---:|---:|---:|")
    for label, _url, seconds, queries, size, slowest in rows:
        print(
            f"| {label} | {queries} | {seconds * 1000:.0f} ms | {slowest * 1000:.0f} ms "
            f"| {size / 1024:,.0f} KiB |"
        )
    print(f"| baseline: /healthz (stack floor) | {health[1]} | {health[0] * 1000:.1f} ms | - |")
    print(
        f"| baseline: raw SQL for the month's {raw_rows:,} posts | 1 "
        f"| {raw_seconds * 1000:.0f} ms | - |"
    )


if __name__ == "__main__":
    main()
