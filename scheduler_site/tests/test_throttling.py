"""Per-user rate limits with the seed's three scopes; a 429 says when to come back."""

from __future__ import annotations

import copy

import pytest
from django.conf import settings
from django.test import override_settings

from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def rates(**scopes):
    config = copy.deepcopy(settings.REST_FRAMEWORK)
    config["DEFAULT_THROTTLE_RATES"] = {
        "create": "1000/minute",
        "list": "1000/minute",
        "get": "1000/minute",
        **scopes,
    }
    return override_settings(REST_FRAMEWORK=config)


def test_the_seeds_rates_are_the_defaults():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "create": "30/minute",
        "list": "60/minute",
        "get": "100/minute",
    }


def test_creates_beyond_the_rate_get_429_with_retry_after(api):
    with rates(create="2/minute"):
        codes = [
            api.post("/api/v1/campaigns", {"name": f"C{n}"}, format="json").status_code
            for n in range(3)
        ]
        last = api.post("/api/v1/campaigns", {"name": "late"}, format="json")

    assert codes == [201, 201, 429]
    assert last.status_code == 429
    assert 0 < int(last["Retry-After"]) <= 60
    assert "detail" in last.json()


def test_list_and_get_are_counted_separately_from_creates(api, workspace):
    campaign = CampaignFactory(workspace=workspace)
    with rates(list="1/minute", get="2/minute"):
        lists = [api.get("/api/v1/campaigns").status_code for _ in range(2)]
        gets = [api.get(f"/api/v1/campaigns/{campaign.pk}").status_code for _ in range(3)]
        create = api.post("/api/v1/campaigns", {"name": "Still fine"}, format="json")

    assert lists == [200, 429]
    assert gets == [200, 200, 429]
    assert create.status_code == 201


def test_each_user_has_their_own_allowance(api, make_user):
    from rest_framework.test import APIClient

    other = APIClient()
    other.force_authenticate(make_user("bob"))
    with rates(list="1/minute"):
        mine = [api.get("/api/v1/templates").status_code for _ in range(2)]
        theirs = other.get("/api/v1/templates").status_code

    assert mine == [200, 429]
    assert theirs == 200
