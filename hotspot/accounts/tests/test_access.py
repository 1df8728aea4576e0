"""Role x URL: every view answers as this table says, for every role, an outsider and an anonymous visitor.

A new URL pattern that is not in the table fails ``test_every_url_is_in_the_table``: access rules are
decided here, on purpose, not discovered later.
"""

import importlib

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from hotspot.accounts.tests.table import ALL, IMPORTERS, RAW, ROLES, foreign_only, only
from hotspot.areas.models import Area, AreaKind


def _hotspot_of(municipality):
    area, _new = Area.objects.get_or_create(
        municipality=municipality, code="HS-ADGANG", defaults={"name": "Adgang", "kind": "hotspot"}
    )
    return reverse("areas:composition_edit", args=[area.pk])


def _member_url(name):
    """The URL ``name`` of a membership that is not an administrator's (own) / the outsider's
    (foreign), so that the table's GETs never meet the last-administrator rule."""

    def build(municipality):
        from hotspot.accounts.models import Membership

        membership = (
            Membership.objects.filter(municipality=municipality)
            .exclude(role="admin")
            .order_by("pk")
            .first()
        )
        return reverse(name, args=[membership.pk])

    return build


#: the administrator of Demokommune finds no membership of Lillekommune; the others may not manage
#: members at all (the outsider neither: a coordinator)
_FOREIGN_MEMBER = {**only({"admin"}), "admin": 404}

TABLE = {
    "home": ("none", ALL, 302),
    "tour": ("none", ALL, 200),
    "help": ("none", ALL, 200),
    "password_change": ("none", ALL, 302),
    # POST only (the page's keep-alive, hotspot/static/hotspot/session.js); its rules are in
    # test_session_timeout.py
    "session_keepalive": ("none", {role: 405 for role in ROLES}, 405),
    "administration": ("none", only({"dpo", "admin"}), 302),
    "member_new": ("none", only({"admin"}), 302),
    "member_edit": (lambda own, foreign: _member_url("member_edit")(own), only({"admin"}), 302),
    "member_edit#foreign": (
        lambda own, foreign: _member_url("member_edit")(foreign),
        _FOREIGN_MEMBER,
        302,
    ),
    "member_end": (lambda own, foreign: _member_url("member_end")(own), only({"admin"}), 302),
    "member_end#foreign": (
        lambda own, foreign: _member_url("member_end")(foreign),
        _FOREIGN_MEMBER,
        302,
    ),
    "areas:list": ("none", ALL, 302),
    "areas:map": ("none", ALL, 302),
    "areas:geojson": ("none", ALL, 302),
    "areas:detail": ("own", {**ALL, "outsider": 404}, 302),
    "areas:detail#foreign": ("foreign", foreign_only(), 302),
    "areas:reports_csv": ("own", only(RAW, outsider=404), 302),
    "areas:reports_csv#foreign": ("foreign", foreign_only(), 302),
    "areas:composition_new": ("none", only(IMPORTERS, outsider=200), 302),
    "areas:composition_edit": (
        lambda own, foreign: _hotspot_of(own),
        only(IMPORTERS, outsider=404),
        302,
    ),
    "areas:composition_edit#foreign": (
        lambda own, foreign: _hotspot_of(foreign),
        # the roles that may compose areas find no such area; the others may not compose at all
        {**only(IMPORTERS, outsider=200, other=403), **dict.fromkeys(IMPORTERS, 404)},
        302,
    ),
    "audit:list": ("none", only({"dpo"}), 302),
    "audit:export": ("none", only({"dpo"}), 302),
}
# Each app adds its own rows in hotspot/<app>/tests/access.py.
for _app in (
    "imports",
    "incidents",
    "indicators",
    "surveys",
    "indices",
    "programmes",
    "casework",
    "evaluations",
    "spatial",
    "notifications",
    "public",
    "api",
):
    _module = importlib.import_module(f"hotspot.{_app}.tests.access")
    _overlap = set(_module.TABLE) & set(TABLE)
    assert not _overlap, f"{_app} redefines {_overlap}"
    TABLE.update(_module.TABLE)
# Framework URLs with their own rules (login, logout, language, admin site) are not tenant views.
NOT_TENANT_VIEWS = {"login", "logout", "set_language", "switch_municipality"}


def _url(name, kind, own, foreign):
    base = name.split("#")[0]
    if callable(kind):
        return kind(own, foreign)
    if kind == "none":
        return reverse(base)
    municipality = own if kind == "own" else foreign
    area = Area.objects.filter(municipality=municipality, kind=AreaKind.HOUSING).first()
    return reverse(base, args=[area.pk])


CASES = [(name, role) for name in TABLE for role in ROLES]


@pytest.mark.parametrize("name,role", CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_role_url_table(client, name, role, member, demo_municipality, other_municipality):
    kind, expected, _anon = TABLE[name]
    client.force_login(member(role))
    response = client.get(_url(name, kind, demo_municipality, other_municipality))
    assert response.status_code == expected[role], f"{role} on {name}"


@pytest.mark.parametrize("name", list(TABLE))
def test_anonymous(client, name, demo_municipality, other_municipality):
    kind, _expected, anonymous = TABLE[name]
    response = client.get(_url(name, kind, demo_municipality, other_municipality))
    assert response.status_code == anonymous
    if anonymous == 302:
        assert response["Location"].startswith(reverse("login"))


def _names(resolver, prefix=""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                continue
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            yield from _names(p, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + p.name


def test_every_url_is_in_the_table():
    covered = {name.split("#")[0] for name in TABLE} | NOT_TENANT_VIEWS
    missing = sorted(set(_names(get_resolver())) - covered)
    assert not missing, f"add these views to the role x URL table: {missing}"


def test_user_without_membership_gets_403_not_500(client, django_user_model, db):
    lonely = django_user_model.objects.create_user("lonely", password="x" * 12)
    client.force_login(lonely)
    assert client.get(reverse("areas:list")).status_code == 403
    assert client.get(reverse("home")).status_code == 403


def test_nonexistent_and_malformed_ids_are_404(client, coordinator):
    client.force_login(coordinator)
    assert client.get("/areas/999999999/").status_code == 404
    assert client.get("/areas/abc/").status_code == 404


def test_visible_to_is_the_only_filter(
    coordinator, outsider, demo_municipality, other_municipality
):
    """The choke point: a member sees only their municipality's areas; a stranger sees none of them."""
    mine = Area.objects.visible_to(coordinator)
    assert mine.exists()
    assert set(mine.values_list("municipality_id", flat=True)) == {demo_municipality.pk}
    theirs = Area.objects.visible_to(outsider)
    assert set(theirs.values_list("municipality_id", flat=True)) == {other_municipality.pk}


def test_switching_to_a_foreign_municipality_is_refused(client, coordinator, other_municipality):
    client.force_login(coordinator)
    response = client.post(
        reverse("switch_municipality"), {"municipality": other_municipality.pk, "next": "/"}
    )
    assert response.status_code == 302
    assert client.session.get("municipality_id") is None
    # Still only Demokommune's data on the area list.
    page = client.get(reverse("areas:list")).content.decode()
    foreign = Area.objects.filter(municipality=other_municipality, kind=AreaKind.DISTRICT).first()
    assert foreign.name not in page


@pytest.mark.parametrize("value", ["abc", "", "99999999999999999999", "1; DROP TABLE"])
def test_switching_with_a_malformed_municipality_is_refused(client, coordinator, value):
    client.force_login(coordinator)
    response = client.post(
        reverse("switch_municipality"), {"municipality": value, "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"  # never an open redirect
    assert client.session.get("municipality_id") is None
