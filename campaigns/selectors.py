from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from campaigns.models import Campaign


def _related(campaign: Campaign, name: str):
    """A reverse relation's manager, or None while the app that owns it is absent."""
    return getattr(campaign, name, None)


def campaign_stats(campaign: Campaign) -> dict:
    jobs = _related(campaign, "jobs")
    scheduled_jobs = _related(campaign, "scheduled_jobs")
    templates = _related(campaign, "templates")

    status_distribution: dict[str, int] = {}
    if jobs is not None:
        rows = jobs.order_by().values("status").annotate(n=Count("pk"))
        status_distribution = {row["status"]: row["n"] for row in rows}
    total_jobs = sum(status_distribution.values())

    spent_usd = Decimal("0")
    if jobs is not None:
        spent_usd = jobs.aggregate(total=Sum("cost_usd"))["total"] or Decimal("0")
    budget_progress = None
    if campaign.target_budget_usd:
        budget_progress = round(float(spent_usd / campaign.target_budget_usd), 4)

    job_count_progress = None
    if campaign.target_job_count:
        job_count_progress = round(total_jobs / campaign.target_job_count, 4)

    days_remaining = None
    if campaign.end_date is not None:
        days_remaining = max(0, (campaign.end_date - timezone.now()).days)

    return {
        "campaign_id": campaign.pk,
        "total_jobs": total_jobs,
        "total_scheduled_jobs": scheduled_jobs.count() if scheduled_jobs is not None else 0,
        "total_templates": templates.count() if templates is not None else 0,
        "job_count_progress": job_count_progress,
        "days_remaining": days_remaining,
        "status_distribution": status_distribution,
        "spent_usd": spent_usd.quantize(Decimal("0.01")),
        "budget_progress": budget_progress,
    }
