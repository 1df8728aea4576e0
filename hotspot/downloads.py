"""The file formats of every download: CSV for Danish Excel (semicolon, decimal comma, UTF-8 BOM),
XLSX, and the ``Content-Disposition`` header. No auditing here, so every layer may use it (the audit
log's own export too); an export of data goes through ``hotspot.reports.exports.export_response``, which
writes the audit row.

Every cell goes through ``safe_cell`` (text that a spreadsheet would run as a formula is escaped) and
every file name through ``attachment_header``; views that build their own workbook use both.
``stream_csv_response`` is for exports too long to hold in memory (incident-level rows); its caller
writes the audit row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import unicodedata
from urllib.parse import quote

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

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


#: The decimals of every number with a fraction in a download (CSV and XLSX): rates per 1,000 and
#: shares in per cent need no more, and a stored 12.345678901 would read as a false precision. Whole
#: numbers (counts, years) stay whole; the stored values keep their full precision.
DECIMALS = 2


def _plain(value):
    """Python value -> what a cell holds: local naive datetimes, str for lazy translations, numbers
    with a fraction rounded to ``DECIMALS`` (a missing one, NaN, as an empty cell)."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, float):  # numpy's float64 too, as a plain float
        if math.isnan(value):
            return None
        return round(float(value), DECIMALS) + 0.0  # + 0.0: no "-0" for a small negative value
    if value is None or isinstance(value, int | dt.date | bool):
        return value
    return str(value)


# OWASP, "CSV Injection": text starting with one of these is run as a formula by Excel, LibreOffice and
# Google Sheets; a single quote in front makes it text. Numbers are never escaped (-3 stays a number).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0 (so XLSX) cannot hold: openpyxl raises on it; it is dropped from the cell.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value):
    """A cell value as ``_plain`` gives it, with text that would start a formula escaped by a quote."""
    value = _plain(value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def xlsx_cell(value):
    """``safe_cell`` for a workbook: also without the control characters XML cannot hold."""
    value = safe_cell(value)
    if isinstance(value, str) and _ILLEGAL_XML.search(value):
        return _ILLEGAL_XML.sub("", value)
    return value


_DANISH_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def attachment_header(filename: str) -> str:
    """The ``Content-Disposition`` of a download called ``filename`` (RFC 6266 / RFC 5987).

    Control characters (CR, LF...), slashes and quotes never reach the header: a name that is plain
    ASCII is given as Django's ``content_disposition_header`` gives it; any other name as an ASCII
    fallback ``filename="..."`` (æ → ae, unsafe characters → _) plus ``filename*=UTF-8''...``.
    """
    name = "".join(
        " " if unicodedata.category(c).startswith(("C", "Z")) else c for c in str(filename)
    )
    name = re.sub(r"\s+", " ", name.replace("/", "_").replace("\\", "_")).strip(" .") or "download"
    fallback = unicodedata.normalize("NFKD", name.translate(_DANISH_ASCII))
    fallback = fallback.encode("ascii", "ignore").decode("ascii")
    fallback = _UNSAFE_IN_NAME.sub("_", fallback).strip(" ._") or "download"
    if fallback == name:
        return content_disposition_header(True, name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def danish_csv_cell(value) -> str:
    value = safe_cell(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value).replace(".", ",").removesuffix(",0")  # rounded by safe_cell
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
    yield "\ufeff" + writer.writerow([danish_csv_cell(str(h)) for h in headers])
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
    response["Content-Disposition"] = attachment_header(name)
    return response


def xlsx_bytes(headers, values, *, sheet: str = "Data", extra_sheets=()) -> bytes:
    """A workbook: ``sheet`` with the header and rows, then each of ``extra_sheets``, given as
    ``(title, rows)`` pairs whose rows are written as they are (no header; e.g. the method notes)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(title=str(sheet)[:31])
    ws.append([xlsx_cell(str(h)) for h in headers])
    for row in values:
        ws.append([xlsx_cell(v) for v in row])
    for title, rows in extra_sheets:
        ws = book.create_sheet(title=str(title)[:31])
        for row in rows:
            ws.append([xlsx_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
