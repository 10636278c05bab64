"""Rules every API operation follows: unknown keys are 400s naming them, every
error under /api/ is JSON (404, 413, 500), dates are the bounded fields.

The schema walks prove the rules for every operation the OpenAPI schema lists,
so an endpoint added later is covered without a line here.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from drf_spectacular.plumbing import force_instance
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.settings import spectacular_settings
from rest_framework import serializers
from rest_framework.test import APIClient

from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory
from jobs.tests.factories import JobFactory
from marketing import services as marketing_services
from marketing.models import Wave
from marketing.tests.factories import ChannelAccountFactory, ContentItemFactory, PostFactory
from scheduler_site.api import fields
from scheduler_site.api.serializers import StrictFieldsMixin
from schedules.tests.factories import ScheduledJobFactory
from templates_lib.tests.factories import JobTemplateFactory

pytestmark = pytest.mark.django_db

UNKNOWN = "zz_not_a_field"
WRITES = ("POST", "PUT", "PATCH")


@pytest.fixture(autouse=True)
def _generous_throttles(settings):
    # The walks below make one write per operation; the limits have their own tests.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(("create", "list", "get"), "10000/minute"),
    }


@pytest.fixture
def raw_api(user):
    """A client that answers a crash as the server would, instead of raising it."""
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    return client


# --- JSON errors under /api/ ------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/campaigns/x/y/z", "/api/nothing/"])
def test_an_unknown_api_path_is_a_json_404(api, settings, debug, path):
    settings.DEBUG = debug
    response = api.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_page_keeps_its_html_404(page_client):
    response = page_client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", json.dumps({"name": "x" * (5 * 1024 * 1024)})),
        ("application/x-www-form-urlencoded", "name=" + "x" * (5 * 1024 * 1024)),
    ],
)
def test_a_5_mb_body_is_a_json_413_saying_the_limit(api, workspace, content_type, body):
    response = api.post("/api/v1/templates", body, content_type=content_type)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "too large" in response.json()["detail"]
    assert "2621440 bytes" in response.json()["detail"]


def test_a_5_mb_multipart_body_is_a_json_413(api, workspace):
    response = api.post("/api/v1/templates", {"name": "x" * (5 * 1024 * 1024)}, format="multipart")

    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_exception_under_api_is_a_json_500(raw_api, monkeypatch, settings, debug):
    from campaigns.api import CampaignViewSet

    def crash(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    settings.DEBUG = debug
    monkeypatch.setattr(CampaignViewSet, "list", crash)
    response = raw_api.get("/api/v1/campaigns")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "logged" in response.json()["detail"]
    assert "boom" not in response.content.decode()


def test_the_browsable_api_still_renders_its_own_html_errors(api):
    response = api.get("/api/v1/campaigns", {"status": "bogus"}, HTTP_ACCEPT="text/html")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


# --- unknown keys are 400s naming them --------------------------------------------------


def test_a_typo_in_a_create_is_a_400_naming_it_and_nothing_is_written(api, workspace):
    response = api.post("/api/v1/campaigns", {"name": "Q1", "colour": "#112233"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["colour"] == ["Unknown field."]
    assert "colour" in body["detail"][0]
    assert "color" in body["detail"][0]  # the accepted names, to spot the typo
    assert not Campaign.objects.exists()


def test_unknown_keys_are_reported_with_the_fields_own_errors(api, workspace):
    response = api.post("/api/v1/campaigns", {"name": "", "nmae": "Q1"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"detail", "name", "nmae"}


def test_a_typo_in_a_partial_put_or_patch_is_a_400_and_changes_nothing(api, workspace):
    campaign = CampaignFactory(workspace=workspace, name="Q1")
    for method in (api.put, api.patch):
        response = method(
            f"/api/v1/campaigns/{campaign.pk}", {"name": "Q2", "stauts": "paused"}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["stauts"] == ["Unknown field."]
    campaign.refresh_from_db()
    assert (campaign.name, campaign.status) == ("Q1", "active")


def test_a_typo_in_a_schedule_is_a_400(api, workspace):
    response = api.post(
        "/api/v1/schedule",
        {
            "name": "Daily",
            "schedule_type": "daily",
            "scheduled_at": (timezone.now() + timedelta(days=1)).isoformat(),
            "max_run": 3,
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["max_run"] == ["Unknown field."]


def test_a_typo_inside_a_nested_object_is_named_there(api, workspace):
    campaign = CampaignFactory(workspace=workspace)
    response = api.post(
        "/api/v1/campaigns/schedule",
        {
            "campaign_id": str(campaign.pk),
            "scheduled_at": "2031-01-01T09:00:00Z",
            "recurrence": {"type": "daily", "count": 3, "every": 2},
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["recurrence"]["every"] == ["Unknown field."]


def test_a_typo_in_a_marketing_action_is_a_400(api, workspace):
    post = PostFactory(workspace=workspace)
    response = api.post(
        f"/api/v1/marketing/posts/{post.pk}/reschedule",
        {"scheduled_fro": "2031-01-01T09:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["scheduled_fro"] == ["Unknown field."]

    response = api.post(
        f"/api/v1/marketing/posts/{post.pk}/resume", {"missed_polcy": "publish"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["missed_polcy"] == ["Unknown field."]


def test_a_form_encoded_typo_is_refused_too(api, workspace):
    response = api.post("/api/v1/templates", {"name": "T", "langauge": "en"}, format="multipart")

    assert response.status_code == 400
    assert response.json()["langauge"] == ["Unknown field."]


def test_a_template_use_names_the_overridable_keys(api, workspace):
    template = JobTemplateFactory(workspace=workspace)
    response = api.post(f"/api/v1/templates/{template.pk}/use", {"contry": "uk"}, format="json")

    assert response.status_code == 400
    assert "country" in response.json()["contry"][0]


@pytest.mark.parametrize(
    ("url", "make", "field"),
    [
        ("/api/v1/campaigns", lambda ws: CampaignFactory(workspace=ws), "name"),
        ("/api/v1/templates", lambda ws: JobTemplateFactory(workspace=ws), "name"),
        ("/api/v1/schedule", lambda ws: ScheduledJobFactory(workspace=ws), "name"),
        ("/api/v1/marketing/channels", lambda ws: ChannelAccountFactory(workspace=ws), "name"),
        ("/api/v1/marketing/content", lambda ws: ContentItemFactory(workspace=ws), "title"),
        ("/api/v1/workspaces", lambda ws: ws, "name"),
    ],
)
def test_get_modify_put_sends_read_only_fields_back_and_they_are_ignored(
    api, workspace, url, make, field
):
    row = make(workspace)
    detail = f"{url}/{row.pk}"
    body = api.get(detail).json()
    body[field] = "Renamed"

    response = api.put(detail, body, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()[field] == "Renamed"
    assert response.json()["id"] == str(row.pk)


# --- the walks over the schema ----------------------------------------------------------


def _request_serializers():
    """(method, path, serializer instance) of every write operation with a body."""
    generator = SchemaGenerator()
    for path, regex, method, callback in EndpointEnumerator().get_api_endpoints():
        if method not in WRITES:
            continue
        view = generator.create_view(callback, method)
        # What SchemaGenerator.parse sets before it asks a view's schema anything.
        view.request = spectacular_settings.GET_MOCK_REQUEST(method, path, view, None)
        view.schema.path, view.schema.path_regex, view.schema.method = path, regex, method
        serializer = force_instance(view.schema.get_request_serializer())
        if isinstance(serializer, serializers.BaseSerializer):
            yield method, path, serializer


def _nested(serializer):
    """The serializer and every serializer nested in it (list children included)."""
    found = [serializer]
    for field in serializer.fields.values():
        child = field.child if isinstance(field, serializers.ListSerializer) else field
        if isinstance(child, serializers.Serializer):
            found.extend(_nested(child))
    return found


def test_the_walk_sees_the_whole_api():
    operations = {(method, path) for method, path, _ in _request_serializers()}
    assert ("POST", "/api/v1/campaigns/") in operations
    assert ("POST", "/api/v1/marketing/waves/check/") in operations
    assert ("POST", "/api/v1/auth/token/") in operations
    assert len(operations) > 30


def test_every_request_serializer_refuses_unknown_keys_and_bounds_its_dates():
    offenders = []
    for method, path, serializer in _request_serializers():
        for part in _nested(serializer):
            if not isinstance(part, StrictFieldsMixin):
                offenders.append(f"{method} {path}: {type(part).__name__} is not strict")
            for name, field in part.fields.items():
                dated = isinstance(field, (serializers.DateTimeField, serializers.DateField))
                bounded = isinstance(field, (fields.DateTimeField, fields.DateField))
                if dated and not field.read_only and not bounded:
                    offenders.append(f"{method} {path}: {name} is an unbounded date field")
    assert offenders == []


@pytest.fixture
def world(workspace):
    """One object of every kind the API addresses by id, in the caller's workspace."""
    campaign = CampaignFactory(workspace=workspace)
    template = JobTemplateFactory(workspace=workspace, campaign=campaign)
    channels = [ChannelAccountFactory(workspace=workspace) for _ in range(2)]
    content = ContentItemFactory(workspace=workspace)
    wave = marketing_services.wave_create(
        workspace=workspace,
        content_item_id=ContentItemFactory(workspace=workspace).pk,
        type=Wave.Type.SIMULTANEOUS,
        channel_ids=[channel.pk for channel in channels],
        start_at=timezone.now() + timedelta(days=2),
    )
    return {
        "campaigns": campaign.pk,
        "templates": template.pk,
        "schedule": ScheduledJobFactory(workspace=workspace, campaign=campaign).pk,
        "jobs": JobFactory(workspace=workspace).pk,
        "marketing/channels": channels[0].pk,
        "marketing/content": content.pk,
        "marketing/posts": PostFactory(
            workspace=workspace, channel_account=channels[1], content_item=content
        ).pk,
        "marketing/waves": wave.pk,
        "workspaces": workspace.pk,
    }


def _operations_with_a_body() -> list[tuple[str, str]]:
    document = json.loads(
        OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))
    )
    return [
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method.upper() in WRITES and "requestBody" in operation
    ]


def _fill(path: str, ids: dict) -> str:
    if "{" not in path:
        return path
    prefix = path.removeprefix("/api/v1/").split("/{")[0]
    return path.replace("{id}", str(ids[prefix])).replace("{pk}", str(ids[prefix]))


@pytest.mark.parametrize(("method", "path"), _operations_with_a_body())
def test_every_write_operation_answers_an_unknown_key_with_a_400_naming_it(
    api, world, method, path
):
    response = getattr(api, method)(_fill(path, world), {UNKNOWN: 1}, format="json")

    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert UNKNOWN in response.json()  # "Unknown field." (template use lists what it takes)
