"""The JSON API: tokens (scoped, expiring, revocable, audited), the same rights as the pages (a role x
endpoint table), another municipality's object a 404, bad requests a 400 that names the field, the
checked-in OpenAPI schema the one the code makes."""

import datetime as dt
import io
import json
import pathlib

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from hotspot.accounts.tests.table import PROGRAMME_EDITORS, ROLES
from hotspot.api import actions
from hotspot.api.models import ApiToken
from hotspot.audit.models import AuditEvent
from hotspot.programmes.models import Programme, Task, TaskStatus

SCHEMA = pathlib.Path(__file__).resolve().parents[3] / "docs" / "api" / "openapi.yaml"
LISTS = ["areas", "index-runs", "programmes", "tasks", "studies", "spatial-runs"]


def _token(member, role="coordinator", scopes=("read",), days=30):
    user = member(role)
    membership = next(iter(user.memberships_by_municipality().values()))
    token, secret = actions.create_token(membership, name="test", scopes=scopes, days=days)
    return token, secret


def _get(client, url, secret, **params):
    return client.get(url, params, HTTP_AUTHORIZATION=f"Bearer {secret}")


def _patch(client, url, secret, body, *, raw=False):
    data = body if raw else json.dumps(body)
    return client.patch(
        url, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )


@pytest.fixture
def task(demo_municipality):
    return Task.objects.filter(programme__municipality=demo_municipality).order_by("pk").first()


def test_no_wrong_revoked_or_expired_token_is_a_401_and_audited(client, member):
    url = reverse("api:areas-list")
    assert client.get(url).status_code == 401
    before = AuditEvent.objects.filter(action="access_denied").count()
    assert _get(client, url, "hs_nothere_secret").status_code == 401
    token, secret = _token(member)
    assert _get(client, url, secret[:-2] + "xx").status_code == 401
    assert _get(client, url, secret).status_code == 200
    actions.revoke_token(token, user=token.user)
    assert _get(client, url, secret).status_code == 401
    token2, secret2 = _token(member)
    ApiToken.objects.filter(pk=token2.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    assert _get(client, url, secret2).status_code == 401
    assert AuditEvent.objects.filter(action="access_denied").count() == before + 4


@pytest.mark.parametrize("role", [r for r in ROLES if r != "outsider"])
def test_role_by_endpoint(client, member, role, task):
    """Every role reads every list (aggregates); only programme editors with a write token change a
    task; a read token changes nothing."""
    _token_r, read = _token(member, role)
    for name in LISTS:
        response = _get(client, reverse(f"api:{name}-list"), read)
        assert response.status_code == 200, (role, name)
        assert "results" in response.json()
    url = reverse("api:tasks-detail", args=[task.pk])
    body = {"status": TaskStatus.IN_PROGRESS, "version": task.version}
    assert _patch(client, url, read, body).status_code == 403
    _token_w, write = _token(member, role, scopes=("read", "write"))
    expected = 200 if role in PROGRAMME_EDITORS else 403
    assert _patch(client, url, write, body).status_code == expected, role


def test_the_token_sees_its_municipality_only(client, member, other_municipality):
    _t, secret = _token(member)
    foreign = Programme.objects.create(
        municipality=other_municipality, name="Fremmed", start="2024-01-01", end="2026-12-31"
    )
    assert (
        _get(client, reverse("api:programmes-detail", args=[foreign.pk]), secret).status_code == 404
    )
    listed = _get(client, reverse("api:programmes-list"), secret, limit=500).json()["results"]
    assert foreign.pk not in {p["id"] for p in listed}


def test_a_change_goes_through_the_action_and_a_stale_version_is_a_conflict(client, member, task):
    _t, secret = _token(member, scopes=("read", "write"))
    url = reverse("api:tasks-detail", args=[task.pk])
    response = _patch(client, url, secret, {"status": TaskStatus.DONE, "version": task.version})
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.done_on is not None
    assert AuditEvent.objects.filter(action="update", object_id=str(task.pk)).exists()
    stale = _patch(client, url, secret, {"status": TaskStatus.OPEN, "version": task.version - 1})
    assert stale.status_code == 409 and "version" in stale.json()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"status": "done", "version": 1, "colour": "red"}, "colour"),
        ({"status": "finished", "version": 1}, "status"),
        ({"status": "done", "version": "one"}, "version"),
        ({"status": "done"}, "version"),
    ],
)
def test_a_bad_body_is_a_400_that_names_the_field(client, member, task, body, field):
    _t, secret = _token(member, scopes=("read", "write"))
    response = _patch(client, reverse("api:tasks-detail", args=[task.pk]), secret, body)
    assert response.status_code == 400 and field in response.json(), response.content


def test_malformed_json_and_huge_pages_are_400s(client, member, task):
    _t, secret = _token(member, scopes=("read", "write"))
    bad = _patch(client, reverse("api:tasks-detail", args=[task.pk]), secret, "{not json", raw=True)
    assert bad.status_code == 400
    for limit in ("501", "0", "many"):
        r = _get(client, reverse("api:areas-list"), secret, limit=limit)
        assert r.status_code == 400 and "limit" in r.json(), limit
    r = _get(client, reverse("api:areas-list"), secret, limit=5, offset=5)
    assert r.status_code == 200 and len(r.json()["results"]) == 5 and r.json()["count"] > 10


def test_every_use_is_audited_with_the_token_and_the_count(client, member):
    token, secret = _token(member)
    before = AuditEvent.objects.filter(action="api").count()
    data = _get(client, reverse("api:areas-list"), secret).json()
    row = AuditEvent.objects.filter(action="api").order_by("-pk").first()
    assert AuditEvent.objects.filter(action="api").count() == before + 1
    assert row.count == data["count"] and row.object_id == str(token.pk)
    assert row.fields == ["areas", "area", "get"]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_person_scope_needs_a_role_that_sees_person_data(member):
    with pytest.raises(ValueError):
        _token(member, "partner", scopes=("read", "person"))
    token, _secret = _token(member, "caseworker", scopes=("read", "person"))
    assert "person" in token.scopes


def test_the_token_page_shows_a_new_secret_once_and_revokes(client, coordinator):
    client.force_login(coordinator)
    page = client.post(reverse("api:tokens"), {"name": "Rapportværktøj", "days": 30})
    body = page.content.decode()
    assert page.status_code == 200 and 'id="token-secret"' in body
    token = ApiToken.objects.get(user=coordinator, name="Rapportværktøj")
    assert token.scopes == ["read"] and token.secret_digest not in body
    assert 'id="token-secret"' not in client.get(reverse("api:tokens")).content.decode()
    assert client.post(reverse("api:token_revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_checked_in_schema_is_the_one_the_code_makes(tmp_path):
    out = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(out), "--validate", stdout=io.StringIO())
    assert out.read_text() == SCHEMA.read_text(), (
        "the API changed: run `manage.py spectacular --file docs/api/openapi.yaml`"
    )
