"""The ledger suite, stateful: random user actions interleaved with time.

A hypothesis state machine drives one workspace through a virtual clock
(``world.World``: the real dispatcher, campaign lifecycle, sweeper and worker
path): it creates schedules of every type and end, edits, pauses, resumes,
skips, moves, runs now and deletes them, pauses, resumes, archives and
unarchives their campaign, lets the clock run for seconds to days, takes the
whole deployment down for a while, and pauses a schedule a second after its
run was dispatched early. After every step the invariant holds for every
schedule the machine made:

- ``check_ledger``: one fate per occurrence, never two Jobs for one, nothing
  withdrawn, missed or skipped ever executed, run_count and last_run_at agree
  with the Jobs and never exceed max_runs, and (once the world has been up and
  ticking) nothing older than a few minutes plus the grace window is still
  waiting or running;
- a settled fate never changes while the occurrence is listed;
- nothing that ran lies inside a hold (paused or stopped) of its schedule, and
  no run dispatched after a resume or an edit is for a time before it;
- the preview (the next runs the API shows) are occurrences still to come;
- no Job of the workspace (manual runs included) executed more often than its
  retries allow, or finished twice; and no Job of a deleted schedule started
  after the deletion.

Plain tests at the end pin what the machine found.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from campaigns.lifecycle import campaign_archive, campaign_unarchive
from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory
from jobs.models import Job, JobAttempt
from schedules import dispatcher, ledger, recurrence, selectors, services
from schedules.models import ONE_TICK, DispatcherHeartbeat, ScheduledJob, ScheduleEvent
from schedules.tests.ledger import scenarios
from schedules.tests.ledger.world import SERIES as SERIES_TRIGGERS
from schedules.tests.ledger.world import LedgerViolation, World, check_ledger
from workspaces.models import Workspace
from workspaces.selectors import default_workspace_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.ledger]

TYPE_NAMES = list(scenarios.TYPES)
END_NAMES = list(scenarios.ENDS)
FAIL_MODES = {
    "ok": {},
    "fail": {"noop_fail": "fail"},  # every run fails: failed fates, then the auto-stop
    "flaky": {"noop_fail_attempts": 1},  # the first attempt fails, the retry succeeds
}
MAX_CREATED = 5  # schedules created by the create rule per example (moves add one-offs)
# Settled: older than this (a few minutes plus the default 300 s grace window).
SETTLE_MARGIN = timedelta(minutes=5) + timedelta(seconds=300)
# The ledger checked: from before the world starts (an edit may set a start up
# to the clock-skew tolerance back), for the year check_ledger lists.
LEDGER_START = scenarios.WORLD_START - timedelta(minutes=5)
LEDGER_WINDOW = timedelta(days=366)
# The clock stops here, well inside that window (a monthly series advanced run
# by run would otherwise leave it).
HORIZON = scenarios.WORLD_START + timedelta(days=120)
RAN = (ledger.SUCCEEDED, ledger.FAILED, ledger.RUNNING)
FINAL_ATTEMPTS = (JobAttempt.Outcome.SUCCEEDED, JobAttempt.Outcome.FAILED)

_usernames = itertools.count(1)

# How far ahead of now a first run or a new start lies: a second to two days.
start_offsets = st.one_of(
    st.integers(0, 5), st.integers(60, 3 * 3600), st.integers(3 * 3600, 2 * 86400)
)
# Seconds to days.
advances = st.one_of(
    st.integers(1, 120).map(lambda n: timedelta(seconds=n)),
    st.integers(1, 180).map(lambda n: timedelta(minutes=n)),
    st.integers(1, 48).map(lambda n: timedelta(hours=n)),
    st.integers(1, 4).map(lambda n: timedelta(days=n)),
)
# A new start an edit sets: up to the clock-skew tolerance back (it runs, as on
# create, unless that time already has its run), or ahead.
edit_start_offsets = st.one_of(
    st.integers(-60, 5), st.integers(60, 3 * 3600), st.integers(3 * 3600, 2 * 86400)
)
# When the deployment comes back from an outage it ticks at once, or a user acts
# first (a run due in the outage is then still waiting, not dispatched).
tick_on_return = st.booleans()
picks = st.integers(0, 63)
fail_modes = st.sampled_from(list(FAIL_MODES))


def _ignore_refusal(action) -> bool:
    """Run a user action; a ValidationError (the action does not apply) is fine."""
    try:
        action()
    except ValidationError:
        return False
    return True


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.world = World(scenarios.WORLD_START).__enter__()
        try:
            self._set_up()
        except BaseException:
            self.world.__exit__(None, None, None)
            raise

    def _set_up(self) -> None:
        self.heartbeat_floor = (
            DispatcherHeartbeat.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        )
        self.user = get_user_model().objects.create_user(
            username=f"stateful{next(_usernames)}", password="pw-for-tests-123"
        )
        self.workspace = default_workspace_for(self.user)
        self.campaign_id = CampaignFactory(workspace=self.workspace).pk
        self.schedules: list = []  # ids in creation order (replacements of moves too)
        self.labels: dict = {}
        self.deleted: dict = {}  # id -> (deleted at, its Job ids then)
        self.created = 0
        self.stepped = False  # the world has ticked since it last came back up
        self.settled: dict = {}  # (schedule id, nominal) -> the settled fate first seen

    def teardown(self):
        self.world.__exit__(None, None, None)
        workspaces = Workspace.objects.filter(memberships__user=self.user)
        Job.objects.filter(workspace__in=workspaces).delete()
        ScheduledJob.objects.filter(workspace__in=workspaces).delete()
        Campaign.objects.filter(workspace__in=workspaces).delete()
        workspaces.delete()
        self.user.delete()
        DispatcherHeartbeat.objects.filter(pk__gt=self.heartbeat_floor).delete()

    # --- helpers -------------------------------------------------------------------------

    @property
    def live(self) -> list:
        return [pk for pk in self.schedules if pk not in self.deleted]

    def _schedule(self, pick: int) -> ScheduledJob | None:
        live = self.live
        if not live:
            return None
        return ScheduledJob.objects.filter(pk=live[pick % len(live)]).first()

    def _campaign(self) -> Campaign:
        return Campaign.objects.get(pk=self.campaign_id)

    def _track(self, schedule_id, label: str) -> None:
        if schedule_id not in self.labels:
            self.schedules.append(schedule_id)
            self.labels[schedule_id] = label

    def _runs_ahead(self, schedule: ScheduledJob, count: int = 3) -> list:
        """The next nominal runs a user would see: from next_run_at while active,
        otherwise from now."""
        rec = schedule.recurrence()
        if schedule.status == ScheduledJob.Status.ACTIVE and schedule.next_run_at:
            return recurrence.next_runs(rec, schedule.next_run_at - ONE_TICK, count)
        return recurrence.next_runs(rec, self.world.now, count)

    def _advance(self, delta: timedelta) -> None:
        """Let production run for ``delta`` (never past the horizon)."""
        target = min(self.world.now + delta, HORIZON)
        if target > self.world.now:
            self.world.advance_to(target)
        self.stepped = True

    # --- schedules -------------------------------------------------------------------------

    def _create(self, type_name, end_name, in_campaign, offset, fail_mode, end_days, misfire):
        schedule_type, pattern = scenarios.TYPES[type_name]
        scheduled_at = self.world.now + timedelta(seconds=offset)
        end = dict(scenarios.ENDS[end_name])
        if "recurrence_end_date" in end:  # relative, so it can lie ahead whenever created
            end["recurrence_end_date"] = scheduled_at + timedelta(days=end_days)
        label = " / ".join(
            [type_name, end_name, fail_mode, misfire] + (["campaign"] if in_campaign else [])
        )
        created = []
        _ignore_refusal(
            lambda: created.append(
                services.schedule_create(
                    workspace=self.workspace,
                    created_by=self.user,
                    now=self.world.now,
                    name=label,
                    schedule_type=schedule_type,
                    recurrence_pattern=pattern,
                    scheduled_at=scheduled_at,
                    timezone=scenarios.ZONE,
                    campaign=self._campaign() if in_campaign else None,
                    job_config={"executor": "noop", **FAIL_MODES[fail_mode]},
                    misfire_policy=misfire,
                    **end,
                )
            )
        )
        self.created += 1
        if created:
            self._track(created[0].pk, label)

    create_args = {
        "type_name": st.sampled_from(TYPE_NAMES),
        "end_name": st.sampled_from(END_NAMES),
        "in_campaign": st.booleans(),
        "offset": start_offsets,
        "fail_mode": fail_modes,
        "end_days": st.integers(1, 12),
        "misfire": st.sampled_from(["run_once", "skip", "catch_up"]),
    }

    @initialize(**create_args)
    def first_schedule(self, **args):
        self._create(**args)

    @precondition(lambda self: self.created < MAX_CREATED)
    @rule(**create_args)
    def create(self, **args):
        self._create(**args)

    @precondition(lambda self: self.live)
    @rule(pick=picks, fail_mode=fail_modes, country=st.sampled_from(["de", "fr"]))
    def edit_config(self, pick, fail_mode, country):
        schedule = self._schedule(pick)
        config = {"executor": "noop", "country": country, **FAIL_MODES[fail_mode]}
        _ignore_refusal(
            lambda: services.schedule_update(schedule=schedule, actor=self.user, job_config=config)
        )

    @precondition(lambda self: self.live)
    @rule(pick=picks, offset=edit_start_offsets)
    def edit_start(self, pick, offset):
        schedule = self._schedule(pick)
        start = self.world.now + timedelta(seconds=offset)
        _ignore_refusal(
            lambda: services.schedule_update(schedule=schedule, actor=self.user, scheduled_at=start)
        )

    @precondition(lambda self: self.live)
    @rule(pick=picks, more=st.integers(1, 2))
    def edit_max_runs(self, pick, more):
        schedule = self._schedule(pick)
        if schedule.max_runs is None:
            return
        _ignore_refusal(
            lambda: services.schedule_update(
                schedule=schedule, actor=self.user, max_runs=schedule.max_runs + more
            )
        )

    @precondition(lambda self: self.live)
    @rule(pick=picks)
    def pause(self, pick):
        schedule = self._schedule(pick)
        _ignore_refusal(
            lambda: services.schedule_pause(schedule=schedule, actor=self.user, note="Hold on")
        )

    @precondition(lambda self: self.live)
    @rule(pick=picks)
    def resume(self, pick):
        schedule = self._schedule(pick)
        _ignore_refusal(lambda: services.schedule_resume(schedule=schedule, actor=self.user))

    @precondition(lambda self: self.live)
    @rule(pick=picks, which=st.integers(0, 2))
    def skip_next(self, pick, which):
        schedule = self._schedule(pick)
        ahead = self._runs_ahead(schedule)
        if not ahead:
            return
        _ignore_refusal(
            lambda: services.schedule_occurrence_skip(
                scheduled_job=schedule, occurrence_at=ahead[which % len(ahead)], actor=self.user
            )
        )

    @precondition(lambda self: self.live)
    @rule(pick=picks, which=st.integers(0, 2), shift=st.integers(-3 * 3600, 2 * 86400))
    def move_next(self, pick, which, shift):
        schedule = self._schedule(pick)
        ahead = self._runs_ahead(schedule)
        if not ahead:
            return
        occurrence = ahead[which % len(ahead)]
        moved = []
        _ignore_refusal(
            lambda: moved.append(
                services.schedule_occurrence_move(
                    scheduled_job=schedule,
                    occurrence_at=occurrence,
                    new_time=occurrence + timedelta(seconds=shift),
                    actor=self.user,
                )
            )
        )
        if moved:
            self._track(moved[0].replacement_id, f"moved from {self.labels[schedule.pk]}")

    @precondition(lambda self: self.live)
    @rule(pick=picks)
    def run_now(self, pick):
        schedule = self._schedule(pick)
        _ignore_refusal(lambda: services.schedule_run_now(schedule=schedule, actor=self.user))

    @precondition(lambda self: self.live)
    @rule(pick=picks)
    def delete(self, pick):
        schedule = self._schedule(pick)
        schedule_id = schedule.pk  # delete() clears it on the instance
        jobs = set(Job.objects.filter(scheduled_job=schedule).values_list("pk", flat=True))
        services.schedule_delete(schedule=schedule, actor=self.user)
        self.deleted[schedule_id] = (self.world.now, jobs)

    # --- the campaign --------------------------------------------------------------------

    @rule(action=st.sampled_from(["pause", "resume", "archive", "unarchive"]))
    def campaign(self, action):
        campaign = self._campaign()
        act = {
            "pause": lambda: services.campaign_pause(campaign=campaign, actor=self.user),
            "resume": lambda: services.campaign_resume(campaign=campaign, actor=self.user),
            "archive": lambda: campaign_archive(campaign=campaign, actor=self.user),
            "unarchive": lambda: campaign_unarchive(campaign=campaign, actor=self.user),
        }[action]
        _ignore_refusal(act)

    # --- time ------------------------------------------------------------------------------

    @rule()
    def advance_past_the_next_run(self):
        """To a second after the next run of any live schedule (or an hour on)."""
        ahead = (
            ScheduledJob.objects.filter(
                pk__in=self.live, status=ScheduledJob.Status.ACTIVE, next_run_at__isnull=False
            )
            .order_by("next_run_at")
            .values_list("next_run_at", flat=True)
            .first()
        )
        target = max(ahead, self.world.now) if ahead else self.world.now + timedelta(hours=1)
        self._advance(target + timedelta(seconds=1) - self.world.now)

    @rule(delta=advances)
    def advance(self, delta):
        self._advance(delta)

    @rule(minutes=st.integers(1, 3 * 24 * 60), step_after=tick_on_return)
    def outage(self, minutes, step_after):
        """Dispatcher, lifecycle and workers down for a while; when they come back
        either they tick at once, or a user acts before they do."""
        self.world.down = True
        self.world.advance_to(
            max(self.world.now, min(self.world.now + timedelta(minutes=minutes), HORIZON))
        )
        self.world.down = False
        self.stepped = step_after
        if step_after:
            self.world.step()

    @precondition(lambda self: self.live)
    @rule(pick=picks)
    def pause_after_early_dispatch(self, pick):
        """Its run dispatched early (a message with an ETA one second away), then paused."""
        schedule = self._schedule(pick)
        if schedule.status != ScheduledJob.Status.ACTIVE or schedule.next_run_at is None:
            return
        at = schedule.next_run_at
        if at >= HORIZON:
            return
        if at - timedelta(seconds=3) > self.world.now:
            self._advance(at - timedelta(seconds=3) - self.world.now)
        schedule.refresh_from_db()
        if schedule.next_run_at and schedule.next_run_at - timedelta(seconds=1) > self.world.now:
            self.world._clock.move_to(schedule.next_run_at - timedelta(seconds=1))
        dispatcher.dispatch_due(now=self.world.now, lookahead=timedelta(seconds=2))
        _ignore_refusal(lambda: services.schedule_pause(schedule=schedule, actor=self.user))

    # --- the invariant ---------------------------------------------------------------------

    def _settled_before(self):
        if self.world.down or not self.stepped:
            return None
        return self.world.now - SETTLE_MARGIN

    @invariant()
    def every_occurrence_has_one_fate(self):
        settled_before = self._settled_before()
        for schedule_id in self.schedules:
            label = self.labels[schedule_id]
            try:
                entries = check_ledger(
                    schedule_id, start=LEDGER_START, settled_before=settled_before
                )
            except LedgerViolation as violation:
                raise LedgerViolation(f"{label}: {violation}") from violation
            schedule = ScheduledJob.objects.filter(pk=schedule_id).first()
            if schedule is not None:
                self._check_schedule(schedule, entries, label)
            # A settled fate is final. (An occurrence may leave the ledger: after an
            # edit of the timing the old rule's times without a record are not
            # occurrences of the series any more.)
            for entry in entries:
                if entry.fate not in ledger.SETTLED:
                    continue
                first = self.settled.setdefault((schedule_id, entry.nominal), entry.fate)
                assert entry.fate == first, (
                    label,
                    f"{entry.nominal} was {first}, is now {entry.fate}: {entry.reason}",
                )

    def _check_schedule(self, schedule: ScheduledJob, entries: list, label: str) -> None:
        if schedule.max_runs is not None:
            assert schedule.run_count <= schedule.max_runs, (label, schedule.run_count)
        events = list(
            ScheduleEvent.objects.filter(scheduled_job=schedule)
            .order_by("created_at", "pk")
            .values_list("created_at", "kind", "note", "changes")
        )
        # Nothing inside a pause or an automatic stop ran once it began. (A run may
        # start up to CLOCK_SKEW early, so one that began before the pause is fine;
        # a worker in this world never acts in the instant of a user's action.)
        holds = ledger.holds_from_events(selectors.hold_events(events))
        for entry in entries:
            if entry.fate not in RAN:
                continue
            inside = [
                hold
                for hold in holds
                if hold.start < entry.nominal
                and (hold.end is None or entry.nominal < hold.end)
                and entry.run.started_at > hold.start
            ]
            assert not inside, (label, "ran inside a hold", entry, inside)
        # Resume and every edit recompute from now: a run dispatched afterwards is
        # never for a time before them (but for the start an edit sets, which may
        # lie up to the clock-skew tolerance back, as on create).
        recomputes = [
            (at, services.clock_skew_tolerance() if "scheduled_at" in changes else timedelta(0))
            for at, kind, _, changes in events
            if kind == ScheduleEvent.Kind.RESUMED
            or (kind == ScheduleEvent.Kind.EDITED and set(changes) - services.COSMETIC_FIELDS)
        ]
        jobs = Job.objects.filter(scheduled_job=schedule, trigger__in=SERIES_TRIGGERS)
        for created_at, nominal in jobs.values_list("created_at", "scheduled_for"):
            before = [(at, slack) for at, slack in recomputes if at < created_at]
            if before:
                at, slack = before[-1]
                assert nominal > at or (slack and nominal >= at - slack), (
                    label,
                    f"a run for {nominal} dispatched at {created_at}, after the recompute at {at}",
                )
        # The preview (the next runs the API shows) are occurrences still to come
        # (those inside check_ledger's window of a year).
        to_come = {e.nominal for e in entries if e.fate in (ledger.UPCOMING, ledger.WAITING)}
        window_end = LEDGER_START + LEDGER_WINDOW
        preview = [t for t in schedule.upcoming_runs(count=3) if t < window_end]
        assert set(preview) <= to_come, (label, "preview not in the ledger", preview)

    @invariant()
    def no_job_executes_twice(self):
        attempts = JobAttempt.objects.filter(job__workspace=self.workspace)
        total = Counter(attempts.values_list("job_id", flat=True))
        final = Counter(
            attempts.filter(outcome__in=FINAL_ATTEMPTS).values_list("job_id", flat=True)
        )
        numbers = Counter(attempts.values_list("job_id", "number"))
        retries = dict(
            Job.objects.filter(workspace=self.workspace).values_list("pk", "max_retries")
        )
        for job_id, count in total.items():
            assert count <= retries[job_id] + 1, (job_id, count, "attempts")
            assert final[job_id] <= 1, (job_id, "finished twice")
        assert all(n == 1 for n in numbers.values()), "two attempts with one number"
        for deleted_at, jobs in self.deleted.values():
            late = attempts.filter(job_id__in=jobs, started_at__gt=deleted_at)
            assert not late.exists(), ("a run of a deleted schedule started after the deletion",)


STATEFUL_SETTINGS = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    database=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_random_actions_outages_and_time_keep_one_fate_per_occurrence():
    run_state_machine_as_test(LedgerMachine, settings=STATEFUL_SETTINGS)


# --- found by the machine, fixed while it was written (bf78e4e, 1c7513b) -------------------


@pytest.mark.parametrize("back", [timedelta(0), timedelta(seconds=30)], ids=["now", "30s-ago"])
@pytest.mark.parametrize("type_name", ["once", "daily"])
def test_a_start_an_edit_sets_to_now_is_an_occurrence_with_one_fate(
    workspace, user, type_name, back
):
    schedule_type, pattern = scenarios.TYPES[type_name]
    with World(scenarios.WORLD_START) as world:
        world.advance(timedelta(hours=2))
        schedule = services.schedule_create(
            workspace=workspace,
            now=world.now,
            name=type_name,
            schedule_type=schedule_type,
            recurrence_pattern=pattern,
            scheduled_at=world.now + timedelta(hours=1),
            timezone=scenarios.ZONE,
            job_config={"executor": "noop"},
        )
        start = world.now - back
        schedule = services.schedule_update(schedule=schedule, actor=user, scheduled_at=start)
        assert (schedule.status, schedule.upcoming_runs(count=1)) == ("active", [start])
        entries = check_ledger(schedule.pk, start=scenarios.WORLD_START)
        # Due and not dispatched yet: the run the preview shows is waiting.
        assert [e.fate for e in entries if e.nominal == start] == [ledger.WAITING]
        # Paused before the dispatcher got to it: withdrawn by the pause.
        services.schedule_pause(schedule=schedule, actor=user)
        entries = check_ledger(schedule.pk, start=scenarios.WORLD_START)
        assert [e.fate for e in entries if e.nominal == start] == [ledger.WITHDRAWN]


def test_a_run_due_when_its_schedule_was_paused_stays_withdrawn_after_resume(workspace, user):
    with World(scenarios.WORLD_START) as world:
        schedule = services.schedule_create(
            workspace=workspace,
            now=world.now,
            name="daily",
            schedule_type="daily",
            scheduled_at=scenarios.SERIES_START,
            timezone=scenarios.ZONE,
            job_config={"executor": "noop"},
        )
        world.advance_to(scenarios.SERIES_START - timedelta(minutes=1))
        world.down = True
        world.advance(timedelta(minutes=3))  # 09:02, well within the 300 s grace
        world.down = False
        services.schedule_pause(schedule=schedule, actor=user)  # before the dispatcher ticks

        def fate() -> str:
            entries = check_ledger(schedule.pk, start=scenarios.WORLD_START)
            return next(e.fate for e in entries if e.nominal == scenarios.SERIES_START)

        assert fate() == ledger.WITHDRAWN
        world.advance(timedelta(minutes=30))
        services.schedule_resume(schedule=schedule, actor=user)
        world.advance(timedelta(minutes=1))
        assert ScheduleEvent.objects.get(scheduled_job=schedule, kind="resumed").skipped_runs == 1
        assert fate() == ledger.WITHDRAWN


# --- found by the machine, fixed -------------------------------------------------------------


@pytest.mark.parametrize("type_name", ["daily", "weekly", "cron", "rrule"])
def test_an_edit_of_the_start_just_after_a_run_never_runs_it_again(workspace, user, type_name):
    schedule_type, pattern = scenarios.TYPES[type_name]
    with World(scenarios.WORLD_START) as world:
        schedule = services.schedule_create(
            workspace=workspace,
            now=world.now,
            name=type_name,
            schedule_type=schedule_type,
            recurrence_pattern=pattern,
            scheduled_at=scenarios.SERIES_START,
            timezone=scenarios.ZONE,
            job_config={"executor": "noop"},
        )
        world.advance_to(ScheduledJob.objects.get(pk=schedule.pk).next_run_at + ONE_TICK)
        ran = ScheduledJob.objects.get(pk=schedule.pk).next_run_at  # the second run
        world.advance_to(ran + timedelta(seconds=20))
        assert Job.objects.get(scheduled_job=schedule, scheduled_for=ran).status == "succeeded"
        # The user sets the start to the minute that has just run (20 s ago).
        schedule = services.schedule_update(schedule=schedule, actor=user, scheduled_at=ran)
        assert ran not in schedule.upcoming_runs(count=3)
        # The dispatcher is down for ten minutes right after the edit.
        world.down = True
        world.advance(timedelta(minutes=10))
        world.down = False
        world.advance(timedelta(minutes=1))
        assert Job.objects.filter(scheduled_job=schedule, scheduled_for=ran).count() == 1
        check_ledger(schedule.pk, start=scenarios.WORLD_START)


@pytest.mark.parametrize("type_name", ["once", "daily"])
def test_a_resume_at_the_instant_of_a_held_run_leaves_it_withdrawn(workspace, user, type_name):
    schedule_type, pattern = scenarios.TYPES[type_name]
    with World(scenarios.WORLD_START) as world:
        schedule = services.schedule_create(
            workspace=workspace,
            now=world.now,
            name=type_name,
            schedule_type=schedule_type,
            recurrence_pattern=pattern,
            scheduled_at=scenarios.SERIES_START,
            timezone=scenarios.ZONE,
            job_config={"executor": "noop"},
        )
        services.schedule_pause(schedule=schedule, actor=user)
        world.advance_to(scenarios.SERIES_START)

        def fate() -> str:
            entries = check_ledger(schedule.pk, start=scenarios.WORLD_START)
            return next(e.fate for e in entries if e.nominal == scenarios.SERIES_START)

        assert fate() == ledger.WITHDRAWN
        services.schedule_resume(schedule=schedule, actor=user)  # at 09:00:00 exactly
        assert ScheduleEvent.objects.get(scheduled_job=schedule, kind="resumed").skipped_runs == 1
        world.advance(timedelta(minutes=30))
        assert fate() == ledger.WITHDRAWN


# --- found by the machine, fixed: an edit's start inside a hold that just closed -------------
# The edit arms the start it sets (up to the clock-skew tolerance back, as on
# create), so the ledger ends the closed hold before it.


@pytest.mark.parametrize("type_name", ["once", "daily"])
def test_a_start_set_to_just_before_a_resume_has_one_fate(workspace, user, type_name):
    schedule_type, pattern = scenarios.TYPES[type_name]
    with World(scenarios.WORLD_START) as world:
        schedule = services.schedule_create(
            workspace=workspace,
            now=world.now,
            name=type_name,
            schedule_type=schedule_type,
            recurrence_pattern=pattern,
            scheduled_at=scenarios.SERIES_START,
            timezone=scenarios.ZONE,
            job_config={"executor": "noop"},
        )
        services.schedule_pause(schedule=schedule, actor=user)
        world.advance(timedelta(hours=6))
        services.schedule_resume(schedule=schedule, actor=user)
        # Right after the resume the user sets the start to 30 s ago (allowed).
        start = world.now - timedelta(seconds=30)
        schedule = services.schedule_update(schedule=schedule, actor=user, scheduled_at=start)

        def fates() -> list:
            entries = check_ledger(schedule.pk, start=scenarios.WORLD_START)
            return [e.fate for e in entries if e.nominal == start]

        armed = schedule.upcoming_runs(count=1) == [start]
        before = fates()
        world.advance(timedelta(minutes=5))
        ran = Job.objects.filter(scheduled_job=schedule, scheduled_for=start).exists()
        # Either it is a run (waiting, then succeeded) or it was held (withdrawn, never run).
        assert (armed, before, ran) in [
            (True, [ledger.WAITING], True),
            (False, [ledger.WITHDRAWN], False),
        ]
        assert fates() == ([ledger.SUCCEEDED] if ran else [ledger.WITHDRAWN])


def test_a_start_set_at_the_instant_of_a_resume_in_a_paused_campaign_runs_once(workspace, user):
    campaign = CampaignFactory(workspace=workspace)
    with World(scenarios.WORLD_START) as world:
        schedule = services.schedule_create(
            workspace=workspace,
            created_by=user,
            now=world.now,
            name="once",
            schedule_type="once",
            scheduled_at=world.now,
            timezone=scenarios.ZONE,
            campaign=campaign,
            job_config={"executor": "noop"},
        )
        services.campaign_pause(campaign=campaign, actor=user)
        world.advance(timedelta(seconds=3))
        # Its only run was held: resuming the schedule completes it.
        services.schedule_resume(schedule=ScheduledJob.objects.get(pk=schedule.pk), actor=user)
        schedule = ScheduledJob.objects.get(pk=schedule.pk)
        assert schedule.status == ScheduledJob.Status.COMPLETED
        # The user gives it a new start: now (the campaign is still paused).
        schedule = services.schedule_update(schedule=schedule, actor=user, scheduled_at=world.now)
        start = world.now

        def fates() -> list:
            entries = check_ledger(schedule.pk, start=scenarios.WORLD_START)
            return [e.fate for e in entries if e.nominal == start]

        assert schedule.upcoming_runs(count=3) == [start]
        assert fates() == [ledger.WAITING]
        world.advance(timedelta(minutes=5))
        assert Job.objects.filter(scheduled_job=schedule, scheduled_for=start).count() == 1
        assert fates() == [ledger.SUCCEEDED]
