from __future__ import annotations

from django.contrib import admin

from campaigns.forms import CampaignLinkedAdminForm
from templates_lib import services
from templates_lib.models import JobTemplate


@admin.register(JobTemplate)
class JobTemplateAdmin(admin.ModelAdmin):
    form = CampaignLinkedAdminForm
    list_display = [
        "name",
        "workspace",
        "campaign",
        "llm_provider",
        "writing_strategy",
        "is_favorite",
        "use_count",
        "last_used_at",
    ]
    list_filter = ["is_favorite", "llm_provider", "writing_strategy", "workspace"]
    search_fields = ["name", "description", "publisher_domain"]
    list_select_related = ["workspace", "campaign"]
    readonly_fields = ["id", "use_count", "last_used_at", "created_at", "updated_at"]
    autocomplete_fields = ["workspace", "campaign", "created_by"]

    # Staff edits go through the same services as the API and the pages. The
    # form has already applied its fields; the service validates and saves.
    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        services.template_update(template=obj)

    def delete_model(self, request, obj):
        services.template_delete(template=obj)

    def delete_queryset(self, request, queryset):
        for template in queryset:
            services.template_delete(template=template)
