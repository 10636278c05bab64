"""The outbound URL policy end to end, with loopback targets in disguise only.

Every URL here names the local test receiver on 127.0.0.1; with private
targets not allowed, none of them may be delivered to. No test connects
anywhere but 127.0.0.1.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from jobs import services
from jobs.models import Job
from jobs.tests.factories import JobFactory
from jobs.tests.receiver import Receiver, Reply
from templates_lib.tests.factories import JobTemplateFactory

pytestmark = pytest.mark.django_db

WORKER = "test@host:1:1"


def run(job) -> Job:
    services.job_run(job_id=job.pk, worker_id=WORKER)
    return Job.objects.get(pk=job.pk)


def stored_webhook_job(workspace, url):
    """A job whose URL was written past the API (admin, database, old data)."""
    job = JobFactory(
        workspace=workspace,
        config={"executor": "webhook", "webhook_url": "https://hooks.example.com/in"},
        scheduled_for=timezone.now(),
    )
    Job.objects.filter(pk=job.pk).update(config={"executor": "webhook", "webhook_url": url})
    return Job.objects.get(pk=job.pk)


DISGUISES = [
    "http://127.1:{port}/hook",
    "http://2130706433:{port}/hook",
    "http://0x7f.0.0.1:{port}/hook",
    "http://[::ffff:127.0.0.1]:{port}/hook",
    "http://0.0.0.0:{port}/hook",
    "http://localhost:{port}/hook",
]


@pytest.mark.parametrize("disguise", DISGUISES)
def test_a_disguised_loopback_webhook_is_refused_at_run_time_and_nothing_is_sent(
    workspace, receiver, settings, disguise
):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    url = disguise.format(port=receiver.server.server_address[1])
    job = stored_webhook_job(workspace, url)

    job = run(job)

    assert receiver.deliveries == []
    assert job.status == "failed"
    assert "WEBHOOK_ALLOW_PRIVATE" in job.last_error
    assert job.attempts == 1  # refused, not retried


@pytest.mark.parametrize("disguise", DISGUISES[:2])
def test_a_disguised_loopback_workspace_default_is_refused_at_run_time(
    workspace, receiver, settings, disguise
):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    workspace.default_executor = "webhook"
    workspace.default_webhook_url = disguise.format(port=receiver.server.server_address[1])
    workspace.save()  # past validation, as old data would be
    job = JobFactory(workspace=workspace, config={})

    job = run(job)

    assert receiver.deliveries == []
    assert job.status == "failed"
    assert "not a public address" in job.last_error


def test_a_stored_url_with_credentials_is_refused_even_when_private_targets_are_allowed(
    workspace, receiver
):
    job = stored_webhook_job(workspace, receiver.url.replace("http://", "http://user:secret@"))

    job = run(job)

    assert receiver.deliveries == []
    assert job.status == "failed"
    assert "user name or password" in job.last_error


def test_a_redirect_is_a_failure_and_its_location_is_never_fetched(workspace, receiver):
    with Receiver() as inner:
        receiver.replies = [Reply(302, b"", headers={"Location": inner.url})]
        job = stored_webhook_job(workspace, receiver.url)

        job = run(job)

    assert len(receiver.deliveries) == 1
    assert inner.deliveries == []
    assert (job.status, job.attempt_log.get().http_status) == ("failed", 302)
    assert "redirects are not followed" in job.last_error
    assert inner.url in job.last_error


# --- Save time: a 400 naming the field --------------------------------------------------


@pytest.fixture
def template(workspace):
    return JobTemplateFactory(workspace=workspace, name="Forbes Standard", country="us")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://user:pw@hooks.example.com/in", "user name or password"),
        ("https://token@hooks.example.com/in", "user name or password"),
        ("http://100.64.0.1/in", "100.64.0.0/10"),
        ("http://198.18.0.1/in", "198.18.0.0/15"),
        ("http://[::ffff:127.0.0.1]/in", "embeds 127.0.0.1"),
        ("http://[2002:7f00:1::]/in", "embeds 127.0.0.1"),
        ("http://0.0.0.0/in", "0.0.0.0/8"),
        ("http://localhost:8000/in", "always loopback"),
        ("ftp://hooks.example.com/in", "URL"),
    ],
)
def test_using_a_template_with_an_unsafe_webhook_url_is_a_400_naming_it(
    api, template, settings, url, problem
):
    settings.WEBHOOK_ALLOW_PRIVATE = False

    response = api.post(
        f"/api/v1/templates/{template.pk}/use",
        {"executor": "webhook", "webhook_url": url},
        format="json",
    )

    assert response.status_code == 400
    assert problem in " ".join(response.json()["webhook_url"])
    assert Job.objects.count() == 0


def test_a_public_webhook_name_is_accepted_without_a_lookup(api, template, settings, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("looked up a name while saving")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    settings.WEBHOOK_ALLOW_PRIVATE = False

    response = api.post(
        f"/api/v1/templates/{template.pk}/use",
        {"executor": "webhook", "webhook_url": "https://hooks.example.com/in"},
        format="json",
    )

    assert response.status_code == 201, response.json()
