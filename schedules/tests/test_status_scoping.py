"""/api/v1/schedule/status: tenants see their own workspaces' figures, staff the installation's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from jobs.models import Job
from schedules import dispatcher
from schedules.models import DispatcherHeartbeat, ScheduledJob
from schedules.tests.factories import ScheduledJobFactory

pytestmark = pytest.mark.django_db

STAFF_ONLY = {"dispatches_last_minute", "workers_seen"}


@pytest.fixture
def staff_api(make_user):
    client = APIClient()
    client.force_authenticate(make_user("operator", is_staff=True))
    return client


@pytest.fixture
def busy_other_tenant(other_workspace):
    """Another tenant's schedule overdue and a run of theirs waiting; a heartbeat."""
    now = timezone.now()
    overdue = ScheduledJobFactory(workspace=other_workspace)
    ScheduledJob.objects.filter(pk=overdue.pk).update(next_run_at=now - timedelta(minutes=1))
    Job.objects.create(workspace=other_workspace, status=Job.Status.PENDING, config={})
    DispatcherHeartbeat.objects.create(
        ran_at=now, claimed=7, jobs_created=7, duration_ms=3, hostname="worker-7.internal", pid=4242
    )


def test_a_tenant_sees_no_hosts_pids_or_other_workspaces_counts(api, workspace, busy_other_tenant):
    response = api.get("/api/v1/schedule/status")

    body = response.json()
    text = response.content.decode()
    assert "worker-7.internal" not in text
    assert "4242" not in text
    assert set(body["last_heartbeat"]) == {"ran_at"}
    assert not STAFF_ONLY & set(body)
    assert body["due_backlog"] == 0
    assert body["jobs_waiting"] == 0
    assert body["lag_seconds"] == 0
    assert body["last_24h"]["workspaces"] == []


def test_staff_see_the_installations_figures(staff_api, busy_other_tenant):
    body = staff_api.get("/api/v1/schedule/status").json()

    heartbeat = body["last_heartbeat"]
    assert (heartbeat["hostname"], heartbeat["pid"], heartbeat["claimed"]) == (
        "worker-7.internal",
        4242,
        7,
    )
    assert set(body) >= STAFF_ONLY
    assert body["due_backlog"] == 1
    assert body["jobs_waiting"] == 1


def test_the_dead_mans_switch_is_the_same_for_everyone(api, staff_api, workspace):
    assert api.get("/api/v1/schedule/status").status_code == 503
    assert staff_api.get("/api/v1/schedule/status").status_code == 503
    dispatcher.dispatch_due(now=timezone.now())
    assert api.get("/api/v1/schedule/status").status_code == 200
    assert staff_api.get("/api/v1/schedule/status").status_code == 200
