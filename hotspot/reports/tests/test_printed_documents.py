"""Issue 14 item 7: no request prints a PDF. The request renders the HTML, the task worker prints it,
and the print is kept by the HTML's digest: the same document is printed once, a changed figure gives a
new one, a reader waits on a page that asks again by itself, and a failed print says so and retries."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from hotspot.audit.models import Action, AuditEvent
from hotspot.computations import Status
from hotspot.programmes.models import Programme
from hotspot.reports import pdf, tasks
from hotspot.reports.models import PrintedDocument


@pytest.fixture
def printer(monkeypatch):
    """Counts the prints (WeasyPrint itself is tested in test_pdf.py)."""
    calls = []

    def fake(html):
        calls.append(html)
        return b"%PDF-1.7 printed " + str(len(calls)).encode()

    monkeypatch.setattr(pdf, "html_to_pdf", fake)
    return calls


@pytest.fixture
def programme(demo_municipality):
    return Programme.objects.filter(municipality=demo_municipality).order_by("pk").first()


def _exports(obj):
    return AuditEvent.objects.filter(action=Action.EXPORT, object_id=str(obj.pk)).count()


def test_the_same_document_is_printed_once_and_served_from_the_store(
    login, coordinator, programme, printer
):
    client = login(coordinator)
    url = reverse("programmes:report_pdf", args=[programme.pk])
    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content == b"%PDF-1.7 printed 1"
    assert len(printer) == 1
    assert _exports(programme) == 2  # every download is audited, printed or not
    doc = PrintedDocument.objects.get()
    assert doc.status == Status.DONE and doc.html == "" and doc.template.endswith("report_pdf.html")


def test_a_changed_figure_gives_a_new_document(login, coordinator, programme, printer):
    client = login(coordinator)
    url = reverse("programmes:report_pdf", args=[programme.pk])
    client.get(url)
    Programme.objects.filter(pk=programme.pk).update(purpose_short="Et nyt formål for rapporten")
    response = client.get(url)
    assert response.content == b"%PDF-1.7 printed 2"
    assert "Et nyt formål for rapporten" in printer[1] and len(printer) == 2


def test_the_reader_waits_on_a_page_until_the_worker_has_printed_it(
    login, coordinator, programme, printer, monkeypatch
):
    queued, worker = [], tasks.print_document_task
    # a worker that is busy elsewhere: the task is queued, not run
    monkeypatch.setattr(tasks, "print_document_task", SimpleNamespace(enqueue=queued.append))
    client = login(coordinator)
    url = reverse("programmes:report_pdf", args=[programme.pk])
    waiting = client.get(url)
    assert waiting.status_code == 202 and waiting["Content-Type"].startswith("text/html")
    page = waiting.content.decode()
    assert 'http-equiv="refresh"' in page and 'id="pdf-progress"' in page
    assert _exports(programme) == 0 and printer == [] and len(queued) == 1
    assert client.get(url).status_code == 202 and len(queued) == 1  # asked once, not per visit
    worker.call(queued[0])  # the worker's turn
    ready = client.get(url)
    assert ready.status_code == 200 and ready["Content-Type"] == "application/pdf"
    assert _exports(programme) == 1


def test_a_failed_print_says_so_without_a_trace_and_the_next_request_tries_again(
    login, coordinator, programme, monkeypatch
):
    def broken(html):
        raise RuntimeError("Pango is missing")

    monkeypatch.setattr(pdf, "html_to_pdf", broken)
    client = login(coordinator)
    url = reverse("programmes:report_pdf", args=[programme.pk])
    failed = client.get(url)
    page = failed.content.decode()
    assert failed.status_code == 500 and 'data-status="failed"' in page
    assert "Pango" not in page and "Traceback" not in page
    assert _exports(programme) == 0
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: b"%PDF-1.7 second try")
    assert client.get(url).content == b"%PDF-1.7 second try"


def test_a_reader_who_may_see_fewer_figures_gets_a_document_of_their_own(
    login, coordinator, partner, programme, monkeypatch
):
    """The store is keyed by the reader's own HTML: the partner (small counts suppressed) is served
    the print of the partner's rendering, never the coordinator's stored one."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from hotspot.programmes import pages as programme_pages

    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: html.encode())  # the print is its HTML
    url = reverse("programmes:report_pdf", args=[programme.pk])
    first = login(coordinator).get(url).content
    served = login(partner).get(url).content
    with translation.override("da"):
        own = render_to_string(
            "programmes/report_pdf.html", programme_pages.report_context(programme, partner)
        ).encode()
    assert served == own
    assert PrintedDocument.objects.count() == (1 if first == own else 2)
