"""Publishing: due scheduled posts become Jobs; job outcomes come back to the posts.

The periodic tick claims due posts with ``SELECT ... FOR UPDATE SKIP LOCKED``,
creates one Job per post through the jobs outbox (sent to the broker after
commit) and moves the post to ``publishing`` in the same transaction, so any
number of publishers can run at once and a post gets exactly one Job. The
worker runs the Job with the executor the channel names; ``job_finished``
brings the outcome back (published / failed, executed_at, result, error).
Each attempt is a JobAttempt row of that Job: the post's execution log.

A post paused or cancelled after its Job was created is never published: the
worker sends ``job_pre_run`` once it has claimed the Job, and
``publication_veto`` answers with a reason (the Job is cancelled instead of
run) and puts the post back where its pause or cancel wants it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from jobs import references
from jobs.models import Job
from jobs.services import enqueue_after_commit, job_create
from marketing.models import ChannelAccount, Post, Wave
from marketing.services import unblocked, wave_refresh_status

logger = logging.getLogger(__name__)

MISSED_SLOT_MESSAGE = "No content was scheduled in this slot by its time."
MISSED_GRACE_MESSAGE = "Not published within {seconds}s of its time (publisher not running?)."


def due_posts(now: datetime) -> QuerySet[Post]:
    """Scheduled posts due by now that nothing holds back."""
    return unblocked(
        Post.objects.filter(
            status=Post.Status.SCHEDULED,
            scheduled_for__lte=now,
            content_item__isnull=False,
        )
    )


def publish_due_posts(*, now: datetime | None = None, batch_size: int | None = None) -> dict:
    """One publisher tick: miss stale work, then publish due posts in batches."""
    now = now or timezone.now()
    batch_size = batch_size or settings.MARKETING_PUBLISH_BATCH_SIZE
    missed_slots = mark_missed_slots(now=now)
    missed_late = mark_missed_late(now=now)
    published = 0
    grace = timedelta(seconds=settings.MARKETING_PUBLISH_GRACE_SECONDS)
    while True:
        with transaction.atomic():
            claimed = list(
                due_posts(now)
                .filter(scheduled_for__gte=now - grace)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("scheduled_for")[:batch_size]
            )
            count = _publish_claimed(claimed, now=now)
        published += count
        if len(claimed) < batch_size:
            break
    return {"published": published, "missed_slots": missed_slots, "missed_late": missed_late}


def publish_posts(posts: QuerySet[Post], *, now: datetime) -> int:
    """Publish these posts now (resume with the "publish" missed policy)."""
    with transaction.atomic():
        claimed = list(
            posts.filter(status=Post.Status.SCHEDULED).select_for_update(
                skip_locked=True, of=("self",)
            )
        )
        return _publish_claimed(claimed, now=now)


def _publish_claimed(posts: list[Post], *, now: datetime) -> int:
    """Create one Job per claimed post; runs inside the claiming transaction."""
    if not posts:
        return 0
    posts = list(
        Post.objects.filter(pk__in=[p.pk for p in posts]).select_related(
            "workspace", "channel_account", "content_item", "content_item__campaign", "wave"
        )
    )
    jobs = []
    for post in posts:
        post.updated_at = now
        try:
            job = job_create(
                workspace=post.workspace,
                name=f"Publish '{post.content_item.title}' on {post.channel_account.name}",
                config=publication_config(post),
                # The worker asks marketing (job_pre_run) whether the post is still
                # wanted before it runs, so a pause or cancel after this still holds.
                trigger=Job.Trigger.PUBLICATION,
                campaign=post.content_item.campaign,
                scheduled_for=post.scheduled_for,
                enqueue=False,
            )
        except ValidationError as error:
            # A channel saved before a rule tightened (say, a target URL the
            # outbound policy now refuses) fails its own post, not the batch.
            post.status = Post.Status.FAILED
            reason = " ".join(dict.fromkeys(error.messages))
            post.error_message = f"Not sent: the channel's settings are invalid: {reason}"
            continue
        post.job = job
        post.status = Post.Status.PUBLISHING
        jobs.append(job)
    Post.objects.bulk_update(posts, ["job", "status", "updated_at", "error_message"])
    for wave_id in {p.wave_id for p in posts if p.wave_id and p.status == Post.Status.FAILED}:
        wave_refresh_status(wave_id=wave_id)
    enqueue_after_commit(jobs)
    return len(posts)


def publication_config(post: Post) -> dict:
    """The Job's config: executor and target from the channel, the post as payload.

    Secrets stay on the channel: the github_dispatch executor reads the token
    from there at run time, so it is never copied into a Job (which users and
    logs can see).
    """
    channel = post.channel_account
    config: dict = {
        "executor": channel.executor,
        "marketing_post_id": str(post.pk),
        "channel_account_id": str(channel.pk),
        "post": post_payload(post),
    }
    if channel.executor == ChannelAccount.Executor.WEBHOOK:
        config["webhook_url"] = channel.target_url
    if channel.executor == ChannelAccount.Executor.GITHUB_DISPATCH:
        config["repository"] = channel.settings.get("repository", "")
        config["event_type"] = channel.settings.get("event_type") or "publish_post"
    for key in ("noop_fail", "noop_fail_attempts", "noop_sleep_seconds", "max_retries"):
        if key in (channel.settings or {}):
            config[key] = channel.settings[key]
    return config


def post_payload(post: Post) -> dict:
    content = post.content_item
    wave = post.wave
    return {
        "post_id": str(post.pk),
        "scheduled_for": post.scheduled_for.isoformat(),
        "channel": {
            "id": str(post.channel_account_id),
            "platform": post.channel_account.platform,
            "name": post.channel_account.name,
            "handle": post.channel_account.handle,
        },
        "content": {
            "id": str(content.pk),
            "title": content.title,
            "body": content.body,
            "media_url": content.media_url,
        },
        "wave": {"id": str(wave.pk), "wave_id": wave.wave_id, "type": wave.type} if wave else None,
    }


def mark_missed_slots(*, now: datetime) -> int:
    """Planned slots still empty at their time become missed."""
    return Post.objects.filter(
        status=Post.Status.PLANNED, content_item__isnull=True, scheduled_for__lte=now
    ).update(status=Post.Status.MISSED, error_message=MISSED_SLOT_MESSAGE, updated_at=now)


def mark_missed_late(*, now: datetime) -> int:
    """Unblocked scheduled posts older than the grace window are missed, not sent late.

    Paused ones are left for their resume, which applies the missed policy.
    """
    seconds = settings.MARKETING_PUBLISH_GRACE_SECONDS
    stale = due_posts(now).filter(scheduled_for__lt=now - timedelta(seconds=seconds))
    rows = list(stale.values_list("pk", "wave_id")[:10_000])
    if not rows:
        return 0
    missed = Post.objects.filter(
        pk__in=[pk for pk, _ in rows], status=Post.Status.SCHEDULED
    ).update(
        status=Post.Status.MISSED,
        error_message=MISSED_GRACE_MESSAGE.format(seconds=seconds),
        updated_at=now,
    )
    for wave_id in {wave_id for _, wave_id in rows if wave_id}:
        wave_refresh_status(wave_id=wave_id)
    return missed


def publication_veto(job: Job) -> str:
    """Why this publication Job must not run now, or "" when it may.

    Called by the worker after it claimed the Job. A paused post (or its wave,
    channel or workspace) goes back to ``scheduled``, keeping its pause flags,
    so its resume applies the missed policy; a cancelled post stays cancelled.
    """
    with transaction.atomic():
        post = (
            Post.objects.select_for_update(of=("self",))
            .select_related("channel_account", "workspace", "wave")
            .filter(
                pk=references.as_uuid((job.config or {}).get("marketing_post_id")),
                workspace_id=job.workspace_id,
            )
            .first()
        )
        if post is None:
            return "Cancelled: its post was deleted before it was published."
        if post.status == Post.Status.CANCELLED:
            return "Cancelled: its post was cancelled before it was published."
        if post.status != Post.Status.PUBLISHING or post.job_id != job.pk:
            return f"Cancelled: its post is {post.status} and no longer waits for this job."
        hold = publication_hold(post)
        if hold:
            post.status = Post.Status.SCHEDULED
            post.updated_at = timezone.now()
            post.save(update_fields=["status", "updated_at"])
            return f"Cancelled: {hold}; the post is back to scheduled until it is resumed."
    return ""


def publication_hold(post: Post) -> str:
    """What holds a post back from publishing (the ``unblocked`` rules), or ""."""
    channel = post.channel_account
    if post.is_paused:
        return "the post was paused"
    if post.wave is not None and post.wave.status == Wave.Status.PAUSED:
        return f"its wave {post.wave.wave_id} was paused"
    if not channel.is_active:
        return f"the channel {channel.name} is inactive"
    if channel.is_paused:
        return f"the channel {channel.name} was paused"
    if post.workspace.publishing_paused:
        return "publishing is paused in this workspace"
    return ""


def record_job_outcome(job: Job) -> int:
    """Copy a finished Job's outcome onto its post(s); returns posts updated."""
    posts = list(Post.objects.filter(job=job, status=Post.Status.PUBLISHING))
    if not posts:
        return 0
    succeeded = job.status == Job.Status.SUCCEEDED
    now = timezone.now()
    with transaction.atomic():
        updated = Post.objects.filter(
            pk__in=[p.pk for p in posts], status=Post.Status.PUBLISHING
        ).update(
            status=Post.Status.PUBLISHED if succeeded else Post.Status.FAILED,
            executed_at=job.finished_at or now,
            execution_result=job.result,
            error_message="" if succeeded else (job.last_error or f"job {job.status}"),
            updated_at=now,
        )
    for wave_id in {p.wave_id for p in posts if p.wave_id}:
        wave_refresh_status(wave_id=wave_id)
    return updated
