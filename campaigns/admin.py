from __future__ import annotations

from django.contrib import admin

from campaigns import services
from campaigns.lifecycle_admin import CampaignLifecycleAdminMixin
from campaigns.models import Campaign
from scheduler_site.lib.moments import ADMIN_DATE_OVERRIDES


@admin.register(Campaign)
class CampaignAdmin(CampaignLifecycleAdminMixin, admin.ModelAdmin):
    list_display = ["name", "workspace", "status", "color", "start_date", "end_date", "created_at"]
    list_filter = ["status", "workspace"]
    search_fields = ["name", "description"]
    list_select_related = ["workspace"]
    readonly_fields = ["id", "created_at", "updated_at"]
    autocomplete_fields = ["workspace", "created_by"]
    date_hierarchy = "created_at"
    formfield_overrides = ADMIN_DATE_OVERRIDES

    # Staff edits go through the same services as the API and the pages. The
    # form has already applied its fields; the service validates and saves.
    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        services.campaign_update(campaign=obj)

    def delete_model(self, request, obj):
        services.campaign_delete(campaign=obj)

    def delete_queryset(self, request, queryset):
        for campaign in queryset:
            services.campaign_delete(campaign=campaign)
