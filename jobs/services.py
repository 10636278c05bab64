"""Every write to a Job goes through here: API, admin, tasks and other apps.

Status changes are single conditional UPDATEs (``_move``) whose WHERE clause
lists the statuses the job may leave, checked against ``jobs.states``: two
workers, a sweeper and a user clicking "cancel" can race and exactly one wins.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from jobs import liveness, references, retries, states, webhook, worker_statements
from jobs.executors import (
    ExecutionResult,
    UnknownExecutor,
    executor_name_for,
    executor_names,
    get_executor,
)
from jobs.liveness import Holder
from jobs.models import Job, JobAttempt, WorkerHeartbeat
from jobs.signals import job_finished, job_pre_run
from scheduler_site.lib.validators import validate_github_repository, validate_outbound_url

if TYPE_CHECKING:
    from templates_lib.models import JobTemplate

logger = logging.getLogger(__name__)

SCHEDULE_TRIGGERS = Job.SERIES_TRIGGERS
# A message delivered a little before its ETA (clock skew between machines)
# may still claim its job.
CLOCK_SKEW = timedelta(seconds=2)
SWEEP_BATCH = 1000
# Messages per pipelined round trip to a Redis broker (``publish``).
PUBLISH_PIPELINE = 1000
# A queued job is re-sent for a dead worker only once it has sat this long.
RESEND_SETTLE_SECONDS = 5
ERROR_LIMIT = 2000


# --- Config -----------------------------------------------------------------------


def merge_config(*layers: dict) -> dict:
    """Later layers win; ``metadata`` dicts merge key by key."""
    merged: dict = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            if key == "metadata" and isinstance(value, dict):
                merged["metadata"] = {**(merged.get("metadata") or {}), **value}
            else:
                merged[key] = value
    return merged


def validate_job_config(config: dict, *, workspace_id) -> None:
    """The execution keys every job config must get right (template keys are
    checked by the template's own rules where they come from). Keys naming an
    object must name one of ``workspace_id`` (``jobs.references``)."""
    if not isinstance(config, dict):
        raise ValidationError({"config": ["Config must be a JSON object."]})
    errors: dict[str, list[str]] = {
        key: [message] for key, message in references.reference_errors(workspace_id, config).items()
    }
    executor = config.get("executor")
    if executor not in (None, "") and executor not in settings.JOB_EXECUTORS:
        errors["executor"] = [
            f"'{executor}' is not an executor; choose one of: {', '.join(executor_names())}."
        ]
    url = config.get("webhook_url")
    if url not in (None, ""):
        # The outbound URL policy (scheduler_site/lib/outbound.py); the
        # executor checks again, with DNS, when it sends.
        try:
            URLValidator(schemes=["http", "https"])(url)
            validate_outbound_url(url)
        except ValidationError as exc:
            errors["webhook_url"] = (
                exc.messages if exc.code == "unsafe_url" else ["Enter an http:// or https:// URL."]
            )
    backoff_error = retries.validate_backoff(config.get("retry_backoff_seconds"))
    if backoff_error:
        errors["retry_backoff_seconds"] = [backoff_error]
    # github_dispatch puts the repository into the URL path: only "owner/name".
    repository = config.get("repository")
    if executor == "github_dispatch" and repository not in (None, ""):
        try:
            validate_github_repository(repository)
        except ValidationError as exc:
            errors["repository"] = exc.messages
    if errors:
        raise ValidationError(errors)


# --- Create and enqueue (the outbox) ---------------------------------------------------


def job_create(
    *,
    workspace,
    name: str,
    config: dict,
    trigger: str,
    campaign=None,
    template=None,
    scheduled_job=None,
    schedule_version: int | None = None,
    scheduled_for: datetime | None = None,
    not_before: datetime | None = None,
    max_retries: int | None = None,
    enqueue: bool = True,
) -> Job:
    validate_job_config(config, workspace_id=workspace.pk)
    if max_retries is None:
        max_retries = retries.max_retries_from(config)
    job = Job(
        workspace=workspace,
        name=name[:255],
        config=config,
        trigger=trigger,
        campaign=campaign,
        campaign_name=campaign.name if campaign else "",
        template=template,
        scheduled_job=scheduled_job,
        schedule_version=schedule_version,
        scheduled_for=scheduled_for,
        not_before=not_before,
        max_retries=max_retries,
    )
    job.full_clean()
    job.save()
    if enqueue:
        enqueue_after_commit([job])
    return job


def enqueue_after_commit(jobs: Iterable[Job]) -> None:
    """Send ``execute_job`` for each job once the surrounding transaction commits.

    The rows are the outbox: if the broker cannot be reached within
    CELERY_BROKER_PUBLISH_TIMEOUT the jobs stay pending and the sweeper sends
    them later, so a request never fails (or hangs) because the broker is down.
    """
    pending = [(job.pk, job.not_before) for job in jobs]
    if pending:
        transaction.on_commit(lambda: _publish_and_mark(pending))


def _publish_and_mark(pending: list[tuple]) -> list:
    sent = publish(pending)
    if sent:
        Job.objects.filter(pk__in=sent, status=Job.Status.PENDING).update(
            status=Job.Status.QUEUED, queued_at=timezone.now()
        )
    return sent


def publish(pending: list[tuple]) -> list:
    """Send one message per (job id, not_before) over one connection.

    Returns the ids that reached the broker. The connection must come up
    within CELERY_BROKER_PUBLISH_TIMEOUT and every write is bounded by the same
    socket timeout, so an unreachable broker costs a caller at most that long;
    a healthy broker takes a batch of any size. On Redis the messages of each
    ``PUBLISH_PIPELINE`` go in one pipelined round trip (kombu's publish batch)
    rather than one round trip each: a herd of 10,000 runs reaches the broker in
    a fraction of a second. A pipeline that fails counts as unsent, so its jobs
    stay pending for the sweeper; any of its messages that did arrive are a
    second copy the worker's claim turns away.
    """
    from jobs.tasks import execute_job  # the task module imports this one

    app = execute_job.app
    budget = settings.CELERY_BROKER_PUBLISH_TIMEOUT
    now = timezone.now()
    sent: list = []
    try:
        with app.connection_for_write(
            connect_timeout=budget,
            transport_options={"socket_connect_timeout": budget, "socket_timeout": budget},
        ) as connection:
            connection.ensure_connection(max_retries=0, timeout=budget)
            producer = connection.Producer()
            for start in range(0, len(pending), PUBLISH_PIPELINE):
                chunk = pending[start : start + PUBLISH_PIPELINE]
                with producer.batch(max_size=PUBLISH_PIPELINE):
                    for job_id, not_before in chunk:
                        eta = not_before if not_before and not_before > now else None
                        execute_job.apply_async(
                            (str(job_id),), eta=eta, producer=producer, retry=False
                        )
                sent += [job_id for job_id, _ in chunk]
    except Exception as exc:  # any broker failure leaves the rest to the sweeper
        logger.warning(
            "broker unreachable, %d of %d job(s) left for the sweeper: %s: %s",
            len(pending) - len(sent),
            len(pending),
            exc.__class__.__name__,
            exc,
        )
    return sent


# --- User actions -----------------------------------------------------------------------


def job_cancel(*, job: Job, reason: str) -> Job:
    sources = (Job.Status.PENDING, Job.Status.QUEUED)
    with transaction.atomic():
        moved = _move(
            job.pk,
            sources=sources,
            target=Job.Status.CANCELLED,
            finished_at=timezone.now(),
            last_error=_clean_error(reason),
        )
        if not moved:
            job.refresh_from_db(fields=["status"])
            raise ValidationError(
                {
                    "status": [
                        f"Only pending or queued jobs can be cancelled; this one is {job.status}."
                    ]
                }
            )
        job.refresh_from_db()
        _finished_after_commit(job)
    return job


def job_retry(*, job: Job) -> Job:
    """Run a failed job once more (a new attempt; automatic retries are not renewed)."""
    with transaction.atomic():
        moved = _move(
            job.pk,
            sources=(Job.Status.FAILED,),
            target=Job.Status.PENDING,
            finished_at=None,
            not_before=None,
            queued_at=None,
            claimed_by="",
        )
        if not moved:
            job.refresh_from_db(fields=["status"])
            raise ValidationError(
                {"status": [f"Only failed jobs can be retried; this one is {job.status}."]}
            )
        job.refresh_from_db()
        enqueue_after_commit([job])
    return job


def template_use(*, template: JobTemplate, overrides: dict, campaign=None) -> Job:
    """Create and enqueue a job from a template, counting the use atomically."""
    from templates_lib.models import JobTemplate

    config = merge_config(template.as_config(), overrides)
    with transaction.atomic():
        job = job_create(
            workspace=template.workspace,
            name=overrides.get("name") or template.name,
            config={key: value for key, value in config.items() if key != "name"},
            trigger=Job.Trigger.TEMPLATE_USE,
            campaign=campaign or template.campaign,
            template=template,
        )
        # F() so that two simultaneous uses count two.
        JobTemplate.objects.filter(pk=template.pk).update(
            use_count=F("use_count") + 1, last_used_at=timezone.now()
        )
    return job


# --- The worker ----------------------------------------------------------------------------


def worker_identity(node: str, worker_pid: int) -> str:
    return f"{node}:{worker_pid}:{os.getpid()}"


def job_claim(*, job_id, worker_id: str) -> Job | None:
    """Take the job for this process; None when someone else has it or it is done.

    The conditional UPDATE and the read of the claimed row (with its workspace
    and schedule) are one statement on PostgreSQL (``jobs.worker_statements``),
    one short transaction elsewhere: one commit, and the row lock is never held
    across anything else. Retried through a database outage. The claim writes
    its own ``started_at``, so a retry after
    a commit whose answer was lost recognises the claim as its own instead of
    finding the job "running" and giving up.
    """
    now = timezone.now()
    sources = states.require_legal((Job.Status.PENDING, Job.Status.QUEUED), Job.Status.RUNNING)

    def claim() -> Job | None:
        if worker_statements.available():
            job = worker_statements.claim(
                job_id, worker_id=worker_id, sources=sources, now=now, not_after=now + CLOCK_SKEW
            )
            if job is not None or not _claimed_by_me(job_id, worker_id=worker_id, started_at=now):
                return job
            return Job.objects.select_related("workspace", "scheduled_job").get(pk=job_id)
        with transaction.atomic():
            taken = (
                Job.objects.filter(pk=job_id, status__in=sources)
                .filter(Q(not_before__isnull=True) | Q(not_before__lte=now + CLOCK_SKEW))
                .update(
                    status=Job.Status.RUNNING,
                    started_at=now,
                    finished_at=None,
                    attempts=F("attempts") + 1,
                    claimed_by=worker_id,
                )
            )
            if not (taken or _claimed_by_me(job_id, worker_id=worker_id, started_at=now)):
                return None
            return Job.objects.select_related("workspace", "scheduled_job").get(pk=job_id)

    return _with_db_retry(claim, what=f"claim job {job_id}")


def _claimed_by_me(job_id, *, worker_id: str, started_at) -> bool:
    return Job.objects.filter(
        pk=job_id, status=Job.Status.RUNNING, claimed_by=worker_id, started_at=started_at
    ).exists()


def still_held(job: Job, *, worker_id: str) -> bool:
    """Claim fencing: this process still holds this attempt of the job.

    False once the sweeper or another worker took the job over (this worker
    was frozen or cut off past its heartbeat); checked right before the
    executor acts, so a resumed process does not run a job twice.
    """
    return Job.objects.filter(
        pk=job.pk, status=Job.Status.RUNNING, claimed_by=worker_id, attempts=job.attempts
    ).exists()


def job_run(
    *,
    job_id,
    worker_id: str,
    redelivered: bool = False,
    node_alive: Callable[[str], bool] | None = None,
) -> str:
    """Claim, check, execute and record one attempt. Returns what happened.

    ``redelivered`` and ``node_alive`` let a message the broker handed out
    again (its worker vanished) take over a job that worker left running.
    """
    job = job_claim(job_id=job_id, worker_id=worker_id)
    if job is None and _take_over_if_abandoned(
        job_id=job_id, worker_id=worker_id, redelivered=redelivered, node_alive=node_alive
    ):
        job = job_claim(job_id=job_id, worker_id=worker_id)
    if job is None:
        return "not claimed"
    with _queries_counted() as checks:
        reason = _with_db_retry(
            lambda: withdrawal_reason(job) or pre_run_veto(job), what=f"check job {job.pk}"
        )
    if reason:
        _with_db_retry(
            lambda: _finish(job, Job.Status.CANCELLED, worker_id=worker_id, last_error=reason),
            what=f"cancel job {job.pk}",
        )
        return "cancelled"
    # Claim fencing. Checks that went to the database (a pre-run veto) gave the
    # world time to change: the sweeper or another worker may have taken the
    # job over meanwhile. Checks answered from the claimed row did not; asking
    # again would only repeat the claim's answer at the cost of a round trip.
    if checks.count and not _with_db_retry(
        lambda: still_held(job, worker_id=worker_id), what=f"check job {job.pk} is still held"
    ):
        logger.warning("job %s was taken over before it ran here; not running it", job.pk)
        return "taken over"
    started = timezone.now()
    result = _execute(job)
    return _with_db_retry(
        lambda: _record_outcome(job, result, started=started, worker_id=worker_id),
        what=f"record the outcome of job {job.pk}",
    )


class _QueryCount:
    count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def _queries_counted():
    """Count the statements run on this thread's connection inside the block."""
    counter = _QueryCount()
    with connection.execute_wrapper(counter):
        yield counter


def withdrawal_reason(job: Job) -> str:
    """Why a dispatched run of a series was withdrawn, or "" when it may run.

    The one rule, used by every re-check: a run is withdrawn only when a person
    or the system changed the schedule after dispatch, which bumps its
    ``version`` (edit, pause, campaign pause or archive, budget guard, the
    automatic stop after repeated failures), or deleted it. The series ending
    because this was its last run (completed, expired) is not a withdrawal:
    that run still runs.
    """
    if job.trigger not in SCHEDULE_TRIGGERS:
        return ""
    schedule = job.scheduled_job
    if schedule is None:
        return "Withdrawn: its schedule was deleted after this run was dispatched."
    if schedule.version != job.schedule_version:
        return (
            f"Withdrawn: its schedule was {_schedule_change(schedule)} after this run was "
            f"dispatched (version {job.schedule_version}, now {schedule.version})."
        )
    return ""


def _schedule_change(schedule) -> str:
    """What a version bump was, in words, from the schedule's state now."""
    if schedule.status == "paused":
        note = (schedule.pause_note or "").strip().rstrip(".")
        return f"paused ({note})" if note else "paused"
    if schedule.status == "error":
        return "stopped after repeated failures"
    return "edited"


def pre_run_veto(job: Job) -> str:
    """The first reason a ``job_pre_run`` receiver gives not to run, or "".

    A receiver that crashes vetoes too: a check that could not be made (is
    this post still wanted?) must not let the work go out.
    """
    # send_robust logs a crashing receiver with its traceback.
    for _receiver, answer in job_pre_run.send_robust(sender=Job, job=job):
        if isinstance(answer, (OperationalError, InterfaceError)):
            raise answer  # the database is away: check again, do not cancel for it
        if isinstance(answer, Exception):
            return f"Cancelled: a pre-run check failed ({answer.__class__.__name__})."
        if isinstance(answer, str) and answer.strip():
            return answer.strip()
    return ""


def _execute(job: Job) -> ExecutionResult:
    # Re-checked here: a config written past the API (admin, database) must not
    # make an executor act with another workspace's objects or secrets.
    foreign = references.reference_errors(job.workspace_id, job.config)
    if foreign:
        named = "; ".join(
            f"{key}: {message} in this job's workspace" for key, message in foreign.items()
        )
        return ExecutionResult.fail(f"Refused, nothing was sent: {named}.")
    try:
        executor = get_executor(executor_name_for(job))
    except UnknownExecutor as exc:
        return ExecutionResult.fail(str(exc))
    try:
        return executor.execute(job, job.attempts)
    except Exception as exc:  # an executor bug must not lose the job
        logger.exception("executor crashed on job %s", job.pk)
        return ExecutionResult.retry(f"executor error: {exc.__class__.__name__}: {exc}")


def _record_outcome(job: Job, result: ExecutionResult, *, started, worker_id: str) -> str:
    finished = timezone.now()
    attempt_fields = {
        "started_at": started,
        "finished_at": finished,
        "duration_ms": max(0, int((finished - started).total_seconds() * 1000)),
        "http_status": result.http_status,
        "error": _clean_error(result.error),
    }
    if result.outcome == webhook.SUCCESS:
        moved = _finish(
            job,
            Job.Status.SUCCEEDED,
            worker_id=worker_id,
            attempt=dict(attempt_fields, outcome=JobAttempt.Outcome.SUCCEEDED),
            result=_jsonable(result.result),
            cost_usd=result.cost_usd,
            last_error="",
        )
        return "succeeded" if moved else "lost"
    if result.outcome == webhook.RETRY and job.attempts <= job.max_retries:
        delay = retries.delay_after(job.attempts, config=job.config, retry_after=result.retry_after)
        not_before = finished + timedelta(seconds=delay)
        with transaction.atomic():
            moved = _move(
                job.pk,
                sources=(Job.Status.RUNNING,),
                target=Job.Status.QUEUED,
                extra=Q(claimed_by=worker_id),
                queued_at=finished,
                not_before=not_before,
                last_error=attempt_fields["error"],
                claimed_by="",
            )
            if moved:
                JobAttempt.objects.create(
                    job_id=job.pk,
                    number=job.attempts,
                    outcome=JobAttempt.Outcome.RETRYING,
                    **attempt_fields,
                )
                job.not_before = not_before
                # Sent right away with an ETA; if the send fails the sweeper
                # picks it up once not_before has passed.
                transaction.on_commit(lambda: publish([(job.pk, not_before)]))
        return "retrying" if moved else "lost"
    moved = _finish(
        job,
        Job.Status.FAILED,
        worker_id=worker_id,
        attempt=dict(attempt_fields, outcome=JobAttempt.Outcome.FAILED),
        last_error=attempt_fields["error"] or "failed",
    )
    return "failed" if moved else "lost"


def _finish(
    job: Job, target: str, *, worker_id: str, attempt: dict | None = None, **fields
) -> bool:
    """Move a job this process runs to a final status, with its attempt, atomically.

    Matching on ``claimed_by`` means a job the sweeper already timed out (or
    another process took over) is left alone.
    """
    fields.update(finished_at=timezone.now(), not_before=None)
    if attempt and worker_statements.available():
        # The move and its attempt in one statement: one round trip, one commit.
        states.require_legal((Job.Status.RUNNING,), target)
        if not worker_statements.finish(
            job, worker_id=worker_id, target=target, fields=fields, attempt=attempt
        ):
            return _recorded_before(job, target, worker_id=worker_id)
        _finished_after_commit(job, status=target, **fields)
        return True
    with transaction.atomic():
        moved = _move(
            job.pk,
            sources=(Job.Status.RUNNING,),
            target=target,
            extra=Q(claimed_by=worker_id),
            **fields,
        )
        if not moved:
            return _recorded_before(job, target, worker_id=worker_id)
        if attempt:
            JobAttempt.objects.create(job_id=job.pk, number=job.attempts, **attempt)
        _finished_after_commit(job, status=target, **fields)
    return True


def _recorded_before(job: Job, target: str, *, worker_id: str) -> bool:
    """The final move found the job no longer running here: True when it is this
    attempt's own outcome (a retry after a commit whose answer was lost)."""
    if Job.objects.filter(
        pk=job.pk, status=target, claimed_by=worker_id, attempts=job.attempts
    ).exists():
        return True
    logger.warning("job %s was no longer ours when it finished (timed out?)", job.pk)
    return False


# --- Lost workers -------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _take_over_if_abandoned(
    *, job_id, worker_id: str, redelivered: bool, node_alive: Callable[[str], bool] | None
) -> bool:
    """Decide whether a delivery that finds its job "running" may run it again.

    - Same node, and the process that claimed it is gone (a pool child was
      killed and reject_on_worker_lost sent the message back): yes.
    - Another node, the broker marked the message redelivered (acks_late and
      the visibility timeout passed) and that node has stopped beating or
      does not answer a ping: yes.
    - Anything else is a duplicate delivery of a job still running: no.
    """
    job = Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).first()
    if job is None:
        return False
    theirs, mine = Holder.parse(job.claimed_by), Holder.parse(worker_id)
    if theirs is None or mine is None:
        return False
    if theirs.node == mine.node:
        if _pid_alive(theirs.process_pid) and _pid_alive(theirs.worker_pid):
            return False
        return _requeue_lost(job, reason="the worker process running it died")
    if not redelivered:
        return False
    # A stale heartbeat settles it; otherwise (just killed, or no heartbeat
    # row) the node's own silence to a ping does.
    state = liveness.liveness()
    if theirs.worker not in state.stale and (node_alive is None or node_alive(theirs.node)):
        return False
    return _requeue_lost(job, reason=f"worker {theirs.node} stopped answering while running it")


