"""Fuzz every operation of the OpenAPI schema with Schemathesis: no input is a 500.

The schema is the one ``/api/schema/`` serves, generated in-process, and each
operation becomes its own test item, called through the Django WSGI app (no
server, no network) with a bounded number of generated cases: the
schema's examples, Schemathesis' coverage cases (boundaries, nulls, wrong
types, missing fields) and ``API_FUZZ_MAX_EXAMPLES`` random ones, in every
media type the operation declares (JSON, form-encoded, multipart).

The caller owns a workspace holding one of every kind of object, and most
generated ids in paths and filters are swapped for those objects' ids, so
cases reach the views' real work instead of stopping at a 404. Each case runs
in a savepoint that is rolled back, so every case sees the same world
(a DELETE does not turn the rest of the run into 404s), and no
``transaction.on_commit`` callback (the only way this code enqueues Celery
work) ever fires. Throttle rates are raised for the run, or most cases would
only see 429s. Outbound connections other than loopback (PostgreSQL, Redis)
fail the test.

The cases are reproducible: the same ``API_FUZZ_SEED`` generates the same
cases. Run it with another seed to look further::

    API_FUZZ_SEED=7 .venv/bin/pytest -m fuzz scheduler_site/tests/test_api_fuzz.py
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import uuid
from datetime import timedelta

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error

from campaigns.tests.factories import CampaignFactory
from jobs.tests.factories import JobFactory
from marketing import services as marketing_services
from marketing.models import Wave
from marketing.tests.factories import ChannelAccountFactory, ContentItemFactory, PostFactory
from schedules.tests.factories import ScheduledJobFactory
from templates_lib.tests.factories import JobTemplateFactory
from workspaces.models import Membership
from workspaces.selectors import default_workspace_for

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

FUZZ_SEED = int(os.environ.get("API_FUZZ_SEED", "20240917"))
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_MAX_EXAMPLES", "10"))
# Far above what a run of one operation sends, so no case is a 429.
FUZZ_THROTTLE_RATE = "100000/minute"


def openapi_document() -> dict:
    """The document ``/api/schema/`` serves, as plain JSON data."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


schema = schemathesis.openapi.from_dict(
    openapi_document(),
    config=schemathesis.Config.from_dict(
        {
            "seed": FUZZ_SEED,
            # No example database: a run must not depend on earlier runs.
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
        }
    ),
)
schema.app = get_wsgi_application()


# --- The world the fuzz runs in --------------------------------------------------


@pytest.fixture
def fuzz_world(django_user_model):
    """An owner's workspace with one object of every kind the API serves."""
    # No passwords: the token authenticates, and hashing costs a second per item.
    owner = django_user_model.objects.create_user(username="fuzz-owner")
    workspace = default_workspace_for(owner)
    editor = django_user_model.objects.create_user(username="fuzz-editor")
    membership = Membership.objects.create(
        user=editor, workspace=workspace, role=Membership.Role.EDITOR
    )
    campaign = CampaignFactory(workspace=workspace)
    template = JobTemplateFactory(workspace=workspace, campaign=campaign)
    schedule = ScheduledJobFactory(workspace=workspace, campaign=campaign, template=template)
    job = JobFactory(workspace=workspace, campaign=campaign, template=template)
    channels = [ChannelAccountFactory(workspace=workspace) for _ in range(2)]
    content = ContentItemFactory(workspace=workspace)
    post = PostFactory(workspace=workspace, channel_account=channels[0], content_item=content)
    wave = marketing_services.wave_create(
        workspace=workspace,
        content_item_id=ContentItemFactory(workspace=workspace).pk,
        type=Wave.Type.SIMULTANEOUS,
        channel_ids=[channel.pk for channel in channels],
        start_at=timezone.now() + timedelta(days=2),
    )
    ids = {
        "campaigns": campaign.pk,
        "templates": template.pk,
        "schedule": schedule.pk,
        "jobs": job.pk,
        "marketing/channels": channels[0].pk,
        "marketing/content": content.pk,
        "marketing/posts": post.pk,
        "marketing/waves": wave.pk,
        "workspaces": workspace.pk,
    }
    query_ids = {
        "workspace": workspace.pk,
        "tenant_id": workspace.pk,
        "campaign": campaign.pk,
        "campaign_id": campaign.pk,
        "template": template.pk,
        "template_id": template.pk,
        "scheduled_job": schedule.pk,
    }
    token = str(RefreshToken.for_user(owner).access_token)
    return {
        "headers": {"Authorization": f"Bearer {token}"},
        "ids": ids,
        "query_ids": query_ids,
        "member_id": membership.pk,
    }


