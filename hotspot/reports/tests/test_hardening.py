"""Downloads against hostile content: no live formulas, safe file names, and every PDF audited."""

import csv
import io
from urllib.parse import unquote

import openpyxl
import pytest
from django.test import RequestFactory
from django.urls import reverse

from hotspot.areas.models import Area
from hotspot.audit.models import Action, AuditEvent
from hotspot.downloads import attachment_header, csv_bytes, xlsx_bytes
from hotspot.reports.exports import export_response

HOSTILE = ["=1+1", "+SUM(A1)", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", '=HYPERLINK("http://x","y")']
HEADERS = ["tekst", "negativ", "kommatal", "almindelig", "=hoved"]


def _rows():
    return [[text, -5, -1.5, "Nørrebro", None] for text in HOSTILE]


def test_csv_escapes_text_that_would_be_a_formula_and_keeps_numbers():
    text = csv_bytes(HEADERS, _rows()).decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == ["tekst", "negativ", "kommatal", "almindelig", "'=hoved"]
    for hostile, row in zip(HOSTILE, rows[1:], strict=True):
        assert row == ["'" + hostile, "-5", "-1,5", "Nørrebro", ""]


def _cells(data: bytes):
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [cell for ws in book.worksheets for row in ws.iter_rows() for cell in row]


def test_xlsx_holds_no_formula_and_numbers_stay_numbers():
    data = xlsx_bytes(HEADERS, _rows(), extra_sheets=[("metode", [["=cmd|'/C calc'!A0", -7]])])
    cells = _cells(data)
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book.worksheets[0]
    assert ws["E1"].value == "'=hoved"
    for k, hostile in enumerate(HOSTILE, start=2):
        assert ws[f"A{k}"].value == "'" + hostile
        assert ws[f"B{k}"].value == -5 and ws[f"B{k}"].data_type == "n"
        assert ws[f"C{k}"].value == -1.5 and ws[f"C{k}"].data_type == "n"
        assert ws[f"D{k}"].value == "Nørrebro"
    method = book.worksheets[1]
    assert method["A1"].value == "'=cmd|'/C calc'!A0" and method["B1"].value == -7


def test_xlsx_drops_control_characters_xml_cannot_hold():
    data = xlsx_bytes(["a"], [["x\x00y\x1bz"]])
    assert openpyxl.load_workbook(io.BytesIO(data)).active["A2"].value == "xyz"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_response_escapes_every_cell(fmt, analyst, demo_municipality):
    request = RequestFactory().get("/")
    request.user = analyst
    request.municipality = demo_municipality
    rows = [{"a": h, "b": -3} for h in HOSTILE]
    response = export_response(request, rows, [("a", "a"), ("b", "b")], "x", fmt)
    if fmt == "xlsx":
        cells = _cells(response.content)
        assert not [c for c in cells if c.data_type == "f"]
        assert [c.value for c in cells[2::2]] == ["'" + h for h in HOSTILE]
        assert {c.value for c in cells[3::2]} == {-3}
    else:
        text = response.content.decode("utf-8").lstrip("\ufeff")
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))[1:]
        assert rows == [["'" + h, "-3"] for h in HOSTILE]


def test_programme_tables_workbook_holds_no_formula(login, coordinator, demo_municipality):
    from hotspot.programmes.models import Goal

    goal = Goal.objects.filter(programme__municipality=demo_municipality).first()
    Goal.objects.filter(pk=goal.pk).update(title='=HYPERLINK("http://evil","klik")')
    response = login(coordinator).get(reverse("programmes:tables_xlsx", args=[goal.programme_id]))
    assert response.status_code == 200
    cells = _cells(response.content)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert '\'=HYPERLINK("http://evil","klik")' in [c.value for c in cells]
    assert response["Content-Disposition"] == (
        f'attachment; filename="programme-{goal.programme_id}.xlsx"'
    )


def test_index_run_workbook_holds_no_formula(login, coordinator, demo_municipality):
    from hotspot.indices.tests.factories import make_run

    run = make_run(demo_municipality)
    area_id = run.scores.values_list("area_id", flat=True).first()
    Area.objects.filter(pk=area_id).update(code="=1+2")
    response = login(coordinator).get(reverse("indices:export", args=[run.pk, "xlsx"]))
    assert response.status_code == 200
    cells = _cells(response.content)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert "'=1+2" in [c.value for c in cells]
    assert response["Content-Disposition"] == f'attachment; filename="index-run-{run.pk}.xlsx"'


# -- file names -----------------------------------------------------------------------------------
def _filename_star(header: str) -> str:
    assert "\r" not in header and "\n" not in header
    star = header.split("filename*=UTF-8''", 1)[1]
    assert ";" not in star and '"' not in star and " " not in star
    return unquote(star)


def test_attachment_header_fallback_and_utf8_name():
    header = attachment_header('reports-A\r\nB"æøå\\.csv')
    assert header.startswith('attachment; filename="reports-A B_aeoeaa_.csv"; ')
    assert _filename_star(header) == 'reports-A B"æøå_.csv'
    assert attachment_header("areas-0101.csv") == 'attachment; filename="areas-0101.csv"'


def test_a_hostile_area_code_gives_a_well_formed_download_name(
    login, coordinator, demo_municipality
):
    area = Area.objects.filter(municipality=demo_municipality, kind="rode").first()
    Area.objects.filter(pk=area.pk).update(code='R\r\n"æøå')
    response = login(coordinator).get(reverse("areas:reports_csv", args=[area.pk]))
    assert response.status_code == 200
    header = response["Content-Disposition"]
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback == "reports-R _aeoeaa.csv" and fallback.isascii()
    assert _filename_star(header) == 'reports-R "æøå.csv'
    b"".join(response.streaming_content)


# -- audited PDFs ---------------------------------------------------------------------------------
def _exports(obj):
    return AuditEvent.objects.filter(
        action=Action.EXPORT, object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).count()


def test_the_dossier_pdf_writes_one_export_row(login, partner, demo_municipality):
    from hotspot.indices.tests.access import _dossier

    dossier = _dossier(demo_municipality)
    before = _exports(dossier)
    response = login(partner).get(reverse("indices:dossier_pdf", args=[dossier.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert _exports(dossier) == before + 1
    event = AuditEvent.objects.filter(action=Action.EXPORT).latest("pk")
    assert (event.object_id, event.actor, event.count) == (str(dossier.pk), partner, 1)
    assert event.municipality == demo_municipality
    assert response["Content-Disposition"] == (
        f'attachment; filename="dossier-{dossier.pk}-{dossier.year}.pdf"'
    )


def test_every_pdf_download_writes_one_export_row(
    login, coordinator, demo_municipality, monkeypatch
):
    from hotspot.evaluations.models import Study
    from hotspot.programmes.models import Programme
    from hotspot.reports import pdf

    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: b"%PDF-1.7 test")
    programme = Programme.objects.filter(municipality=demo_municipality).first()
    study = Study.objects.filter(municipality=demo_municipality).first()
    client = login(coordinator)
    for obj, url in (
        (programme, reverse("programmes:report_pdf", args=[programme.pk])),
        (study, reverse("evaluations:pdf", args=[study.pk])),
    ):
        before = _exports(obj)
        response = client.get(url)
        assert response.status_code == 200, url
        assert _exports(obj) == before + 1, url
