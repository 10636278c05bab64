"""The harness's view of the database: the run ledger, read by the product's own code.

The harness process does not talk to the private database itself (under
pytest, Django there is bound to the test database). Instead it keeps one
``python -m scheduler_site.faults.audit`` subprocess, started with the
product's environment, and sends it one JSON request per line:

- ``{"op": "ledger", "start": <epoch>, "end": <epoch>}``: every occurrence
  with its nominal time in [start, end), with its fate from
  ``schedules.selectors.schedules_occurrences`` (the ledger the API and the
  pages show), plus the figures the ledger cannot show: Job rows doubled per
  (schedule, nominal time), Jobs with two successful attempts, and the
  missed runs the dispatcher recorded;
- ``{"op": "running"}``: the Jobs running now and who claimed them;
- ``{"op": "backlog", "late_after": <seconds>}``: how many Jobs wait (pending or
  queued) more than that past their time;
- ``{"op": "settings"}``: the product settings the harness adapts to;
- ``{"op": "deploy", "username": ..., "password": ...}``: the README's deploy
  steps (``migrate``, ``setup_periodic_tasks``) through ``call_command``, and
  a staff user to sign in with (its personal workspace comes with it). Run
  here because Django is loaded here already: on a busy machine each
  ``manage.py`` start-up costs seconds.

Every answer closes the database connection, so a PostgreSQL restart in
between costs nothing but a reconnect.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
ANSWER_TIMEOUT_SECONDS = 300.0  # a first migrate on a busy machine


# --- the harness's side -------------------------------------------------------------


class Auditor:
    """A long-lived audit subprocess (Django starts once, not per question)."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self._log = open(log_path, "ab")  # noqa: SIM115 - held for the child's lifetime
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scheduler_site.faults.audit"],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self._lock = threading.Lock()

    def ask(self, op: str, **params) -> dict:
        with self._lock:
            self.process.stdin.write(json.dumps({"op": op, **params}) + "\n")
            self.process.stdin.flush()
            line = self._read_line()
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"audit {op} failed: {answer['error']}")
        return answer

    def _read_line(self) -> str:
        # A reader thread, so a wedged child cannot hang the whole run.
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self.process.stdout.readline()))
        reader.start()
        reader.join(ANSWER_TIMEOUT_SECONDS)
        if not result or not result[0]:
            raise RuntimeError("the audit subprocess did not answer (see audit.log)")
        return result[0]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process.stdout.close()
        self._log.close()


# --- the subprocess's side (Django, the private database) ------------------------


def _instant(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def ledger_window(request: dict) -> dict:
    from django.db.models import Count, Sum
    from django.utils import timezone

    from jobs.models import Job, JobAttempt
    from schedules import selectors
    from schedules.models import ScheduledJob, ScheduleEvent

    start, end = _instant(request["start"]), _instant(request["end"])
    schedules = list(ScheduledJob.objects.all())
    names = {schedule.pk: schedule.name for schedule in schedules}
    found, truncated = selectors.schedules_occurrences(
        schedules, start=start, end=end, now=timezone.now(), limit=10_000_000
    )
    occurrences = [
        {
            "series": names[pk],
            "nominal": _epoch(entry.nominal),
            "fate": entry.fate,
            "job": None if entry.run is None else str(entry.run.id),
            "status": None if entry.run is None else entry.run.status,
            "started_at": None if entry.run is None else _epoch(entry.run.started_at),
            "attempts": 0 if entry.run is None else entry.run.attempts,
            "extra_runs": len(entry.extra_runs),
        }
        for pk, entries in found.items()
        for entry in entries
    ]
    in_window = {"scheduled_for__gte": start, "scheduled_for__lt": end}
    doubled = (
        Job.objects.filter(scheduled_job__isnull=False, **in_window)
        .values("scheduled_job__name", "scheduled_for")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    twice_succeeded = (
        JobAttempt.objects.filter(outcome=JobAttempt.Outcome.SUCCEEDED)
        .filter(**{f"job__{key}": value for key, value in in_window.items()})
        .values("job_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    missed = ScheduleEvent.objects.filter(
        kind=ScheduleEvent.Kind.MISSED, created_at__gte=start
    ).aggregate(n=Sum("skipped_runs"))
    return {
        "truncated": truncated,
        "occurrences": occurrences,
        "doubled": [
            {
                "series": row["scheduled_job__name"],
                "nominal": _epoch(row["scheduled_for"]),
                "n": row["n"],
            }
            for row in doubled
        ],
        "twice_succeeded": [{"job": str(row["job_id"]), "n": row["n"]} for row in twice_succeeded],
        "missed_recorded": missed["n"] or 0,
    }


def running_jobs(request: dict) -> dict:
    from jobs.models import Job

    rows = Job.objects.filter(status=Job.Status.RUNNING).values_list("id", "claimed_by")
    return {"running": [{"job": str(pk), "claimed_by": who} for pk, who in rows]}


def backlog(request: dict) -> dict:
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone

    from jobs.models import Job

    cutoff = timezone.now() - timedelta(seconds=request["late_after"])
    waiting = Job.objects.filter(status__in=[Job.Status.PENDING, Job.Status.QUEUED]).filter(
        Q(not_before__lte=cutoff) | Q(not_before__isnull=True, created_at__lte=cutoff)
    )
    return {"waiting": waiting.count()}


def product_settings(request: dict) -> dict:
    from django.conf import settings

    return {
        # Another change routes the periodic tasks to a queue of their own.
        "scheduler_queue": getattr(settings, "CELERY_SCHEDULER_QUEUE", "") or "",
        "visibility_timeout": (settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}).get(
            "visibility_timeout"
        ),
    }


def deploy(request: dict) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("setup_periodic_tasks", verbosity=0)
    get_user_model().objects.create_superuser(
        username=request["username"], email="faults@example.com", password=request["password"]
    )
    return {"deployed": True}


HANDLERS = {
    "ledger": ledger_window,
    "running": running_jobs,
    "backlog": backlog,
    "settings": product_settings,
    "deploy": deploy,
}


def main() -> None:
    import django

    # Answers go to the real stdout; anything else printing (a management
    # command's progress) goes to the log instead of into the protocol.
    answers, sys.stdout = sys.stdout, sys.stderr
    django.setup()
    from django.db import connections

    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = HANDLERS[request["op"]](request)
        except Exception as exc:  # the harness decides what an error means
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            connections.close_all()
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