@pytest.fixture
def fuzz_environment(monkeypatch):
    """High throttle rates, in-process requests, no outbound connections."""
    configured = django_settings.REST_FRAMEWORK
    rates = dict.fromkeys(configured["DEFAULT_THROTTLE_RATES"], FUZZ_THROTTLE_RATE)
    rest_framework = {**configured, "DEFAULT_THROTTLE_RATES": rates}
    sign_in = getattr(django_settings, "SIGN_IN_THROTTLE_RATES", {})
    sign_in_rates = dict.fromkeys(sign_in, FUZZ_THROTTLE_RATE)

    # Django's test client does the same: closing "old" connections at the end
    # of a request would close the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)

    from scheduler_site.celery import app as celery_app

    # Nothing may run a task in this process (an executor would send requests).
    assert not celery_app.conf.task_always_eager
    monkeypatch.setattr(socket.socket, "connect", _loopback_only(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _loopback_only(socket.socket.connect_ex))
    try:
        with override_settings(
            REST_FRAMEWORK=rest_framework,
            SIGN_IN_THROTTLE_RATES=sign_in_rates,
            CELERY_TASK_ALWAYS_EAGER=False,
        ):
            yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _loopback_only(connect):
    def guarded(sock, address, *args):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                pytest.fail(f"The API fuzz tried to connect to {address!r}")
        return connect(sock, address, *args)

    return guarded


def _declared_server_answer(case, response) -> bool:
    """A 5xx the operation documents (the status endpoint's 503 "unhealthy").

    The fuzz world has no dispatcher, so ``/schedule/status/`` rightly reports
    503. A 500 is never an answer: it is a crash.
    """
    code = response.status_code
    return code != 500 and str(code) in case.operation.definition.raw.get("responses", {})


def _record(case, response) -> None:
    """With ``API_FUZZ_STATS=<file>``, append one line per case (for the run's figures)."""
    path = os.environ.get("API_FUZZ_STATS")
    if path:
        with open(path, "a") as stats:
            stats.write(f"{case.operation.label}\t{case.media_type}\t{response.status_code}\n")


def _known_id(generated, known):
    """Swap a generated id for a real one three times in four, deterministically."""
    try:
        value = uuid.UUID(str(generated))
    except ValueError:
        return generated
    return str(known) if value.int % 4 else generated


def _aim_at_world(case, world) -> None:
    path = case.operation.path.removeprefix("/api/v1/")
    params = case.path_parameters or {}
    if "id" in params:
        prefix = path.split("/{id}")[0]
        if prefix in world["ids"]:
            params["id"] = _known_id(params["id"], world["ids"][prefix])
    if "member_id" in params and isinstance(params["member_id"], int) and params["member_id"] % 2:
        params["member_id"] = world["member_id"]
    for name, known in world["query_ids"].items():
        if isinstance(case.query, dict) and name in case.query:
            case.query[name] = _known_id(case.query[name], known)


@schema.parametrize()
@settings(
    # The fixtures are the shared world; each case rolls its own changes back.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_no_input_is_a_server_error(case, fuzz_world, fuzz_environment):
    _aim_at_world(case, fuzz_world)
    with transaction.atomic():
        try:
            response = case.call(headers=fuzz_world["headers"])
            _record(case, response)
            if not _declared_server_answer(case, response):
                case.validate_response(
                    response, checks=[not_a_server_error], headers=fuzz_world["headers"]
                )
        finally:
            # Every case sees the same world; nothing it did is committed.
            transaction.set_rollback(True)
