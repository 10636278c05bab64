"""The worker harness refuses to fake a broker CI requires."""

from __future__ import annotations

import pytest
from celery import Celery

from scheduler_site.testing import WorkerUnavailable, configure_test_broker


def test_require_redis_without_a_redis_broker_fails_loudly(settings, tmp_path):
    settings.REQUIRE_REDIS = True
    settings.CELERY_BROKER_URL = "filesystem://"

    with pytest.raises(WorkerUnavailable, match="REQUIRE_REDIS"):
        configure_test_broker(Celery("probe"), tmp_path)


def test_an_unreachable_redis_is_reported_not_hidden(settings, tmp_path):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    with pytest.raises(WorkerUnavailable, match="not reachable"):
        configure_test_broker(Celery("probe"), tmp_path)


def test_the_embedded_default_gets_a_private_sqlite_broker(settings, tmp_path):
    settings.REQUIRE_REDIS = False
    settings.CELERY_BROKER_URL = "sqlite:///elsewhere/celery-broker.sqlite3"
    app = Celery("probe")

    broker = configure_test_broker(app, tmp_path)

    assert broker.kind == "sqlite"
    assert broker.url == f"sqlite:///{tmp_path.resolve()}/celery-broker.sqlite3"
    # Even with CELERY_BROKER_URL in the environment (which Celery prefers).
    assert app.conf.broker_write_url == app.conf.broker_read_url == broker.url
    assert broker.worker_env == {"CELERY_BROKER_URL": broker.url}


def test_an_explicit_filesystem_broker_is_replaced_by_a_private_one_too(settings, tmp_path):
    settings.REQUIRE_REDIS = False
    settings.CELERY_BROKER_URL = "filesystem://"

    broker = configure_test_broker(Celery("probe"), tmp_path)

    assert broker.kind == "sqlite"
    assert broker.url.startswith(f"sqlite:///{tmp_path.resolve()}")
