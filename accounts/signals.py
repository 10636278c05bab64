"""Revoke tokens when a password changes or an account is deactivated; count
failed sign-ins; stamp web sessions with the user's sign-out generation."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts import selectors, services, signin
from scheduler_site.lib.client_ip import client_ip

SESSION_GENERATION_KEY = "accounts_generation"
_WATCHED = {"password", "is_active"}


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def _note_credential_change(sender, instance, update_fields=None, **kwargs):
    instance._accounts_revoke = False
    if instance.pk is None or (update_fields is not None and not _WATCHED & set(update_fields)):
        return
    before = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    instance._accounts_revoke = before["password"] != instance.password or (
        before["is_active"] and not instance.is_active
    )


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _revoke_after_credential_change(sender, instance, created=False, update_fields=None, **kwargs):
    if getattr(instance, "_accounts_revoke", False):
        instance._accounts_revoke = False
        services.revoke_refresh_tokens(instance)
    # Access tokens are checked against the cached credential state: replace it
    # whenever the password or the active flag may have changed (a reactivation
    # too), not only on a revocation.
    if not created and (update_fields is None or _WATCHED & set(update_fields)):
        selectors.refresh_credential_state(instance.pk)


@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def _forget_deleted_user(sender, instance, **kwargs):
    selectors.refresh_credential_state(instance.pk)


@receiver(user_login_failed)
def _count_failed_sign_in(sender, credentials, request=None, **kwargs):
    if request is not None and getattr(request, signin.THROTTLED_ATTR, None):
        return  # refused by the limit itself: not another guess
    username = credentials.get(get_user_model().USERNAME_FIELD)
    signin.record_failure(username, client_ip(request) if request is not None else None)


@receiver(user_logged_in)
def _stamp_session(sender, request, user, **kwargs):
    signin.record_success(user.get_username())
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_GENERATION_KEY] = services.current_generation(user.pk)
