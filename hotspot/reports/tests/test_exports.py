"""The shared downloads: Danish CSV (semicolon, decimal comma, BOM) as bytes or streamed, XLSX sheets."""

import datetime as dt
import io

import openpyxl
import pytest
from django.http import Http404, StreamingHttpResponse
from django.test import RequestFactory

from hotspot.audit.models import Action, AuditEvent
from hotspot.downloads import csv_bytes, stream_csv_response, xlsx_bytes
from hotspot.reports.exports import export_response

HEADERS = ["id", "tid", "værdi", "tekst", "ja"]
ROWS = [
    ["A-1", dt.datetime(2024, 7, 1, 10, 0, tzinfo=dt.UTC), 1.25, "a;b", True],
    ["A-2", dt.date(2024, 1, 31), 3.0, None, False],
    ["A-3", None, 12, 'sagde "hej"', None],
]
# Written out by hand: 10:00 UTC in July is 12:00 in Copenhagen; 3.0 has no decimals.
EXPECTED = (
    "\ufeffid;tid;værdi;tekst;ja\r\n"
    'A-1;2024-07-01 12:00:00;1,25;"a;b";1\r\n'
    "A-2;2024-01-31;3;;0\r\n"
    'A-3;;12;"sagde ""hej""";\r\n'
)


def test_csv_bytes_is_danish_excel_csv(settings):
    settings.TIME_ZONE = "Europe/Copenhagen"
    assert csv_bytes(HEADERS, ROWS).decode("utf-8") == EXPECTED


def test_stream_csv_response_streams_the_same_bytes_lazily(settings):
    settings.TIME_ZONE = "Europe/Copenhagen"
    read = []

    def rows():
        for row in ROWS:
            read.append(row[0])
            yield row

    response = stream_csv_response(HEADERS, rows(), "rapporter-X1")
    assert isinstance(response, StreamingHttpResponse)
    assert read == []  # nothing is read before the response is sent
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="rapporter-X1.csv"'
    assert b"".join(response.streaming_content).decode("utf-8") == EXPECTED
    assert read == ["A-1", "A-2", "A-3"]


def test_stream_csv_response_keeps_a_given_extension_and_handles_no_rows():
    response = stream_csv_response(["a", "b"], iter(()), "tom.csv")
    assert response["Content-Disposition"] == 'attachment; filename="tom.csv"'
    assert b"".join(response.streaming_content) == "\ufeffa;b\r\n".encode()


def test_xlsx_bytes_with_extra_sheets(settings):
    settings.TIME_ZONE = "Europe/Copenhagen"
    data = xlsx_bytes(
        ["a", "b"],
        [[1, 2.5], ["x", None]],
        sheet="scores",
        extra_sheets=[
            (
                "method",
                [("inputs_hash", "abc"), ("run at", dt.datetime(2024, 1, 2, 3, tzinfo=dt.UTC))],
            ),
            ("a sheet title longer than thirty-one characters", [["only"]]),
        ],
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["scores", "method", "a sheet title longer than thirt"]
    assert [list(r) for r in book["scores"].iter_rows(values_only=True)] == [
        ["a", "b"],
        [1, 2.5],
        ["x", None],
    ]
    # no header row on an extra sheet; an aware time becomes local wall-clock time (04:00 in winter)
    assert [list(r) for r in book["method"].iter_rows(values_only=True)] == [
        ["inputs_hash", "abc"],
        ["run at", dt.datetime(2024, 1, 2, 4, 0)],
    ]


@pytest.mark.django_db
def test_export_response_xlsx_has_extra_sheets_and_is_audited(analyst, demo_municipality):
    request = RequestFactory().get("/")
    request.user = analyst
    request.municipality = demo_municipality
    before = AuditEvent.objects.filter(action=Action.EXPORT).count()
    rows = [{"code": "A", "n": 3}, {"code": "B", "n": 4}]
    columns = [("kode", "code"), ("antal", "n")]
    response = export_response(
        request,
        rows,
        columns,
        "omraader",
        "xlsx",
        sheet="områder",
        extra_sheets=[("om", [["kilde", "demo"]])],
    )
    assert response["Content-Disposition"] == 'attachment; filename="omraader.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["områder", "om"]
    assert [list(r) for r in book["områder"].iter_rows(values_only=True)] == [
        ["kode", "antal"],
        ["A", 3],
        ["B", 4],
    ]
    event = AuditEvent.objects.filter(action=Action.EXPORT).order_by("-pk").first()
    assert AuditEvent.objects.filter(action=Action.EXPORT).count() == before + 1
    assert event.count == 2
    csv_response = export_response(request, rows, columns, "omraader", "csv")
    assert csv_response.content.decode("utf-8") == "\ufeffkode;antal\r\nA;3\r\nB;4\r\n"
    with pytest.raises(Http404):
        export_response(request, rows, columns, "omraader", "pdf")
