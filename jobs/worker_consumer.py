"""The worker's broker consumer, reconnecting within seconds of the broker's return.

Celery's consumer retries a lost broker with kombu's defaults: waits of 2, 4,
6 ... up to 30 s, and gives up after 100 attempts (the worker then exits). A
broker back after a one-minute outage would wait up to 30 s more for the
worker to notice, and a long outage would end the worker. This consumer keeps
trying forever (``broker_connection_max_retries = None`` in settings) with a
short, capped wait, so runs resume within seconds of the broker's return.
"""

from __future__ import annotations

import logging

from celery.worker.consumer import Consumer as CeleryConsumer
from django.conf import settings

logger = logging.getLogger(__name__)


class Consumer(CeleryConsumer):
    def on_connection_error_after_connected(self, exc):
        # Closing the lost connection can itself fail inside kombu's Redis
        # transport (restoring unacked messages over a connection that is gone:
        # "'NoneType' object has no attribute 'hostname'"). Celery does not
        # expect that and the worker exits as "Unrecoverable". The connection
        # is lost either way: close what can be closed and reconnect.
        lost = self.connection
        if lost is not None:
            close = lost.close

            def close_quietly():
                try:
                    close()
                except AttributeError as error:
                    logger.warning("lost broker connection did not close cleanly: %s", error)

            lost.close = close_quietly
        return super().on_connection_error_after_connected(exc)

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
