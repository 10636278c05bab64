"""The OpenAPI schema is complete and the docs page works with no internet."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

ERROR_CODES_BY_OPERATION = {
    ("post", "/api/v1/campaigns/"): {"400", "401", "403", "429"},
    ("put", "/api/v1/campaigns/{id}/"): {"400", "401", "403", "404", "429"},
    ("get", "/api/v1/campaigns/{id}/stats/"): {"401", "404", "429"},
    ("get", "/api/v1/templates/"): {"400", "401", "429"},
    ("post", "/api/v1/templates/{id}/favorite/"): {"401", "403", "404", "429"},
    ("get", "/api/v1/workspaces/{id}/members/"): {"401", "403", "404", "429"},
    ("delete", "/api/v1/workspaces/{id}/members/{member_id}/"): {"401", "403", "404"},
    ("post", "/api/v1/auth/token/"): {"400", "401"},
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_generates_with_no_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))

    assert (tmp_path / "s.yaml").read_text().startswith("openapi: 3")


@pytest.mark.parametrize(("method", "path"), list(ERROR_CODES_BY_OPERATION))
def test_schema_documents_the_error_responses(schema, method, path):
    responses = set(schema["paths"][path][method]["responses"])

    assert ERROR_CODES_BY_OPERATION[method, path] <= responses


def test_schema_documents_filters_search_ordering_and_pagination(schema):
    names = {p["name"] for p in schema["paths"]["/api/v1/campaigns/"]["get"]["parameters"]}
    template_names = {p["name"] for p in schema["paths"]["/api/v1/templates/"]["get"]["parameters"]}

    assert {"status", "tag", "search", "ordering", "page", "page_size", "workspace"} <= names
    assert {"campaign_id", "favorites_only", "tag", "search", "workspace"} <= template_names


def test_schema_documents_put_as_a_partial_update(schema):
    body = schema["paths"]["/api/v1/campaigns/{id}/"]["put"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]

    assert ref == "PatchedCampaignRequest"
    assert not schema["components"]["schemas"][ref].get("required")


def test_schema_documents_retry_after_on_429(schema):
    response = schema["paths"]["/api/v1/campaigns/"]["get"]["responses"]["429"]

    assert "Retry-After" in response["headers"]


def test_schema_is_served_as_openapi_3(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_docs_page_loads_swagger_from_local_static_files_only(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert any("swagger-ui" in asset for asset in assets)
    assert all(not re.match(r"^(https?:)?//", asset) for asset in assets), assets
    assert "cdn" not in html.lower()


def test_docs_pages_static_assets_are_served(client):
    html = client.get("/api/docs/").content.decode()
    scripts = re.findall(r"""src\s*=\s*["'](/static/[^"']+)["']""", html)

    assert scripts
    for script in scripts:
        response = client.get(script)
        response.close()  # a streamed file: close it, as a server would
        assert response.status_code == 200, script
