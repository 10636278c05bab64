"""Demo user, workspace and sample data for `make run`. Safe to run again.

Each demo row is known by a stable demo key (scheduler_site/demo.py), never by
its name: rows the user made with the demo's names, and demo rows the user
renamed, are left alone; a demo row the user deleted is made again. A step the
product refuses is skipped with a log line, so `make run` always starts.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from workspaces.selectors import default_workspace_for

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"  # noqa: S105  a local demo login, printed by `make run`

# Each app seeds its own demo rows; order matters (campaigns before templates...).
SEEDERS = [
    "campaigns.demo.seed",
    "templates_lib.demo.seed",
    "schedules.demo.seed",
    "marketing.demo.seed",
    "campaigns.lifecycle_demo.seed",
]


class Command(BaseCommand):
    help = "Create the demo user, workspace and sample data (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        user, created = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME,
            defaults={"is_staff": True, "is_superuser": True, "email": "demo@example.com"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        workspace = default_workspace_for(user)
        if created:  # later, the name and zone are the user's to change
            workspace.name = "Demo workspace"
            workspace.timezone = "America/New_York"
            workspace.save(update_fields=["name", "timezone"])
        for seeder in SEEDERS:
            import_string(seeder)(workspace=workspace, user=user)
        self.stdout.write(f"Demo login: {DEMO_USERNAME} / {DEMO_PASSWORD}")
