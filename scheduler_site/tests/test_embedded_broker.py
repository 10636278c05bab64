"""The embedded broker (scheduler_site/broker.py): an SQLite file several processes share."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from kombu import Connection

from jobs.models import Job
from jobs.tasks import execute_job
from jobs.tests.factories import JobFactory
from scheduler_site.broker import Transport
from scheduler_site.celery import app
from scheduler_site.testing import wait_until

CONSUMER = """
import sys
from queue import Empty
from kombu import Connection
from scheduler_site.broker import Transport

with Connection(sys.argv[1], transport=Transport) as conn:
    queue = conn.SimpleQueue("work")
    idle = 0
    while idle < 20:
        try:
            message = queue.get(timeout=0.1)
        except Empty:
            idle += 1
            continue
        idle = 0
        print(message.payload["n"], flush=True)
        message.ack()
"""


@pytest.fixture
def broker_url(tmp_path):
    return f"sqlite:///{tmp_path / 'broker.sqlite3'}"


def test_messages_come_out_in_order_once_and_leave_no_row_behind(broker_url):
    with Connection(broker_url, transport=Transport) as conn:
        queue = conn.SimpleQueue("work")
        for n in range(5):
            queue.put({"n": n})
        assert queue.qsize() == 5

        received = []
        for _ in range(5):
            message = queue.get(timeout=1)
            received.append(message.payload["n"])
            message.ack()

        assert received == [0, 1, 2, 3, 4]
        assert queue.qsize() == 0
        channel = queue.channel
        with channel._engine.connect() as db:
            assert db.exec_driver_sql("SELECT count(*) FROM kombu_message").scalar() == 0
        queue.close()


def test_several_processes_draining_one_queue_never_share_or_lose_a_message(broker_url):
    count = 300
    with Connection(broker_url, transport=Transport) as conn:
        queue = conn.SimpleQueue("work")
        for n in range(count):
            queue.put({"n": n})
        queue.close()

    consumers = [
        subprocess.Popen(
            [sys.executable, "-c", CONSUMER, broker_url],
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    seen = []
    for consumer in consumers:
        out, _ = consumer.communicate(timeout=120)
        assert consumer.returncode == 0
        seen.extend(int(line) for line in out.split())

    assert sorted(seen) == list(range(count))


def test_periodic_tasks_go_to_the_scheduler_queue_and_jobs_to_the_default_one():
    def queue_of(name):
        return app.amqp.router.route({}, name, (), {})["queue"].name

    assert settings.CELERY_SCHEDULER_QUEUE == "scheduler"
    for spec in settings.PERIODIC_TASKS.values():
        assert queue_of(spec["task"]) == "scheduler", spec["task"]
    for name in ("schedules.dispatch_due", "jobs.tasks.sweep_outbox", "campaigns.run_lifecycle"):
        assert queue_of(name) == "scheduler"
    assert queue_of("jobs.tasks.execute_job") == "celery"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_worker_answers_a_ping_and_an_unknown_node_is_silent(celery_worker):
    started = time.monotonic()
    replies = app.control.ping(destination=[celery_worker.node], timeout=3.0)
    assert replies == [{celery_worker.node: {"ok": "pong"}}]
    assert time.monotonic() - started < 3.0  # the reply ended the wait

    assert app.control.ping(destination=["nobody@nowhere"], timeout=0.5) == []


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_message_with_an_eta_runs_at_its_eta_not_before(workspace, celery_worker):
    job = JobFactory(workspace=workspace)
    eta = timezone.now() + timedelta(seconds=3)

    execute_job.apply_async((str(job.pk),), eta=eta)

    def finished():
        return Job.objects.filter(pk=job.pk, status="succeeded").first()

    done = wait_until(finished, timeout=30, message=celery_worker.log_tail())
    assert done.started_at >= eta


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_message_waiting_for_its_eta_goes_back_to_the_broker_on_a_warm_shutdown(
    workspace, celery_worker_factory
):
    first = celery_worker_factory()
    job = JobFactory(workspace=workspace)
    eta = timezone.now() + timedelta(seconds=8)
    execute_job.apply_async((str(job.pk),), eta=eta)
    wait_until(lambda: "received" in first.log(), timeout=10, message=first.log_tail())

    first.stop(graceful=True)  # it holds the message (unacknowledged) until the ETA
    celery_worker_factory(purge=False)

    def finished():
        return Job.objects.filter(pk=job.pk, status="succeeded").first()

    assert wait_until(finished, timeout=40).started_at >= eta
