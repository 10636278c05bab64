"""Redis is not a single point of failure for the web: with the broker and the
cache on a real Redis that is then killed, the API keeps answering (reads,
writes, run-now left pending for the sweeper), the rate limits fall back to
per-process counts with one warning, and the health endpoints answer 503
naming the broker and the cache, then 200 once Redis is back."""

from __future__ import annotations

import logging
import shutil
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from campaigns.tests.factories import CampaignFactory
from conftest import require_or_skip
from jobs.models import Job
from scheduler_site.celery import app
from scheduler_site.faults.servers import PrivateRedis
from scheduler_site.lib import components
from scheduler_site.lib.fallback_cache import fallback_cache
from schedules.models import DispatcherHeartbeat
from schedules.tests.factories import ScheduledJobFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

# Each request, Redis down, answers within this (the publish budget is 2 s).
BUDGET_SECONDS = 3.0


@pytest.fixture
def redis_server(tmp_path):
    require_or_skip(
        settings.REQUIRE_REDIS, shutil.which("redis-server") is not None, "redis-server"
    )
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture(autouse=True)
def _fresh_components():
    components.reset_all()
    fallback_cache.local.clear()
    yield
    components.reset_all()
    fallback_cache.local.clear()


@pytest.fixture
def on_redis(redis_server, monkeypatch):
    """The cache and this process's broker connections on the private Redis."""
    monkeypatch.setitem(app.conf, "broker_url", redis_server.url(0))
    monkeypatch.setitem(app.conf, "broker_write_url", redis_server.url(0))
    monkeypatch.setitem(app.conf, "broker_transport_options", {})
    redis_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url(0),
            # As settings.py configures a Redis cache.
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    with override_settings(CACHES=redis_cache):
        yield redis_server


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def schedule_body(name: str) -> dict:
    return {
        "name": name,
        "schedule_type": "daily",
        "scheduled_at": (timezone.now() + timedelta(days=1)).isoformat(),
        "job_config": {"executor": "noop"},
    }


def test_with_redis_killed_reads_writes_and_run_now_still_answer_in_time(
    api, workspace, on_redis, django_capture_on_commit_callbacks
):
    schedule = ScheduledJobFactory(workspace=workspace)
    CampaignFactory(workspace=workspace)
    with django_capture_on_commit_callbacks(execute=True):
        before = api.post(f"/api/v1/schedule/{schedule.pk}/run-now")
    # With Redis up the run reached the broker.
    assert Job.objects.get(pk=before.json()["id"]).status == "queued"

    on_redis.kill()

    answers = {
        "list schedules": timed(lambda: api.get("/api/v1/schedule")),
        "get schedule": timed(lambda: api.get(f"/api/v1/schedule/{schedule.pk}")),
        "list campaigns": timed(lambda: api.get("/api/v1/campaigns")),
        "create schedule": timed(
            lambda: api.post("/api/v1/schedule", schedule_body("During the outage"), format="json")
        ),
        "create campaign": timed(
            lambda: api.post("/api/v1/campaigns", {"name": "During the outage"}, format="json")
        ),
    }
    with django_capture_on_commit_callbacks(execute=True):
        answers["run-now"] = timed(lambda: api.post(f"/api/v1/schedule/{schedule.pk}/run-now"))

    codes = {name: response.status_code for name, (response, _) in answers.items()}
    assert codes == {
        "list schedules": 200,
        "get schedule": 200,
        "list campaigns": 200,
        "create schedule": 201,
        "create campaign": 201,
        "run-now": 201,
    }
    slow = {name: round(took, 2) for name, (_, took) in answers.items() if took > BUDGET_SECONDS}
    assert slow == {}
    run = answers["run-now"][0].json()
    assert run["status"] == "pending"
    # Left in the outbox for the sweeper.
    assert Job.objects.get(pk=run["id"]).status == "pending"


def test_with_redis_killed_the_rate_limits_count_per_process_and_warn_once(api, on_redis, caplog):
    config = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "create": "3/minute",
            "list": "1000/minute",
            "get": "1000/minute",
        },
    }
    on_redis.kill()
    with override_settings(REST_FRAMEWORK=config), caplog.at_level(logging.WARNING):
        codes = [
            api.post("/api/v1/campaigns", {"name": f"C{n}"}, format="json").status_code
            for n in range(5)
        ]
        reads = {api.get("/api/v1/campaigns").status_code for _ in range(10)}

    # Neither failed open nor failed the requests: the limit holds in memory.
    assert codes == [201, 201, 201, 429, 429]
    assert reads == {200}
    warnings = [r.getMessage() for r in caplog.records if r.name == components.logger.name]
    assert len(warnings) == 1
    assert warnings[0].startswith("cache unavailable since ")
    assert "rate limits count per process" in warnings[0]


def test_with_redis_killed_the_health_endpoints_name_the_broker_and_the_cache_until_it_returns(
    api, client, workspace, on_redis, monkeypatch
):
    DispatcherHeartbeat.objects.create(
        ran_at=timezone.now(), duration_ms=1, claimed=0, jobs_created=0
    )
    assert client.get("/healthz").status_code == 200
    assert api.get("/api/v1/schedule/status").status_code == 200

    on_redis.kill()
    killed_at = timezone.now()
    health, took = timed(lambda: client.get("/healthz"))
    status, _ = timed(lambda: api.get("/api/v1/schedule/status"))

    assert took < BUDGET_SECONDS
    assert health.status_code == 503
    down = {name for name, state in health.json()["components"].items() if not state["ok"]}
    assert down == {"broker", "cache"}
    broker = health.json()["components"]["broker"]
    assert parse_datetime(broker["since"]) >= killed_at - timedelta(seconds=1)
    assert broker["error"] == "unavailable"  # no host names for anonymous callers
    assert status.status_code == 503
    body = status.json()
    assert body["healthy"] is False
    assert body["status"] == "unavailable: broker, cache"
    assert {name for name, state in body["components"].items() if not state["ok"]} == {
        "broker",
        "cache",
    }
    assert "last_24h" in body  # the figures are still there

    on_redis.start()
    # Past the circuit breaker's pause, the next checks find Redis again.
    monkeypatch.setattr(components.CACHE, "_retry_at", 0.0)
    monkeypatch.setattr(components.BROKER, "_retry_at", 0.0)
    back = client.get("/healthz")
    assert back.status_code == 200, back.json()
    assert back.json()["components"]["broker"] == {"ok": True, "since": None, "error": None}
    assert api.get("/api/v1/schedule/status").status_code == 200
