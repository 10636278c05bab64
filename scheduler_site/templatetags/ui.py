"""Small template helpers for the pages: navigation, progress bars, status icons."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()

# Status is never shown by colour alone: each has a glyph and its word.
STATUS_ICONS = {
    "active": "●",
    "paused": "❚❚",
    "completed": "✓",
    "archived": "▣",
    "expired": "⌛",
    "error": "⚠",
    "pending": "○",
    "queued": "⋯",
    "running": "▶",
    "succeeded": "✓",
    "failed": "✕",
    "cancelled": "⊘",
    "skipped": "↷",
    "missed": "⚠",
    # An occurrence's fate (schedules.ledger) beyond the Job statuses above.
    "withdrawn": "⊘",
    "moved": "⇢",
    "waiting": "⋯",
    "upcoming": "◷",
    "planned": "◌",
    "draft": "✎",
    "scheduled": "◷",
    "publishing": "▶",
    "published": "✓",
}


@register.simple_tag(takes_context=True)
def nav_link(context, url_name: str, label: str):
    """A main-nav link marked aria-current when the page lives under it."""
    href = reverse(url_name)
    request = context.get("request")
    current = request is not None and request.path.startswith(href) and href != "/"
    return format_html(
        '<a href="{}"{}>{}</a>', href, ' aria-current="page"' if current else "", label
    )


@register.filter
def status_icon(status: str) -> str:
    return STATUS_ICONS.get(str(status), "•")


@register.inclusion_tag("_status_badge.html")
def status_badge(status: str, label: str = ""):
    return {
        "status": status,
        "label": label or str(status).replace("_", " ").capitalize(),
        "icon": STATUS_ICONS.get(str(status), "•"),
    }


@register.inclusion_tag("_progress.html")
def progress(fraction, label: str, detail: str = ""):
    """A labelled progress bar; fraction None means "no target set"."""
    if fraction is None:
        return {"percent": None, "label": label, "detail": detail}
    percent = max(0.0, float(fraction) * 100)
    return {
        "percent": round(percent),
        "width": min(100, round(percent)),
        "over": percent > 100,
        "label": label,
        "detail": detail,
    }


@register.filter
def percent(fraction) -> str:
    if fraction is None:
        return "—"
    return f"{round(float(fraction) * 100)}%"


@register.filter
def duration(seconds) -> str:
    """A span of seconds as people say it: "0.4 s", "12 s", "5 min", "2 h 5 min", "3 d 4 h"."""
    if seconds is None:
        return ""
    seconds = abs(float(seconds))
    if seconds < 10:
        return f"{seconds:.1f} s".replace(".0 s", " s")
    if seconds < 60:
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
