"""The raw baseline for the herd and execution benchmarks: a bare Celery app.

No Django, no database: one noop task that notes when it started and finished
(one Redis RPUSH), run by a worker with the product's worker settings (prefork,
acks_late, prefetch multiplier 1, JSON, results ignored). Started by
bench/herd_bench.py as ``celery -A bench.bare_celery worker``; its broker is
BARE_BROKER_URL.
"""

from __future__ import annotations

import os
import time

import redis
from celery import Celery

BROKER_URL = os.environ.get("BARE_BROKER_URL", "redis://127.0.0.1:6379/8")
RESULTS_KEY = "bare-celery-bench:times"

# Not the current app: the benchmark process also drives the product's shared tasks.
app = Celery("bare_celery", broker=BROKER_URL, set_as_current=False)
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_default_queue="bare",
    broker_connection_retry_on_startup=True,
)
_results = None


@app.task(name="bare.noop")
def noop(nominal: float) -> None:
    started = time.time()
    global _results
    if _results is None:
        _results = redis.Redis.from_url(BROKER_URL)
    _results.rpush(RESULTS_KEY, f"{nominal} {started} {time.time()}")
