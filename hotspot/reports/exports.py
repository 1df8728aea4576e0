"""Every download of the apps leaves through here, audited: each function writes the audit row
(action ``export`` with the number of rows, ``audit.actions.record_export``) before it answers, so no
export leaves the building unrecorded and no view records one itself.

- ``export_response``: rows x columns as CSV or XLSX (lists, tables);
- ``stream_export_response``: a CSV written while a queryset is read (incident-level rows);
- ``file_response``: a file the caller built (a workbook of several sheets);
- PDFs: ``hotspot.reports.pdf.pdf_response``, which calls ``record_export`` the same way.

The formats themselves (CSV, XLSX, safe cells, file names) are in ``hotspot/downloads.py``.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse

from hotspot.audit.actions import record_export
from hotspot.audit.models import Purpose
from hotspot.downloads import (
    FORMATS,
    XLSX,
    attachment_header,
    csv_bytes,
    stream_csv_response,
    table_rows,
    xlsx_bytes,
)


def export_response(
    request,
    rows,
    columns,
    filename: str,
    fmt: str,
    *,
    municipality=None,
    obj=None,
    object_type: str = "",
    purpose: str = Purpose.ANALYSIS,
    sheet: str = "Data",
    extra_sheets=(),
) -> HttpResponse:
    """Rows (dicts or objects) x columns [(header, key or callable)] -> an audited CSV or XLSX download.

    ``filename`` is without extension; an unknown ``fmt`` is a 404 (it is part of the URL). The XLSX
    names its data sheet ``sheet`` and adds ``extra_sheets`` (see ``xlsx_bytes``); the CSV has only
    the data.
    """
    if fmt not in FORMATS:
        raise Http404
    headers = [h for h, _key in columns]
    values = table_rows(rows, columns)
    record_export(
        request,
        count=len(values),
        obj=obj,
        municipality=municipality,
        object_type=object_type,
        purpose=purpose,
    )
    if fmt == "csv":
        response = HttpResponse(csv_bytes(headers, values), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            xlsx_bytes(headers, values, sheet=sheet, extra_sheets=extra_sheets), content_type=XLSX
        )
    response["Content-Disposition"] = attachment_header(f"{filename}.{fmt}")
    return response


def stream_export_response(
    request,
    headers,
    rows,
    filename: str,
    *,
    count: int,
    obj=None,
    municipality=None,
    object_type: str = "",
    purpose: str = Purpose.ANALYSIS,
):
    """A CSV streamed while ``rows`` (value lists, e.g. from a queryset's ``iterator()``) is read, for
    exports too long to hold in memory; ``count`` (the caller's ``.count()``) goes in the audit row."""
    record_export(
        request,
        count=count,
        obj=obj,
        municipality=municipality,
        object_type=object_type,
        purpose=purpose,
    )
    return stream_csv_response(headers, rows, filename)


def file_response(
    request,
    content: bytes,
    filename: str,
    *,
    content_type: str = XLSX,
    count: int,
    obj=None,
    municipality=None,
    purpose: str = Purpose.ANALYSIS,
    fields=(),
) -> HttpResponse:
    """A file the caller built (``filename`` with its extension), audited with ``count`` rows or
    sheets and ``fields`` naming which document."""
    record_export(
        request, count=count, obj=obj, municipality=municipality, purpose=purpose, fields=fields
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = attachment_header(filename)
    return response
