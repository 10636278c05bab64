"""The run ledger over the API: the occurrence window, and each occurrence as JSON."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from scheduler_site.api.fields import DateTimeField
from scheduler_site.api.serializers import Serializer
from scheduler_site.lib.moments import parse_moment
from schedules import ledger

DEFAULT_PAST = timedelta(days=30)
DEFAULT_AHEAD = timedelta(days=30)
MAX_WINDOW = timedelta(days=366)

OCCURRENCE_PARAMS = [
    OpenApiParameter(
        "from",
        str,
        description=(
            "Start of the window: a date (local midnight in the schedule's zone) or an "
            "ISO datetime (without an offset: the schedule's zone). Default: 30 days ago."
        ),
    ),
    OpenApiParameter(
        "to",
        str,
        description="End of the window (exclusive; a date means the end of that day). "
        "Default: 30 days ahead. At most 366 days after `from`.",
    ),
    OpenApiParameter(
        "fate",
        str,
        description=f"Only these fates, comma-separated: {', '.join(ledger.FATES)}.",
    ),
]


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    fates: frozenset[str]


def occurrence_window(params, zone_name: str, *, now: datetime) -> Window:
    """``from``, ``to`` and ``fate`` checked; each problem is a 400 naming its field."""
    zone = zoneinfo.ZoneInfo(zone_name)
    start = _moment(params.get("from"), "from", zone) or now - DEFAULT_PAST
    end = _moment(params.get("to"), "to", zone, end=True) or max(start, now) + DEFAULT_AHEAD
    if end <= start:
        raise serializers.ValidationError({"to": ["`to` must be after `from`."]})
    if end - start > MAX_WINDOW:
        raise serializers.ValidationError(
            {"to": ["The window is at most 366 days; ask for a shorter one."]}
        )
    return Window(start=start, end=end, fates=_fates(params.get("fate")))


def _moment(raw: str | None, name: str, zone, *, end: bool = False) -> datetime | None:
    return None if raw in (None, "") else parse_moment(raw, name, zone, end=end)


def _fates(raw: str | None) -> frozenset[str]:
    if not raw:
        return frozenset()
    asked = {part.strip() for part in raw.split(",") if part.strip()}
    unknown = sorted(asked - set(ledger.FATES))
    if unknown:
        raise serializers.ValidationError(
            {"fate": [f"Unknown fate {', '.join(unknown)}; choose from {', '.join(ledger.FATES)}."]}
        )
    return frozenset(asked)


def _run_data(run: ledger.Run | None, nominal: datetime) -> dict | None:
    if run is None:
        return None
    late = None if run.started_at is None else (run.started_at - nominal).total_seconds()
    return {
        "id": run.id,
        "status": run.status,
        "trigger": run.trigger,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "attempts": run.attempts,
        "late_seconds": None if late is None else round(late, 3),
    }


def occurrence_data(entry: ledger.Occurrence, zone, replacement: ledger.Run | None) -> dict:
    moved = entry.moved_to
    return {
        "nominal_at": entry.nominal,
        "nominal_local": entry.nominal.astimezone(zone).isoformat(),
        "fate": entry.fate,
        "reason": entry.reason,
        "late_seconds": entry.late_seconds,
        "job": _run_data(entry.run, entry.nominal),
        "moved_to": moved,
        "replacement_id": entry.replacement_id,
        "replacement_job": None if moved is None else _run_data(replacement, moved),
    }


class OccurrenceJobSerializer(Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    trigger = serializers.CharField()
    started_at = DateTimeField(allow_null=True)
    finished_at = DateTimeField(allow_null=True)
    attempts = serializers.IntegerField()
    late_seconds = serializers.FloatField(allow_null=True)


class OccurrenceSerializer(Serializer):
    """The shape of one ledger entry (documentation for the schema)."""

    nominal_at = DateTimeField(help_text="The nominal run time, UTC.")
    nominal_local = serializers.CharField(help_text="The same instant in the schedule's zone.")
    fate = serializers.ChoiceField(choices=ledger.FATES)
    reason = serializers.CharField(help_text="Why it did not run, or how it failed.")
    late_seconds = serializers.FloatField(allow_null=True, help_text="started_at - nominal.")
    job = OccurrenceJobSerializer(allow_null=True)
    moved_to = DateTimeField(allow_null=True)
    replacement_id = serializers.UUIDField(allow_null=True)
    replacement_job = OccurrenceJobSerializer(allow_null=True)


class OccurrenceListSerializer(Serializer):
    schedule_id = serializers.UUIDField()
    timezone = serializers.CharField()
    status = serializers.CharField()
    checked_at = DateTimeField()
    count = serializers.IntegerField()
    truncated = serializers.BooleanField()
    summary = serializers.DictField(child=serializers.IntegerField())
    occurrences = OccurrenceSerializer(many=True)
