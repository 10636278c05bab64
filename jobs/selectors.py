from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from jobs.models import Job, JobAttempt


def job_list() -> QuerySet[Job]:
    """Jobs with what a list row shows, without N+1."""
    return Job.objects.select_related("workspace", "campaign", "template")


def job_detail() -> QuerySet[Job]:
    return job_list().prefetch_related(
        Prefetch("attempt_log", queryset=JobAttempt.objects.order_by("number"))
    )
