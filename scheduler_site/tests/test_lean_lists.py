"""List pages built from ``.values()`` (scheduler_site/api/lean.py) answer exactly
what the serializers answer, byte for byte, filters and pages included."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from campaigns.tests.factories import CampaignFactory
from jobs.models import Job
from jobs.tests.factories import JobFactory
from scheduler_site.api.lean import LeanListMixin
from templates_lib.tests.factories import JobTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(workspace):
    for n in range(7):
        campaign = CampaignFactory(
            workspace=workspace,
            name=f"Campaign {n}",
            tags=["a", f"t{n}"],
            target_budget_usd=Decimal("12.5") if n % 2 else None,
            start_date=datetime(2031, 1, n + 1, 9, 30, tzinfo=UTC) if n % 3 else None,
        )
        template = JobTemplateFactory(
            workspace=workspace,
            campaign=campaign if n % 2 else None,
            name=f"Template {n}",
            metadata={"n": n, "nested": {"x": [1, 2]}},
            is_favorite=bool(n % 3),
        )
        job = JobFactory(workspace=workspace, campaign=campaign, template=template, name=f"J{n}")
        Job.objects.filter(pk=job.pk).update(
            cost_usd=Decimal("0.0123") * n,
            scheduled_for=datetime(2031, 2, 3, 4, 5, 6, 789 * n, tzinfo=UTC),
            result={"ok": n},
        )


PATHS = [
    "/api/v1/campaigns",
    "/api/v1/campaigns?page_size=3&page=2",
    "/api/v1/campaigns?ordering=name&search=Campaign",
    "/api/v1/templates",
    "/api/v1/templates?page_size=2&page=3",
    "/api/v1/jobs",
    "/api/v1/jobs?ordering=scheduled_for&page_size=4",
]


@pytest.mark.parametrize("path", PATHS)
def test_a_lean_list_page_is_byte_for_byte_the_serializers_page(api, rows, path, monkeypatch):
    lean = api.get(path)
    monkeypatch.delattr(LeanListMixin, "list")  # back to DRF's ListModelMixin.list
    classic = api.get(path)

    assert lean.status_code == classic.status_code == 200
    assert lean.content == classic.content


def test_another_workspaces_rows_stay_out_of_a_lean_list(api, rows, other_workspace):
    CampaignFactory(workspace=other_workspace, name="Not yours")

    names = [row["name"] for row in api.get("/api/v1/campaigns?page_size=200").json()["results"]]

    assert "Not yours" not in names
    assert len(names) == 7


def test_a_page_past_the_end_is_still_a_404(api, rows):
    assert api.get("/api/v1/campaigns?page=9").status_code == 404
