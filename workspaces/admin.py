from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from workspaces.models import Membership, Workspace
from workspaces.services import workspace_rotate_webhook_secret

MASK = "********"  # as the API shows a channel's secrets (marketing.api.MASK)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "timezone",
        "default_executor",
        "publishing_paused",
        "created_at",
    ]
    list_filter = ["default_executor", "publishing_paused"]
    search_fields = ["name", "slug"]
    readonly_fields = ["id", "created_at", "masked_webhook_secret"]
    # The signing secret is never rendered: shown masked, changed only by rotating it
    # (the button on the change page or the list action), as the API does for tokens.
    exclude = ["webhook_secret"]
    inlines = [MembershipInline]
    # Django 6 makes https the default scheme for a URL typed without one; opt in now.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["rotate_webhook_secret"]

    @admin.display(description="Webhook signing secret")
    def masked_webhook_secret(self, obj: Workspace):
        if obj is None or obj.pk is None:
            return "(generated when the workspace is saved)"
        url = reverse("admin:workspaces_workspace_rotate_webhook_secret", args=[obj.pk])
        # A submit button of the change form posting (with its CSRF token) to the
        # rotate view: the form's other edits are not saved by it.
        return format_html(
            '<span class="masked-secret">{}</span> '
            '<button type="submit" class="button" formaction="{}" formmethod="post" '
            'name="_rotate_webhook_secret">Rotate webhook secret</button>',
            MASK,
            url,
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/rotate-webhook-secret/",
                self.admin_site.admin_view(self.rotate_webhook_secret_view),
                name="workspaces_workspace_rotate_webhook_secret",
            ),
            *super().get_urls(),
        ]

    def rotate_webhook_secret_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        workspace = self.get_object(request, unquote(object_id))
        if workspace is None:
            raise Http404("No such workspace.")
        if not self.has_change_permission(request, workspace):
            raise PermissionDenied
        workspace_rotate_webhook_secret(workspace=workspace)
        self.log_change(request, workspace, "Rotated the webhook signing secret.")
        self.message_user(
            request,
            "Rotated the webhook signing secret; receivers must use the new one.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:workspaces_workspace_change", args=[workspace.pk])
        )

    @admin.action(description="Rotate the webhook signing secret")
    def rotate_webhook_secret(self, request, queryset):
        for workspace in queryset:
            workspace_rotate_webhook_secret(workspace=workspace)
        self.message_user(request, f"Rotated {queryset.count()} secret(s).", messages.SUCCESS)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "workspace__name"]
    list_select_related = ["user", "workspace"]
    autocomplete_fields = ["user", "workspace"]
    readonly_fields = ["created_at"]
