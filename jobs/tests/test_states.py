"""No illegal transition succeeds, whoever asks."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError

from jobs import services, states
from jobs.models import Job
from jobs.tests.factories import JobFactory

ALL = list(Job.Status.values)


def test_the_table_knows_every_status_and_nothing_else():
    assert set(states.TRANSITIONS) == set(ALL) == set(states.ALL_STATUSES)


def test_final_statuses_never_move_except_a_failed_job_being_retried():
    for status in states.FINAL_OUTCOMES:
        allowed = states.TRANSITIONS[status]
        assert allowed == ({states.PENDING} if status == states.FAILED else set())


@pytest.mark.parametrize(("source", "target"), list(itertools.product(ALL, ALL)))
def test_require_legal_refuses_exactly_the_moves_the_table_forbids(source, target):
    if states.can_move(source, target):
        assert states.require_legal((source,), target) == (source,)
    else:
        with pytest.raises(states.IllegalTransition):
            states.require_legal((source,), target)


@pytest.mark.django_db
@pytest.mark.parametrize("status", ALL)
def test_only_pending_and_queued_jobs_can_be_cancelled(status):
    job = JobFactory(status=status)

    if status in ("pending", "queued"):
        services.job_cancel(job=job, reason="no longer needed")
        job.refresh_from_db()
        assert job.status == "cancelled"
        assert job.last_error == "no longer needed"
        assert job.finished_at is not None
    else:
        with pytest.raises(ValidationError):
            services.job_cancel(job=job, reason="no")
        job.refresh_from_db()
        assert job.status == status


@pytest.mark.django_db
@pytest.mark.parametrize("status", ALL)
def test_only_failed_jobs_can_be_retried(status):
    job = JobFactory(status=status)

    if status == "failed":
        services.job_retry(job=job)
        job.refresh_from_db()
        assert job.status == "pending"
    else:
        with pytest.raises(ValidationError):
            services.job_retry(job=job)
        job.refresh_from_db()
        assert job.status == status


@pytest.mark.django_db
@pytest.mark.parametrize("status", ALL)
def test_only_pending_and_queued_jobs_can_be_claimed(status):
    job = JobFactory(status=status)

    claimed = services.job_claim(job_id=job.pk, worker_id="w@h:1:1")

    assert (claimed is not None) == (status in ("pending", "queued"))


@pytest.mark.django_db
def test_a_second_claim_of_the_same_job_gets_nothing():
    job = JobFactory()

    first = services.job_claim(job_id=job.pk, worker_id="a@h:1:1")
    second = services.job_claim(job_id=job.pk, worker_id="b@h:2:2")

    assert first is not None and first.attempts == 1 and first.claimed_by == "a@h:1:1"
    assert second is None


@pytest.mark.django_db
def test_a_job_waiting_for_its_backoff_is_not_claimed_early():
    from datetime import timedelta

    from django.utils import timezone

    job = JobFactory(not_before=timezone.now() + timedelta(minutes=5))

    assert services.job_claim(job_id=job.pk, worker_id="a@h:1:1") is None
