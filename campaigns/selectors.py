"""Campaign reads shared by the pages, the API and the lifecycle.

The per-campaign numbers (jobs count, spend, progress towards the targets,
days left) are worked out here once: ``campaigns_with_totals`` annotates any
campaign queryset in the same single query, and ``campaign_progress`` turns a
campaign's totals into the ratios both the list cards and the stats endpoint
show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.models import Campaign

ZERO_USD = Decimal("0")


def _related(campaign: Campaign, name: str):
    """A reverse relation's manager, or None while the app that owns it is absent."""
    return getattr(campaign, name, None)


def campaigns_with_totals(queryset: QuerySet[Campaign] | None = None) -> QuerySet[Campaign]:
    """Campaigns with ``job_total`` and ``spent_usd``: one query however many rows.

    Both aggregates follow the one join to jobs, so neither is multiplied by
    the other.
    """
    queryset = Campaign.objects.all() if queryset is None else queryset
    return queryset.select_related("workspace").annotate(
        job_total=Count("jobs"),
        spent_usd=Coalesce(
            Sum("jobs__cost_usd"),
            Value(ZERO_USD),
            output_field=DecimalField(max_digits=14, decimal_places=4),
        ),
    )


@dataclass(frozen=True)
class CampaignProgress:
    job_count_progress: float | None  # jobs so far / target_job_count
    budget_progress: float | None  # spent / target_budget_usd
    days_remaining: int | None  # whole days to end_date, never negative


def campaign_progress(
    campaign: Campaign, *, total_jobs: int, spent_usd: Decimal, now: datetime | None = None
) -> CampaignProgress:
    """Ratios towards the campaign's targets; None where it sets no target."""
    job_count_progress = None
    if campaign.target_job_count:
        job_count_progress = round(total_jobs / campaign.target_job_count, 4)
    budget_progress = None
    if campaign.target_budget_usd:
        budget_progress = round(float(spent_usd / campaign.target_budget_usd), 4)
    days_remaining = None
    if campaign.end_date is not None:
        days_remaining = max(0, (campaign.end_date - (now or timezone.now())).days)
    return CampaignProgress(job_count_progress, budget_progress, days_remaining)


def campaign_spent_usd(campaign: Campaign) -> Decimal:
    jobs = _related(campaign, "jobs")
    if jobs is None:
        return ZERO_USD
    return jobs.aggregate(total=Sum("cost_usd"))["total"] or ZERO_USD


def campaign_stats(campaign: Campaign) -> dict:
    jobs = _related(campaign, "jobs")
    scheduled_jobs = _related(campaign, "scheduled_jobs")
    templates = _related(campaign, "templates")

    status_distribution: dict[str, int] = {}
    if jobs is not None:
        rows = jobs.order_by().values("status").annotate(n=Count("pk"))
        status_distribution = {row["status"]: row["n"] for row in rows}
    total_jobs = sum(status_distribution.values())
    spent_usd = campaign_spent_usd(campaign)
    progress = campaign_progress(campaign, total_jobs=total_jobs, spent_usd=spent_usd)

    return {
        "campaign_id": campaign.pk,
        "total_jobs": total_jobs,
        "total_scheduled_jobs": scheduled_jobs.count() if scheduled_jobs is not None else 0,
        "total_templates": templates.count() if templates is not None else 0,
        "job_count_progress": progress.job_count_progress,
        "days_remaining": progress.days_remaining,
        "status_distribution": status_distribution,
        "spent_usd": spent_usd.quantize(Decimal("0.01")),
        "budget_progress": progress.budget_progress,
    }
