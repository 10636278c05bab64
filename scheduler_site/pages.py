"""Helpers every app's page views share: scoping, feedback, display timezone.

Pages are thin: they look rows up through these (so another workspace's row
is a 404, never a 403 that leaks existence), call the owning app's services,
and answer with a full page or an htmx fragment.
"""

from __future__ import annotations

import functools
import json
import uuid
import zoneinfo
from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from workspaces.models import Workspace
from workspaces.selectors import WRITE_ROLES, default_workspace_for, workspaces_for

READ_ONLY_MESSAGE = "Your role in this workspace is read-only."


def scoped(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Rows of the workspaces the signed-in user belongs to."""
    return queryset.filter(workspace__in=workspaces_for(request.user))


def get_scoped_or_404(request: HttpRequest, queryset: QuerySet, pk) -> Model:
    """One row of the user's workspaces; a malformed id or a stranger's row is a 404."""
    try:
        key = uuid.UUID(str(pk)) if _uses_uuid(queryset) else int(pk)
    except (ValueError, TypeError):
        raise Http404("Not found") from None
    row = scoped(request, queryset).filter(pk=key).first()
    if row is None:
        raise Http404("Not found")
    return row


def _uses_uuid(queryset: QuerySet) -> bool:
    return queryset.model._meta.pk.get_internal_type() == "UUIDField"


def writable_workspaces(request: HttpRequest) -> QuerySet[Workspace]:
    return workspaces_for(request.user, roles=WRITE_ROLES)


def require_write(request: HttpRequest, workspace_id) -> None:
    """Viewers read; a write from one is a 403 (they can see the row already)."""
    if not writable_workspaces(request).filter(pk=workspace_id).exists():
        raise PermissionDenied(READ_ONLY_MESSAGE)


def can_write(request: HttpRequest, workspace_id) -> bool:
    return writable_workspaces(request).filter(pk=workspace_id).exists()


def current_workspace(request: HttpRequest) -> Workspace | None:
    """The workspace named by ``?workspace=`` (id or slug) or the personal one."""
    wanted = request.GET.get("workspace") or request.POST.get("workspace") or ""
    if wanted:
        candidates = workspaces_for(request.user)
        try:
            found = candidates.filter(pk=uuid.UUID(wanted)).first()
        except ValueError:
            found = candidates.filter(slug=wanted).first()
        if found is not None:
            return found
    return default_workspace_for(request.user)


def zone_or_default(name: str | None, default: str = "UTC") -> zoneinfo.ZoneInfo:
    """A ZoneInfo for a user-supplied name; anything unknown falls back quietly."""
    for candidate in (name, default, "UTC"):
        if not candidate:
            continue
        try:
            return zoneinfo.ZoneInfo(candidate)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
    return zoneinfo.ZoneInfo("UTC")


def add_toast(response: HttpResponse, message: str, level: str = "success") -> HttpResponse:
    """Ask the page to show a toast (app.js listens for the ``toast`` event)."""
    triggers = {}
    existing = response.headers.get("HX-Trigger")
    if existing:
        try:
            triggers = json.loads(existing)
        except ValueError:
            triggers = {existing: None}
    triggers["toast"] = {"message": message, "level": level}
    response.headers["HX-Trigger"] = json.dumps(triggers)
    return response


def feedback(
    request: HttpRequest,
    response: HttpResponse,
    message: str,
    level: str = "success",
) -> HttpResponse:
    """A toast for htmx requests, a flash message for plain ones (shown after redirect)."""
    if getattr(request, "htmx", False):
        return add_toast(response, message, level)
    getattr(messages, level if level in ("success", "error", "warning") else "info")(
        request, message
    )
    return response


def redirect_with_feedback(
    request: HttpRequest, to: str, message: str, level: str = "success"
) -> HttpResponse:
    """After a write: htmx follows HX-Redirect, a plain form POST gets a 302."""
    messages.add_message(request, _message_level(level), message)
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response.headers["HX-Redirect"] = to
        return response
    return redirect(to)


def _message_level(level: str) -> int:
    return {
        "success": messages.SUCCESS,
        "error": messages.ERROR,
        "warning": messages.WARNING,
    }.get(level, messages.INFO)


def error_text(error: ValidationError) -> str:
    """A person-readable line from a domain ValidationError (its messages name the field)."""
    return " ".join(dict.fromkeys(error.messages))


def apply_validation_error(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form so it shows next to the field."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def parse_tags(text: str) -> list[str]:
    """Tags typed as "a, b, c" in a form field."""
    return [tag.strip() for tag in (text or "").split(",") if tag.strip()]


def join_tags(tags: Iterable[str] | None) -> str:
    return ", ".join(tags or [])


DISPLAY_TZ_SESSION_KEY = "display_tz"


def display_timezone_name(request: HttpRequest, workspace: Workspace | None = None) -> str:
    """The zone pages show times in: ?tz=, then the one chosen earlier, then the workspace's."""
    for candidate in (request.GET.get("tz"), request.session.get(DISPLAY_TZ_SESSION_KEY)):
        if candidate and _is_zone(candidate):
            return candidate
    if workspace is None and request.user.is_authenticated:
        workspace = default_workspace_for(request.user)
    if workspace is not None and _is_zone(workspace.timezone):
        return workspace.timezone
    return "UTC"


def _is_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def page(view):
    """Signed-in page whose times render (and forms parse) in the display timezone."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        wanted = request.GET.get("tz")
        if wanted and _is_zone(wanted):
            request.session[DISPLAY_TZ_SESSION_KEY] = wanted
        request.display_tz = display_timezone_name(request)
        with timezone.override(zoneinfo.ZoneInfo(request.display_tz)):
            return view(request, *args, **kwargs)

    return login_required(wrapper)


def add_workspace_choice(form, request: HttpRequest, initial: Workspace | None) -> None:
    """On create forms: let a member of several workspaces pick where the row goes."""
    from django import forms

    choices = writable_workspaces(request)
    form.fields["workspace"] = forms.ModelChoiceField(
        queryset=choices, initial=initial, empty_label=None, label="Workspace"
    )
    form.order_fields(["workspace", *[n for n in form.fields if n != "workspace"]])


def render_form(request: HttpRequest, template_name: str, context: dict) -> HttpResponse:
    """A form page: the whole page, or its ``#form`` partial for htmx.

    422 while the submitted form (``context["form"]``) has errors, so htmx
    swaps the form with its inline errors in place and tests can tell.
    """
    form = context["form"]
    status = 422 if form.is_bound and form.errors else 200
    name = f"{template_name}#form" if request.htmx else template_name
    return render(request, name, context, status=status)
