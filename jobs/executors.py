"""Executors: how a job's work is actually done.

An executor is one small class with ``execute(job, attempt_number)`` returning
an ``ExecutionResult``; ``settings.JOB_EXECUTORS`` maps the names a job's
``config["executor"]`` may use to dotted class paths. Executors get the Job and
must not write to the database: the caller records the attempt and the outcome.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

from jobs import webhook

if TYPE_CHECKING:
    from jobs.models import Job

MAX_RESPONSE_BYTES = 64 * 1024
MAX_NOOP_SLEEP_SECONDS = 300.0


@dataclass
class ExecutionResult:
    outcome: str  # webhook.SUCCESS, webhook.RETRY or webhook.FAIL
    http_status: int | None = None
    error: str = ""
    result: dict | list | str | int | float | None = None
    cost_usd: Decimal | None = None
    retry_after: float | None = None  # seconds the target asked us to wait
    details: dict = field(default_factory=dict)

    @classmethod
    def success(cls, **kwargs) -> ExecutionResult:
        return cls(outcome=webhook.SUCCESS, **kwargs)

    @classmethod
    def retry(cls, error: str, **kwargs) -> ExecutionResult:
        return cls(outcome=webhook.RETRY, error=error, **kwargs)

    @classmethod
    def fail(cls, error: str, **kwargs) -> ExecutionResult:
        return cls(outcome=webhook.FAIL, error=error, **kwargs)


class Executor:
    name = "base"

    def execute(self, job: Job, attempt_number: int) -> ExecutionResult:
        raise NotImplementedError


class UnknownExecutor(LookupError):
    pass


def executor_names() -> list[str]:
    return sorted(settings.JOB_EXECUTORS)


@cache
def _executor_class(dotted: str) -> type[Executor]:
    return import_string(dotted)


def get_executor(name: str) -> Executor:
    try:
        dotted = settings.JOB_EXECUTORS[name]
    except KeyError:
        raise UnknownExecutor(
            f"unknown executor {name!r}; configured: {', '.join(executor_names())}"
        ) from None
    return _executor_class(dotted)()


def executor_name_for(job: Job) -> str:
    return job.config.get("executor") or job.workspace.default_executor or "noop"


class NoopExecutor(Executor):
    """Records completion. For demos and tests the config may ask it to:

    - ``noop_sleep_seconds``: take this long (capped at 300), on every attempt
      or only the first ``noop_sleep_attempts``;
    - ``noop_fail``: ``"retry"`` (a transient failure, retried) or ``"fail"``;
    - ``noop_fail_attempts``: fail transiently on the first N attempts only;
    - ``noop_cost_usd``: report this cost.
    """

    name = "noop"

    def execute(self, job: Job, attempt_number: int) -> ExecutionResult:
        config = job.config
        sleep = _as_float(config.get("noop_sleep_seconds"))
        sleep_attempts = _as_float(config.get("noop_sleep_attempts"))
        if sleep and (sleep_attempts is None or attempt_number <= sleep_attempts):
            time.sleep(min(max(sleep, 0.0), MAX_NOOP_SLEEP_SECONDS))
        fail_attempts = int(_as_float(config.get("noop_fail_attempts")) or 0)
        if attempt_number <= fail_attempts:
            return ExecutionResult.retry(f"noop: asked to fail attempt {attempt_number}")
        mode = config.get("noop_fail")
        if mode == "retry":
            return ExecutionResult.retry("noop: asked to fail (transient)")
        if mode in ("fail", True):
            return ExecutionResult.fail("noop: asked to fail")
        cost = _as_decimal(config.get("noop_cost_usd"))
        return ExecutionResult.success(result={"executor": "noop"}, cost_usd=cost)


class WebhookExecutor(Executor):
    """POSTs the job as signed JSON; see the README's "Webhooks" section."""

    name = "webhook"

    def execute(self, job: Job, attempt_number: int) -> ExecutionResult:
        url = job.config.get("webhook_url") or job.workspace.default_webhook_url
        if not url:
            return ExecutionResult.fail(
                "no webhook URL: set config.webhook_url or the workspace's default webhook URL"
            )
        try:
            target = webhook.resolve_target(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
        except webhook.UnsafeTarget as exc:
            return ExecutionResult.fail(str(exc))
        body = webhook.canonical_body(webhook_payload(job, attempt_number))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "scheduler-webhook/1",
            webhook.IDEMPOTENCY_HEADER: str(job.pk),
            "X-Job-Attempt": str(attempt_number),
            webhook.SIGNATURE_HEADER: webhook.sign(body, job.workspace.webhook_secret),
        }
        try:
            status, response_headers, raw = post_to_target(target, body, headers)
        except TimeoutError:
            return ExecutionResult.retry("timed out waiting for the webhook")
        except ssl.SSLError as exc:
            return ExecutionResult.fail(f"TLS error: {exc.__class__.__name__}: {exc}")
        except (OSError, http.client.HTTPException) as exc:
            return ExecutionResult.retry(f"connection error: {exc.__class__.__name__}: {exc}")
        return _result_from_response(status, response_headers, raw)


def webhook_payload(job: Job, attempt_number: int) -> dict:
    return {
        "id": str(job.pk),
        "name": job.name,
        "config": job.config,
        "scheduled_for": job.scheduled_for.isoformat() if job.scheduled_for else None,
        "attempt": attempt_number,
    }


def _result_from_response(status: int, headers, raw: bytes) -> ExecutionResult:
    verdict = webhook.classify_status(status)
    if verdict == webhook.SUCCESS:
        result, cost = _parse_success_body(raw)
        return ExecutionResult.success(http_status=status, result=result, cost_usd=cost)
    error = f"HTTP {status}: {raw[:500].decode('utf-8', 'replace')}"
    if 300 <= status < 400:
        location = webhook.truncate(headers.get("Location") or "", 300)
        error = f"HTTP {status}: redirects are not followed (Location: {location or 'none'})"
    if verdict == webhook.RETRY:
        retry_after = webhook.parse_retry_after(headers.get("Retry-After"))
        return ExecutionResult.retry(error, http_status=status, retry_after=retry_after)
    return ExecutionResult.fail(error, http_status=status)


def _parse_success_body(raw: bytes):
    try:
        data = json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(data, dict):
        return data, None
    cost = _as_decimal(data.get("cost_usd"))
    result = data.get("result", data)
    return result, cost


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was vetted, not whatever DNS says now."""

    def __init__(self, target: webhook.Target, connect_timeout: float, read_timeout: float):
        super().__init__(target.host, target.port, timeout=read_timeout)
        self._address = target.address
        self._connect_timeout = connect_timeout

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self._connect_timeout)
        self.sock.settimeout(self.timeout)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = 443

    def connect(self):
        super().connect()
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)


def post_to_target(
    target: webhook.Target, body: bytes, headers: dict, *, max_bytes: int = MAX_RESPONSE_BYTES
):
    """POST to the vetted, pinned address of ``target`` (``webhook.resolve_target``).

    Every executor that sends a request uses this. http.client never follows a
    redirect: a 3xx comes back as the answer and is recorded as a failure.
    """
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = cls(target, settings.WEBHOOK_CONNECT_TIMEOUT, settings.WEBHOOK_READ_TIMEOUT)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read(max_bytes)
        return response.status, response.headers, raw
    finally:
        connection.close()


def _as_float(value) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _as_decimal(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0:
        return None
    return number.quantize(Decimal("0.0001"))
