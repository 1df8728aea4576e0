"""Residents' pages: public only when opted in, aggregates under the small-cell rule (a hidden count is
never shown as a number or a zero), nobody named, an English version, a leaflet, built once and cached."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hotspot.audit.models import AuditEvent
from hotspot.programmes.models import Programme, Task
from hotspot.public.models import PublicPage


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def programme(demo_municipality):
    return (
        Programme.objects.filter(municipality=demo_municipality, areas__isnull=False)
        .order_by("pk")
        .first()
    )


@pytest.fixture
def page(programme):
    return PublicPage.objects.create(programme=programme, slug="tryghed-test", enabled=True)


def test_a_page_not_opted_in_is_not_found(client, programme):
    PublicPage.objects.create(programme=programme, slug="slukket", enabled=False)
    assert client.get("/residents/slukket/").status_code == 404
    assert client.get("/residents/findes-ikke/").status_code == 404


def test_anyone_reads_an_opted_in_page_without_login(client, page, programme):
    response = client.get(page.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert programme.name in body and "Kriminalitet og tryghed i området" in body
    for area in programme.areas.all():
        assert area.name in body
    # nobody is named: no task owner, no user
    for task in Task.objects.filter(programme=programme).select_related("owner"):
        if task.owner_id:
            assert task.owner.get_username() not in body
            full = task.owner.get_full_name()
            assert not full or full not in body


def test_a_small_count_is_hidden_never_shown(client, page, programme):
    """A year with 3 reports in an area (a current, partial year): its cell shows "<5", never 3 nor a
    zero; the rule is the partners' (``areas.pages.area_detail`` with raw=False)."""
    from hotspot import disclosure
    from hotspot.incidents.actions import refresh_report_counts
    from hotspot.incidents.models import CrimeReport

    area = programme.areas.order_by("code").first()
    reports = CrimeReport.objects.filter(area_id__in=area.tiling_descendant_ids())
    year = reports.latest("occurred_at").occurred_at.year
    in_year = reports.filter(occurred_at__year=year)
    keep = list(in_year.order_by("pk").values_list("pk", flat=True)[:3])
    in_year.exclude(pk__in=keep).delete()
    refresh_report_counts(programme.municipality_id)  # as the import's roll-back does
    body = client.get(page.get_absolute_url()).content.decode()
    row = re.search(
        rf'<th scope="row">{year}</th><td class="text-align-right" data-count="([^"]*)">', body
    )
    assert row, "the year's row is on the page"
    assert row.group(1) == f"&lt;{disclosure.min_cell()}", row.group(0)


def test_the_english_version_and_the_leaflet(client, page):
    en = client.get(reverse("public:page_en", args=[page.slug]))
    assert en.status_code == 200 and en["Content-Language"] == "en"
    assert "Crime and felt safety in the area" in en.content.decode()
    leaflet = client.get(reverse("public:leaflet", args=[page.slug]))
    assert leaflet.status_code == 200 and "public/leaflet.css" in leaflet.content.decode()


def test_the_page_is_built_once_and_then_served_from_the_cache(client, page):
    with CaptureQueriesContext(connection) as first:
        client.get(page.get_absolute_url())
    with CaptureQueriesContext(connection) as second:
        client.get(page.get_absolute_url())
    assert len(second) < len(first)
    assert len(second) <= 3, [q["sql"][:80] for q in second.captured_queries]


def test_the_coordinator_opts_in_and_it_is_audited(client, coordinator, partner, programme):
    url = reverse("public:settings", args=[programme.pk])
    client.force_login(partner)
    assert client.get(url).status_code == 403
    client.force_login(coordinator)
    assert client.get(url).status_code == 200
    response = client.post(url, {"enabled": "on", "slug": "vores-kvarter", "intro_da": "Hej"})
    assert response.status_code == 302
    page = PublicPage.objects.get(programme=programme)
    assert page.enabled and page.slug == "vores-kvarter"
    assert AuditEvent.objects.filter(object_type__icontains="publicpage").exists()
    client.logout()
    assert "Hej" in client.get("/residents/vores-kvarter/").content.decode()
