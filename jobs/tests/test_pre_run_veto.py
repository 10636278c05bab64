"""The pre-run veto: any app may stop a claimed job from running, with a reason."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from jobs import services
from jobs.models import Job
from jobs.signals import job_pre_run
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def veto():
    """Connect a receiver for the test; ``veto.answer`` is what it returns."""
    state = SimpleNamespace(answer="", seen=[])

    def receiver(sender, job, **kwargs):
        state.seen.append(job.pk)
        if isinstance(state.answer, Exception):
            raise state.answer
        return state.answer

    job_pre_run.connect(receiver, dispatch_uid="jobs.tests.veto")
    yield state
    job_pre_run.disconnect(dispatch_uid="jobs.tests.veto")


def run(job) -> str:
    return services.job_run(job_id=job.pk, worker_id="test:1:1")


def test_a_vetoed_job_is_cancelled_with_the_reason_and_never_executed(veto):
    job = JobFactory(config={"executor": "noop"})
    veto.answer = "Cancelled: the post was paused."

    assert run(job) == "cancelled"

    job.refresh_from_db()
    assert job.status == "cancelled"
    assert job.last_error == "Cancelled: the post was paused."
    assert job.finished_at is not None
    assert job.result is None
    assert job.attempt_log.count() == 0
    assert veto.seen == [job.pk]


@pytest.mark.parametrize("answer", [None, "", "   "])
def test_a_receiver_that_gives_no_reason_lets_the_job_run(veto, answer):
    job = JobFactory(config={"executor": "noop"})
    veto.answer = answer

    assert run(job) == "succeeded"
    job.refresh_from_db()
    assert job.status == "succeeded"


def test_a_crashing_check_cancels_rather_than_running(veto):
    job = JobFactory(config={"executor": "noop"})
    veto.answer = RuntimeError("database went away")

    assert run(job) == "cancelled"
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert "pre-run check failed (RuntimeError)" in job.last_error


def test_the_check_runs_only_for_a_job_this_worker_claimed(veto):
    job = JobFactory(config={"executor": "noop"}, status=Job.Status.SUCCEEDED)

    assert run(job) == "not claimed"
    assert veto.seen == []


def test_publication_is_a_valid_trigger():
    job = JobFactory(trigger=Job.Trigger.PUBLICATION)
    assert Job.objects.filter(pk=job.pk, trigger="publication").exists()
