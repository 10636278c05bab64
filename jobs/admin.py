from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from jobs import services
from jobs.models import Job, JobAttempt


class JobAttemptInline(admin.TabularInline):
    model = JobAttempt
    extra = 0
    can_delete = False
    fields = ["number", "outcome", "started_at", "duration_ms", "http_status", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "status",
        "trigger",
        "workspace",
        "campaign_name",
        "attempts",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "trigger", "workspace"]
    search_fields = ["id", "name", "campaign_name"]
    date_hierarchy = "created_at"
    list_select_related = ["workspace"]
    inlines = [JobAttemptInline]
    actions = ["retry_jobs", "cancel_jobs"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        # Jobs come from templates, schedules and posts, never from a blank form.
        return False

    @admin.action(description="Retry selected failed jobs")
    def retry_jobs(self, request, queryset):
        self._apply(request, queryset, lambda job: services.job_retry(job=job), "retried")

    @admin.action(description="Cancel selected pending/queued jobs")
    def cancel_jobs(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda job: services.job_cancel(
                job=job, reason=f"Cancelled by {request.user} in the admin."
            ),
            "cancelled",
        )

    def _apply(self, request, queryset, action, verb: str) -> None:
        done, refused = 0, 0
        for job in queryset:
            try:
                action(job)
                done += 1
            except ValidationError:
                refused += 1
        self.message_user(request, f"{done} job(s) {verb}.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"{refused} job(s) skipped: not in a status that allows it.",
                messages.WARNING,
            )
