"""The test cast, shared by every test (STYLE.md: a fixed cast, like healthchecks' Alice, Bob and Charlie).

The whole suite runs against the demo city at scale 0.1 (Demokommune, ~25,000 residents, plus the small
Lillekommune), built once per test session into the test database. Each test then runs inside a
transaction that is rolled back, so tests can change data freely.

- ``coordinator``: hotspot secretariat in Demokommune (sees raw data and person data)
- ``analyst``: analyst in Demokommune (raw data, imports; no person data)
- ``partner``: housing association in Demokommune (aggregates only)
- ``outsider``: coordinator in Lillekommune, a member of nothing in Demokommune (must get 404 there)
The other roles (caseworker, police, board, dpo, admin) are reachable through ``member(role)``.
"""

import pytest
from django.core.management import call_command

DEMO_SCALE = 0.1


def _asks_for_database(item) -> bool:
    names = getattr(item, "fixturenames", ())
    return item.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & set(names)
    )


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_setup, django_db_blocker):
    """Build the demo city into the test database; True when there is one. pytest-django sets the test
    database up only when a collected test asks for it (the same rule as here): a run of browser tests
    alone has none, and the connection then still names the real database, which must not be touched."""
    if not any(_asks_for_database(item) for item in request.session.items):
        return False
    with django_db_blocker.unblock():
        call_command("make_demo_city", seed=1, scale=DEMO_SCALE, verbosity=0)
    return True


def _user(username):
    from hotspot.accounts.models import User

    return User.objects.get(username=username)


@pytest.fixture
def member(db):
    """member("board") -> the demo user holding that role in Demokommune."""
    return _user


@pytest.fixture
def coordinator(db):
    return _user("coordinator")


@pytest.fixture
def analyst(db):
    return _user("analyst")


@pytest.fixture
def partner(db):
    return _user("partner")


@pytest.fixture
def outsider(db):
    return _user("outsider")


@pytest.fixture
def demo_municipality(db):
    from hotspot.accounts.models import Municipality

    return Municipality.objects.get(memberships__user__username="coordinator")


@pytest.fixture
def other_municipality(db):
    from hotspot.accounts.models import Municipality

    return Municipality.objects.get(memberships__user__username="outsider")


@pytest.fixture
def login(client):
    """login(user) -> the test client, logged in as ``user`` (force_login: axes needs a request)."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def english(client, settings):
    """Messages and pages in English (the source language): for tests that check texts of the code.

    The test client sends the language cookie the switch in the header would set; code outside a request
    runs with English active.
    """
    from django.utils import translation

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield
