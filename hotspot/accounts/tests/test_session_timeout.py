"""Issue 15 part 9: sessions of the roles that see person data end on the server after the idle limit,
every session ends SESSION_HOURS after login however active, logout ends the session server-side, and
the page carries the warning and keep-alive that keep typing from being lost."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from hotspot.accounts.middleware import LAST_ACTIVITY, LOGIN_AT
from hotspot.accounts.models import User


def _login(client, username):
    response = client.post(
        reverse("login"), {"username": username, "password": f"{username}-hotspot-demo"}
    )
    assert response.status_code == 302, response.content[:500]
    return client


def _age(client, **seconds_ago):
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[{"login": LOGIN_AT, "last": LAST_ACTIVITY}[key]] = now - ago
    session.save()


@pytest.mark.django_db
def test_a_caseworker_idle_past_the_limit_is_logged_out_on_the_server(client, settings):
    settings.SESSION_IDLE_MINUTES = 15
    _login(client, "caseworker")
    key = client.session.session_key
    assert client.get(reverse("home")).status_code == 200
    _age(client, last=15 * 60 + 5)
    response = client.get(reverse("casework:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert not Session.objects.filter(session_key=key).exists()
    page = client.get(response["Location"]).content.decode()
    assert "15" in page  # the reason, with the limit, on the login page
    # the old cookie opens nothing
    assert client.get(reverse("casework:home")).status_code == 302


@pytest.mark.django_db
def test_activity_keeps_a_caseworker_in_and_the_keepalive_counts(client, settings):
    settings.SESSION_IDLE_MINUTES = 15
    _login(client, "caseworker")
    _age(client, last=14 * 60)
    assert client.get(reverse("home")).status_code == 200  # within the limit: activity renews it
    assert int(time.time()) - client.session[LAST_ACTIVITY] < 5
    _age(client, last=14 * 60)
    alive = client.post(reverse("session_keepalive"), HTTP_X_REQUESTED_WITH="fetch")
    assert alive.status_code == 200 and alive.json()["idle_seconds"] == 15 * 60
    _age(client, last=15 * 60 + 5)
    gone = client.post(reverse("session_keepalive"), HTTP_X_REQUESTED_WITH="fetch")
    assert gone.status_code == 401  # the script then reloads into the login page


@pytest.mark.django_db
def test_a_partner_has_no_idle_limit_but_every_session_ends_after_its_hours(client, settings):
    _login(client, "partner")
    _age(client, last=3 * 3600)
    assert client.get(reverse("home")).status_code == 200  # no person data: no idle limit
    page = client.get(reverse("home")).content.decode()
    assert "data-idle-seconds" not in page and 'id="session-warning"' not in page
    _age(client, login=settings.SESSION_COOKIE_AGE + 5, last=0)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_a_person_data_page_carries_the_warning_and_the_keepalive(client, settings):
    settings.SESSION_IDLE_MINUTES = 15
    _login(client, "caseworker")
    page = client.get(reverse("home")).content.decode()
    assert 'data-idle-seconds="900"' in page
    assert f'data-keepalive-url="{reverse("session_keepalive")}"' in page
    assert 'id="session-warning"' in page and "hotspot/session.js" in page


@pytest.mark.django_db
def test_a_new_login_restarts_the_clock(client, settings):
    _login(client, "caseworker")
    _age(client, login=settings.SESSION_COOKIE_AGE + 5)
    assert client.get(reverse("home")).status_code == 302  # ended
    _login(client, "caseworker")
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_logout_ends_the_session_in_the_database(client):
    _login(client, "caseworker")
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert User.objects.filter(username="caseworker").exists()