def jobs_recover_lost(*, node: str, worker_pid: int) -> int:
    """At worker start: requeue jobs a previous worker with this node name left
    running when it died (node names are unique in a cluster)."""
    recovered = 0
    running = Job.objects.filter(status=Job.Status.RUNNING, claimed_by__startswith=f"{node}:")
    for job in running[:SWEEP_BATCH]:
        holder = Holder.parse(job.claimed_by)
        if holder is None or holder.node != node or holder.worker_pid == worker_pid:
            continue
        if _pid_alive(holder.worker_pid):
            continue
        if _requeue_lost(
            job, reason="the worker running it stopped (restarted worker recovered it)"
        ):
            recovered += 1
            publish([(job.pk, None)])
    return recovered


def jobs_recover_abandoned(*, now: datetime | None = None) -> int:
    """Take back the runs of workers that stopped beating, within seconds.

    Their running jobs are requeued (the lost attempt recorded) and sent
    again; the due jobs still queued are sent again too, since the dead
    worker may have prefetched them and the broker would hand them back only
    after its visibility timeout. A duplicate message is harmless: the claim
    is conditional. Each dead worker is handled once (its row is removed; a
    frozen worker that wakes up beats again and is judged afresh).
    """
    now = now or timezone.now()
    state = liveness.liveness(now)
    if not state.stale or not state.trustworthy:
        return 0
    held_by_dead = Q()
    for node, worker_pid in state.stale:
        held_by_dead |= Q(claimed_by__startswith=f"{node}:{worker_pid}:")
    recovered = 0
    for job in Job.objects.filter(held_by_dead, status=Job.Status.RUNNING)[:SWEEP_BATCH]:
        holder = Holder.parse(job.claimed_by)
        if (
            holder
            and holder.worker in state.stale
            and _requeue_lost(job, reason=f"worker {holder.node} stopped beating while running it")
        ):
            publish([(job.pk, None)])
            recovered += 1
    resent = _resend_due_queued(now)
    cutoff = now - timedelta(seconds=settings.WORKER_STALE_SECONDS)
    for node, worker_pid in state.stale:
        WorkerHeartbeat.objects.filter(
            node=node, worker_pid=worker_pid, last_seen__lt=cutoff
        ).delete()
    logger.warning(
        "worker(s) %s stopped beating: %d running job(s) taken back, %d queued job(s) re-sent",
        ", ".join(sorted(node for node, _ in state.stale)),
        recovered,
        resent,
    )
    return recovered


