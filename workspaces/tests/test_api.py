"""Workspaces and members: list mine, create, edit, and owner-only member management."""

from __future__ import annotations

import pytest

from workspaces.models import Membership, Workspace
from workspaces.tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/workspaces"


def test_list_shows_my_workspaces_with_my_role_only(api, user, other_workspace):
    team = WorkspaceFactory(name="Agency")
    MembershipFactory(workspace=team, user=user, role="viewer")

    rows = api.get(URL).json()["results"]

    assert [(row["name"], row["role"]) for row in rows] == [
        ("Agency", "viewer"),
        ("alice's workspace", "owner"),
    ]
    assert set(rows[0]) >= {"id", "slug", "name", "timezone", "role"}


def test_create_makes_me_the_owner(api, user):
    response = api.post(URL, {"name": "  Client A  ", "timezone": "Europe/London"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["slug"], body["role"]) == ("Client A", "client-a", "owner")
    assert Membership.objects.get(workspace_id=body["id"], user=user).role == "owner"


@pytest.mark.parametrize(
    ("field", "value"), [("name", ""), ("name", "   "), ("timezone", "Mars/Olympus")]
)
def test_create_with_bad_input_is_a_400_naming_the_field(api, field, value):
    before = Workspace.objects.count()

    response = api.post(URL, {"name": "Valid", field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Workspace.objects.count() == before


def test_owner_renames_with_a_partial_put(api, workspace):
    response = api.put(f"{URL}/{workspace.pk}", {"name": "Renamed"}, format="json")

    assert response.status_code == 200
    workspace.refresh_from_db()
    assert workspace.name == "Renamed"
    assert workspace.timezone == "UTC"


def test_editor_cannot_edit_workspace_settings(api, user):
    team = WorkspaceFactory()
    MembershipFactory(workspace=team, user=user, role="editor")

    response = api.patch(f"{URL}/{team.pk}", {"name": "Mine now"}, format="json")

    assert response.status_code == 403
    team.refresh_from_db()
    assert team.name != "Mine now"


def test_owner_lists_members(api, user, workspace):
    MembershipFactory(workspace=workspace, user=UserFactory(username="bob"), role="viewer")

    response = api.get(f"{URL}/{workspace.pk}/members")

    assert response.status_code == 200
    assert [(m["username"], m["role"]) for m in response.json()] == [
        ("alice", "owner"),
        ("bob", "viewer"),
    ]


def test_owner_adds_a_member_by_username(api, workspace):
    UserFactory(username="carol")

    response = api.post(
        f"{URL}/{workspace.pk}/members", {"username": "carol", "role": "viewer"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["username"] == "carol"
    assert workspace.memberships.get(user__username="carol").role == "viewer"


def test_a_member_added_without_a_role_is_an_editor(api, workspace):
    UserFactory(username="erin")

    response = api.post(f"{URL}/{workspace.pk}/members", {"username": "erin"}, format="json")

    assert response.status_code == 201
    assert response.json()["role"] == "editor"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "nobody-here"}, "username"),
        ({"username": "alice"}, "username"),
        ({"username": "carol", "role": "admin"}, "role"),
        ({}, "username"),
    ],
)
def test_adding_a_member_with_bad_input_is_a_400(api, workspace, body, field):
    UserFactory(username="carol")
    before = workspace.memberships.count()

    response = api.post(f"{URL}/{workspace.pk}/members", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert workspace.memberships.count() == before


def test_owner_removes_a_member(api, workspace):
    membership = MembershipFactory(workspace=workspace, role="editor")

    response = api.delete(f"{URL}/{workspace.pk}/members/{membership.pk}")

    assert response.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_the_last_owner_cannot_be_removed(api, user, workspace):
    mine = workspace.memberships.get(user=user)

    response = api.delete(f"{URL}/{workspace.pk}/members/{mine.pk}")

    assert response.status_code == 400
    assert Membership.objects.filter(pk=mine.pk).exists()


def test_an_owner_can_leave_once_another_owner_exists(api, user, workspace):
    MembershipFactory(workspace=workspace, role="owner")
    mine = workspace.memberships.get(user=user)

    assert api.delete(f"{URL}/{workspace.pk}/members/{mine.pk}").status_code == 204


def test_removing_a_membership_of_another_workspace_is_404(api, workspace, other_workspace):
    theirs = other_workspace.memberships.get()

    response = api.delete(f"{URL}/{workspace.pk}/members/{theirs.pk}")

    assert response.status_code == 404
    assert Membership.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("role", ["editor", "viewer"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "members", None),
        ("post", "members", {"username": "zed"}),
        ("delete", "members/{owner_membership}", None),
        ("post", "rotate-webhook-secret", None),
    ],
)
def test_member_endpoints_are_403_for_members_who_are_not_owners(
    api, user, role, method, path, body
):
    team = WorkspaceFactory()
    UserFactory(username="zed")
    MembershipFactory(workspace=team, user=user, role=role)
    owner_membership = team.memberships.get(role="owner")
    url = f"{URL}/{team.pk}/" + path.format(owner_membership=owner_membership.pk)

    response = getattr(api, method)(url, body, format="json")

    assert response.status_code == 403
    assert team.memberships.count() == 2


def test_owner_rotates_the_webhook_secret_and_sees_it_once(api, workspace):
    old = workspace.webhook_secret

    response = api.post(f"{URL}/{workspace.pk}/rotate-webhook-secret")

    assert response.status_code == 200
    workspace.refresh_from_db()
    assert response.json()["webhook_secret"] == workspace.webhook_secret != old
    assert "webhook_secret" not in api.get(f"{URL}/{workspace.pk}").json()
