"""Every list exports the same way: CSV for Danish Excel (semicolon, decimal comma, UTF-8 BOM) or XLSX.

``export_response`` writes the audit row (action ``export`` with the number of rows) before it answers,
so no export leaves the building unrecorded.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.http import Http404, HttpResponse
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


def csv_bytes(headers, values) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(h) for h in headers])
    for row in values:
        writer.writerow([danish_csv_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(headers, values, *, sheet: str = "Data") -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(title=sheet[:31])
    ws.append([str(h) for h in headers])
    for row in values:
        ws.append(row)
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
) -> HttpResponse:
    """Rows (dicts or objects) x columns [(header, key or callable)] -> an audited CSV or XLSX download.

    ``filename`` is without extension; an unknown ``fmt`` is a 404 (it is part of the URL).
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
        response = HttpResponse(xlsx_bytes(headers, values), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
