"""The worker's broker consumer, reconnecting within seconds of the broker's return.

Celery's consumer retries a lost broker with kombu's defaults: waits of 2, 4,
6 ... up to 30 s, and gives up after 100 attempts (the worker then exits). A
broker back after a one-minute outage would wait up to 30 s more for the
worker to notice, and a long outage would end the worker. This consumer keeps
trying forever (``broker_connection_max_retries = None`` in settings) with a
short, capped wait, so runs resume within seconds of the broker's return.
"""

from __future__ import annotations

from celery.worker.consumer import Consumer as CeleryConsumer
from django.conf import settings


class Consumer(CeleryConsumer):
    def ensure_connected(self, conn):
        interval_max = settings.BROKER_RECONNECT_MAX_SECONDS
        original = conn.ensure_connection

        def bounded(*args, **kwargs):
            kwargs.setdefault("interval_start", min(1.0, interval_max))
            kwargs.setdefault("interval_step", min(1.0, interval_max))
            kwargs.setdefault("interval_max", interval_max)
            return original(*args, **kwargs)

        conn.ensure_connection = bounded
        try:
            return super().ensure_connected(conn)
        finally:
            del conn.ensure_connection
