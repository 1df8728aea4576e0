"""Issue 14 item 7: whoever started a long computation is told once, on the next page they open, that
it has finished (with a link), and Overblik lists what finished in the last week. Nobody else is told,
old work is not announced, and the computation's own page counts as being told."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from hotspot.computations import Status
from hotspot.imports.models import ImportBatch
from hotspot.imports.models import Status as ImportStatus
from hotspot.indices.models import IndexRun
from hotspot.indices.tests.factories import make_definition

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(demo_municipality, analyst):
    definition = make_definition(demo_municipality, user=analyst, name="Ugens indeks")
    return IndexRun.objects.create(
        version=definition.current, created_by=analyst, status=Status.DONE
    )


def _alerts(page: str) -> str:
    start = page.find('id="main-content"')
    return page[start : page.find("</main>", start)]


def test_the_requester_is_told_once_on_the_next_page_with_a_link(client, login, analyst, run):
    client = login(analyst)
    page = _alerts(client.get(reverse("areas:list")).content.decode())
    assert "Ugens indeks" in page and run.get_absolute_url() in page
    run.refresh_from_db()
    assert run.seen_status == Status.DONE
    again = _alerts(client.get(reverse("areas:list")).content.decode())
    assert "Ugens indeks" not in again


def test_nobody_else_is_told_and_old_work_is_not_announced(
    client, login, analyst, coordinator, run, demo_municipality
):
    page = _alerts(login(coordinator).get(reverse("areas:list")).content.decode())
    assert "Ugens indeks" not in page
    run.refresh_from_db()
    assert run.seen_status == ""  # still to tell its requester
    IndexRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    page = _alerts(login(analyst).get(reverse("areas:list")).content.decode())
    assert "Ugens indeks" not in page


def test_a_running_computation_is_not_announced_and_its_own_page_counts_as_told(
    client, login, analyst, run
):
    IndexRun.objects.filter(pk=run.pk).update(status=Status.RUNNING)
    client = login(analyst)
    assert "Ugens indeks" not in _alerts(client.get(reverse("areas:list")).content.decode())
    IndexRun.objects.filter(pk=run.pk).update(status=Status.FAILED, error="no population")
    client.get(run.get_absolute_url())
    run.refresh_from_db()
    assert run.seen_status == Status.FAILED
    assert "Ugens indeks" not in _alerts(client.get(reverse("areas:list")).content.decode())


def test_an_import_is_announced_after_its_check_and_again_after_the_import(
    client, login, analyst, coordinator, demo_municipality
):
    batch = ImportBatch.objects.create(
        municipality=demo_municipality,
        kind="population",
        file_name="befolkning-2026.csv",
        status=ImportStatus.READY,
        inputs_hash="0" * 64,
        created_by=analyst,
    )
    page = _alerts(login(analyst).get(reverse("areas:list")).content.decode())
    assert "befolkning-2026.csv" in page and batch.get_absolute_url() in page
    # the coordinator imports it: the coordinator, not the uploader, is told the import finished
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.COMMITTED, committed_by=coordinator
    )
    assert "befolkning-2026.csv" not in _alerts(
        login(analyst).get(reverse("areas:list")).content.decode()
    )
    assert "befolkning-2026.csv" in _alerts(
        login(coordinator).get(reverse("areas:list")).content.decode()
    )


def test_overblik_lists_the_week_s_finished_work(client, login, analyst, run):
    page = login(analyst).get(reverse("home")).content.decode()
    section = page[page.index('id="finished-work"') :]
    assert "Ugens indeks" in section[: section.index("</section>")]
