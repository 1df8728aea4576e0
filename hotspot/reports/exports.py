"""Every list exports the same way, audited: ``export_response`` writes the audit row (action ``export``
with the number of rows) before it answers, so no export leaves the building unrecorded. The formats
themselves (CSV, XLSX, safe cells, file names) are in ``hotspot/downloads.py``.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse

from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.downloads import FORMATS, XLSX, attachment_header, csv_bytes, table_rows, xlsx_bytes


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
    response["Content-Disposition"] = attachment_header(f"{filename}.{fmt}")
    return response
