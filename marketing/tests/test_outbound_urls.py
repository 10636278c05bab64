"""Channel and workspace URLs follow the outbound URL policy; so does github_dispatch.

Only loopback targets (in disguise) are used: no test connects anywhere but 127.0.0.1.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from jobs import services as job_services
from jobs.models import Job
from jobs.tests.receiver import Receiver, Reply
from marketing import publisher
from marketing.models import ChannelAccount
from marketing.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
AT = NOW + timedelta(minutes=30)
TOKEN = "ghp_secret_token_for_outbound_tests_1"
CHANNELS = "/api/v1/marketing/channels"


def channel_body(**extra):
    return {"platform": "x", "name": "Main X", **extra}


UNSAFE_URLS = [
    ("http://user:pw@hooks.example.com/post", "user name or password"),
    ("ftp://hooks.example.com/post", "http or https"),
    ("http://100.64.0.1/post", "100.64.0.0/10"),
    ("http://[::ffff:10.0.0.1]/post", "embeds 10.0.0.1"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.0.0/16"),
]


@pytest.mark.parametrize(("url", "problem"), UNSAFE_URLS)
def test_a_channel_with_an_unsafe_target_url_is_a_400_naming_it(api, settings, url, problem):
    settings.WEBHOOK_ALLOW_PRIVATE = False

    response = api.post(CHANNELS, channel_body(executor="webhook", target_url=url), format="json")

    assert response.status_code == 400
    assert problem in " ".join(response.json()["target_url"]), response.json()
    assert ChannelAccount.objects.count() == 0


@pytest.mark.parametrize(("url", "problem"), UNSAFE_URLS)
def test_a_workspace_default_webhook_url_that_is_unsafe_is_a_400_naming_it(
    api, workspace, settings, url, problem
):
    settings.WEBHOOK_ALLOW_PRIVATE = False

    response = api.patch(
        f"/api/v1/workspaces/{workspace.pk}", {"default_webhook_url": url}, format="json"
    )

    assert response.status_code == 400
    assert problem in " ".join(response.json()["default_webhook_url"]), response.json()
    workspace.refresh_from_db()
    assert workspace.default_webhook_url == ""


def test_a_public_workspace_default_webhook_url_is_saved(api, workspace, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    url = "https://hooks.example.com/in"

    response = api.patch(
        f"/api/v1/workspaces/{workspace.pk}", {"default_webhook_url": url}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["default_webhook_url"] == url


@pytest.mark.parametrize(
    "repository", ["acme", "acme/../../orgs/evil", "acme/..", "acme/a?b=1", "acme/v#x", "a/b/c"]
)
def test_a_github_channel_with_a_repository_that_is_not_owner_slash_name_is_a_400(api, repository):
    response = api.post(
        CHANNELS,
        channel_body(
            executor="github_dispatch",
            settings={"repository": repository, "github_token": TOKEN},
        ),
        format="json",
    )

    assert response.status_code == 400
    assert "repository" in " ".join(response.json()["settings"]), response.json()
    assert ChannelAccount.objects.count() == 0


def test_the_channel_page_form_refuses_an_unsafe_webhook_url(settings, workspace):
    from marketing.forms import ChannelForm

    settings.WEBHOOK_ALLOW_PRIVATE = False
    form = ChannelForm(
        data={
            "name": "Blog",
            "platform": "blog",
            "posts_per_week": 0,
            "schedule_timezone": "UTC",
            "min_gap_minutes": 1,
            "executor": "webhook",
            "target_url": "http://user:pw@hooks.example.com/post",
        },
        instance=ChannelAccount(workspace=workspace),
    )

    assert not form.is_valid()
    assert "user name or password" in " ".join(form.errors["target_url"])


# --- github_dispatch at run time --------------------------------------------------------


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def github_job(clock, workspace, make_channel, repository="acme/videos"):
    channel = make_channel(
        executor="github_dispatch",
        settings={"repository": repository, "github_token": TOKEN},
    )
    post = PostFactory(workspace=workspace, channel_account=channel, scheduled_for=AT)
    clock.move_to(AT)
    publisher.publish_due_posts()
    post.refresh_from_db()
    return post


def run_post(post, capture):
    with capture(execute=True):
        job_services.job_run(job_id=post.job_id, worker_id="test:1:1")
    post.refresh_from_db()
    return Job.objects.get(pk=post.job_id)


@pytest.mark.parametrize(
    "api_url",
    ["http://127.1:{port}", "http://2130706433:{port}", "http://[::ffff:127.0.0.1]:{port}"],
)
def test_github_dispatch_to_a_disguised_loopback_api_is_refused_and_the_token_stays_home(
    clock, settings, workspace, make_channel, django_capture_on_commit_callbacks, api_url
):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with Receiver([Reply(status=204, body=b"")]) as github:
        settings.GITHUB_API_URL = api_url.format(port=github.server.server_address[1])
        post = github_job(clock, workspace, make_channel)
        job = run_post(post, django_capture_on_commit_callbacks)

    assert github.deliveries == []
    assert (job.status, post.status) == ("failed", "failed")
    assert "not a public address" in post.error_message
    assert TOKEN not in post.error_message


def test_github_dispatch_refuses_a_repository_written_past_validation(
    clock, settings, workspace, make_channel, django_capture_on_commit_callbacks
):
    with Receiver([Reply(status=204, body=b"")]) as github:
        settings.GITHUB_API_URL = f"http://127.0.0.1:{github.server.server_address[1]}"
        post = github_job(clock, workspace, make_channel)
        job = Job.objects.get(pk=post.job_id)
        Job.objects.filter(pk=job.pk).update(
            config={**job.config, "repository": "acme/../../orgs/acme/hooks"}
        )
        job = run_post(post, django_capture_on_commit_callbacks)

    assert github.deliveries == []
    assert job.status == "failed"
    assert "is not a GitHub repository" in post.error_message


def test_github_dispatch_does_not_follow_a_redirect(
    clock, settings, workspace, make_channel, django_capture_on_commit_callbacks
):
    with Receiver() as elsewhere:
        reply = Reply(status=307, body=b"", headers={"Location": elsewhere.url})
        with Receiver([reply]) as github:
            settings.GITHUB_API_URL = f"http://127.0.0.1:{github.server.server_address[1]}"
            post = github_job(clock, workspace, make_channel)
            job = run_post(post, django_capture_on_commit_callbacks)

    assert len(github.deliveries) == 1
    assert elsewhere.deliveries == []
    assert (job.status, post.status) == ("failed", "failed")
    assert "HTTP 307" in post.error_message and "not followed" in post.error_message
