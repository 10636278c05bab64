from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from workspaces.services import personal_workspace_create


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def give_new_user_a_workspace(sender, instance, created, raw=False, **kwargs):
    # A signal, not a signup view: createsuperuser, the admin and every other
    # path that creates a user must end with a personal workspace.
    if created and not raw:
        personal_workspace_create(user=instance)
