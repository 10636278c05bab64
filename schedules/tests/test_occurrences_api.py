"""GET /api/v1/schedule/{id}/occurrences (the run ledger) and the fates in /schedule/status."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jobs.models import Job
from schedules import dispatcher, services
from schedules.models import ScheduledJob
from schedules.tests.ledger.scenarios import ny
from schedules.tests.ledger.world import World

pytestmark = pytest.mark.django_db(transaction=True)

START = ny(2027, 3, 2, 9, 0)


def _daily(workspace, **fields) -> ScheduledJob:
    return services.schedule_create(
        workspace=workspace,
        now=START - timedelta(days=1),
        name=fields.pop("name", "Morning report"),
        schedule_type="daily",
        scheduled_at=START,
        timezone="America/New_York",
        job_config={"executor": "noop"},
        **fields,
    )


def _history(world: World, schedule: ScheduledJob, user) -> None:
    """Mar 2-3 ran; paused over Mar 4; Mar 5 ran; down over Mar 6-7 (Mar 7's
    catch-up stands for both); Mar 8 moved to 15:00; later days upcoming."""
    world.advance_to(ny(2027, 3, 3, 12, 0))
    services.schedule_pause(schedule=schedule, actor=user, note="Waiting for legal")
    world.advance_to(ny(2027, 3, 4, 12, 0))
    services.schedule_resume(schedule=ScheduledJob.objects.get(pk=schedule.pk), actor=user)
    world.advance_to(ny(2027, 3, 5, 12, 0))
    world.down = True
    world.advance_to(ny(2027, 3, 7, 12, 0))
    world.down = False
    world.advance_to(ny(2027, 3, 7, 12, 5))
    services.schedule_occurrence_move(
        scheduled_job=ScheduledJob.objects.get(pk=schedule.pk),
        occurrence_at=ny(2027, 3, 8, 9, 0),
        new_time=ny(2027, 3, 8, 15, 0),
        actor=user,
    )
    world.advance_to(ny(2027, 3, 9, 0, 0))


@pytest.fixture
def world(db):
    with World(START - timedelta(days=1)) as world:
        yield world


def _ledger(api, schedule, **params):
    return api.get(f"/api/v1/schedule/{schedule.pk}/occurrences", params)


def test_the_ledger_gives_every_occurrence_its_fate_its_job_and_why(api, workspace, user, world):
    schedule = _daily(workspace)
    _history(world, schedule, user)
    response = _ledger(api, schedule, **{"from": "2027-03-02", "to": "2027-03-10"})
    assert response.status_code == 200, response.json()
    body = response.json()
    by_day = {o["nominal_local"][:10]: o for o in body["occurrences"]}
    assert {day: o["fate"] for day, o in by_day.items()} == {
        "2027-03-02": "succeeded",
        "2027-03-03": "succeeded",
        "2027-03-04": "withdrawn",
        "2027-03-05": "succeeded",
        "2027-03-06": "missed",
        "2027-03-07": "succeeded",
        "2027-03-08": "moved",
        "2027-03-09": "upcoming",
        "2027-03-10": "upcoming",
    }
    ran = by_day["2027-03-02"]
    assert ran["nominal_at"] == "2027-03-02T14:00:00Z"
    assert ran["nominal_local"] == "2027-03-02T09:00:00-05:00"
    assert ran["job"]["status"] == "succeeded" and ran["job"]["attempts"] == 1
    assert ran["late_seconds"] == 0
    assert "paused" in by_day["2027-03-04"]["reason"]
    assert "Waiting for legal" in by_day["2027-03-04"]["reason"]
    assert by_day["2027-03-04"]["job"] is None
    assert "misfire policy run_once" in by_day["2027-03-06"]["reason"]
    catch_up = by_day["2027-03-07"]
    assert catch_up["job"]["trigger"] == "catch_up"
    assert catch_up["late_seconds"] == pytest.approx(3 * 3600, abs=60)
    moved = by_day["2027-03-08"]
    assert moved["moved_to"] == "2027-03-08T20:00:00Z"
    assert moved["replacement_job"]["status"] == "succeeded"
    assert body["summary"]["succeeded"] == 4
    assert body["summary"]["late"] == 1
    assert body["truncated"] is False


def test_the_ledger_filters_by_fate_and_keeps_the_summary_of_the_window(
    api, workspace, user, world
):
    schedule = _daily(workspace)
    _history(world, schedule, user)
    body = _ledger(
        api, schedule, **{"from": "2027-03-01", "to": "2027-03-09", "fate": "withdrawn,missed"}
    ).json()
    assert [o["fate"] for o in body["occurrences"]] == ["withdrawn", "missed"]
    assert body["summary"]["succeeded"] == 4


def test_a_one_off_and_the_last_run_of_a_bounded_series_show_as_succeeded(api, workspace, world):
    once = services.schedule_create(
        workspace=workspace,
        now=world.now,
        name="Launch post",
        schedule_type="once",
        scheduled_at=START,
        timezone="America/New_York",
        job_config={"executor": "noop"},
    )
    bounded = _daily(workspace, name="Three mornings", max_runs=3)
    world.advance_to(ny(2027, 3, 6, 0, 0))
    for schedule, ran in ((once, 1), (bounded, 3)):
        body = _ledger(api, schedule, **{"from": "2027-03-01", "to": "2027-03-20"}).json()
        assert body["status"] == "completed"
        assert [o["fate"] for o in body["occurrences"]] == ["succeeded"] * ran


def test_a_run_waiting_past_its_time_is_waiting_until_a_worker_takes_it(api, workspace, world):
    schedule = _daily(workspace)
    world.advance_to(START - timedelta(minutes=5))
    world._clock.move_to(START + timedelta(seconds=30))
    dispatcher.dispatch_due(now=world.now)  # dispatched; no worker has run it
    [first] = _ledger(api, schedule, **{"from": "2027-03-02", "to": "2027-03-02"}).json()[
        "occurrences"
    ]
    assert (first["fate"], first["job"]["status"]) == ("waiting", "queued")


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"from": "2027-03-10", "to": "2027-03-01"}, "to", "after"),
        ({"from": "2027-01-01", "to": "2028-06-01"}, "to", "366 days"),
        ({"from": "yesterday"}, "from", "not a date"),
        ({"to": "2027-02-30"}, "to", "not a date"),
        ({"from": "2027-03-01T25:00"}, "from", "not a date"),
        ({"from": "1969-12-31", "to": "1970-01-02"}, "from", "1970 to 2200"),
        ({"from": "2200-12-30", "to": "2201-01-02"}, "to", "1970 to 2200"),
        ({"fate": "succeeded,lost"}, "fate", "lost"),
    ],
)
def test_bad_windows_are_400s_naming_the_field(api, workspace, params, field, words):
    schedule = _daily(workspace)
    response = _ledger(api, schedule, **params)
    assert response.status_code == 400, response.json()
    assert words in " ".join(response.json()[field])


def test_another_workspaces_ledger_is_a_404(api, other_workspace):
    theirs = _daily(other_workspace)
    assert _ledger(api, theirs).status_code == 404


# --- /schedule/status: the last 24 hours and the dead man's switch -------------------------------


def test_status_counts_the_last_24_hours_by_fate_for_the_callers_workspaces_only(
    api, workspace, other_workspace, user, world
):
    mine = _daily(workspace)
    _daily(other_workspace, name="Not mine")
    _history(world, mine, user)
    world.advance_to(ny(2027, 3, 8, 16, 0))
    body = api.get("/api/v1/schedule/status").json()
    last_day = body["last_24h"]
    # Since 16:00 on the 7th: the 8th's 09:00 run was moved (its replacement ran at 15:00).
    assert last_day["total"]["moved"] == 1
    assert [w["workspace_id"] for w in last_day["workspaces"]] == [str(workspace.pk)]
    world.advance_to(ny(2027, 3, 9, 10, 0))
    body = api.get("/api/v1/schedule/status").json()
    total = body["last_24h"]["total"]
    # Since 10:00 on the 8th: the replacement at 15:00 and the 9th's run, both on time.
    assert (total["ran_on_time"], total["moved"], total["due"]) == (2, 0, 2)
    assert body["healthy"] is True


def test_status_is_503_when_a_run_waits_past_its_grace_though_the_dispatcher_is_ticking(
    api, workspace, world
):
    _daily(workspace, misfire_grace_seconds=120)
    world.advance_to(START - timedelta(minutes=1))
    assert api.get("/api/v1/schedule/status").status_code == 200
    # The dispatcher keeps ticking (fresh heartbeat) but no worker takes the run.
    for _ in range(5):
        world._clock.move_to(world.now + timedelta(minutes=1))
        dispatcher.dispatch_due(now=world.now)
    response = api.get("/api/v1/schedule/status")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "runs waiting past their grace"
    assert body["stuck_runs"] == {"total": 1, "schedules": 0, "jobs": 1}
    assert body["last_24h"]["total"]["waiting"] == 1
    world.work()  # a worker comes back
    assert api.get("/api/v1/schedule/status").status_code == 200
    assert Job.objects.get().status == "succeeded"


def test_a_one_off_edited_to_start_now_shows_its_first_run_and_the_new_one(
    api, workspace, user, world
):
    once = services.schedule_create(
        workspace=workspace,
        now=world.now,
        name="Launch post",
        schedule_type="once",
        scheduled_at=START,
        timezone="America/New_York",
        job_config={"executor": "noop"},
    )
    world.advance_to(START + timedelta(hours=1))
    services.schedule_update(schedule=once, actor=user, scheduled_at=world.now)
    fates = [
        (o["nominal_at"], o["fate"])
        for o in _ledger(api, once, **{"from": "2027-03-01"}).json()["occurrences"]
    ]
    assert [fate for _, fate in fates] == ["succeeded", "waiting"]
    world.advance(timedelta(minutes=1))
    fates = [o["fate"] for o in _ledger(api, once, **{"from": "2027-03-01"}).json()["occurrences"]]
    assert fates == ["succeeded", "succeeded"]


def test_a_run_due_while_nothing_dispatched_and_then_paused_stays_withdrawn_after_resume(
    api, workspace, user, world
):
    schedule = _daily(workspace)
    world.advance_to(START - timedelta(minutes=1))
    world.down = True  # the 09:00 run comes due with nothing dispatching...
    world.advance(timedelta(minutes=3))
    world.down = False
    # ...and the user pauses before the dispatcher gets to it: the pause withdrew it.
    services.schedule_pause(schedule=schedule, actor=user, note="Stop the digest")
    window = {"from": "2027-03-02", "to": "2027-03-02"}

    def first():
        return _ledger(api, schedule, **window).json()["occurrences"][0]

    assert (first()["fate"], "Stop the digest" in first()["reason"]) == ("withdrawn", True)
    world.advance(timedelta(minutes=30))
    services.schedule_resume(schedule=ScheduledJob.objects.get(pk=schedule.pk), actor=user)
    world.advance(timedelta(minutes=5))
    assert (first()["fate"], "Stop the digest" in first()["reason"]) == ("withdrawn", True)
    assert not Job.objects.filter(scheduled_job=schedule).exists()


def test_an_archived_campaigns_schedules_cannot_be_resumed_through_a_campaign_resume(
    api, workspace, user
):
    from campaigns.lifecycle import campaign_archive
    from campaigns.tests.factories import CampaignFactory

    campaign = CampaignFactory(workspace=workspace)
    schedule = _daily(workspace, campaign=campaign)
    campaign_archive(campaign=campaign, actor=user)
    response = api.post(f"/api/v1/campaigns/{campaign.pk}/resume")
    assert response.status_code == 400, response.json()
    assert ScheduledJob.objects.get(pk=schedule.pk).status == "paused"
