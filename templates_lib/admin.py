from __future__ import annotations

from django.contrib import admin

from templates_lib.models import JobTemplate


@admin.register(JobTemplate)
class JobTemplateAdmin(admin.ModelAdmin):
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
