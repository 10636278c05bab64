"""The worker's single-statement claim and outcome (PostgreSQL) against the ORM's answer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Model
from django.utils import timezone

from jobs import services, worker_statements
from jobs.models import Job, JobAttempt
from jobs.tests.factories import JobFactory
from schedules.tests.factories import ScheduledJobFactory

pytestmark = pytest.mark.django_db

WORKER = "node@host:1:2"
SOURCES = (Job.Status.PENDING, Job.Status.QUEUED)


def field_values(instance: Model) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def claim(job, now=None):
    now = now or timezone.now()
    return worker_statements.claim(
        job.pk, worker_id=WORKER, sources=SOURCES, now=now, not_after=now + timedelta(seconds=2)
    )


def test_a_claim_returns_the_row_as_the_orm_reads_it_with_workspace_and_schedule(
    requires_postgres, workspace
):
    schedule = ScheduledJobFactory(
        workspace=workspace, job_config={"executor": "noop", "team": "growth"}
    )
    job = JobFactory(
        workspace=workspace, scheduled_job=schedule, config={"executor": "noop", "n": [1, 2]}
    )

    claimed = claim(job)

    stored = Job.objects.select_related("workspace", "scheduled_job").get(pk=job.pk)
    assert (claimed.status, claimed.attempts, claimed.claimed_by) == ("running", 1, WORKER)
    assert field_values(claimed) == field_values(stored)
    assert field_values(claimed.workspace) == field_values(stored.workspace)
    assert field_values(claimed.scheduled_job) == field_values(stored.scheduled_job)
    assert not claimed._state.adding


def test_a_job_without_a_schedule_is_claimed_with_none_and_no_further_query(
    requires_postgres, workspace, django_assert_num_queries
):
    job = JobFactory(workspace=workspace)
    claimed = claim(job)
    with django_assert_num_queries(0):
        assert claimed.scheduled_job is None
        assert claimed.workspace.pk == workspace.pk


def test_a_job_that_is_running_finished_or_not_yet_due_is_not_claimed(requires_postgres, workspace):
    running = JobFactory(workspace=workspace, status="running")
    done = JobFactory(workspace=workspace, status="succeeded")
    later = JobFactory(workspace=workspace, not_before=timezone.now() + timedelta(minutes=5))
    assert [claim(job) for job in (running, done, later)] == [None, None, None]
    assert Job.objects.get(pk=later.pk).status == "pending"


def test_finish_writes_the_final_status_and_its_attempt_together(requires_postgres, workspace):
    job = claim(JobFactory(workspace=workspace))
    started = timezone.now()
    fields = {"finished_at": started, "not_before": None, "result": {"ok": True}}
    fields |= {"cost_usd": Decimal("0.0125"), "last_error": ""}
    attempt = {"started_at": started, "finished_at": started, "duration_ms": 12}
    attempt |= {"http_status": 200, "error": "", "outcome": "succeeded"}

    assert worker_statements.finish(
        job, worker_id=WORKER, target="succeeded", fields=fields, attempt=attempt
    )

    stored = Job.objects.get(pk=job.pk)
    assert (stored.status, stored.result, stored.cost_usd) == (
        "succeeded",
        {"ok": True},
        fields["cost_usd"],
    )
    [logged] = JobAttempt.objects.filter(job=job)
    assert (logged.number, logged.outcome, logged.http_status, logged.duration_ms) == (
        1,
        "succeeded",
        200,
        12,
    )


def test_finish_by_a_worker_that_no_longer_holds_the_job_writes_nothing(
    requires_postgres, workspace
):
    job = claim(JobFactory(workspace=workspace))
    Job.objects.filter(pk=job.pk).update(claimed_by="other@host:3:4")
    now = timezone.now()

    assert not worker_statements.finish(
        job,
        worker_id=WORKER,
        target="succeeded",
        fields={"finished_at": now, "not_before": None, "last_error": ""},
        attempt={"started_at": now, "outcome": "succeeded"},
    )
    assert Job.objects.get(pk=job.pk).status == "running"
    assert not JobAttempt.objects.filter(job=job).exists()


def test_a_noop_job_runs_in_two_commits_with_the_single_statements(
    requires_postgres, workspace, django_assert_num_queries
):
    job = JobFactory(workspace=workspace)
    # The claim, the outcome: nothing else on the success path of a manual run.
    with django_assert_num_queries(2):
        assert services.job_run(job_id=job.pk, worker_id=WORKER) == "succeeded"
    assert Job.objects.get(pk=job.pk).status == "succeeded"
    assert JobAttempt.objects.get(job=job).outcome == "succeeded"
