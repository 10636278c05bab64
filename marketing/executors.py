"""The github_dispatch executor: publish a post by triggering a GitHub workflow.

POSTs ``{"event_type": ..., "client_payload": <the post>}`` to
``{GITHUB_API_URL}/repos/{owner}/{repo}/dispatches`` (GitHub's
repository_dispatch), authenticated with the channel's ``settings.github_token``.
The token is read from the channel when the job runs, never stored in the Job
and never put in a log line or an error message. GitHub answers 204 on success.
"""

from __future__ import annotations

import http.client
import json
import ssl
from urllib.parse import urlsplit

from django.conf import settings

from jobs import webhook
from jobs.executors import ExecutionResult, Executor
from marketing.models import ChannelAccount

MAX_RESPONSE_BYTES = 16 * 1024


def dispatch_url(repository: str) -> str:
    return f"{settings.GITHUB_API_URL.rstrip('/')}/repos/{repository}/dispatches"


class GithubDispatchExecutor(Executor):
    name = "github_dispatch"

    def execute(self, job, attempt_number: int) -> ExecutionResult:
        config = job.config or {}
        channel = ChannelAccount.objects.filter(pk=config.get("channel_account_id")).first()
        if channel is None:
            return ExecutionResult.fail("the channel of this post no longer exists")
        token = (channel.settings or {}).get("github_token")
        repository = config.get("repository") or channel.settings.get("repository")
        if not token or not repository:
            return ExecutionResult.fail(
                "the channel needs settings.repository and settings.github_token"
            )
        body = json.dumps(
            {
                "event_type": config.get("event_type") or "publish_post",
                "client_payload": config.get("post") or {},
            },
            separators=(",", ":"),
        ).encode()
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
            "User-Agent": "scheduler-marketing/1",
        }
        try:
            status, raw = _post(dispatch_url(repository), body, headers)
        except TimeoutError:
            return ExecutionResult.retry("timed out waiting for GitHub")
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            return ExecutionResult.retry(f"connection error: {exc.__class__.__name__}")
        verdict = webhook.classify_status(status)
        text = raw[:500].decode("utf-8", "replace").replace(token, "********")
        if verdict == webhook.SUCCESS:
            return ExecutionResult.success(
                http_status=status,
                result={"executor": "github_dispatch", "repository": repository, "status": status},
            )
        error = f"GitHub answered HTTP {status}: {text}"
        if verdict == webhook.RETRY:
            return ExecutionResult.retry(error, http_status=status)
        return ExecutionResult.fail(error, http_status=status)


def _post(url: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = cls(parts.hostname, parts.port, timeout=settings.WEBHOOK_READ_TIMEOUT)
    try:
        connection.request("POST", parts.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(MAX_RESPONSE_BYTES)
    finally:
        connection.close()
