"""Celery entry points for campaigns (thin: the work lives in lifecycle.py)."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task
from django.conf import settings


# One periodic task runs every lifecycle transition. A message that waited
# longer than a few intervals is dropped: the next one does the same work.
@shared_task(
    name="campaigns.run_lifecycle",
    ignore_result=True,
    expires=max(3 * settings.CAMPAIGN_LIFECYCLE_INTERVAL_SECONDS, 5),
)
def run_campaign_lifecycle() -> dict:
    from campaigns import lifecycle

    return asdict(lifecycle.campaign_lifecycle_run())
