"""Every list exports the same way: CSV for Danish Excel (semicolon, decimal comma, UTF-8 BOM) or XLSX.

``export_response`` writes the audit row (action ``export`` with the number of rows) before it answers,
so no export leaves the building unrecorded. ``stream_csv_response`` is for exports too long to hold in
memory (incident-level rows); its caller writes the audit row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose

FORMATS = ("csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _value(row, key):
    if callable(key):
        return key(row)
    if isinstance(row, dict):
        return row.get(key)
    value = row
    for part in key.split("."):
        value = getattr(value, part, None) if value is not None else None
    return value


def _plain(value):
    """Python value -> what a cell holds: local naive datetimes, str for lazy translations."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    if value is None or isinstance(value, int | float | dt.date | bool):
        return value
    return str(value)


def danish_csv_cell(value) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(round(value, 10)).replace(".", ",").removesuffix(",0")
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def table_rows(rows, columns) -> list[list]:
    return [[_plain(_value(row, key)) for _header, key in columns] for row in rows]


class _Line:
    """A file-like object whose ``write`` returns what it is given: csv.writer -> one line of text."""

    def write(self, value):
        return value


def csv_lines(headers, values):
    """Header and rows -> lines of Danish CSV text; the first line starts with the UTF-8 BOM."""
    writer = csv.writer(_Line(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow([str(h) for h in headers])
    for row in values:
        yield writer.writerow([danish_csv_cell(v) for v in row])


def csv_bytes(headers, values) -> bytes:
    return "".join(csv_lines(headers, values)).encode("utf-8")


def stream_csv_response(headers, rows, filename: str) -> StreamingHttpResponse:
    """A CSV download written while ``rows`` (an iterable of value lists, e.g. a queryset's
    ``iterator()``) is read: semicolon, decimal comma, UTF-8 with BOM, as ``csv_bytes``.

    ``filename`` may be given with or without ``.csv``. Not audited: the caller records the export
    (it knows the count) before it returns the response.
    """
    name = filename if filename.lower().endswith(".csv") else f"{filename}.csv"
    lines = (line.encode("utf-8") for line in csv_lines(headers, rows))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def xlsx_bytes(headers, values, *, sheet: str = "Data", extra_sheets=()) -> bytes:
    """A workbook: ``sheet`` with the header and rows, then each of ``extra_sheets``, given as
    ``(title, rows)`` pairs whose rows are written as they are (no header; e.g. the method notes)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(title=str(sheet)[:31])
    ws.append([str(h) for h in headers])
    for row in values:
        ws.append(row)
    for title, rows in extra_sheets:
        ws = book.create_sheet(title=str(title)[:31])
        for row in rows:
            ws.append([_plain(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


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
    record(
        Action.EXPORT,
        actor=request.user,
        municipality=municipality or getattr(request, "municipality", None),
        obj=obj,
        object_type=object_type,
        purpose=purpose,
        count=len(values),
        request=request,
    )
    if fmt == "csv":
        response = HttpResponse(csv_bytes(headers, values), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            xlsx_bytes(headers, values, sheet=sheet, extra_sheets=extra_sheets), content_type=XLSX
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
