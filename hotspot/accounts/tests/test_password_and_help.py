"""Changing your own password (audited), and the help page for every role."""

import pytest
from django.test import Client
from django.urls import reverse

from hotspot.accounts.tests.table import ROLES
from hotspot.audit.models import Action, AuditEvent

OLD = "demo-old-password-1"
NEW = "a new and longer pass phrase 7"


@pytest.fixture
def analyst_with_password(analyst):
    analyst.set_password(OLD)
    analyst.save()
    return analyst


def _logs_in(user, password) -> bool:
    """Through the login page, as a person would (a fresh browser)."""
    response = Client().post(reverse("login"), {"username": user.username, "password": password})
    return response.status_code == 302


def _change(client, old, new1, new2=None):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new1, "new_password2": new2 or new1},
    )


def test_the_old_password_stops_working_and_the_change_is_audited(
    client, login, analyst_with_password
):
    user = analyst_with_password
    login(user)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.content.decode()
    before = AuditEvent.objects.filter(action=Action.UPDATE, object_type="accounts.user").count()
    response = _change(client, OLD, NEW)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert not _logs_in(user, OLD)
    assert _logs_in(user, NEW)
    # still logged in here (the session follows the new password)
    assert client.get(reverse("home")).status_code == 200
    events = AuditEvent.objects.filter(action=Action.UPDATE, object_type="accounts.user")
    assert events.count() == before + 1
    event = events.order_by("-seq").first()
    assert (event.actor, event.object_id, event.fields) == (user, str(user.pk), ["password"])


def test_a_wrong_current_password_is_refused(client, login, analyst_with_password):
    user = analyst_with_password
    login(user)
    before = AuditEvent.objects.filter(action=Action.UPDATE, object_type="accounts.user").count()
    response = _change(client, "not the password", NEW)
    assert response.status_code == 200
    assert 'id="password-errors"' in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(OLD) and not user.check_password(NEW)
    assert (
        AuditEvent.objects.filter(action=Action.UPDATE, object_type="accounts.user").count()
        == before
    )


def test_a_weak_or_mismatched_new_password_is_refused(client, login, analyst_with_password):
    login(analyst_with_password)
    assert _change(client, OLD, "123").status_code == 200
    assert _change(client, OLD, NEW, NEW + "x").status_code == 200
    analyst_with_password.refresh_from_db()
    assert analyst_with_password.check_password(OLD)


def test_the_user_menu_links_to_the_password_page(client, login, partner):
    login(partner)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("password_change")}"' in page
    assert f'href="{reverse("help")}"' in page


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_the_help_page_renders_in_danish_for_every_role(client, member, role):
    if role != "anonymous":
        client.force_login(member(role))
    response = client.get(reverse("help"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Hjælp</h1>" in page
    for section in ("login", "areas", "small-numbers", "data", "administration", "language"):
        assert f'id="{section}"' in page
    may_import = role in {"coordinator", "analyst", "admin", "outsider"}
    assert (reverse("incidents:offences") in page) == may_import
    assert (reverse("password_change") in page) == (role != "anonymous")
