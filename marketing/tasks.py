"""Celery entry points: thin wrappers around the services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from marketing import publisher, services


@shared_task(name="marketing.tasks.topoff_marketing_slots", acks_late=True)
def topoff_marketing_slots() -> dict:
    """The daily top-off over every workspace (02:00 UTC, see PERIODIC_TASKS)."""
    results = services.topoff_all_workspaces(days=settings.MARKETING_TOPOFF_DAYS)
    return {
        "workspaces": len(results),
        "instances_created": sum(r.instances_created for r in results),
    }


@shared_task(name="marketing.tasks.publish_due_posts", acks_late=True)
def publish_due_posts() -> dict:
    return publisher.publish_due_posts()
