from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign
from scheduler_site.demo import ensure_demo_row

# "key" is the row's demo identity (scheduler_site/demo.py); the name is only a label.
DEMO_CAMPAIGNS = [
    {
        "key": "forbes",
        "name": "Forbes Publisher Campaign",
        "description": "All Forbes content generation",
        "color": "#1E88E5",
        "tags": ["publisher:forbes", "q1"],
        "target_job_count": 50,
        "target_budget_usd": "500.00",
    },
    {
        "key": "client-a",
        "name": "Client A - SEO Campaign",
        "description": "Weekly SEO posts for Client A",
        "color": "#FF5733",
        "tags": ["client:a", "seo"],
        "target_job_count": 12,
    },
    {
        "key": "client-b",
        "name": "Client B - Content Marketing",
        "description": "Daily content for Client B",
        "color": "#33AA57",
        "tags": ["client:b"],
    },
]


def seed(*, workspace, user) -> None:
    now = timezone.now()
    for spec in DEMO_CAMPAIGNS:
        fields = dict(spec)
        key = fields.pop("key")
        ensure_demo_row(
            Campaign,
            workspace=workspace,
            key=f"campaign:{key}",
            create=lambda pk, fields=fields: services.campaign_create(
                id=pk,
                workspace=workspace,
                created_by=user,
                start_date=now - timedelta(days=7),
                end_date=now + timedelta(days=90),
                **fields,
            ),
        )
