"""Every path that creates a user ends with a personal workspace the user owns."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from workspaces.models import Membership

pytestmark = pytest.mark.django_db


def owned_workspace_names(username: str) -> list[str]:
    return list(
        Membership.objects.filter(user__username=username, role="owner").values_list(
            "workspace__name", flat=True
        )
    )


def test_create_user_gets_a_personal_workspace():
    get_user_model().objects.create_user(username="dana", password="pw-for-tests-123")

    assert owned_workspace_names("dana") == ["dana's workspace"]


def test_createsuperuser_gets_a_personal_workspace(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "pw-for-tests-123")

    call_command("createsuperuser", username="root", email="root@example.com", interactive=False)

    assert owned_workspace_names("root") == ["root's workspace"]


def test_the_admin_add_user_form_gets_a_personal_workspace(client, make_user):
    admin = make_user("boss", is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.post(
        "/admin/auth/user/add/",
        {
            "username": "newcomer",
            "usable_password": "true",
            "password1": "a-long-Passw0rd-for-tests",
            "password2": "a-long-Passw0rd-for-tests",
            "_save": "Save",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert owned_workspace_names("newcomer") == ["newcomer's workspace"]


def test_two_users_with_similar_names_get_distinct_slugs():
    get_user_model().objects.create_user(username="Sam")
    get_user_model().objects.create_user(username="sam")

    slugs = set(
        Membership.objects.filter(user__username__iexact="sam").values_list(
            "workspace__slug", flat=True
        )
    )

    assert len(slugs) == 2
