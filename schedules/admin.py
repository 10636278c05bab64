from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from scheduler_site.lib.moments import ADMIN_DATE_OVERRIDES
from schedules import selectors, services
from schedules.models import DispatcherHeartbeat, ScheduledJob, ScheduleEvent

RECENT_RUNS = 20
API_TO_FORM = {"campaign_id": "campaign", "template_id": "template"}
# Fields staff may set on the form; the rest is computed by services.
EDITABLE_FIELDS = [
    "workspace",
    "name",
    "description",
    "campaign",
    "template",
    "schedule_type",
    "scheduled_at",
    "recurrence_pattern",
    "recurrence_end_date",
    "timezone",
    "max_runs",
    "job_config",
    "misfire_policy",
    "misfire_grace_seconds",
    "catch_up_max_runs",
    "overlap_policy",
    "jitter_seconds",
]


class ScheduledJobAdminForm(forms.ModelForm):
    class Meta:
        model = ScheduledJob
        fields = EDITABLE_FIELDS

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        candidate = ScheduledJob(**{name: data.get(name) for name in EDITABLE_FIELDS})
        candidate.job_config = candidate.job_config or {}
        check_start = self.instance.pk is None or "scheduled_at" in self.changed_data
        try:
            services.schedule_check_rules(
                schedule=candidate, now=timezone.now(), check_start=check_start
            )
        except ValidationError as error:
            # The services name fields as the API does (campaign_id); the form does not.
            raise ValidationError(
                {API_TO_FORM.get(k, k): v for k, v in error.message_dict.items()}
            ) from None
        return data


class ScheduleEventInline(admin.TabularInline):
    model = ScheduleEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "actor", "note", "skipped_runs", "changes"]
    readonly_fields = fields
    ordering = ["-created_at", "-pk"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ScheduledJob)
class ScheduledJobAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "workspace",
        "status",
        "schedule_type",
        "schedule_in_words",
        "next_run_at",
        "run_count",
        "error_count",
    ]
    list_filter = ["status", "schedule_type", "misfire_policy", "overlap_policy", "workspace"]
    search_fields = ["id", "name", "description"]
    list_select_related = ["workspace", "campaign", "template"]
    autocomplete_fields = ["workspace", "campaign", "template"]
    formfield_overrides = ADMIN_DATE_OVERRIDES
    date_hierarchy = "next_run_at"
    form = ScheduledJobAdminForm
    inlines = [ScheduleEventInline]
    actions = ["pause_schedules", "resume_schedules", "run_now"]
    fields = [
        *EDITABLE_FIELDS,
        "status",
        "schedule_in_words",
        "next_run_at",
        "last_run_at",
        "run_count",
        "error_count",
        "version",
        "pause_note",
        "paused_at",
        "recent_runs",
    ]
    readonly_fields = [
        "status",
        "schedule_in_words",
        "next_run_at",
        "last_run_at",
        "run_count",
        "error_count",
        "version",
        "pause_note",
        "paused_at",
        "recent_runs",
    ]

    @admin.display(description="Schedule")
    def schedule_in_words(self, obj: ScheduledJob) -> str:
        return obj.human_description

    @admin.display(description=f"Last {RECENT_RUNS} runs")
    def recent_runs(self, obj: ScheduledJob) -> str:
        if obj.pk is None:
            return "-"
        runs = selectors.schedule_runs(obj)[:RECENT_RUNS]
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:jobs_job_change", args=[run.pk]),
                    run.scheduled_for or run.created_at,
                    run.trigger,
                    run.status,
                    run.last_error[:120],
                )
                for run in runs
            ),
        )
        if not rows:
            return "No runs yet."
        return format_html(
            "<table><tr><th>Nominal time</th><th>Trigger</th><th>Status</th>"
            "<th>Note</th></tr>{}</table>",
            rows,
        )

    def save_model(self, request, obj, form, change):
        # Through the services, so an edit bumps the version and recomputes the
        # next run exactly as an API edit does, with the same audit event.
        data = {
            name: form.cleaned_data[name] for name in EDITABLE_FIELDS if name in form.cleaned_data
        }
        if change:
            changed = {name: data[name] for name in form.changed_data if name in data}
            original = ScheduledJob.objects.get(pk=obj.pk)
            saved = services.schedule_update(schedule=original, actor=request.user, **changed)
        else:
            saved = services.schedule_create(created_by=request.user, **data)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.schedule_delete(schedule=obj, actor=request.user)

    @admin.action(description="Pause selected schedules")
    def pause_schedules(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda s: services.schedule_pause(
                schedule=s, actor=request.user, note=f"Paused by {request.user} in the admin."
            ),
            "paused",
        )

    @admin.action(description="Resume selected schedules (from now)")
    def resume_schedules(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda s: services.schedule_resume(schedule=s, actor=request.user),
            "resumed",
        )

    @admin.action(description="Run selected schedules now (extra manual run)")
    def run_now(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda s: services.schedule_run_now(schedule=s, actor=request.user),
            "started",
        )

    def _apply(self, request, queryset, action, verb: str) -> None:
        done, refused = 0, []
        for schedule in queryset:
            try:
                action(schedule)
                done += 1
            except ValidationError as error:
                refused.append(f"{schedule.name}: {' '.join(error.messages)}")
        if done:
            self.message_user(request, f"{done} schedule(s) {verb}.", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)


@admin.register(DispatcherHeartbeat)
class DispatcherHeartbeatAdmin(admin.ModelAdmin):
    list_display = [
        "ran_at",
        "claimed",
        "jobs_created",
        "duration_ms",
        "oldest_due_age_seconds",
        "hostname",
        "pid",
    ]
    readonly_fields = [f.name for f in DispatcherHeartbeat._meta.fields]
    date_hierarchy = "ran_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
