"""Celery entry points for schedules (thin: the work lives in dispatcher.py)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings


# A dispatch message that waited longer than a few ticks is stale: a newer one
# does the same work, so it is dropped instead of piling up behind job runs.
@shared_task(
    name="schedules.dispatch_due",
    ignore_result=True,
    expires=max(3 * settings.DISPATCH_INTERVAL_SECONDS, 5),
)
def dispatch_due() -> dict:
    from schedules import dispatcher

    report = dispatcher.dispatch_due()
    return {"claimed": report.claimed, "jobs_created": report.jobs_created}
