from __future__ import annotations

import contextlib
from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError

from campaigns.forms import LocalDateTimeInput
from campaigns.models import Campaign
from scheduler_site.lib.moments import validate_moment
from scheduler_site.lib.validators import validate_timezone
from scheduler_site.pages import zone_or_default
from schedules import recurrence
from schedules.models import ScheduledJob, scheduled_local_for
from templates_lib.models import JobTemplate

PATTERN_HELP = (
    "daily: leave empty · weekly: weekly:monday,thursday · monthly: monthly:1 or monthly:-1 "
    "(last day) · cron: 0 9 * * 1-5 · rrule: FREQ=WEEKLY;BYDAY=MO"
)


class WallClockField(forms.CharField):
    """A datetime-local value read as wall time in the schedule's own zone (not the
    viewer's), in the years every date lives in (lib/moments.py)."""

    widget = LocalDateTimeInput
    default_validators = [validate_moment]

    def to_python(self, value):
        value = super().to_python(value)
        if isinstance(value, datetime):
            return value
        if not value:
            return None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError("Enter a date and time such as 2026-12-01 09:00.") from None

    def prepare_value(self, value):
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%dT%H:%M")
        return value


class ScheduleForm(forms.ModelForm):
    scheduled_at = WallClockField(
        label="First run", help_text="Wall-clock time in the schedule's time zone."
    )
    recurrence_end_date = WallClockField(label="Ends", required=False)
    timezone = forms.CharField(
        label="Time zone",
        max_length=64,
        validators=[validate_timezone],
        widget=forms.TextInput(attrs={"list": "zones", "autocomplete": "off"}),
        help_text="IANA name, e.g. America/New_York",
    )

    class Meta:
        model = ScheduledJob
        fields = [
            "name",
            "template",
            "campaign",
            "schedule_type",
            "scheduled_at",
            "timezone",
            "recurrence_pattern",
            "recurrence_end_date",
            "max_runs",
            "misfire_policy",
            "overlap_policy",
            "description",
        ]
        labels = {"schedule_type": "Repeats", "recurrence_pattern": "Pattern"}
        help_texts = {"recurrence_pattern": PATTERN_HELP}
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, campaigns=None, templates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = (
            campaigns if campaigns is not None else Campaign.objects.none()
        )
        self.fields["template"].queryset = (
            templates if templates is not None else JobTemplate.objects.none()
        )
        self.fields["campaign"].empty_label = "No campaign"
        self.fields["template"].empty_label = "No template"
        if self.instance.pk:
            zone = self.instance.timezone
            for name in ("scheduled_at", "recurrence_end_date"):
                value = getattr(self.instance, name)
                if value is not None:
                    self.initial[name] = value.astimezone(zone_or_default(zone)).replace(
                        tzinfo=None
                    )
            with contextlib.suppress(recurrence.RecurrenceError):
                # The first run as typed: 02:30 even where a DST gap made it run at 03:30.
                self.initial["scheduled_at"] = self.instance.local_start()

    def clean(self):
        cleaned = super().clean()
        zone = cleaned.get("timezone")
        if not zone or self.has_error("timezone"):
            return cleaned
        typed = scheduled_local_for(cleaned.get("scheduled_at"), zone)
        for name in ("scheduled_at", "recurrence_end_date"):
            value = cleaned.get(name)
            if isinstance(value, datetime) and value.tzinfo is None:
                cleaned[name] = recurrence.parse_local_start(value, zone)
        if typed is not None:
            cleaned["scheduled_local"] = typed
        return cleaned

    def service_fields(self) -> dict:
        fields = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        if self.cleaned_data.get("scheduled_local"):
            fields["scheduled_local"] = self.cleaned_data["scheduled_local"]
        return fields
