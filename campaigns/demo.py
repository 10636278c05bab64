from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from campaigns.models import Campaign

DEMO_CAMPAIGNS = [
    {
        "name": "Forbes Publisher Campaign",
        "description": "All Forbes content generation",
        "color": "#1E88E5",
        "tags": ["publisher:forbes", "q1"],
        "target_job_count": 50,
        "target_budget_usd": "500.00",
    },
    {
        "name": "Client A - SEO Campaign",
        "description": "Weekly SEO posts for Client A",
        "color": "#FF5733",
        "tags": ["client:a", "seo"],
        "target_job_count": 12,
    },
    {
        "name": "Client B - Content Marketing",
        "description": "Daily content for Client B",
        "color": "#33AA57",
        "tags": ["client:b"],
    },
]


def seed(*, workspace, user) -> None:
    now = timezone.now()
    for spec in DEMO_CAMPAIGNS:
        # Names are not unique: a user may have made campaigns with these
        # names already (the seed's own Use Cases do), so "any exists" is enough.
        if Campaign.objects.filter(workspace=workspace, name=spec["name"]).exists():
            continue
        Campaign.objects.create(
            workspace=workspace,
            **spec,
            created_by=user,
            start_date=now - timedelta(days=7),
            end_date=now + timedelta(days=90),
        )
