"""Job pages: the run history with status filters, one job with its attempts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from jobs import retries, services
from jobs.models import Job
from scheduler_site.pages import (
    can_write,
    error_text,
    feedback,
    get_scoped_or_404,
    page,
    redirect_with_feedback,
    require_write,
    scoped,
)

JOBS = Job.objects.select_related("workspace", "campaign", "template", "scheduled_job")
PAGE_SIZE = 50


def _filtered_jobs(request):
    rows = scoped(request, JOBS)
    if (status := request.GET.get("status", "")) in Job.Status.values:
        rows = rows.filter(status=status)
    if (trigger := request.GET.get("trigger", "")) in Job.Trigger.values:
        rows = rows.filter(trigger=trigger)
    campaign = request.GET.get("campaign", "")
    if campaign:
        matching = scoped(request, Campaign.objects.all()).filter(pk__in=_valid_uuids([campaign]))
        rows = rows.filter(campaign__in=matching)
    return rows.order_by("-created_at")


def _valid_uuids(values):
    import uuid

    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue
    return found


@page
def job_list(request):
    paginator = Paginator(_filtered_jobs(request), PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "jobs": page_obj.object_list,
        "statuses": Job.Status.choices,
        "triggers": Job.Trigger.choices,
        "campaigns": scoped(request, Campaign.objects.all()).order_by("name"),
        "filters": {k: request.GET.get(k, "") for k in ("status", "trigger", "campaign")},
    }
    if request.htmx and request.htmx.target == "job-rows":
        return render(request, "jobs/job_list.html#rows", context)
    return render(request, "jobs/job_list.html", context)


@page
def job_detail(request, pk):
    job = get_scoped_or_404(request, JOBS, pk)
    context = {
        "job": job,
        "attempts": job.attempt_log.order_by("number"),
        "retry_plan": retries.describe_waits(
            retries.planned_waits(config=job.config, max_retries=job.max_retries)
        ),
        "can_write": can_write(request, job.workspace_id),
        "can_cancel": job.status in (Job.Status.PENDING, Job.Status.QUEUED),
        "can_retry": job.status == Job.Status.FAILED,
    }
    if request.htmx and request.htmx.target == f"job-{job.pk}":
        return render(request, "jobs/job_detail.html#summary", context)
    return render(request, "jobs/job_detail.html", context)


@require_POST
@page
def job_cancel(request, pk):
    job = get_scoped_or_404(request, JOBS, pk)
    require_write(request, job.workspace_id)
    return _act(
        request,
        job,
        lambda: services.job_cancel(job=job, reason=f"Cancelled by {request.user.get_username()}."),
        "Job cancelled.",
    )


@require_POST
@page
def job_retry(request, pk):
    job = get_scoped_or_404(request, JOBS, pk)
    require_write(request, job.workspace_id)
    return _act(request, job, lambda: services.job_retry(job=job), "Job queued to run again.")


def _act(request, job, action, success: str):
    try:
        action()
    except ValidationError as error:
        message, level = error_text(error), "error"
    else:
        message, level = success, "success"
    to = reverse("jobs:detail", args=[job.pk])
    if request.htmx:
        job = get_scoped_or_404(request, JOBS, job.pk)
        context = {
            "job": job,
            "can_write": True,
            "can_cancel": job.status in (Job.Status.PENDING, Job.Status.QUEUED),
            "can_retry": job.status == Job.Status.FAILED,
        }
        response = render(request, "jobs/job_detail.html#summary", context)
        return feedback(request, response, message, level)
    return redirect_with_feedback(request, to, message, level)
