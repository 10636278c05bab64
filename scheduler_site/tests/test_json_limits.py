"""Deep or huge JSON is a 400 naming the problem, never a RecursionError (500)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from scheduler_site.lib import json_limits
from schedules.models import ScheduledJob
from templates_lib.models import JobTemplate

pytestmark = pytest.mark.django_db


def nested(depth: int):
    value: object = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


def nested_text(depth: int) -> str:
    # Built as text: json.dumps itself recurses and could not write 5,000 levels.
    return '{"a":' * depth + '"leaf"' + "}" * depth


def schedule_payload(job_config) -> dict:
    return {
        "name": "Deep",
        "schedule_type": "once",
        "scheduled_at": (timezone.now() + timedelta(hours=1)).isoformat(),
        "job_config": job_config,
    }


# --- the pure helpers ---------------------------------------------------------------


def test_text_depth_ignores_brackets_inside_strings():
    assert json_limits.text_depth('{"a": "[[[{{{", "b": [1, [2]]}') == 3
    assert json_limits.text_depth(r'["\"[[[", []]') == 2
    assert json_limits.text_depth("5") == 0


def test_check_text_refuses_depth_and_size_without_recursing():
    json_limits.check_text(nested_text(json_limits.MAX_JSON_DEPTH))
    with pytest.raises(json_limits.JSONLimitError, match="nested too deeply"):
        json_limits.check_text(nested_text(5_000))
    with pytest.raises(json_limits.JSONLimitError, match="too large"):
        json_limits.check_text('"' + "x" * json_limits.MAX_JSON_VALUE_BYTES + '"')


def test_loads_bounded_and_check_depth_agree_at_the_limit():
    limit = json_limits.MAX_JSON_DEPTH
    assert json_limits.loads_bounded(nested_text(limit)) == nested(limit)
    json_limits.check_depth(nested(limit))
    with pytest.raises(json_limits.JSONLimitError, match="nested too deeply"):
        json_limits.check_depth(nested(limit + 1))
    with pytest.raises(json_limits.JSONLimitError):
        json_limits.loads_bounded(nested_text(limit + 1))


# --- the API's parsers -------------------------------------------------------------------


@pytest.mark.parametrize("depth", [900, 5_000])
def test_a_deeply_nested_json_body_is_a_400_and_writes_nothing(api, workspace, depth):
    body = '{"name": "Deep", "metadata": ' + nested_text(depth) + "}"
    response = api.post("/api/v1/templates", body, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    assert not JobTemplate.objects.exists()


def test_deep_json_sent_as_curls_default_form_type_is_a_400(api, workspace):
    body = '{"name": "Deep", "metadata": ' + nested_text(5_000) + "}"
    response = api.post("/api/v1/templates", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    assert not JobTemplate.objects.exists()


def test_a_deep_json_value_in_a_multipart_form_is_a_400_naming_the_field(api, workspace):
    payload = schedule_payload(nested_text(5_000))
    response = api.post("/api/v1/schedule", payload, format="multipart")

    assert response.status_code == 400
    assert "nested too deeply" in str(response.json()["job_config"])
    assert not ScheduledJob.objects.exists()


def test_a_value_one_level_too_deep_inside_a_fine_body_is_a_400_on_its_field(api, workspace):
    too_deep = nested(json_limits.MAX_JSON_DEPTH + 1)
    response = api.post("/api/v1/templates", {"name": "Deep", "metadata": too_deep}, format="json")

    assert response.status_code == 400
    assert "nested too deeply" in str(response.json()["metadata"])
    assert not JobTemplate.objects.exists()

    response = api.post(
        "/api/v1/schedule",
        schedule_payload({"executor": "noop", "x": nested(json_limits.MAX_JSON_DEPTH)}),
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "nested too deeply" in str(response.json()["job_config"])
    assert not ScheduledJob.objects.exists()


def test_config_at_the_limit_is_stored_and_its_detail_renders(api, workspace):
    fine = nested(json_limits.MAX_JSON_DEPTH - 1)
    created = api.post("/api/v1/templates", {"name": "Fine", "metadata": fine}, format="json")
    assert created.status_code == 201, created.content
    detail = api.get(f"/api/v1/templates/{created.json()['id']}")
    assert detail.status_code == 200
    assert detail.json()["metadata"] == fine


def test_an_oversized_json_body_is_a_json_413(api, workspace, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "Big", "description": "x" * 2000})
    response = api.post("/api/v1/templates", body, content_type="application/json")

    # Django refuses it before any parser runs (RequestDataTooBig); the API says so in JSON.
    assert response.status_code == 413
    assert "the limit is 1000 bytes" in response.json()["detail"]
    assert not JobTemplate.objects.exists()


# --- page forms and the admin -------------------------------------------------------


def test_deep_metadata_typed_into_the_template_form_is_an_inline_error(page_client, workspace):
    response = page_client.post(
        "/templates/new/",
        {
            "workspace": workspace.pk,
            "name": "Deep",
            "llm_provider": "openai",
            "writing_strategy": "expert",
            "max_retries": 2,
            "batch_size": 3,
            "metadata": nested_text(5_000),
        },
    )

    assert response.status_code == 422
    assert 'id="id_metadata_error"' in response.content.decode()
    assert "nested too deeply" in response.content.decode()
    assert not JobTemplate.objects.exists()


@pytest.mark.parametrize(
    ("model", "field"),
    [(ScheduledJob, "job_config"), (JobTemplate, "metadata"), (JobTemplate, "tags")],
)
def test_model_form_fields_used_by_the_admin_refuse_deep_json(model, field):
    form_field = model._meta.get_field(field).formfield()
    with pytest.raises(ValidationError, match="nested too deeply"):
        form_field.clean(nested_text(5_000))
    with pytest.raises(ValidationError, match="nested too deeply"):
        form_field.clean(json.dumps(nested(json_limits.MAX_JSON_DEPTH + 1)))
