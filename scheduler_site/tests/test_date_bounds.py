"""Every date the product accepts, at the calendar's extremes: a 400 naming the field
(a page: its form again, or the nearest day), never a 5xx.

Property-based: for each date-taking input of the API (bodies and query strings),
the page forms and the calendar page, Hypothesis sends years 1, 1969, 2201 and
9999, edge days pushed out of 1970-2200 by far offsets, "24:00", impossible
offsets and huge numbers. ``test_the_table_lists_every_date_the_schema_declares``
keeps the table complete as the API grows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory
from marketing import services as marketing_services
from marketing.models import Post, Wave
from marketing.tests.factories import ChannelAccountFactory, ContentItemFactory, PostFactory
from schedules.models import ScheduledJob
from schedules.tests.factories import ScheduledJobFactory

pytestmark = pytest.mark.django_db

VALID = "2031-01-06T09:00:00Z"
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    # The world is built once per test; no example writes to it (each one is refused).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- the extreme values ------------------------------------------------------------------

BAD_YEARS = st.one_of(
    st.sampled_from([1, 1969, 2201, 9999]), st.integers(1, 1969), st.integers(2201, 9999)
)
OFFSETS = st.sampled_from(["", "Z", "+00:00", "-23:59", "+23:59", "+14:00", "-12:00"])
BAD_DAYS = st.builds(
    lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", BAD_YEARS, st.integers(1, 12), st.integers(1, 28)
)
BAD_DATETIMES = st.builds(
    lambda day, h, m, s, offset: f"{day}T{h:02d}:{m:02d}:{s:02d}{offset}",
    BAD_DAYS,
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    OFFSETS,
)
# In range as written, outside it once in UTC: the edge days with far offsets.
PUSHED_OUT = st.one_of(
    st.builds(
        lambda h, m: f"2200-12-31T{h:02d}:{m:02d}:00-23:59", st.integers(12, 23), st.integers(0, 59)
    ),
    st.builds(
        lambda h, m: f"1970-01-01T{h:02d}:{m:02d}:00+23:59", st.integers(0, 11), st.integers(0, 59)
    ),
)
MIDNIGHT_24 = st.builds(
    lambda y, offset: f"{y}-06-01T24:00{offset}", st.integers(1970, 2200), OFFSETS
)
IMPOSSIBLE_OFFSETS = st.builds(
    lambda y, offset: f"{y}-06-01T09:00:00{offset}",
    st.integers(1970, 2200),
    st.sampled_from(["+24:00", "-99:00", "+23:60"]),
)
HUGE_INTS = st.one_of(
    st.integers(min_value=10**6), st.integers(max_value=-(10**6)), st.just(10**30)
)
EXTREMES = st.one_of(
    BAD_DAYS, BAD_DATETIMES, PUSHED_OUT, MIDNIGHT_24, IMPOSSIBLE_OFFSETS, HUGE_INTS
)
TEXT_EXTREMES = EXTREMES.map(str)  # what a query string or a page form carries


# --- every date-taking input of the API ----------------------------------------------------


@dataclass(frozen=True)
class DateInput:
    method: str
    path: str  # as the schema writes it; {id} is the object of the path's kind
    name: str  # body key ("recurrence.end_date" nested) or query parameter
    in_query: bool = False
    error: str = ""  # the key the 400 names, when not ``name``
    others: dict = field(default_factory=dict)  # the rest of a valid request

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path} {self.name}"

    def send(self, api, world: dict, value):
        kind = self.path.removeprefix("/api/v1/").split("/{")[0]
        path = self.path.replace("{id}", str(world.get(kind, "")))
        values = _filled(self.others, world)
        outer, _, inner = self.name.partition(".")
        if inner:
            values[outer] = {**values.get(outer, {}), inner: value}
        else:
            values[outer] = str(value) if self.in_query else value
        if self.in_query:
            return api.get(path, values)
        return getattr(api, self.method)(path, values, format="json")


def _filled(template: dict, world: dict) -> dict:
    def fill(value):
        if isinstance(value, str) and value.startswith("@"):
            return world[value[1:]]
        if isinstance(value, list):
            return [fill(item) for item in value]
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        return value

    return fill(template)


NEW_SCHEDULE = {"name": "Dated", "schedule_type": "daily", "job_config": {"executor": "noop"}}
WAVE = {"content_item_id": "@content", "type": "simultaneous", "channel_ids": "@channel_ids"}
INPUTS = [
    *(
        DateInput(method, path, name, others={"name": "Dated"} if method == "post" else {})
        for method, path in [
            ("post", "/api/v1/campaigns/"),
            ("put", "/api/v1/campaigns/{id}/"),
            ("patch", "/api/v1/campaigns/{id}/"),
        ]
        for name in ("start_date", "end_date")
    ),
    DateInput(
        "post", "/api/v1/campaigns/schedule/", "scheduled_at", others={"campaign_id": "@campaign"}
    ),
    DateInput(
        "post",
        "/api/v1/campaigns/schedule/",
        "recurrence.end_date",
        error="recurrence_end_date",
        others={"campaign_id": "@campaign", "scheduled_at": VALID, "recurrence": {"type": "daily"}},
    ),
    DateInput("post", "/api/v1/schedule/", "scheduled_at", others=NEW_SCHEDULE),
    DateInput(
        "post",
        "/api/v1/schedule/",
        "recurrence_end_date",
        others={**NEW_SCHEDULE, "scheduled_at": VALID},
    ),
    *(
        DateInput(method, "/api/v1/schedule/{id}/", name)
        for method in ("put", "patch")
        for name in ("scheduled_at", "recurrence_end_date")
    ),
    DateInput("post", "/api/v1/schedule/{id}/occurrences/skip/", "occurrence_at"),
    DateInput(
        "post",
        "/api/v1/schedule/{id}/occurrences/move/",
        "occurrence_at",
        others={"new_time": VALID},
    ),
    DateInput(
        "post",
        "/api/v1/schedule/{id}/occurrences/move/",
        "new_time",
        others={"occurrence_at": VALID},
    ),
    DateInput(
        "post", "/api/v1/marketing/posts/", "scheduled_for", others={"channel_id": "@channel"}
    ),
    DateInput("post", "/api/v1/marketing/posts/{id}/reschedule/", "scheduled_for"),
    DateInput("post", "/api/v1/marketing/waves/", "start_at", others=WAVE),
    DateInput("post", "/api/v1/marketing/waves/check/", "start_at", others=WAVE),
    DateInput("patch", "/api/v1/marketing/waves/{id}/", "start_at"),
    *(
        DateInput("get", "/api/v1/jobs/", name, in_query=True)
        for name in ("created_after", "created_before", "scheduled_after", "scheduled_before")
    ),
    *(
        DateInput("get", "/api/v1/schedule/{id}/occurrences/", name, in_query=True)
        for name in ("from", "to")
    ),
    *(
        DateInput("get", "/api/v1/marketing/posts/", name, in_query=True)
        for name in ("start", "end")
    ),
    DateInput(
        "get",
        "/api/v1/marketing/calendar/",
        "start_date",
        in_query=True,
        others={"tenant_id": "@workspace", "end_date": "@later_day"},
    ),
    DateInput(
        "get",
        "/api/v1/marketing/calendar/",
        "end_date",
        in_query=True,
        others={"tenant_id": "@workspace", "start_date": "@today"},
    ),
]


@pytest.fixture(autouse=True)
def _generous_throttles(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(("create", "list", "get"), "100000/minute"),
    }


@pytest.fixture
def world(workspace):
    campaign = CampaignFactory(workspace=workspace)
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
        "workspace": str(workspace.pk),
        "campaign": str(campaign.pk),
        "campaigns": campaign.pk,
        "schedule": ScheduledJobFactory(workspace=workspace, campaign=campaign).pk,
        "marketing/posts": PostFactory(
            workspace=workspace, channel_account=channels[0], content_item=content
        ).pk,
        "marketing/waves": wave.pk,
        "channel": str(channels[0].pk),
        "channel_ids": [str(channel.pk) for channel in channels],
        "content": str(content.pk),
        "today": timezone.now().date().isoformat(),
        "later_day": (timezone.now() + timedelta(days=30)).date().isoformat(),
    }


@pytest.mark.parametrize("date_input", INPUTS, ids=str)
def test_an_extreme_date_is_a_400_naming_the_field(api, world, date_input):
    before = _counts()

    @EXAMPLES
    @given(value=EXTREMES)
    def check(value):
        response = date_input.send(api, world, value)
        assert response.status_code < 500, (value, response.content[:300])
        assert response.status_code == 400, (value, response.content[:300])
        assert (date_input.error or date_input.name) in response.json(), (value, response.json())

    check()
    assert _counts() == before


def _counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Campaign, ScheduledJob, Post, Wave))


def test_a_date_in_range_gets_past_the_same_inputs(api, world):
    # The table's requests are well formed: with a fine date, filters answer and
    # bodies get past the date check (whatever else they then say).
    soon = timezone.now() + timedelta(days=5)
    for date_input in INPUTS:
        if date_input.in_query:
            response = date_input.send(api, world, soon.date().isoformat())
            assert response.status_code == 200, (str(date_input), response.content[:300])
        else:
            response = date_input.send(api, world, soon.isoformat())
            assert response.status_code < 500, str(date_input)
            assert "1970 to 2200" not in response.content.decode(), str(date_input)


def test_the_table_lists_every_date_the_schema_declares():
    document = json.loads(
        OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))
    )
    components = document["components"]["schemas"]

    def properties(schema: dict) -> dict:
        if "$ref" in schema:
            return properties(components[schema["$ref"].split("/")[-1]])
        found = dict(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            found.update(properties(part))
        return found

    declared = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter.get("schema", {}).get("format") in ("date", "date-time"):
                    declared.add((method, path, parameter["name"]))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            for name, prop in properties(body["schema"]).items() if body else ():
                if prop.get("format") in ("date", "date-time") and not prop.get("readOnly"):
                    declared.add((method, path, name))
    listed = {(entry.method, entry.path, entry.name) for entry in INPUTS}
    assert declared - listed == set()


# --- pages ---------------------------------------------------------------------------------


@EXAMPLES
@given(value=TEXT_EXTREMES, view=st.sampled_from(["month", "week", "day", "agenda"]))
def test_the_calendar_page_always_shows_a_page(page_client, value, view):
    response = page_client.get("/calendar/", {"view": view, "date": value})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("url", "name", "form"),
    [
        (
            "/campaigns/new/",
            "start_date",
            {"name": "Dated", "status": "active", "color": "#112233"},
        ),
        ("/campaigns/new/", "end_date", {"name": "Dated", "status": "active", "color": "#112233"}),
        (
            "/schedules/new/",
            "scheduled_at",
            {
                "name": "Dated",
                "schedule_type": "daily",
                "timezone": "UTC",
                "misfire_policy": "run_once",
                "overlap_policy": "skip",
            },
        ),
        ("/channels/posts/new/", "scheduled_for", {"channel": "@channel"}),
        (
            "/channels/waves/new/",
            "start_at",
            {"content_item": "@content", "type": "simultaneous", "channels": "@channel_ids"},
        ),
    ],
)
def test_a_page_form_shows_an_extreme_date_as_its_error(page_client, world, url, name, form):
    before = _counts()
    fields = _filled({"workspace": "@workspace", **form}, world)

    @EXAMPLES
    @given(value=TEXT_EXTREMES)
    def check(value):
        response = page_client.post(url, {**fields, name: value})
        assert response.status_code in (200, 422), (value, response.status_code)
        assert f'id="id_{name}_error"' in response.content.decode(), value

    check()
    assert _counts() == before


@EXAMPLES
@given(value=TEXT_EXTREMES)
def test_the_schedule_preview_explains_an_extreme_date(page_client, value):
    params = {"schedule_type": "daily", "timezone": "UTC", "scheduled_at": value}
    response = page_client.get("/schedules/preview/", params, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "field-error" in response.content.decode()


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (Campaign, "start_date"),
        (Campaign, "end_date"),
        (ScheduledJob, "scheduled_at"),
        (ScheduledJob, "recurrence_end_date"),
        (Post, "scheduled_for"),
        (Wave, "start_at"),
    ],
)
@pytest.mark.parametrize("day", ["9999-12-31", "1969-12-31", "0001-01-01"])
def test_the_admins_date_fields_refuse_the_same_years(rf, model, name, day):
    model_admin = admin.site._registry[model]
    form_field = model_admin.formfield_for_dbfield(model._meta.get_field(name), request=rf.get("/"))

    with pytest.raises(ValidationError, match="1970 to 2200"):
        form_field.clean([day, "12:00"])
    assert form_field.clean(["2031-01-06", "12:00"]).year == 2031
