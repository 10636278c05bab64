"""The ledger suite: every schedule type x every way of ending x what can happen to it.

Each scenario creates the whole table of schedules (scenarios.py), lets the
virtual clock run the real dispatcher, lifecycle, sweeper and worker path
through it (world.py), does its one thing to every schedule, and then checks
the invariant (one fate per occurrence, never two Jobs, run_count agrees) plus
the fates the documented rules give. Each scenario writes its table to
test-artifacts/ledger/<scenario>.txt.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from campaigns.lifecycle import campaign_archive, campaign_schedule
from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory
from jobs.models import Job
from schedules import ledger, recurrence, services
from schedules.models import ScheduledJob
from schedules.tests.ledger import scenarios as table
from schedules.tests.ledger.world import World, check_ledger, missed_events_total

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.ledger]

LOCAL_WALL = {"cron": (9, 30)}  # everything else runs at 09:00 New York time


def _rule_times(schedule: ScheduledJob, start, end) -> list:
    rec = schedule.recurrence()
    return recurrence.runs_between(rec, start, end)


def _expected_count(schedule: ScheduledJob, *, until) -> int:
    times = _rule_times(schedule, table.SERIES_START, until)
    return len(times) if schedule.max_runs is None else min(schedule.max_runs, len(times))


def _write_table(artifacts_dir, name: str, rows: list[tuple[str, Counter]]) -> None:
    folder = artifacts_dir / "ledger"
    folder.mkdir(exist_ok=True)
    lines = [f"scenario: {name}"]
    for label, counts in rows:
        fates = ", ".join(f"{fate} {n}" for fate, n in sorted(counts.items()))
        lines.append(f"{label:24} {fates}")
    (folder / f"{name.replace(' ', '_')}.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture
def world(db):
    with World(table.WORLD_START) as world:
        yield world


def _settle(world: World, variants, *, scenario: str, artifacts_dir) -> dict:
    """Run to the horizon, check the invariant for each schedule, and tabulate."""
    world.advance_to(table.HORIZON)
    results, rows = {}, []
    for variant in variants:
        entries = check_ledger(
            variant.schedule_id,
            start=table.WORLD_START,
            settled_before=world.now - timedelta(minutes=10),
        )
        results[variant.label] = entries
        rows.append((variant.label, Counter(e.fate for e in entries)))
    _write_table(artifacts_dir, scenario, rows)
    return results


def _schedule(variant) -> ScheduledJob:
    return ScheduledJob.objects.get(pk=variant.schedule_id)


def _fate_counts(entries) -> Counter:
    return Counter(e.fate for e in entries)


# --- nothing happens (and a DST change inside every series) --------------------------------


def test_nothing_happens_every_occurrence_runs_once_at_its_wall_time(
    world, workspace, artifacts_dir
):
    variants = table.create_variants(workspace, now=world.now)
    results = _settle(world, variants, scenario="nothing happens", artifacts_dir=artifacts_dir)
    for variant in variants:
        schedule, entries = _schedule(variant), results[variant.label]
        assert set(_fate_counts(entries)) <= {ledger.SUCCEEDED, ledger.UPCOMING}, variant.label
        ran = [e for e in entries if e.fate == ledger.SUCCEEDED]
        assert len(ran) == _expected_count(schedule, until=table.HORIZON), variant.label
        hour, minute = LOCAL_WALL.get(variant.type_name, (9, 0))
        for entry in ran:  # 09:00 local before and after 14 March
            local = entry.nominal.astimezone(table.TZ)
            assert (local.hour, local.minute) == (hour, minute), (variant.label, local)
            assert entry.late_seconds is not None and 0 <= entry.late_seconds < 2
        if variant.end_name == "end date" or variant.type_name == "once":
            assert schedule.status in ("completed", "expired")
        elif variant.end_name.startswith("max_runs"):
            assert schedule.status == "completed"


# --- pause and resume; campaign pause and resume -----------------------------------------------

PAUSE_AT = table.SERIES_START + timedelta(days=3, hours=2)
RESUME_AT = PAUSE_AT + timedelta(days=4)


def _assert_withdrawn_inside(results, variants, start, end, *, reason: str) -> None:
    for variant in variants:
        for entry in results[variant.label]:
            inside = start <= entry.nominal < end
            if inside:
                assert entry.fate == ledger.WITHDRAWN, (variant.label, entry)
                assert reason in entry.reason, (variant.label, entry.reason)
            else:
                assert entry.fate in (ledger.SUCCEEDED, ledger.UPCOMING), (variant.label, entry)


def _assert_bounded_series_still_get_all_their_runs(results, variants) -> None:
    """Withdrawn and skipped runs do not count toward max_runs: a bounded series
    still gets all its runs (as many as the horizon holds)."""
    for variant in variants:
        if not variant.end_name.startswith("max_runs"):
            continue
        schedule = _schedule(variant)
        entries = results[variant.label]
        not_run = {e.nominal for e in entries if e.fate != ledger.SUCCEEDED}
        left = _rule_times(schedule, table.SERIES_START, table.HORIZON)
        available = len([t for t in left if t not in not_run])
        ran = _fate_counts(entries)[ledger.SUCCEEDED]
        assert ran == min(schedule.max_runs, available), variant.label


@pytest.mark.parametrize("by_campaign", [False, True], ids=["schedule", "campaign"])
def test_pause_and_resume_withdraws_exactly_the_runs_inside_the_pause(
    world, workspace, user, artifacts_dir, by_campaign
):
    campaign = CampaignFactory(workspace=workspace) if by_campaign else None
    variants = table.create_variants(workspace, now=world.now, campaign=campaign)
    world.advance_to(PAUSE_AT)
    if by_campaign:
        services.campaign_pause(campaign=campaign, actor=user)
    else:
        for variant in variants:
            schedule = _schedule(variant)
            if schedule.status == "active":
                services.schedule_pause(schedule=schedule, actor=user, note="Launch moved")
    world.advance_to(RESUME_AT)
    if by_campaign:
        services.campaign_resume(campaign=Campaign.objects.get(pk=campaign.pk), actor=user)
    else:
        for variant in variants:
            schedule = _schedule(variant)
            if schedule.status == "paused":
                services.schedule_resume(schedule=schedule, actor=user)
    scenario = "campaign pause and resume" if by_campaign else "pause and resume"
    results = _settle(world, variants, scenario=scenario, artifacts_dir=artifacts_dir)
    _assert_withdrawn_inside(results, variants, PAUSE_AT, RESUME_AT, reason="paused")
    _assert_bounded_series_still_get_all_their_runs(results, variants)


def test_a_pause_after_dispatch_withdraws_that_run_and_it_never_executes(
    world, workspace, user, artifacts_dir
):
    from schedules import dispatcher

    variants = table.create_variants(workspace, now=world.now)
    # Dispatched (a message on its way, ETA 09:00), paused before a worker takes it.
    world._clock.move_to(table.SERIES_START - timedelta(seconds=1))
    dispatcher.dispatch_due(now=world.now, lookahead=timedelta(seconds=2))
    paused = set()
    for variant in variants:
        schedule = _schedule(variant)
        if schedule.status == "active":
            services.schedule_pause(schedule=schedule, actor=user)
            paused.add(variant.label)
        else:  # its only run was just handed out: the series is over, the run is not
            assert schedule.next_run_at is None, variant.label
            with pytest.raises(ValidationError):
                services.schedule_pause(schedule=schedule, actor=user)
    world.advance(timedelta(hours=1))
    for variant in variants:
        if variant.label in paused:
            services.schedule_resume(schedule=_schedule(variant), actor=user)
    results = _settle(world, variants, scenario="pause after dispatch", artifacts_dir=artifacts_dir)
    for variant in variants:
        first = results[variant.label][0]
        if first.nominal != table.SERIES_START:  # cron's first run is 09:30
            continue
        if variant.label in paused:
            assert first.fate == ledger.WITHDRAWN and "paused" in first.reason, variant.label
        else:
            assert first.fate == ledger.SUCCEEDED, variant.label
    _assert_bounded_series_still_get_all_their_runs(results, variants)


# --- edits ------------------------------------------------------------------------------------

EDIT_AT = table.SERIES_START + timedelta(days=2, hours=2)
NEW_START = table.ny(2027, 3, 10, 14, 0)


def test_an_edit_of_the_timing_mid_series_moves_every_later_run_and_loses_none(
    world, workspace, user, artifacts_dir
):
    variants = table.create_variants(workspace, now=world.now)
    world.advance_to(EDIT_AT)
    before = {v.label: Job.objects.filter(scheduled_job_id=v.schedule_id).count() for v in variants}
    refused = set()
    for variant in variants:
        try:
            services.schedule_update(
                schedule=_schedule(variant), actor=user, scheduled_at=NEW_START
            )
        except ValidationError as error:  # a monthly series moved past its end date
            assert "recurrence_end_date" in error.message_dict, variant.label
            refused.add(variant.label)
    assert refused == {"monthly / end date"}
    results = _settle(world, variants, scenario="edit mid-series", artifacts_dir=artifacts_dir)
    for variant in variants:
        entries = results[variant.label]
        if variant.label in refused:
            continue
        assert set(_fate_counts(entries)) <= {ledger.SUCCEEDED, ledger.UPCOMING}, variant.label
        old = [e for e in entries if e.nominal < EDIT_AT]
        new = [e for e in entries if e.nominal > EDIT_AT]
        assert len(old) == before[variant.label]
        assert all(e.nominal >= NEW_START for e in new), variant.label
        if new:
            local = new[0].nominal.astimezone(table.TZ)
            wall = (9, 30) if variant.type_name == "cron" else (14, 0)
            assert (local.hour, local.minute) == wall, variant.label


def test_an_edit_while_a_run_is_dispatched_early_replaces_that_run_with_the_new_version(
    world, workspace, user, artifacts_dir
):
    from schedules import dispatcher

    variants = table.create_variants(workspace, now=world.now)
    world._clock.move_to(table.SERIES_START - timedelta(seconds=1))
    dispatcher.dispatch_due(now=world.now, lookahead=timedelta(seconds=2))
    for variant in variants:
        services.schedule_update(
            schedule=_schedule(variant),
            actor=user,
            job_config={"executor": "noop", "country": "de"},
        )
    results = _settle(world, variants, scenario="edit in flight", artifacts_dir=artifacts_dir)
    for variant in variants:
        first = results[variant.label][0]
        assert first.fate == ledger.SUCCEEDED, variant.label
        job = Job.objects.get(pk=first.run.id)
        assert job.config["country"] == "de", variant.label
        assert not Job.objects.filter(scheduled_job_id=variant.schedule_id, status="cancelled")


# --- delete ------------------------------------------------------------------------------------


def test_a_deleted_schedule_runs_nothing_afterwards_and_keeps_its_history(
    world, workspace, user, artifacts_dir
):
    variants = table.create_variants(workspace, now=world.now)
    world.advance_to(EDIT_AT)
    kept = {v.label: list(Job.objects.filter(scheduled_job_id=v.schedule_id)) for v in variants}
    for variant in variants:
        services.schedule_delete(schedule=_schedule(variant), actor=user)
    world.advance_to(table.HORIZON)
    rows = []
    for variant in variants:
        jobs = Job.objects.filter(pk__in=[j.pk for j in kept[variant.label]])
        assert jobs.count() == len(kept[variant.label])
        assert set(jobs.values_list("status", flat=True)) <= {"succeeded"}, variant.label
        assert not Job.objects.filter(scheduled_for__gt=EDIT_AT, name=variant.label).exists()
        check_ledger(variant.schedule_id, start=table.WORLD_START)
        rows.append((variant.label, Counter(jobs.values_list("status", flat=True))))
    _write_table(artifacts_dir, "delete", rows)


# --- one run: skip or move ---------------------------------------------------------------------


def _next_runs(variants, after) -> dict:
    found = {}
    for variant in variants:
        schedule = _schedule(variant)
        if variant.type_name != "once" and schedule.status == "active":
            found[variant.label] = schedule.next_run_at
    return found


def test_skipping_one_run_skips_exactly_that_one(world, workspace, user, artifacts_dir):
    variants = table.create_variants(workspace, now=world.now)
    world.advance_to(table.SERIES_START + timedelta(hours=2))
    targets = _next_runs(variants, world.now)
    for variant in variants:
        if variant.label not in targets:
            continue
        services.schedule_occurrence_skip(
            scheduled_job=_schedule(variant), occurrence_at=targets[variant.label], actor=user
        )
    with pytest.raises(ValidationError):
        once = next(v for v in variants if v.type_name == "once")
        services.schedule_occurrence_skip(
            scheduled_job=_schedule(once), occurrence_at=table.SERIES_START, actor=user
        )
    results = _settle(world, variants, scenario="skip one run", artifacts_dir=artifacts_dir)
    for variant in variants:
        entries = results[variant.label]
        skipped = [e for e in entries if e.fate == ledger.SKIPPED]
        if variant.label in targets:
            assert [e.nominal for e in skipped] == [targets[variant.label]], variant.label
        else:
            assert not skipped
        assert set(_fate_counts(entries)) <= {ledger.SUCCEEDED, ledger.SKIPPED, ledger.UPCOMING}
    _assert_bounded_series_still_get_all_their_runs(results, variants)


def test_moving_one_run_runs_it_once_at_the_new_time(world, workspace, user, artifacts_dir):
    variants = table.create_variants(workspace, now=world.now)
    world.advance_to(table.SERIES_START + timedelta(hours=2))
    targets = _next_runs(variants, world.now)
    for variant in variants:
        if variant.label in targets:
            services.schedule_occurrence_move(
                scheduled_job=_schedule(variant),
                occurrence_at=targets[variant.label],
                new_time=targets[variant.label] + timedelta(hours=3),
                actor=user,
            )
    results = _settle(world, variants, scenario="move one run", artifacts_dir=artifacts_dir)
    for variant in variants:
        moved = [e for e in results[variant.label] if e.fate == ledger.MOVED]
        if variant.label not in targets:
            assert not moved
            continue
        [entry] = moved
        assert entry.moved_to == targets[variant.label] + timedelta(hours=3)
        [replacement] = Job.objects.filter(scheduled_job_id=entry.replacement_id)
        assert (replacement.status, replacement.scheduled_for) == ("succeeded", entry.moved_to)
        check_ledger(entry.replacement_id, start=table.WORLD_START)
        assert ScheduledJob.objects.get(pk=entry.replacement_id).status == "completed"


# --- campaigns ---------------------------------------------------------------------------------


def test_an_archived_campaign_withdraws_every_run_after_the_archive(
    world, workspace, user, artifacts_dir
):
    campaign = CampaignFactory(workspace=workspace)
    variants = table.create_variants(workspace, now=world.now, campaign=campaign)
    world.advance_to(PAUSE_AT)
    campaign_archive(campaign=Campaign.objects.get(pk=campaign.pk), actor=user)
    results = _settle(world, variants, scenario="campaign archived", artifacts_dir=artifacts_dir)
    _assert_withdrawn_inside(results, variants, PAUSE_AT, table.HORIZON, reason="paused")


def test_a_campaign_that_ends_stops_its_series_at_the_end_and_nothing_after_runs(
    world, workspace, artifacts_dir
):
    end = table.ny(2027, 3, 8, 0, 0)
    campaign = CampaignFactory(workspace=workspace, end_date=end)
    variants = table.create_variants(workspace, now=world.now, campaign=campaign)
    results = _settle(world, variants, scenario="campaign ended", artifacts_dir=artifacts_dir)
    for variant in variants:
        entries = results[variant.label]
        assert all(e.nominal < end for e in entries), variant.label
        assert set(_fate_counts(entries)) <= {ledger.SUCCEEDED}, variant.label
        assert len(entries) == _expected_count(_schedule(variant), until=end)
        assert _schedule(variant).status in ("completed", "expired")


def test_a_campaign_scheduled_to_start_later_holds_its_series_until_then(
    world, workspace, user, artifacts_dir
):
    start = table.ny(2027, 3, 5, 12, 0)
    campaign = CampaignFactory(workspace=workspace)
    variants = table.create_variants(workspace, now=world.now, campaign=campaign)
    campaign_schedule(campaign=campaign, scheduled_at=start, actor=user, now=world.now)
    results = _settle(
        world, variants, scenario="campaign starts later", artifacts_dir=artifacts_dir
    )
    _assert_withdrawn_inside(results, variants, table.WORLD_START, start, reason="paused")
    _assert_bounded_series_still_get_all_their_runs(results, variants)


def test_a_campaign_over_budget_withdraws_every_run_once_the_budget_is_reached(
    world, workspace, artifacts_dir
):
    campaign = CampaignFactory(workspace=workspace, target_budget_usd=Decimal("30"))
    variants = table.create_variants(
        workspace, now=world.now, campaign=campaign, config={"executor": "noop", "noop_cost_usd": 1}
    )
    results = _settle(world, variants, scenario="campaign over budget", artifacts_dir=artifacts_dir)
    reached = Campaign.objects.get(pk=campaign.pk).budget_reached_at
    assert reached is not None
    started_after = Job.objects.filter(campaign=campaign, started_at__gt=reached)
    assert not started_after.exists()
    for variant in variants:
        for entry in results[variant.label]:
            if entry.nominal >= reached:
                assert entry.fate == ledger.WITHDRAWN and "budget" in entry.reason, entry
            else:
                assert entry.fate == ledger.SUCCEEDED


# --- downtime ----------------------------------------------------------------------------------


def test_downtime_shorter_than_the_grace_runs_the_run_late_once(world, workspace, artifacts_dir):
    variants = table.create_variants(workspace, now=world.now)
    world.advance_to(table.SERIES_START - timedelta(minutes=1))
    world.down = True
    world.advance(timedelta(minutes=5))  # back at 09:04; the grace is 300 s
    world.down = False
    results = _settle(
        world, variants, scenario="downtime within grace", artifacts_dir=artifacts_dir
    )
    for variant in variants:
        entries = results[variant.label]
        assert set(_fate_counts(entries)) <= {ledger.SUCCEEDED, ledger.UPCOMING}, variant.label
        first = entries[0]
        if first.nominal == table.SERIES_START:  # cron and rrule start later
            assert first.nominal == table.SERIES_START and 230 <= first.late_seconds <= 250


def test_downtime_longer_than_the_grace_runs_one_for_the_missed_ones_and_records_the_rest(
    world, workspace, artifacts_dir
):
    variants = table.create_variants(workspace, now=world.now)
    down_from = table.SERIES_START + timedelta(days=1, hours=1)
    back_at = down_from + timedelta(days=3)
    world.advance_to(down_from)
    world.down = True
    world.advance_to(back_at)
    world.down = False
    results = _settle(world, variants, scenario="downtime past grace", artifacts_dir=artifacts_dir)
    for variant in variants:
        entries = results[variant.label]
        inside = [e for e in entries if down_from <= e.nominal < back_at]
        outside = [e for e in entries if not down_from <= e.nominal < back_at]
        assert all(e.fate in (ledger.SUCCEEDED, ledger.UPCOMING) for e in outside), variant.label
        if inside:  # run_once: the latest missed run stands for all of them
            assert [e.fate for e in inside][-1] == ledger.SUCCEEDED, variant.label
            assert all(e.fate == ledger.MISSED for e in inside[:-1]), variant.label
            assert inside[-1].run.trigger == "catch_up"
        no_job = sum(1 for e in entries if e.fate == ledger.MISSED and e.run is None)
        assert no_job == missed_events_total(variant.schedule_id), variant.label
