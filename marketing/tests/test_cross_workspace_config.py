"""A job config can only name objects of its own workspace.

Alice must not be able to make the product act with Bob's channel (and send
Bob's GitHub token to a repository Alice chose) by putting his channel's id in
a schedule's ``job_config``: refused when written, and refused by the worker
if such a config reached the database some other way, before anything is sent.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs import services as job_services
from jobs import webhook
from jobs.models import Job
from jobs.tests.receiver import Receiver, Reply
from marketing.tests.factories import ChannelAccountFactory, PostFactory
from schedules.models import ScheduledJob

BOB_TOKEN = "ghp_bobs-secret-token-0123456789"


@pytest.fixture
def bobs_channel(other_workspace):
    return ChannelAccountFactory(
        workspace=other_workspace,
        executor="github_dispatch",
        settings={"repository": "bob/site", "github_token": BOB_TOKEN},
    )


@pytest.fixture
def github(settings):
    """A stand-in for GitHub's API on 127.0.0.1 that records every request."""
    with Receiver([Reply(status=204, body=b"")] * 5) as receiver:
        host, port = receiver.server.server_address[:2]
        settings.GITHUB_API_URL = f"http://{host}:{port}"
        settings.WEBHOOK_ALLOW_PRIVATE = True
        yield receiver


def schedule_payload(config: dict) -> dict:
    return {
        "name": "Borrowed token",
        "schedule_type": "once",
        "scheduled_at": (timezone.now() + timedelta(hours=1)).isoformat(),
        "job_config": config,
    }


def github_config(channel_id, **extra) -> dict:
    return {
        "executor": "github_dispatch",
        "channel_account_id": str(channel_id),
        "repository": "alice/any-repo",
        **extra,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["channel_account_id", "marketing_post_id"])
@pytest.mark.parametrize("executor", ["github_dispatch", "webhook", "noop"])
def test_a_schedule_naming_another_workspaces_object_is_refused(
    api, key, executor, bobs_channel, other_workspace
):
    bobs_post = PostFactory(workspace=other_workspace, channel_account=bobs_channel)
    foreign = {"channel_account_id": bobs_channel.pk, "marketing_post_id": bobs_post.pk}[key]
    config = {"executor": executor, key: str(foreign), "webhook_url": "https://hooks.example.com/x"}

    response = api.post("/api/v1/schedule", schedule_payload(config), format="json")

    assert response.status_code == 400, response.content
    noun = "channel" if key == "channel_account_id" else "post"
    assert f"{key}: {noun} not found" in str(response.json()["job_config"])
    assert not ScheduledJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", 42])
def test_a_channel_id_that_names_nothing_is_refused(api, value):
    config = github_config("x") | {"channel_account_id": value}
    response = api.post("/api/v1/schedule", schedule_payload(config), format="json")
    assert response.status_code == 400
    assert "channel_account_id: channel not found" in str(response.json()["job_config"])


@pytest.mark.django_db
def test_an_edit_cannot_point_a_schedule_at_another_workspaces_channel(
    api, workspace, bobs_channel
):
    own = ChannelAccountFactory(workspace=workspace, executor="github_dispatch")
    created = api.post("/api/v1/schedule", schedule_payload(github_config(own.pk)), format="json")
    assert created.status_code == 201, created.content

    response = api.patch(
        f"/api/v1/schedule/{created.json()['id']}",
        {"job_config": github_config(bobs_channel.pk)},
        format="json",
    )

    assert response.status_code == 400
    assert "channel_account_id: channel not found" in str(response.json()["job_config"])
    stored = ScheduledJob.objects.get(pk=created.json()["id"])
    assert stored.job_config["channel_account_id"] == str(own.pk)


@pytest.mark.django_db
def test_a_config_forced_into_the_database_is_refused_by_the_worker_and_sends_nothing(
    workspace, bobs_channel, github, django_capture_on_commit_callbacks
):
    job = Job.objects.create(
        workspace=workspace,
        name="forced",
        config=github_config(bobs_channel.pk),
        trigger=Job.Trigger.MANUAL,
        max_retries=3,
    )

    with django_capture_on_commit_callbacks(execute=True):
        outcome = job_services.job_run(job_id=job.pk, worker_id="test:1:1")

    job.refresh_from_db()
    assert outcome == "failed"
    assert job.status == Job.Status.FAILED
    assert "channel_account_id: channel not found" in job.last_error
    assert "nothing was sent" in job.last_error
    assert github.deliveries == []
    assert BOB_TOKEN not in job.last_error


@pytest.mark.django_db
def test_the_github_executor_itself_only_loads_a_channel_of_the_jobs_workspace(
    workspace, bobs_channel, github
):
    from marketing.executors import GithubDispatchExecutor

    job = Job(workspace=workspace, name="direct", config=github_config(bobs_channel.pk))

    result = GithubDispatchExecutor().execute(job, 1)

    assert result.outcome == webhook.FAIL
    assert "channel not found" in result.error
    assert github.deliveries == []


@pytest.mark.django_db
def test_a_channel_of_the_same_workspace_still_dispatches(
    api, workspace, github, django_capture_on_commit_callbacks
):
    own = ChannelAccountFactory(
        workspace=workspace,
        executor="github_dispatch",
        settings={"repository": "alice/site", "github_token": "ghp_alices"},
    )
    job = Job.objects.create(
        workspace=workspace,
        name="own",
        config=github_config(own.pk),
        trigger=Job.Trigger.MANUAL,
        max_retries=3,
    )

    with django_capture_on_commit_callbacks(execute=True):
        outcome = job_services.job_run(job_id=job.pk, worker_id="test:1:1")

    assert outcome == "succeeded"
    [delivery] = github.deliveries
    assert delivery.path == "/repos/alice/any-repo/dispatches"
    assert delivery.headers["Authorization"] == "Bearer ghp_alices"


@pytest.mark.django_db
def test_a_channel_whose_stored_target_is_now_refused_fails_its_post_not_the_batch(
    workspace, settings
):
    from marketing import publisher
    from marketing.models import ChannelAccount, Post

    settings.WEBHOOK_ALLOW_PRIVATE = False
    due = timezone.now() - timedelta(seconds=5)
    good = ChannelAccountFactory(workspace=workspace, executor="noop")
    stale = ChannelAccountFactory(workspace=workspace, executor="webhook")
    # Saved before the outbound policy refused userinfo URLs.
    ChannelAccount.objects.filter(pk=stale.pk).update(target_url="http://user:pw@example.com/")
    refused = PostFactory(workspace=workspace, channel_account=stale, scheduled_for=due)
    fine = PostFactory(workspace=workspace, channel_account=good, scheduled_for=due)

    publisher.publish_due_posts()

    refused.refresh_from_db()
    fine.refresh_from_db()
    assert refused.status == Post.Status.FAILED
    assert "must not carry a user name or password" in refused.error_message
    assert refused.job_id is None
    assert fine.status == Post.Status.PUBLISHING
