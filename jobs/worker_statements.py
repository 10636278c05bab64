"""The worker's claim and outcome as one statement each, on PostgreSQL.

A 09:00 herd is thousands of jobs through the same two writes, so their cost is
the product's execution rate. Through the ORM the claim was a transaction of an
UPDATE, a SELECT joining the workspace and the schedule, and a COMMIT; the
outcome a transaction of an UPDATE, an INSERT of the attempt and a COMMIT. Most
of a job's time went into the ORM building those statements and instances, not
into PostgreSQL. Here each write is a single statement in autocommit, so it is
atomic by itself and costs one round trip and one commit:

- ``claim``: ``WITH claimed AS (UPDATE ... RETURNING *) SELECT`` the claimed row
  joined to its workspace and schedule; the row becomes model instances through
  Django's own converters and ``from_db``, as the ORM builds them.
- ``finish``: ``WITH moved AS (UPDATE ... RETURNING id) INSERT INTO`` the
  attempts ``SELECT ... FROM moved``: the final status and its attempt together,
  or neither when the job is no longer this worker's.

The WHERE clauses are the same conditional moves as ``jobs.services`` (the
caller checks them against ``jobs.states``). SQLite has no data-modifying WITH,
so there ``jobs.services`` keeps its ORM transactions; ``available()`` says which.
The SQL text is built once per process from the models' metadata.
"""

from __future__ import annotations

from functools import cache

from django.db import connection

from jobs.models import Job, JobAttempt


def available() -> bool:
    return connection.vendor == "postgresql"


def claim(job_id, *, worker_id: str, sources: tuple, now, not_after) -> Job | None:
    """Move the job from one of ``sources`` to running for ``worker_id``; the claimed
    job (with its workspace and schedule loaded), or None when it was not claimable."""
    sql, models = _claim_sql()
    params = [
        Job.Status.RUNNING,
        _prep(Job, "started_at", now),
        worker_id,
        _prep(Job, "id", job_id),
        list(sources),
        _prep(Job, "not_before", not_after),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    job, workspace, schedule = _instances(row, models)
    Job._meta.get_field("workspace").set_cached_value(job, workspace)
    Job._meta.get_field("scheduled_job").set_cached_value(job, schedule)
    return job


def finish(job: Job, *, worker_id: str, target: str, fields: dict, attempt: dict) -> bool:
    """Move this worker's running job to ``target`` with ``fields`` and record its
    attempt, in one statement. False when the job was no longer this worker's."""
    names = tuple(sorted(fields))
    attempt_names = tuple(sorted(attempt))
    sql = _finish_sql(names, attempt_names)
    params = [
        target,
        *(_prep(Job, name, fields[name]) for name in names),
        job.pk,
        Job.Status.RUNNING,
        worker_id,
        job.attempts,
        *(_prep(JobAttempt, name, attempt[name]) for name in attempt_names),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


# --- building the statements ---------------------------------------------------------


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(model, name: str) -> str:
    return _q(model._meta.get_field(name).column)


def _prep(model, name: str, value):
    return model._meta.get_field(name).get_db_prep_save(value, connection)


@cache
def _claim_sql() -> tuple[str, list]:
    from schedules.models import ScheduledJob
    from workspaces.models import Workspace

    job_table = _q(Job._meta.db_table)
    col = lambda name: _column(Job, name)  # noqa: E731
    # Only quoted model metadata is interpolated; every value is a parameter.
    claimed = (
        f"UPDATE {job_table} SET {col('status')} = %s, {col('started_at')} = %s, "  # noqa: S608
        f"{col('finished_at')} = NULL, {col('attempts')} = {col('attempts')} + 1, "
        f"{col('claimed_by')} = %s "
        f"WHERE {col('id')} = %s AND {col('status')} = ANY(%s) "
        f"AND ({col('not_before')} IS NULL OR {col('not_before')} <= %s) RETURNING *"
    )
    models = [(Job, "c"), (Workspace, "w"), (ScheduledJob, "s")]
    selected = ", ".join(
        f"{alias}.{_q(field.column)}" for model, alias in models for field in _fields(model)
    )
    sql = (
        f"WITH c AS ({claimed}) SELECT {selected} FROM c "  # noqa: S608
        f"JOIN {_q(Workspace._meta.db_table)} w ON w.{_column(Workspace, 'id')} = "
        f"c.{col('workspace')} "
        f"LEFT JOIN {_q(ScheduledJob._meta.db_table)} s ON s.{_column(ScheduledJob, 'id')} = "
        f"c.{col('scheduled_job')}"
    )
    return sql, [(model, _fields(model), _converters(model)) for model, _ in models]


@cache
def _finish_sql(names: tuple, attempt_names: tuple) -> str:
    job_table = _q(Job._meta.db_table)
    col = lambda name: _column(Job, name)  # noqa: E731
    assignments = ", ".join([f"{col('status')} = %s", *(f"{col(name)} = %s" for name in names)])
    moved = (
        f"UPDATE {job_table} SET {assignments} "  # noqa: S608
        f"WHERE {col('id')} = %s AND {col('status')} = %s AND {col('claimed_by')} = %s "
        f"RETURNING {col('id')}"
    )
    inserted = ", ".join(_column(JobAttempt, name) for name in ("job", "number", *attempt_names))
    values = ", ".join(["moved." + col("id"), "%s", *("%s" for _ in attempt_names)])
    return (
        f"WITH moved AS ({moved}) "  # noqa: S608
        f"INSERT INTO {_q(JobAttempt._meta.db_table)} ({inserted}) "
        f"SELECT {values} FROM moved RETURNING {_column(JobAttempt, 'job')}"
    )


def _fields(model) -> list:
    return list(model._meta.concrete_fields)


def _converters(model) -> list:
    """Per column, the converters the ORM applies to a value read from the database."""
    converters = []
    for field in _fields(model):
        expression = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(expression)
        found += expression.get_db_converters(connection)
        converters.append((expression, found))
    return converters


def _instances(row, models) -> list:
    built, start = [], 0
    for model, fields, converters in models:
        values = list(row[start : start + len(fields)])
        start += len(fields)
        if values[0] is None:  # the LEFT JOIN found no schedule
            built.append(None)
            continue
        for index, (expression, functions) in enumerate(converters):
            for convert in functions:
                values[index] = convert(values[index], expression, connection)
        built.append(model.from_db(connection.alias, [f.attname for f in fields], values))
    return built
