"""A post paused or cancelled after the publisher created its Job is never published."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from jobs import services as job_services
from jobs.models import Job
from marketing import publisher, services
from marketing.models import Post
from marketing.tests.factories import PostFactory
from marketing.tests.test_publishing import run_job
from scheduler_site.testing import wait_until

NOW = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
AT = NOW + timedelta(minutes=30)
API = "/api/v1/marketing"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def handed_over(clock, workspace):
    """A post the publisher has just given to a Job that no worker has run yet."""
    post = PostFactory(workspace=workspace, scheduled_for=AT)
    clock.move_to(AT)
    assert publisher.publish_due_posts()["published"] == 1
    post.refresh_from_db()
    assert post.status == "publishing"
    return post


def handed_over_wave(clock, workspace, video, channels):
    """A simultaneous wave whose posts the publisher has just given to Jobs."""
    wave = services.wave_create(
        workspace=workspace,
        content_item_id=video.pk,
        type="simultaneous",
        start_at=AT,
        delay_seconds=0,
        channel_ids=[c.pk for c in channels],
    )
    clock.move_to(AT)
    assert publisher.publish_due_posts()["published"] == len(channels)
    return wave


@pytest.mark.django_db
def test_publication_jobs_carry_the_publication_trigger(handed_over):
    assert handed_over.job.trigger == "publication"


@pytest.mark.django_db
def test_pausing_a_post_being_handed_over_cancels_its_job_and_shows_it_paused(
    api, handed_over, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        body = api.post(f"{API}/posts/{handed_over.pk}/pause").json()

    assert body["status"] == "scheduled"
    assert body["is_paused"] is True
    job = Job.objects.get(pk=handed_over.job_id)
    assert job.status == "cancelled"
    assert "paused" in job.last_error
    # A late delivery of its message does nothing.
    assert run_job(job, django_capture_on_commit_callbacks) == "not claimed"
    handed_over.refresh_from_db()
    assert (handed_over.status, handed_over.is_paused) == ("scheduled", True)


@pytest.mark.django_db
def test_cancelling_a_post_being_handed_over_cancels_its_job(
    api, handed_over, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        body = api.post(f"{API}/posts/{handed_over.pk}/cancel").json()

    assert body["status"] == "cancelled"
    assert Job.objects.get(pk=handed_over.job_id).status == "cancelled"


@pytest.mark.django_db
def test_a_post_a_worker_is_already_publishing_cannot_be_paused(api, handed_over):
    job_services.job_claim(job_id=handed_over.job_id, worker_id="test:1:1")

    response = api.post(f"{API}/posts/{handed_over.pk}/pause")

    assert response.status_code == 400
    assert "already publishing" in response.json()["status"][0]
    handed_over.refresh_from_db()
    assert (handed_over.status, handed_over.is_paused) == ("publishing", False)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "hold, reason",
    [
        ("channel_pause", "channel"),
        ("channel_inactive", "inactive"),
        ("workspace_pause", "publishing is paused"),
        ("post_flag", "post was paused"),
    ],
)
def test_the_worker_vetoes_a_held_post_and_puts_it_back_to_scheduled(
    handed_over, django_capture_on_commit_callbacks, hold, reason
):
    channel = handed_over.channel_account
    if hold == "channel_pause":
        services.channel_pause(channel=channel)
    elif hold == "channel_inactive":
        services.channel_update(channel=channel, is_active=False)
    elif hold == "workspace_pause":
        services.workspace_publishing_pause(workspace=handed_over.workspace)
    else:  # a pause written by anything that does not go through post_pause
        Post.objects.filter(pk=handed_over.pk).update(is_paused=True)

    assert run_job(handed_over.job, django_capture_on_commit_callbacks) == "cancelled"

    job = Job.objects.get(pk=handed_over.job_id)
    assert job.status == "cancelled"
    assert reason in job.last_error
    assert job.attempt_log.count() == 0
    handed_over.refresh_from_db()
    assert handed_over.status == "scheduled"
    assert handed_over.executed_at is None


@pytest.mark.django_db
def test_the_worker_vetoes_a_post_of_a_paused_wave(
    clock, workspace, video, channels, django_capture_on_commit_callbacks
):
    wave = handed_over_wave(clock, workspace, video, channels[:1])
    services.wave_pause(wave=wave)
    post = wave.posts.get()

    assert run_job(post.job, django_capture_on_commit_callbacks) == "cancelled"
    post.refresh_from_db()
    assert post.status == "scheduled"
    assert wave.wave_id in Job.objects.get(pk=post.job_id).last_error


@pytest.mark.django_db
def test_cancelling_a_wave_withdraws_its_posts_being_handed_over(
    clock, workspace, video, channels, django_capture_on_commit_callbacks
):
    wave = handed_over_wave(clock, workspace, video, channels[:2])

    with django_capture_on_commit_callbacks(execute=True):
        assert services.wave_cancel(wave=wave) == 2

    assert sorted(wave.posts.values_list("status", flat=True)) == ["cancelled"] * 2
    assert sorted(Job.objects.values_list("status", flat=True)) == ["cancelled"] * 2


@pytest.mark.django_db
def test_a_cancelled_post_whose_job_is_claimed_anyway_is_not_published(
    handed_over, django_capture_on_commit_callbacks
):
    # A cancel written around the service (admin bulk update, a script).
    Post.objects.filter(pk=handed_over.pk).update(status=Post.Status.CANCELLED)

    assert run_job(handed_over.job, django_capture_on_commit_callbacks) == "cancelled"
    handed_over.refresh_from_db()
    assert handed_over.status == "cancelled"
    assert "cancelled" in Job.objects.get(pk=handed_over.job_id).last_error


# --- Through a real worker ------------------------------------------------------------


def _due_post(make_user, name: str) -> Post:
    from workspaces.selectors import default_workspace_for

    workspace = default_workspace_for(make_user(name))
    return PostFactory(workspace=workspace, scheduled_for=timezone.now() - timedelta(seconds=1))


def _settled(post: Post, *statuses: str):
    def check():
        post.refresh_from_db()
        return post.status in statuses and (post.job is None or post.job.is_finished)

    wait_until(check, timeout=30, message=f"post stayed {post.status}")
    return post


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_does_not_publish_a_post_whose_channel_was_paused_after_its_job(
    celery_worker, make_user
):
    post = _due_post(make_user, "veto-channel")
    with transaction.atomic():  # the Job reaches the broker only on commit
        assert publisher.publish_due_posts()["published"] == 1
        services.channel_pause(channel=post.channel_account)

    first_job = wait_until(
        lambda: Job.objects.filter(
            pk=Post.objects.get(pk=post.pk).job_id, status="cancelled"
        ).first(),
        timeout=30,
        message="the worker did not veto the paused channel's post",
    )
    post.refresh_from_db()
    assert post.status == "scheduled"
    assert "was paused" in first_job.last_error

    result = services.channel_resume(channel=post.channel_account, missed_policy="publish")

    assert result.published_late == 1
    _settled(post, "published")
    assert Job.objects.filter(status="succeeded").count() == 1
    assert Job.objects.count() == 2


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_never_runs_a_post_paused_after_its_job_and_resume_marks_it_missed(
    celery_worker, make_user
):
    post = _due_post(make_user, "veto-post")
    neighbour = PostFactory(workspace=post.workspace, scheduled_for=post.scheduled_for)
    with transaction.atomic():
        assert publisher.publish_due_posts()["published"] == 2
        services.post_pause(post=post)

    # Both messages went to the worker together; once the neighbour is
    # published the worker has had the paused post's message too.
    _settled(neighbour, "published")
    post.refresh_from_db()
    assert (post.status, post.is_paused) == ("scheduled", True)
    job = Job.objects.get(pk=post.job_id)
    assert job.status == "cancelled"
    assert job.attempt_log.count() == 0
    assert publisher.publish_due_posts()["published"] == 0

    result = services.post_resume(post=post)

    assert result.missed == 1
    post.refresh_from_db()
    assert post.status == "missed"
    assert Job.objects.filter(status="succeeded").count() == 1
