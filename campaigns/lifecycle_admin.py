"""Admin for the campaign lifecycle: duplicate/archive/unarchive actions, parent and children.

Mixed into ``CampaignAdmin``; the actions call the same services as the API.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from campaigns import lifecycle
from campaigns.models import Campaign


class ChildCampaignInline(admin.TabularInline):
    """Duplicates and recurring occurrences made from this campaign."""

    model = Campaign
    fk_name = "parent_campaign"
    verbose_name = "child campaign"
    verbose_name_plural = "children (duplicates and occurrences)"
    fields = ["name", "status", "occurrence_at", "start_date", "end_date", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["occurrence_at", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _each(modeladmin, request, queryset, service, done: str) -> None:
    count = 0
    for campaign in queryset:
        try:
            service(campaign=campaign, actor=request.user)
            count += 1
        except ValidationError as error:
            modeladmin.message_user(
                request, f"{campaign.name}: {' '.join(error.messages)}", messages.WARNING
            )
    if count:
        modeladmin.message_user(request, f"{count} campaign(s) {done}.", messages.SUCCESS)


@admin.action(description="Duplicate (templates and paused schedules)")
def duplicate_campaigns(modeladmin, request, queryset):
    _each(modeladmin, request, queryset, lifecycle.campaign_duplicate, "duplicated")


@admin.action(description="Archive (pause schedules, read-only)")
def archive_campaigns(modeladmin, request, queryset):
    _each(modeladmin, request, queryset, lifecycle.campaign_archive, "archived")


@admin.action(description="Unarchive (restore previous status)")
def unarchive_campaigns(modeladmin, request, queryset):
    _each(modeladmin, request, queryset, lifecycle.campaign_unarchive, "unarchived")


class CampaignLifecycleAdminMixin:
    actions = [duplicate_campaigns, archive_campaigns, unarchive_campaigns]
    inlines = [ChildCampaignInline]

    def get_list_display(self, request):
        return [*super().get_list_display(request), "parent_campaign", "next_run_at"]

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), "is_recurring"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent_campaign")

    def get_readonly_fields(self, request, obj=None):
        # Lifecycle fields change through the actions and the lifecycle task only.
        return [*super().get_readonly_fields(request, obj), *lifecycle.LIFECYCLE_FIELDS]

    def has_change_permission(self, request, obj=None) -> bool:
        # Archived campaigns are read-only (delete and the unarchive action still work).
        if obj is not None and obj.status == Campaign.Status.ARCHIVED:
            return False
        return super().has_change_permission(request, obj)
