from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet

from campaigns.forms import CampaignLinkedAdminForm
from marketing import services
from marketing.models import ChannelAccount, ContentItem, Post, Wave
from scheduler_site.lib.moments import ADMIN_DATE_OVERRIDES


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "platform",
        "workspace",
        "posts_per_week",
        "schedule_times",
        "schedule_timezone",
        "is_active",
        "is_paused",
        "executor",
    ]
    list_filter = ["platform", "is_active", "is_paused", "executor"]
    search_fields = ["name", "handle", "workspace__name"]
    list_select_related = ["workspace"]
    readonly_fields = ["created_at", "updated_at", "masked_settings"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    exclude = ["settings"]  # secrets: edited through the API, shown masked here
    actions = ["top_off_now", "pause", "resume"]

    @admin.display(description="Settings")
    def masked_settings(self, obj: ChannelAccount) -> dict:
        return obj.public_settings

    @admin.action(description="Top off 28 days now")
    def top_off_now(self, request, queryset: QuerySet[ChannelAccount]):
        created = 0
        by_workspace: dict = {}
        for channel in queryset.select_related("workspace"):
            if channel.is_active and not channel.is_paused:
                by_workspace.setdefault(channel.workspace, []).append(channel)
        for workspace, channels in by_workspace.items():
            created += services.topoff_slots(
                workspace=workspace, channels=channels
            ).instances_created
        self.message_user(request, f"Created {created} planned slots.", messages.SUCCESS)

    @admin.action(description="Pause publishing")
    def pause(self, request, queryset):
        for channel in queryset:
            services.channel_pause(channel=channel)
        self.message_user(request, f"Paused {queryset.count()} channel(s).", messages.SUCCESS)

    @admin.action(description="Resume publishing (missed while paused: mark missed)")
    def resume(self, request, queryset):
        missed = 0
        for channel in queryset.filter(is_paused=True):
            missed += services.channel_resume(channel=channel).missed
        self.message_user(request, f"Resumed; {missed} post(s) marked missed.", messages.SUCCESS)


@admin.register(ContentItem)
class ContentItemAdmin(admin.ModelAdmin):
    form = CampaignLinkedAdminForm
    list_display = ["title", "workspace", "campaign", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["title", "body"]
    list_select_related = ["workspace", "campaign"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def delete_model(self, request, obj):
        try:
            services.content_delete(content_item=obj)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = [
        "scheduled_for",
        "channel_account",
        "content_item",
        "status",
        "is_paused",
        "wave",
        "executed_at",
    ]
    list_filter = [
        "status",
        "is_paused",
        "channel_account",
        ("scheduled_for", admin.DateFieldListFilter),
    ]
    date_hierarchy = "scheduled_for"
    search_fields = ["content_item__title", "channel_account__name", "wave__wave_id"]
    list_select_related = ["channel_account", "content_item", "wave"]
    raw_id_fields = ["job", "content_item", "wave", "channel_account"]
    formfield_overrides = ADMIN_DATE_OVERRIDES
    readonly_fields = [
        "job",
        "executed_at",
        "execution_result",
        "error_message",
        "created_at",
        "updated_at",
    ]
    actions = ["cancel"]

    @admin.action(description="Cancel the selected posts")
    def cancel(self, request, queryset):
        done = 0
        for post in queryset:
            try:
                services.post_cancel(post=post)
                done += 1
            except ValidationError:
                continue
        self.message_user(request, f"Cancelled {done} post(s).", messages.SUCCESS)


class WavePostInline(admin.TabularInline):
    model = Post
    fields = [
        "channel_account",
        "scheduled_for",
        "status",
        "is_paused",
        "executed_at",
        "error_message",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = [
        "wave_id",
        "workspace",
        "content_item",
        "type",
        "start_at",
        "delay_seconds",
        "status",
    ]
    list_filter = ["type", "status"]
    search_fields = ["wave_id", "content_item__title"]
    list_select_related = ["workspace", "content_item"]
    readonly_fields = ["channel_order", "created_at", "updated_at"]
    formfield_overrides = ADMIN_DATE_OVERRIDES
    inlines = [WavePostInline]
