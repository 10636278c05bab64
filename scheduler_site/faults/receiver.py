"""The webhook target the product's jobs post to: records every delivery and its fate."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Delivery:
    job_id: str  # the X-Job-Id header: the idempotency key
    attempt: str
    series: str  # the schedule's name (the Job's name)
    scheduled_for: str | None
    received_at: float
    answered_at: float | None = None
    # True when the whole 200 answer was written back: as far as this
    # receiver can tell, the job was executed here successfully.
    answered: bool = False


class WebhookReceiver:
    """A threaded HTTP server on 127.0.0.1 answering 200 after ``delay`` seconds.

    ``delay`` can change while it runs: a slow target makes jobs sit in the
    middle of their execution (to freeze a worker there) or outlast the
    product's read timeout.
    """

    def __init__(self):
        self.delay = 0.0
        self._deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                receiver._handle(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        try:
            payload = json.loads(body)
        except ValueError:
            payload = {}
        delivery = Delivery(
            job_id=request.headers.get("X-Job-Id", ""),
            attempt=request.headers.get("X-Job-Attempt", ""),
            series=str(payload.get("name", "")),
            scheduled_for=payload.get("scheduled_for"),
            received_at=time.time(),
        )
        with self._lock:
            self._deliveries.append(delivery)
        if self.delay:
            time.sleep(self.delay)
        answer = b'{"ok": true}'
        try:
            request.send_response(200)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(answer)))
            request.end_headers()
            request.wfile.write(answer)
            request.wfile.flush()
        except OSError:
            return  # the worker hung up first (its read timeout): not a success
        delivery.answered_at = time.time()
        delivery.answered = True

    def deliveries(self, *, since: float = 0.0, until: float | None = None) -> list[Delivery]:
        with self._lock:
            return [
                d
                for d in self._deliveries
                if d.received_at >= since and (until is None or d.received_at <= until)
            ]

    def start(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread.is_alive():  # shutdown() waits for a serve_forever that never ran
            self.server.shutdown()
            self.thread.join(5)
        self.server.server_close()
