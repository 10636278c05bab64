from __future__ import annotations

from django.contrib import admin

from campaigns.lifecycle_admin import CampaignLifecycleAdminMixin
from campaigns.models import Campaign


@admin.register(Campaign)
class CampaignAdmin(CampaignLifecycleAdminMixin, admin.ModelAdmin):
    list_display = ["name", "workspace", "status", "color", "start_date", "end_date", "created_at"]
    list_filter = ["status", "workspace"]
    search_fields = ["name", "description"]
    list_select_related = ["workspace"]
    readonly_fields = ["id", "created_at", "updated_at"]
    autocomplete_fields = ["workspace", "created_by"]
    date_hierarchy = "created_at"