def _resend_due_queued(now: datetime) -> int:
    settle = now - timedelta(seconds=RESEND_SETTLE_SECONDS)
    rows = list(
        Job.objects.filter(status=Job.Status.QUEUED, queued_at__lt=settle)
        .filter(Q(not_before__isnull=True) | Q(not_before__lt=settle))
        .order_by()
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    sent = publish([(pk, None) for pk in rows]) if rows else []
    if sent:
        Job.objects.filter(pk__in=sent, status=Job.Status.QUEUED).update(queued_at=timezone.now())
    return len(sent)


def _requeue_lost(job: Job, *, reason: str) -> bool:
    now = timezone.now()
    with transaction.atomic():
        moved = _move(
            job.pk,
            sources=(Job.Status.RUNNING,),
            target=Job.Status.QUEUED,
            extra=Q(claimed_by=job.claimed_by, attempts=job.attempts),
            queued_at=now,
            not_before=None,
            claimed_by="",
            last_error=reason,
        )
        if moved:
            _record_lost_attempt(job, error=f"Lost: {reason}.", now=now)
    if moved:
        logger.warning("job %s requeued: %s", job.pk, reason)
    return moved


def _record_lost_attempt(job: Job, *, error: str, now) -> None:
    JobAttempt.objects.get_or_create(
        job_id=job.pk,
        number=job.attempts,
        defaults={
            "started_at": job.started_at or now,
            "finished_at": now,
            "duration_ms": int((now - (job.started_at or now)).total_seconds() * 1000),
            "outcome": JobAttempt.Outcome.FAILED,
            "error": _clean_error(error),
        },
    )


# --- The sweeper ------------------------------------------------------------------------------


def jobs_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Take back dead workers' runs, re-send jobs the broker never got (or
    lost) and fail jobs stuck running."""
    now = now or timezone.now()
    return {
        "abandoned": jobs_recover_abandoned(now=now),
        "requeued": _resend_stale(now),
        "timed_out": _fail_timed_out(now),
    }


def _resend_stale(now: datetime) -> int:
    """Send again the jobs whose message never reached the broker or was lost.

    A pending job past the cutoff was never sent. A queued one may only be
    waiting its turn: behind a herd of 100,000 runs a message waits minutes,
    and sending it again would double the queue the workers are draining. So
    while the queue moves, a queued job counts as lost only once the workers
    have started jobs queued after it (``_queue_frontier``); when nothing has
    started for a while, every queued job past the cutoff is sent again.
    """
    cutoff = now - timedelta(seconds=settings.SWEEP_STALE_AFTER_SECONDS)
    queued_stale = Q(status=Job.Status.QUEUED, queued_at__lt=cutoff)
    frontier = _queue_frontier(now)
    if frontier is not None:
        queued_stale &= Q(queued_at__lt=frontier)
    stale = (
        Job.objects.filter(Q(status=Job.Status.PENDING, created_at__lt=cutoff) | queued_stale)
        .filter(Q(not_before__isnull=True) | Q(not_before__lt=cutoff))
        .order_by()
        .values_list("pk", "status")[:SWEEP_BATCH]
    )
    rows = list(stale)
    if not rows:
        return 0
    sent = publish([(pk, None) for pk, _ in rows])
    if sent:
        # Pending ones become queued; queued ones get a fresh queued_at so the
        # next sweep does not send them again straight away.
        Job.objects.filter(pk__in=sent, status__in=(Job.Status.PENDING, Job.Status.QUEUED)).update(
            status=Job.Status.QUEUED, queued_at=timezone.now()
        )
    logger.info("sweeper re-sent %d of %d stale job(s)", len(sent), len(rows))
    return len(sent)


def _queue_frontier(now: datetime) -> datetime | None:
    """The latest ``queued_at`` among jobs started within the stale window: how far
    into the queue the workers have got. None when nothing started meanwhile."""
    since = now - timedelta(seconds=settings.SWEEP_STALE_AFTER_SECONDS)
    return Job.objects.filter(started_at__gte=since).aggregate(frontier=Max("queued_at"))[
        "frontier"
    ]


def _fail_timed_out(now: datetime) -> int:
    timeout = settings.JOB_TIMEOUT_SECONDS
    cutoff = now - timedelta(seconds=timeout)
    failed = 0
    stuck = Job.objects.filter(status=Job.Status.RUNNING, started_at__lt=cutoff)
    for job in stuck.order_by()[:SWEEP_BATCH]:
        error = (
            f"Timed out: still running {timeout}s after it started (JOB_TIMEOUT_SECONDS); "
            "the worker may have died or the target hung."
        )
        with transaction.atomic():
            moved = _move(
                job.pk,
                sources=(Job.Status.RUNNING,),
                target=Job.Status.FAILED,
                extra=Q(started_at__lt=cutoff, attempts=job.attempts),
                finished_at=now,
                last_error=error,
                claimed_by="",
            )
            if moved:
                _record_lost_attempt(job, error=error, now=now)
                _finished_after_commit(
                    job, status=Job.Status.FAILED, finished_at=now, last_error=error, claimed_by=""
                )
                failed += 1
    return failed


# --- Helpers ------------------------------------------------------------------------------------


def _with_db_retry(action: Callable, *, what: str):
    """Run a worker-side write, retrying through a database outage.

    A run whose outcome the worker could not record would stay "running"
    until the job timeout and hold its schedule's next runs back; instead the
    worker keeps trying for JOB_DB_RETRY_SECONDS. Inside a caller's
    transaction (tests, eager mode) nothing can be retried: errors go up.
    """
    deadline = time.monotonic() + settings.JOB_DB_RETRY_SECONDS
    delay = 0.5
    while True:
        try:
            return action()
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block or time.monotonic() + delay > deadline:
                raise
            logger.warning("database unavailable, will retry to %s: %s", what, exc)
            connection.close()
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def _move(job_id, *, sources: tuple, target: str, extra: Q | None = None, **fields) -> bool:
    states.require_legal(tuple(sources), target)
    queryset = Job.objects.filter(pk=job_id, status__in=sources)
    if extra is not None:
        queryset = queryset.filter(extra)
    return queryset.update(status=target, **fields) == 1


def _finished_after_commit(job: Job, **changes) -> None:
    """Send ``job_finished`` once the move to a final status has committed.

    ``changes`` are the fields the conditional UPDATE just wrote, applied to
    the instance so listeners see the final row without another query.
    """
    for name, value in changes.items():
        setattr(job, name, value)
    transaction.on_commit(lambda: job_finished.send(sender=Job, job=job))


def _clean_error(text: str) -> str:
    return webhook.truncate((text or "").strip(), ERROR_LIMIT)


def _jsonable(value):
    return (
        value
        if isinstance(value, (dict, list, str, int, float, bool)) or value is None
        else str(value)
    )
