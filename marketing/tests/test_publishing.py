"""Publishing: due posts become Jobs exactly once; outcomes, missed slots, GitHub dispatch."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from jobs import services as job_services
from jobs.models import Job
from jobs.tests.receiver import Receiver, Reply
from marketing import publisher, services
from marketing.models import Post
from marketing.tests.factories import ChannelAccountFactory, ContentItemFactory, PostFactory
from workspaces.tests.factories import WorkspaceFactory

NOW = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
AT = NOW + timedelta(minutes=30)
TOKEN = "ghp_secret_token_for_tests_123456"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def run_job(job, capture):
    """Run a job the way a worker does, with its after-commit signal."""
    with capture(execute=True):
        return job_services.job_run(job_id=job.pk, worker_id="test:1:1")


@pytest.mark.django_db
def test_a_due_post_becomes_one_job_with_the_channels_target(clock, workspace, make_channel):
    channel = make_channel(executor="webhook", target_url="https://hooks.example.com/post")
    post = PostFactory(workspace=workspace, channel_account=channel, scheduled_for=AT)
    assert publisher.publish_due_posts()["published"] == 0  # not due yet

    clock.move_to(AT)
    assert publisher.publish_due_posts()["published"] == 1
    assert publisher.publish_due_posts()["published"] == 0

    post.refresh_from_db()
    job = Job.objects.get()
    assert post.status == "publishing"
    assert post.job_id == job.pk
    assert job.config["executor"] == "webhook"
    assert job.config["webhook_url"] == "https://hooks.example.com/post"
    assert job.config["post"]["content"]["title"] == post.content_item.title
    assert job.scheduled_for == AT


@pytest.mark.django_db
def test_a_successful_job_marks_the_post_published_with_its_log(
    api, clock, workspace, django_capture_on_commit_callbacks
):
    post = PostFactory(workspace=workspace, scheduled_for=AT)
    clock.move_to(AT)
    publisher.publish_due_posts()
    post.refresh_from_db()

    assert run_job(post.job, django_capture_on_commit_callbacks) == "succeeded"

    body = api.get(f"/api/v1/marketing/posts/{post.pk}").json()
    assert body["status"] == "published"
    assert body["executed_at"] is not None
    assert body["execution_result"] == {"executor": "noop"}
    assert [a["outcome"] for a in body["attempts"]] == ["succeeded"]


@pytest.mark.django_db
def test_a_failing_job_marks_the_post_failed_with_the_error(
    clock, workspace, make_channel, django_capture_on_commit_callbacks
):
    channel = make_channel(settings={"noop_fail": "fail"})
    post = PostFactory(workspace=workspace, channel_account=channel, scheduled_for=AT)
    clock.move_to(AT)
    publisher.publish_due_posts()
    post.refresh_from_db()
    run_job(post.job, django_capture_on_commit_callbacks)
    post.refresh_from_db()
    assert post.status == "failed"
    assert "asked to fail" in post.error_message


@pytest.mark.django_db
def test_empty_planned_slots_become_missed_at_their_time(clock, workspace, make_channel):
    make_channel(schedule_times=["06:10"])
    services.topoff_slots(workspace=workspace, days=3)
    clock.move_to(NOW + timedelta(days=1, minutes=11))
    result = publisher.publish_due_posts()
    assert result["missed_slots"] == 2
    assert Post.objects.filter(status="missed").count() == 2
    assert Post.objects.filter(status="planned").count() == 1
    assert Job.objects.count() == 0


@pytest.mark.django_db
def test_a_post_seen_after_the_grace_window_is_missed_not_sent_late(clock, settings, workspace):
    settings.MARKETING_PUBLISH_GRACE_SECONDS = 600
    post = PostFactory(workspace=workspace, scheduled_for=AT)
    clock.move_to(AT + timedelta(minutes=11))
    assert publisher.publish_due_posts() == {"published": 0, "missed_slots": 0, "missed_late": 1}
    post.refresh_from_db()
    assert post.status == "missed"


@pytest.mark.django_db
def test_inactive_channels_do_not_publish(clock, workspace, make_channel):
    channel = make_channel(is_active=False)
    PostFactory(workspace=workspace, channel_account=channel, scheduled_for=AT)
    clock.move_to(AT)
    assert publisher.publish_due_posts()["published"] == 0


@pytest.mark.django_db(transaction=True)
def test_two_publishers_at_once_create_exactly_one_job_per_post(requires_postgres, settings):
    settings.MARKETING_PUBLISH_GRACE_SECONDS = 7 * 24 * 3600
    workspace = WorkspaceFactory()
    channels = [ChannelAccountFactory(workspace=workspace) for _ in range(4)]
    content = ContentItemFactory(workspace=workspace)
    due = timezone.now() + timedelta(seconds=1)
    for index in range(200):
        PostFactory(
            workspace=workspace,
            channel_account=channels[index % 4],
            content_item=ContentItemFactory(workspace=workspace) if index else content,
            scheduled_for=due + timedelta(minutes=index),
        )
    later = due + timedelta(days=1)
    barrier = threading.Barrier(2)
    counts, errors = [], []

    def dispatcher():
        try:
            barrier.wait(timeout=10)
            counts.append(publisher.publish_due_posts(now=later, batch_size=7)["published"])
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(counts) == 200
    assert Job.objects.count() == 200
    assert Post.objects.filter(status="publishing").count() == 200
    assert Post.objects.values("job").distinct().count() == 200


@pytest.mark.django_db
def test_github_dispatch_sends_repository_dispatch_to_the_configured_api(
    clock, settings, workspace, make_channel, django_capture_on_commit_callbacks, caplog, api
):
    caplog.set_level(logging.DEBUG)
    with Receiver([Reply(status=204, body=b"")]) as github:
        settings.GITHUB_API_URL = github_url(github)
        channel = make_channel(
            executor="github_dispatch",
            settings={
                "repository": "acme/videos",
                "event_type": "publish_video",
                "github_token": TOKEN,
            },
        )
        post = PostFactory(workspace=workspace, channel_account=channel, scheduled_for=AT)
        clock.move_to(AT)
        publisher.publish_due_posts()
        post.refresh_from_db()
        assert run_job(post.job, django_capture_on_commit_callbacks) == "succeeded"

    [delivery] = github.deliveries
    assert delivery.path == "/repos/acme/videos/dispatches"
    assert delivery.headers["Authorization"] == f"Bearer {TOKEN}"
    body = delivery.json()
    assert body["event_type"] == "publish_video"
    assert body["client_payload"]["post_id"] == str(post.pk)
    assert body["client_payload"]["content"]["title"] == post.content_item.title
    post.refresh_from_db()
    assert post.status == "published"
    # The token lives only on the channel: not in the job, the API or any log line.
    job = Job.objects.get(pk=post.job_id)
    assert TOKEN not in str(job.config)
    assert TOKEN not in caplog.text
    channel_body = api.get(f"/api/v1/marketing/channels/{channel.pk}").json()
    assert channel_body["settings"]["github_token"] == "********"
    assert TOKEN not in str(channel_body)


@pytest.mark.django_db
def test_github_errors_fail_the_post_without_leaking_the_token(
    clock, settings, workspace, make_channel, django_capture_on_commit_callbacks
):
    reply = Reply(status=404, body=f'{{"message": "Not Found", "echo": "{TOKEN}"}}'.encode())
    with Receiver([reply]) as github:
        settings.GITHUB_API_URL = github_url(github)
        channel = make_channel(
            executor="github_dispatch",
            settings={"repository": "acme/missing", "github_token": TOKEN},
        )
        post = PostFactory(workspace=workspace, channel_account=channel, scheduled_for=AT)
        clock.move_to(AT)
        publisher.publish_due_posts()
        post.refresh_from_db()
        run_job(post.job, django_capture_on_commit_callbacks)
    post.refresh_from_db()
    assert post.status == "failed"
    assert "HTTP 404" in post.error_message
    assert TOKEN not in post.error_message


def github_url(receiver) -> str:
    host, port = receiver.server.server_address[:2]
    return f"http://{host}:{port}"


@pytest.mark.integration
def test_a_staggered_wave_publishes_through_a_real_worker(celery_worker, make_user):
    from workspaces.selectors import default_workspace_for

    workspace = default_workspace_for(make_user("wave-runner"))
    channels = [ChannelAccountFactory(workspace=workspace, name=f"Ch {n}") for n in range(3)]
    video = ContentItemFactory(workspace=workspace, title="Worker video")
    start = timezone.now() + timedelta(seconds=1)
    wave = services.wave_create(
        workspace=workspace,
        content_item_id=video.pk,
        type="staggered",
        start_at=start,
        delay_seconds=1,
        channel_ids=[c.pk for c in channels],
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        publisher.publish_due_posts()
        statuses = sorted(wave.posts.values_list("status", flat=True))
        if statuses == ["published"] * 3:
            break
        time.sleep(0.2)
    posts = list(wave.posts.order_by("scheduled_for"))
    assert [p.status for p in posts] == ["published"] * 3, [p.error_message for p in posts]
    assert [p.scheduled_for for p in posts] == [start + timedelta(seconds=n) for n in range(3)]
    assert all(p.executed_at >= p.scheduled_for for p in posts)
    wave.refresh_from_db()
    assert wave.status == "completed"
    assert Job.objects.filter(status="succeeded").count() == 3
