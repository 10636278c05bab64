"""The schedules every ledger scenario runs: each type x each way of ending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from schedules import services

ZONE = "America/New_York"
TZ = ZoneInfo(ZONE)


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


# Monday 1 March 2027: two weeks before the spring-forward change (14 March).
WORLD_START = ny(2027, 3, 1, 0, 0)
SERIES_START = ny(2027, 3, 2, 9, 0)  # a Tuesday
END_DATE = ny(2027, 3, 20, 23, 0)
HORIZON = ny(2027, 5, 10, 0, 0)  # long enough for three monthly runs

TYPES = {
    "once": ("once", ""),
    "daily": ("daily", ""),
    "weekly": ("weekly", "weekly:tuesday,friday"),
    "monthly": ("monthly", "monthly:2"),
    "cron": ("cron", "30 9 * * 1-5"),
    "rrule": ("rrule", "FREQ=WEEKLY;BYDAY=WE"),
}
ENDS = {
    "no end": {},
    "max_runs 1": {"max_runs": 1},
    "max_runs 3": {"max_runs": 3},
    "end date": {"recurrence_end_date": END_DATE},
}


@dataclass
class Variant:
    type_name: str
    end_name: str
    schedule_id: object

    @property
    def label(self) -> str:
        return f"{self.type_name} / {self.end_name}"


def create_variants(workspace, *, now: datetime, campaign=None, config=None) -> list[Variant]:
    variants = []
    for type_name, (schedule_type, pattern) in TYPES.items():
        for end_name, end in ENDS.items():
            if type_name == "once" and end_name != "no end":
                continue  # a one-off has one run whatever its end
            schedule = services.schedule_create(
                workspace=workspace,
                now=now,
                name=f"{type_name} {end_name}",
                schedule_type=schedule_type,
                recurrence_pattern=pattern,
                scheduled_at=SERIES_START,
                timezone=ZONE,
                campaign=campaign,
                job_config=dict(config or {"executor": "noop"}),
                **end,
            )
            variants.append(Variant(type_name, end_name, schedule.pk))
    return variants
