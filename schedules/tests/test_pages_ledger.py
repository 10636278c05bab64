"""The schedule page's run ledger: each run time of the last 30 days and the next
10, with its fate, built by the real dispatcher and worker on a virtual clock."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jobs.models import Job
from schedules import services
from schedules.models import ScheduledJob
from schedules.tests.ledger.world import World

pytestmark = pytest.mark.django_db(transaction=True)
NY = ZoneInfo("America/New_York")
HX = {"HTTP_HX_REQUEST": "true"}


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


@pytest.fixture
def world(db):
    with World(ny(2027, 3, 1, 0, 0)) as world:
        yield world


def _daily(workspace, world, **fields) -> ScheduledJob:
    fields.setdefault("name", "Morning digest")
    fields.setdefault("scheduled_at", ny(2027, 3, 2, 9, 0))
    return services.schedule_create(
        workspace=workspace,
        now=world.now,
        schedule_type="daily",
        timezone="America/New_York",
        job_config={"executor": "noop"},
        **fields,
    )


def _history(world, workspace, user) -> ScheduledJob:
    """Mar 2-4 run, Mar 5 falls in a pause, Mar 6 runs, an outage over Mar 7-8
    (run_once: Mar 8 runs late for both, Mar 7 is missed), Mar 9 runs."""
    schedule = _daily(workspace, world)
    world.advance_to(ny(2027, 3, 4, 12))
    services.schedule_pause(schedule=schedule, actor=user, note="Launch moved")
    world.advance_to(ny(2027, 3, 5, 12))
    services.schedule_resume(schedule=ScheduledJob.objects.get(pk=schedule.pk), actor=user)
    world.advance_to(ny(2027, 3, 6, 12))
    world.down = True
    world.advance_to(ny(2027, 3, 8, 12))
    world.down = False
    world.step()
    world.advance_to(ny(2027, 3, 9, 12))
    return ScheduledJob.objects.get(pk=schedule.pk)


def _rows(body: str) -> list[str]:
    """The ledger's rows, as text, top to bottom."""
    table = body.split('class="table ledger-table"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr class=\"ledger-row[^\"]*\".*?</tr>", table, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def _row(body: str, when: str) -> str:
    found = [row for row in _rows(body) if row.startswith(when)]
    assert len(found) == 1, (when, _rows(body))
    return found[0]


def test_the_ledger_shows_each_past_run_time_with_its_fate_and_reason(
    world, page_client, workspace, user
):
    schedule = _history(world, workspace, user)
    body = page_client.get(f"/schedules/{schedule.pk}/?tz=UTC").content.decode()

    assert "Run ledger" in body
    succeeded = _row(body, "Tue Mar 2, 14:00 UTC")
    assert "Tue Mar 2, 09:00 EST" in succeeded  # the schedule's own zone, as it differs
    assert "✓ Succeeded" in succeeded and "on time" in succeeded
    job = Job.objects.get(scheduled_job=schedule, scheduled_for=ny(2027, 3, 2, 9))
    assert f'href="/jobs/{job.pk}/"' in body

    withdrawn = _row(body, "Fri Mar 5, 14:00 UTC")
    assert "⊘ Withdrawn" in withdrawn
    assert "Withdrawn: the schedule was paused. By alice. Launch moved" in withdrawn

    missed = _row(body, "Sun Mar 7, 14:00 UTC")
    assert "⚠ Missed" in missed
    assert "past the grace window when seen; misfire policy run_once" in missed

    caught_up = _row(body, "Mon Mar 8, 14:00 UTC")
    assert "✓ Succeeded" in caught_up and "3 h late" in caught_up
    assert "Run late once for the runs missed before it" in caught_up

    summary = body.split('id="ledger-summary">', 1)[1].split("</p>", 1)[0]
    summary = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", summary))
    assert "30 days: ✓ 6 succeeded, ⚠ 1 missed, ⊘ 1 withdrawn (paused); 1 started late." in summary
    assert "Ahead: 10 upcoming." in summary


def test_the_ledger_is_newest_first_with_the_next_ten_runs_above_now(
    world, page_client, workspace, user
):
    schedule = _history(world, workspace, user)
    body = page_client.get(f"/schedules/{schedule.pk}/?tz=UTC").content.decode()
    rows = _rows(body)
    times = [row.split(" UTC", 1)[0] for row in rows]
    # Daylight saving time starts on Mar 14: 09:00 New York is 13:00 UTC from then.
    assert times[0] == "Fri Mar 19, 13:00" and times[9] == "Wed Mar 10, 14:00"
    assert all("◷ Upcoming" in row for row in rows[:10])
    days = ["Tue", "Mon", "Sun", "Sat", "Fri", "Thu", "Wed", "Tue"]
    assert times[10:] == [
        f"{day} Mar {n}, 14:00" for day, n in zip(days, range(9, 1, -1), strict=True)
    ]
    ahead, past = body.split("ledger-table", 1)[1].split("Now ·", 1)
    assert "Wed Mar 10, 14:00" in ahead and "Tue Mar 9, 14:00" in past


def test_a_moved_run_shows_its_new_time_and_what_became_of_it_and_a_skipped_one_says_so(
    world, page_client, workspace, user
):
    schedule = _daily(workspace, world)
    world.advance_to(ny(2027, 3, 2, 12))
    services.schedule_occurrence_skip(
        scheduled_job=schedule, occurrence_at=ny(2027, 3, 3, 9), actor=user, note="Holiday"
    )
    services.schedule_occurrence_move(
        scheduled_job=ScheduledJob.objects.get(pk=schedule.pk),
        occurrence_at=ny(2027, 3, 4, 9),
        new_time=ny(2027, 3, 4, 15, 30),
        actor=user,
    )
    body = page_client.get(f"/schedules/{schedule.pk}/").content.decode()
    moved = _row(body, "Thu Mar 4, 14:00 UTC")
    assert "⇢ Moved" in moved
    assert "Moved to Thu Mar 4, 20:30 UTC (15:30 EST)" in moved and "◷ Upcoming" in moved

    world.advance_to(ny(2027, 3, 5, 12))
    body = page_client.get(f"/schedules/{schedule.pk}/").content.decode()
    moved = _row(body, "Thu Mar 4, 14:00 UTC")
    assert "the one-off run ✓ Succeeded its job" in moved
    replacement = Job.objects.get(scheduled_for=ny(2027, 3, 4, 15, 30))
    assert f'href="/jobs/{replacement.pk}/"' in body
    skipped = _row(body, "Wed Mar 3, 14:00 UTC")
    assert "↷ Skipped" in skipped and "Holiday" in skipped
    assert "Job" not in skipped.split("Holiday", 1)[1]  # no Job: nothing ran


def test_times_follow_the_display_timezone_and_name_the_schedule_zone_only_when_it_differs(
    world, page_client, workspace, user
):
    schedule = _daily(workspace, world)
    world.advance_to(ny(2027, 3, 3, 12))
    in_ny = page_client.get(f"/schedules/{schedule.pk}/?tz=America/New_York").content.decode()
    row = _row(in_ny, "Tue Mar 2, 09:00 EST")
    assert "14:00" not in row  # one zone, said once
    in_tokyo = page_client.get(f"/schedules/{schedule.pk}/?tz=Asia/Tokyo").content.decode()
    assert "Times in <strong>Asia/Tokyo</strong>" in in_tokyo
    assert "Tue Mar 2, 09:00 EST" in _row(in_tokyo, "Tue Mar 2, 23:00 JST")


def test_an_empty_ledger_says_so_plainly(world, page_client, workspace, user):
    schedule = _daily(workspace, world)
    services.schedule_pause(schedule=schedule, actor=user)
    body = page_client.get(f"/schedules/{schedule.pk}/").content.decode()
    assert "No run times in the last 30 days and none ahead while the schedule is paused." in body
    assert "ledger-table" not in body


def test_a_ledger_longer_than_the_limit_lists_the_newest_and_says_it_was_cut(
    world, page_client, workspace, user
):
    schedule = services.schedule_create(
        workspace=workspace,
        now=world.now,
        name="Every minute",
        schedule_type="cron",
        recurrence_pattern="* * * * *",
        scheduled_at=world.now + timedelta(minutes=1),
        timezone="UTC",
        job_config={"executor": "noop"},
    )
    services.schedule_pause(schedule=schedule, actor=user)
    world.advance(timedelta(days=1))  # paused: 1,440 run times withdrawn
    body = page_client.get(f"/schedules/{schedule.pk}/?tz=UTC").content.decode()
    assert "More than 1000 run times fell in the last 30 days" in body
    rows = _rows(body)
    assert 500 < len(rows) <= 1000
    # The newest are the ones listed: the last minute before now comes first.
    newest = [row for row in rows[:2] if row.startswith("Tue Mar 2, 04:59 UTC")]
    assert newest and "⊘ Withdrawn" in newest[0]


def test_pausing_from_the_page_refreshes_the_ledger_out_of_band(
    world, page_client, workspace, user
):
    schedule = _daily(workspace, world)
    world.advance_to(ny(2027, 3, 2, 12))
    response = page_client.post(f"/schedules/{schedule.pk}/pause/", **HX)
    body = response.content.decode()
    assert f'id="scheduledjob-{schedule.pk}"' in body
    assert f'id="ledger-{schedule.pk}" class="card table-card ledger" hx-swap-oob="true"' in body
    assert "Upcoming" not in body  # paused: nothing ahead any more
    assert "✓ Succeeded" in _row(body, "Tue Mar 2, 14:00 UTC")


def test_the_calendar_batch_gives_every_schedule_the_fates_its_own_ledger_gives(
    world, workspace, user
):
    from schedules.selectors import schedule_occurrences, schedules_occurrences

    history = _history(world, workspace, user)
    other = _daily(workspace, world, name="Evening", scheduled_at=ny(2027, 3, 9, 18))
    services.schedule_occurrence_skip(scheduled_job=other, occurrence_at=ny(2027, 3, 10, 18))
    world.advance_to(ny(2027, 3, 11, 12))
    schedules = [ScheduledJob.objects.get(pk=s.pk) for s in (history, other)]
    start, now = ny(2027, 3, 1), world.now
    batch, truncated = schedules_occurrences(schedules, start=start, end=now, now=now)
    assert not truncated
    for schedule in schedules:
        alone, _ = schedule_occurrences(schedule, start=start, end=now, now=now)
        assert batch[schedule.pk] == alone
    assert {e.fate for e in batch[history.pk]} == {"succeeded", "withdrawn", "missed"}
    assert [e.fate for e in batch[other.pk]] == ["succeeded", "skipped"]


@pytest.mark.parametrize(
    ("reason", "cause"),
    [
        ("Withdrawn: the schedule was paused. By alice. Copy edited", "paused"),
        (
            "Withdrawn: its schedule was edited after this run was dispatched (version 2, now 3).",
            "edited",
        ),
        ("Withdrawn: the schedule was deleted before this run started.", "deleted"),
        (
            "Withdrawn: the schedule stopped after 5 consecutive failed runs.",
            "stopped after failures",
        ),
        ("Cancelled by alice.", "cancelled"),
    ],
)
def test_the_summary_names_what_withdrew_a_run_from_the_systems_words(reason, cause):
    from schedules.ledger import withdrawal_cause

    assert withdrawal_cause(reason) == cause
