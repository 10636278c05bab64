"""The github_dispatch executor: publish a post by triggering a GitHub workflow.

POSTs ``{"event_type": ..., "client_payload": <the post>}`` to
``{GITHUB_API_URL}/repos/{owner}/{repo}/dispatches`` (GitHub's
repository_dispatch), authenticated with the channel's ``settings.github_token``.
The token is read from the channel when the job runs, never stored in the Job
and never put in a log line or an error message. GitHub answers 204 on success.

The repository must be a GitHub "owner/name" (it goes into the URL path), and
the request follows the outbound URL policy (``scheduler_site.lib.outbound``):
the API host must resolve only to public addresses, the connection goes to the
vetted address, and a redirect is a failure, never followed.
"""

from __future__ import annotations

import http.client
import json
import ssl

from django.conf import settings

from jobs import references, webhook
from jobs.executors import ExecutionResult, Executor, post_to_target
from marketing.models import ChannelAccount
from scheduler_site.lib import outbound

MAX_RESPONSE_BYTES = 16 * 1024


def dispatch_url(repository: str) -> str:
    return f"{settings.GITHUB_API_URL.rstrip('/')}/repos/{repository}/dispatches"


class GithubDispatchExecutor(Executor):
    name = "github_dispatch"

    def execute(self, job, attempt_number: int) -> ExecutionResult:
        config = job.config or {}
        # Only a channel of the job's own workspace: its token must never be
        # sent on behalf of another workspace's config.
        channel = ChannelAccount.objects.filter(
            pk=references.as_uuid(config.get("channel_account_id")),
            workspace_id=job.workspace_id,
        ).first()
        if channel is None:
            return ExecutionResult.fail("channel not found in this job's workspace")
        token = (channel.settings or {}).get("github_token")
        repository = config.get("repository") or channel.settings.get("repository")
        if not token or not repository:
            return ExecutionResult.fail(
                "the channel needs settings.repository and settings.github_token"
            )
        problem = outbound.github_repository_error(repository)
        if problem:
            return ExecutionResult.fail(f"Refused, nothing was sent: {problem}")
        try:
            target = webhook.resolve_target(
                dispatch_url(repository), allow_private=settings.WEBHOOK_ALLOW_PRIVATE
            )
        except webhook.UnsafeTarget as exc:
            return ExecutionResult.fail(f"Refused, nothing was sent: GITHUB_API_URL: {exc}")
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
            status, _headers, raw = post_to_target(
                target, body, headers, max_bytes=MAX_RESPONSE_BYTES
            )
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
        if 300 <= status < 400:
            error = f"GitHub answered HTTP {status}: redirects are not followed"
        if verdict == webhook.RETRY:
            return ExecutionResult.retry(error, http_status=status)
        return ExecutionResult.fail(error, http_status=status)
