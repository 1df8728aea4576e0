"""The shared import engine: read a file in chunks, let the kind's adapter check and write each chunk.

Reading: CSV (comma, semicolon or tab, detected from the header), XLSX (openpyxl, read-only) and, for
areas, GeoJSON; UTF-8 with or without BOM or Windows-1252 (detected); Danish decimal comma and dates
(dd-mm-yyyy, dd.mm.yyyy) as well as ISO. The file is never read whole: rows come in chunks of
``CHUNK_ROWS``, and a file above ``settings.IMPORT_MAX_BYTES`` is refused before it is read.

Running: ``run(batch, commit=False)`` checks every row and stores the problems and a preview;
``run(batch, commit=True)`` does the same inside one transaction and writes the rows; any error rolls the
whole transaction back, so a file is imported completely or not at all.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import io
import json
import os
import zipfile

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

CHUNK_ROWS = 50_000
PREVIEW_ROWS = 10
STORED_PROBLEMS = 10_000  # problems kept per batch; the counts always cover every row


def mb(n_bytes) -> str:
    """A size in whole megabytes the Danish way (2.147, not 2,147, which reads as a decimal)."""
    from django.utils.formats import number_format

    return number_format(round(n_bytes / 1e6), force_grouping=True)


def max_bytes() -> int:
    # settings.IMPORT_MAX_BYTES (default 2 GiB): larger files are refused before they are read.
    return int(getattr(settings, "IMPORT_MAX_BYTES", 2 * 1024**3))


# Limits a hostile file meets before it is read (each can be raised by the setting of the same name).
IMPORT_XLSX_MAX_UNPACKED = 200 * 1000**2  # bytes an XLSX may unpack to, all members together
IMPORT_XLSX_MAX_RATIO = 100  # unpacked / packed size, per member and for the whole workbook
IMPORT_GEOJSON_MAX_DEPTH = 32  # nesting of lists and objects (a MultiPolygon feature needs about 8)
_RATIO_FLOOR = 1000**2  # members (and workbooks) unpacking to less than this are not ratio-checked
_PROLOG_BYTES = 65536  # how much of each XML member is searched for a DTD


def _limit(name: str) -> int:
    return int(getattr(settings, name, globals()[name]))


class Refused(Exception):
    """The file as a whole cannot be imported (wrong format, missing columns, too large...)."""

    def __init__(self, message: str, *, column: str = "", row: int | None = None):
        message, column = _printable(message), _printable(column)  # (a header may hold a NUL)
        super().__init__(message)
        self.message, self.column, self.row = message, column, row


def _printable(text: str) -> str:
    """Text with NUL shown as \\0: no database text column (PostgreSQL) can hold the byte 0."""
    return text.replace("\x00", "\\0") if "\x00" in text else text


class TooManyErrors(Exception):
    pass


@dataclasses.dataclass
class Problem:
    row: int | None
    column: str
    reason: str
    value: str = ""
    severity: str = "error"


class Problems:
    def __init__(self, limit: int = STORED_PROBLEMS):
        self.items: list[Problem] = []
        self.limit = limit
        self.errors = 0
        self.warnings = 0
        self.spelling: dict[str, str] = {}  # column -> its header in the file, when that differs

    def _add(self, severity, row, column, reason, value):
        column = self.spelling.get(column, column)
        if severity == "error":
            self.errors += 1
        else:
            self.warnings += 1
        if len(self.items) < self.limit:
            value = "" if value is None else _printable(str(value))
            reason, column = _printable(str(reason)), _printable(str(column))
            self.items.append(Problem(row, column, reason, value[:200], severity))

    def error(self, row, column, reason, value=""):
        self._add("error", row, column, reason, value)

    def warning(self, row, column, reason, value=""):
        self._add("warning", row, column, reason, value)


# ---------------------------------------------------------------------------------------------------
# Values


# ---------------------------------------------------------------------------------------------------
# Files


class Table:
    """A file as a header and chunks of rows (lists of cell values)."""

    header: list[str]
    note: str = ""

    def chunks(self, size: int = CHUNK_ROWS):  # -> iterator of (row number of first row, rows)
        raise NotImplementedError

    def fraction_read(self) -> float:
        return 0.0

    def close(self) -> None:
        pass


def _clean_header(cells) -> list[str]:
    return [("" if c is None else str(c)).strip().lstrip("\ufeff").strip().lower() for c in cells]


class CsvTable(Table):
    def __init__(self, path: str, name: str):
        self.size = os.path.getsize(path)
        self.raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        sample = self.raw.read(65536)
        self.raw.seek(0)
        if b"\x00" in sample:
            raise Refused(
                _("%(name)s is not a text (CSV) file: it holds binary data.") % {"name": name}
            )
        if sample.startswith(codecs.BOM_UTF8):
            self.encoding = "utf-8-sig"
        else:
            try:
                codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
                self.encoding = "utf-8"
            except UnicodeDecodeError:
                self.encoding = "cp1252"
        self.name, self.path = name, path
        self.text = io.TextIOWrapper(self.raw, encoding=self.encoding, newline="")
        try:
            first = self.text.readline()
        except UnicodeDecodeError:  # the wrapper decodes 8 KiB at a time: this may be in row 2+
            raise self._undecodable() from None
        if not first.strip():
            raise Refused(_("%(name)s is empty.") % {"name": name})
        counts = {d: first.count(d) for d in (";", ",", "\t")}
        self.delimiter = max(counts, key=counts.get)
        self.header = _clean_header(next(csv.reader([first], delimiter=self.delimiter)))
        self.reader = csv.reader(self.text, delimiter=self.delimiter)
        self.note = _("CSV, %(encoding)s, separated by %(delimiter)s") % {
            "encoding": {"utf-8-sig": "UTF-8 (BOM)", "utf-8": "UTF-8", "cp1252": "Windows-1252"}[
                self.encoding
            ],
            "delimiter": {";": _("semicolon"), ",": _("comma"), "\t": _("tab")}[self.delimiter],
        }

    def chunks(self, size=CHUNK_ROWS):
        row_no = 2
        rows: list = []
        start = row_no
        try:
            for row in self.reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    row_no += 1
                    if not rows:
                        start = row_no
                    continue
                rows.append(row)
                row_no += 1
                if len(rows) >= size:
                    yield start, rows
                    rows, start = [], row_no
        except UnicodeDecodeError:
            raise self._undecodable() from None
        except csv.Error as exc:
            raise Refused(
                _("%(name)s: row %(row)s cannot be read as CSV (%(reason)s).")
                % {"name": self.name, "row": row_no, "reason": exc},
                row=row_no,
            ) from None
        if rows:
            yield start, rows

    def _undecodable(self) -> Refused:
        """The first byte that is not valid in the file's encoding, with its line and position.

        Read line by line in binary: neither UTF-8 nor Windows-1252 has a character spanning a line
        break, so each line decodes on its own. (Rows are lines unless a quoted cell holds a break.)
        """
        encoding = {"utf-8-sig": "utf-8"}.get(self.encoding, self.encoding)
        label = {"utf-8": "UTF-8", "cp1252": "Windows-1252"}[encoding]
        offset = 0
        with open(self.path, "rb") as fh:
            for line_no, line in enumerate(fh, start=1):
                skip = 3 if line_no == 1 and line.startswith(codecs.BOM_UTF8) else 0
                try:
                    line[skip:].decode(encoding)
                except UnicodeDecodeError as exc:
                    at = skip + exc.start
                    return Refused(
                        _(
                            "%(name)s, row %(row)s: the byte 0x%(byte)s at position %(col)s of the "
                            "row (byte %(pos)s of the file) is not valid %(encoding)s text; save "
                            "the file as UTF-8."
                        )
                        % {
                            "name": self.name,
                            "row": line_no,
                            "byte": f"{line[at]:02X}",
                            "col": at + 1,
                            "pos": offset + at + 1,
                            "encoding": label,
                        },
                        row=line_no,
                    )
                offset += len(line)
        return Refused(  # not reached for a file that failed to decode
            _("%(name)s is not valid %(encoding)s text; save the file as UTF-8.")
            % {"name": self.name, "encoding": label}
        )

    def fraction_read(self):
        try:
            return min(1.0, self.raw.tell() / self.size) if self.size else 1.0
        except (ValueError, OSError):
            return 1.0

    def close(self):
        self.text.close()


def _xml_reason(exc: Exception, path: str = "", name: str = "") -> str:
    """Why openpyxl could not read a workbook, in words: defusedxml's refusals have no message, and
    openpyxl wraps the real error in one that names the stored file's path (never shown)."""
    try:
        from defusedxml import DefusedXmlException
    except ImportError:  # pragma: no cover - defusedxml is a requirement
        DefusedXmlException = ()  # noqa: N806
    inner, seen = exc, set()
    while inner is not None and id(inner) not in seen:
        seen.add(id(inner))
        if isinstance(inner, DefusedXmlException):
            return _(
                "its XML declares entities or refers to external files, which a workbook never "
                "does (refused for safety)"
            )
        if inner.__cause__ is None and inner.__context__ is None:
            break
        inner = inner.__cause__ or inner.__context__
    text = str(inner).strip()
    if path:
        text = text.replace(path, name)
    return text[:200] if text else inner.__class__.__name__


def check_zip(path: str, name: str) -> None:
    """Refuse a workbook that would unpack to too much (a zip bomb) or that holds a DTD.

    Only the zip's directory is read for the sizes. The sizes it declares are an upper bound:
    ``zipfile`` stops (and fails the checksum) when a member unpacks to more than it declares.
    """
    limit, ratio = _limit("IMPORT_XLSX_MAX_UNPACKED"), _limit("IMPORT_XLSX_MAX_RATIO")
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            unpacked = sum(m.file_size for m in members)
            packed = sum(m.compress_size for m in members)
            too_big = _("it would unpack to %(size)s MB; the limit is %(limit)s MB") % {
                "size": mb(unpacked),
                "limit": mb(limit),
            }
            reason = too_big if unpacked > limit else ""
            for m in members:
                if reason:
                    break
                if m.file_size > _RATIO_FLOOR and m.file_size > ratio * max(m.compress_size, 1):
                    reason = _(
                        "its part %(member)s is packed %(ratio)s times (%(size)s MB unpacked); "
                        "the limit is %(limit)s times"
                    ) % {
                        "member": m.filename,
                        "ratio": f"{m.file_size / max(m.compress_size, 1):,.0f}",
                        "size": mb(m.file_size),
                        "limit": ratio,
                    }
            if not reason and unpacked > _RATIO_FLOOR and unpacked > ratio * max(packed, 1):
                reason = _("it is packed %(ratio)s times; the limit is %(limit)s times") % {
                    "ratio": f"{unpacked / max(packed, 1):,.0f}",
                    "limit": ratio,
                }
            if reason:
                raise Refused(
                    _(
                        "%(name)s is refused before it is read: %(reason)s (settings "
                        "IMPORT_XLSX_MAX_UNPACKED and IMPORT_XLSX_MAX_RATIO). Save it as CSV instead."
                    )
                    % {"name": name, "reason": reason}
                )
            for m in members:
                if m.filename.lower().endswith((".xml", ".rels", ".vml")):
                    with zf.open(m) as fh:
                        head = fh.read(_PROLOG_BYTES)
                    if b"<!doctype" in head.lower() or b"<!entity" in head.lower():
                        raise Refused(
                            _(
                                "%(name)s is refused: its part %(member)s declares a DTD or "
                                "entities, which a workbook never does."
                            )
                            % {"name": name, "member": m.filename}
                        )
    except Refused:
        raise
    except Exception as exc:  # BadZipFile, zlib.error, NotImplementedError (compression), OSError
        raise Refused(
            _("%(name)s cannot be opened as an Excel workbook (XLSX): %(reason)s")
            % {"name": name, "reason": _xml_reason(exc, path, name)}
        ) from None


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep="T")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class XlsxTable(Table):
    def __init__(self, path: str, name: str, *, sheet: str = "", required=(), canonical=list):
        import openpyxl

        self.name, self.path = name, path
        try:
            self.book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged or foreign zip
            raise Refused(
                _("%(name)s cannot be opened as an Excel workbook (XLSX): %(reason)s")
                % {"name": name, "reason": _xml_reason(exc, path, name)}
            ) from None
        names = self.book.sheetnames
        if sheet:
            if sheet not in names:
                raise Refused(
                    _("%(name)s has no sheet called %(sheet)s; it has: %(sheets)s.")
                    % {"name": name, "sheet": sheet, "sheets": ", ".join(names)}
                )
            chosen = sheet
        elif len(names) == 1:
            chosen = names[0]
        else:
            fitting = []
            for n in names:
                try:
                    first = next(self.book[n].iter_rows(max_row=1, values_only=True), ())
                except Exception as exc:  # as in _next_row
                    raise Refused(
                        _("%(name)s, sheet %(sheet)s, row %(row)s cannot be read: %(reason)s")
                        % {
                            "name": name,
                            "sheet": n,
                            "row": 1,
                            "reason": _xml_reason(exc, path, name),
                        },
                        row=1,
                    ) from None
                if set(required) <= set(canonical(_clean_header(first))):
                    fitting.append(n)
            if len(fitting) != 1:
                raise Refused(
                    _(
                        "%(name)s has several sheets (%(sheets)s); name the sheet to import "
                        "(the upload form's Sheet field or --sheet)."
                    )
                    % {"name": name, "sheets": ", ".join(names)}
                )
            chosen = fitting[0]
        self.sheet = self.book[chosen]
        self.sheet_name = chosen
        self.rows_iter = self.sheet.iter_rows(values_only=True)
        first = self._next_row(1)
        if first is None or not any(c is not None for c in first):
            raise Refused(_("%(name)s is empty.") % {"name": name})
        self.header = _clean_header(first)
        while self.header and not self.header[-1]:
            self.header.pop()
        self.total = max(1, (self.sheet.max_row or 1) - 1)
        self.done = 0
        self.note = _("Excel workbook, sheet %(sheet)s") % {"sheet": chosen}

    def _next_row(self, row_no: int):
        """The next row of the sheet, or None at its end; a sheet that cannot be parsed is refused."""
        try:
            return next(self.rows_iter, None)
        except Exception as exc:  # XML or zip errors from openpyxl's parser, while it streams
            raise Refused(
                _("%(name)s, sheet %(sheet)s, row %(row)s cannot be read: %(reason)s")
                % {
                    "name": self.name,
                    "sheet": self.sheet_name,
                    "row": row_no,
                    "reason": _xml_reason(exc, self.path, self.name),
                },
                row=row_no,
            ) from None

    def chunks(self, size=CHUNK_ROWS):
        rows, row_no, start = [], 2, 2
        width = len(self.header)
        while (raw := self._next_row(row_no)) is not None:
            cells = [_cell(v) for v in raw]
            while len(cells) > width and not cells[-1]:
                cells.pop()
            row_no += 1
            self.done += 1
            if not any(c.strip() for c in cells):
                if not rows:
                    start = row_no
                continue
            rows.append(cells)
            if len(rows) >= size:
                yield start, rows
                rows, start = [], row_no
        if rows:
            yield start, rows

    def fraction_read(self):
        return min(1.0, self.done / self.total)

    def close(self):
        self.book.close()


def _depth(data, limit: int) -> int:
    """How deeply lists and objects nest in parsed JSON (without recursion; stops past ``limit``)."""
    deepest = 0
    stack = [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        value, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
        children = value.values() if isinstance(value, dict) else value
        for child in children:
            if isinstance(child, dict | list) and child:
                stack.append((child, depth + 1))
            elif isinstance(child, dict | list):
                deepest = max(deepest, depth + 1)
    return deepest


class GeoJsonTable(Table):
    """A FeatureCollection as rows: the properties plus a ``geometry`` column (a GeoJSON dict)."""

    def __init__(self, path: str, name: str):
        max_depth = _limit("IMPORT_GEOJSON_MAX_DEPTH")
        too_deep = _(
            "%(name)s is nested more than %(depth)s levels deep (lists in lists); a GeoJSON file "
            "of areas needs about 8 (setting IMPORT_GEOJSON_MAX_DEPTH)."
        ) % {"name": name, "depth": max_depth}
        try:
            with open(path, "rb") as fh:
                data = json.loads(fh.read().decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise Refused(
                _("%(name)s is not valid GeoJSON: byte %(pos)s is not UTF-8.")
                % {"name": name, "pos": exc.start + 1}
            ) from None
        except RecursionError:
            raise Refused(too_deep) from None
        except ValueError as exc:
            raise Refused(
                _("%(name)s is not valid GeoJSON: %(reason)s") % {"name": name, "reason": exc}
            ) from None
        if _depth(data, max_depth) > max_depth:
            raise Refused(too_deep)
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
            raise Refused(_("%(name)s is not a GeoJSON FeatureCollection.") % {"name": name})
        features = data.get("features") or []
        if not isinstance(features, list) or not features:
            raise Refused(_("%(name)s holds no features.") % {"name": name})
        for i, f in enumerate(features):
            if not isinstance(f, dict) or not isinstance(f.get("properties") or {}, dict):
                raise Refused(
                    _("%(name)s: feature %(n)s (row %(row)s) is not a GeoJSON Feature.")
                    % {"name": name, "n": i + 1, "row": i + 2},
                    row=i + 2,
                )
        crs = data.get("crs") if isinstance(data.get("crs"), dict) else {}
        crs = crs.get("properties") if isinstance(crs.get("properties"), dict) else {}
        crs = crs.get("name") if isinstance(crs.get("name"), str) else ""
        self.crs = crs
        keys: list[str] = []
        for f in features:
            for k in (f.get("properties") or {}).keys():
                if k.lower() not in keys:
                    keys.append(k.lower())
        self.header = [*keys, "geometry"]
        self.rows = [
            [
                *(_cell({k.lower(): v for k, v in (f.get("properties") or {}).items()}.get(k))
                  for k in keys),
                f.get("geometry"),
            ]
            for f in features
        ]  # fmt: skip
        self.note = "GeoJSON" + (f", {crs}" if crs else "")

    def chunks(self, size=CHUNK_ROWS):
        for i in range(0, len(self.rows), size):
            yield i + 2, self.rows[i : i + size]

    def fraction_read(self):
        return 1.0


def open_table(
    path: str, name: str, *, kind: str, sheet: str = "", required=(), canonical=list
) -> Table:
    """Open ``path`` (called ``name`` by the user) by its content, refusing a name that lies about it.

    ``canonical`` turns a header into the kind's column names (``Adapter.canonical``): a workbook's
    sheet with the ``required`` columns under Danish names is found too.
    """
    size = os.path.getsize(path)
    limit = max_bytes()
    if size > limit:
        raise Refused(
            _("%(name)s is %(size)s MB; the limit is %(limit)s MB (setting IMPORT_MAX_BYTES).")
            % {"name": name, "size": mb(size), "limit": mb(limit)}
        )
    if size == 0:
        raise Refused(_("%(name)s is empty.") % {"name": name})
    ext = os.path.splitext(name)[1].lower()
    with open(path, "rb") as fh:
        head = fh.read(8)
    is_zip = head.startswith(b"PK\x03\x04")
    if ext in (".xlsx", ".xlsm") and not is_zip:
        raise Refused(
            _("%(name)s is named like an Excel workbook but is not one; is it a CSV file?")
            % {"name": name}
        )
    if is_zip:
        if ext not in (".xlsx", ".xlsm") or not zipfile.is_zipfile(path):
            raise Refused(
                _(
                    "%(name)s is a zip archive or Excel workbook, not what its name (%(ext)s) says; "
                    "upload it as .xlsx or save it as CSV."
                )
                % {"name": name, "ext": ext or _("no extension")}
            )
        check_zip(path, name)
        return XlsxTable(path, name, sheet=sheet, required=required, canonical=canonical)
    if ext in (".geojson", ".json"):
        if kind != "areas":
            raise Refused(_("GeoJSON files can only hold areas."))
        return GeoJsonTable(path, name)
    if ext not in (".csv", ".txt", ".tsv", ""):
        raise Refused(
            _("%(name)s: files of type %(ext)s cannot be imported; use CSV, XLSX or GeoJSON.")
            % {"name": name, "ext": ext}
        )
    if head.lstrip().startswith((b"{", b"[")):
        raise Refused(
            _("%(name)s looks like JSON, not CSV; name it .geojson if it holds areas.")
            % {"name": name}
        )
    return CsvTable(path, name)


# ---------------------------------------------------------------------------------------------------
# Writing fast


def model_field(model, name: str):
    """A field by name or attribute name (``area_id`` -> the ``area`` foreign key)."""
    from django.core.exceptions import FieldDoesNotExist

    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return model._meta.get_field(name.removesuffix("_id"))


def fast_insert(model, fields: list[str], rows: list[tuple]) -> None:
    """Insert many rows with the database's own bulk path: executemany on SQLite, COPY on PostgreSQL.

    ``fields`` are attribute names (``offence_id``); values must already be database-ready.
    """
    if not rows:
        return
    table = model._meta.db_table
    columns = [model_field(model, f).column for f in fields]
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {qn(table)} ({cols}) VALUES ({marks})", rows)  # nosec B608: identifiers from model metadata; values are parameters


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format (None -> \\N, floats in round-trip form)."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return str(value)


class PgStream:
    """Writes the checked chunks of one import on PostgreSQL while the next chunk is being checked.

    The rows of a chunk go in one ``COPY``: straight into the table while the municipality has none of
    these rows yet, otherwise into a temporary staging table followed by one
    ``INSERT … SELECT … ON CONFLICT (municipality, key) DO UPDATE … WHERE … IS DISTINCT FROM …`` that
    keeps the previous values of the changed rows (``RowChange``, for roll-back) in the same statement
    and counts new and changed rows; unchanged rows are not written at all. The statements run on the
    import's own connection and transaction (all or nothing), from a second thread, so that the
    database's work (indexes, foreign-key checks) overlaps the checking of the next chunk on the
    other core. Foreign keys are checked per chunk (``SET CONSTRAINTS ALL IMMEDIATE``) rather than all
    at the commit, so that this work overlaps too. Between the first ``put`` and ``close`` the main
    thread must not use the database connection (psycopg does not lock it for a ``COPY``).
    """

    def __init__(self, model, *, municipality_id: int, batch_id: int, key: str, values, direct):
        import queue
        import threading

        self.model = model
        self.table = model._meta.db_table
        self.municipality_id, self.batch_id = municipality_id, batch_id
        self.key, self.values = key, list(values)
        self.direct = direct  # no rows of this municipality yet: COPY straight into the table
        self.created = self.updated = self.unchanged = 0
        self.error: BaseException | None = None
        connection.ensure_connection()
        self.raw = connection.connection
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.thread = threading.Thread(target=self._work, name="import-writer", daemon=True)
        self.staged = False
        self._prepare()
        with self.raw.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.set_based = self._may_skip_row_checks(cur)
            if self.set_based:
                # Instead of four foreign-key checks per row: lock every row the new rows may refer
                # to (as those checks would), write without them, check the batch's rows at the end.
                for sql in self.lock_referenced:
                    cur.execute(sql, self.params)
                cur.execute("SET LOCAL session_replication_role = replica")
        self.thread.start()

    @staticmethod
    def _may_skip_row_checks(cur) -> bool:
        """True when this role may set session_replication_role (a superuser, or on PostgreSQL 15+
        ``GRANT SET ON PARAMETER session_replication_role TO <role>``) and the setting allows it."""
        if not getattr(settings, "IMPORT_SET_BASED_FK_CHECKS", True):
            return False
        if cur.connection.info.server_version >= 150000:
            cur.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        else:
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cur.fetchone()
        return bool(row and row[0])

    # -- main thread ---------------------------------------------------------------------------------
    def put(self, rows: list[str], count: int) -> None:
        """Queue one chunk: ``rows`` are lines in COPY text format (key, values...), ``count`` rows."""
        if self.error is None and rows:
            if self.direct:
                head, tail = f"{self.municipality_id}\t", f"\t{self.batch_id}\n"
                data = head + (tail + head).join(rows) + tail
            else:
                data = "\n".join(rows) + "\n"
            self.queue.put((data, count))
        self._raise()

    def close(self) -> tuple[int, int, int]:
        """Wait for the writes; -> (created, updated, unchanged). Raises what the writer raised."""
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
        self._raise()
        with self.raw.cursor() as cur:
            if self.set_based:
                cur.execute("SET LOCAL session_replication_role = origin")
                cur.execute(self.verify, self.params)
                broken = cur.fetchone()[0]
                if broken:
                    from django.db import IntegrityError

                    raise IntegrityError(
                        f"{broken} rows of batch {self.batch_id} refer to rows that do not exist"
                    )
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
        return self.created, self.updated, self.unchanged

    def abort(self) -> None:
        """Stop the writer without raising (the transaction is being rolled back anyway)."""
        if self.thread.is_alive():
            self.error = self.error or _Abort()
            self.queue.put(None)
            self.thread.join()

    def _raise(self):
        if self.error is not None and not isinstance(self.error, _Abort):
            raise self.error

    # -- writer thread -------------------------------------------------------------------------------
    def _work(self):
        while (item := self.queue.get()) is not None:
            if self.error is not None:
                continue
            try:
                self._write(*item)
            except BaseException as exc:  # handed to the main thread by put/close
                self.error = exc

    def _write(self, data: str, count: int) -> None:
        with self.raw.cursor() as cur:
            if self.direct:
                with cur.copy(self.copy_direct) as copy:
                    copy.write(data)
                self.created += count
                return
            if not self.staged:
                cur.execute(self.create_stage)
                self.staged = True
            cur.execute(self.truncate_stage)
            with cur.copy(self.copy_stage) as copy:
                copy.write(data)
            cur.execute(self.upsert, self.params)
            created, updated = cur.fetchone()
        self.created += created
        self.updated += updated
        self.unchanged += count - created - updated

    def _prepare(self) -> None:
        """The statements, built on the main thread (Django's connection object is per thread)."""
        qn = connection.ops.quote_name
        fields = [model_field(self.model, f) for f in (self.key, *self.values)]
        cols = [f.column for f in fields]
        table, stage = qn(self.table), qn(f"import_stage_{self.table}")
        self.copy_direct = (
            f"COPY {table} ({', '.join(qn(c) for c in ('municipality_id', *cols, 'batch_id'))}) "
            "FROM STDIN"
        )
        types = ", ".join(f"{qn(c)} {f.db_type(connection)}" for c, f in zip(cols, fields))
        self.create_stage = f"CREATE TEMP TABLE IF NOT EXISTS {stage} ({types}) ON COMMIT DROP"
        self.truncate_stage = f"TRUNCATE {stage}"
        self.copy_stage = f"COPY {stage} ({', '.join(qn(c) for c in cols)}) FROM STDIN"
        self.upsert = self._upsert_sql(cols)
        # The foreign keys of the written columns and their checks as set-based statements.
        foreign = [
            f
            for f in (
                *fields,
                model_field(self.model, "municipality_id"),
                model_field(self.model, "batch_id"),
            )
            if f.is_relation and f.db_constraint
        ]
        self.lock_referenced = []
        missing = []
        for f in foreign:
            target = f.target_field
            ref = qn(target.model._meta.db_table)
            where = ""
            if f.column == "batch_id":
                where = f" WHERE {qn(target.column)} = %(b)s"
            elif f.column == "municipality_id":
                where = f" WHERE {qn(target.column)} = %(m)s"
            elif any(x.name == "municipality" for x in target.model._meta.fields):
                where = " WHERE municipality_id = %(m)s"
            self.lock_referenced.append(f"SELECT 1 FROM {ref}{where} FOR KEY SHARE")  # nosec B608: identifiers from model metadata; values are parameters
            missing.append(  # NOT IN a small table: one hashed look-up per row
                f"(r.{qn(f.column)} IS NOT NULL AND r.{qn(f.column)} NOT IN "  # nosec B608: identifiers from model metadata; values are parameters
                f"(SELECT x.{qn(target.column)} FROM {ref} x))"
            )
        self.verify = (
            f"SELECT count(*) FROM {table} r WHERE r.batch_id = %(b)s AND ("  # nosec B608: identifiers from model metadata; values are parameters
            + " OR ".join(missing or ["false"])
            + ")"
        )
        self.params = {
            "m": self.municipality_id,
            "b": self.batch_id,
            "label": self.model._meta.label_lower,
        }

    def _upsert_sql(self, cols) -> str:
        from hotspot.imports.models import RowChange

        qn = connection.ops.quote_name
        table, stage = qn(self.table), qn(f"import_stage_{self.table}")
        key, values = qn(cols[0]), [qn(c) for c in cols[1:]]

        def row(alias):
            return "(" + ", ".join(f"{alias}.{v}" for v in values) + ")"

        previous = ", ".join(
            f"'{name}', r.{v}" for name, v in zip([*self.values, "batch_id"], [*values, "batch_id"])
        )
        # identifiers from model metadata; values are parameters
        sql = f"""
            WITH old AS (
                SELECT r.id, {", ".join(f"r.{v}" for v in values)}, r.batch_id
                FROM {table} r JOIN {stage} s ON r.municipality_id = %(m)s AND r.{key} = s.{key}
                WHERE {row("r")} IS DISTINCT FROM {row("s")}
            ), saved AS (  -- (no FOR UPDATE in "old": it would skip the rows "up" changes)
                INSERT INTO {qn(RowChange._meta.db_table)} (batch_id, model, object_id, previous)
                SELECT %(b)s, %(label)s, r.id, jsonb_build_object({previous}) FROM old r
            ), up AS (
                INSERT INTO {table} AS r (municipality_id, {key}, {", ".join(values)}, batch_id)
                SELECT %(m)s, s.{key}, {", ".join(f"s.{v}" for v in values)}, %(b)s FROM {stage} s
                ON CONFLICT (municipality_id, {key}) DO UPDATE
                SET {", ".join(f"{v} = EXCLUDED.{v}" for v in values)}, batch_id = EXCLUDED.batch_id
                WHERE {row("r")} IS DISTINCT FROM {row("EXCLUDED")}
                RETURNING (r.xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up
        """  # nosec B608
        return sql


def local_to_utc(local, tz: str | None = None):
    """Local wall-clock times (numpy datetime64, naive) -> UTC datetime64[s], as zoneinfo gives it.

    The offset is the one zoneinfo gives the start of each hour (``fold=0``: an hour that occurs twice
    in autumn is read as summer time, an hour skipped in spring as winter time), looked up once per
    distinct day, and per distinct hour only on the days the offset changes. ``tz`` defaults to
    ``settings.TIME_ZONE``.
    """
    from zoneinfo import ZoneInfo

    import numpy as np

    zone = ZoneInfo(tz or settings.TIME_ZONE)

    def offsets_of(hours) -> np.ndarray:
        return np.array(
            [
                int(h.replace(tzinfo=zone).utcoffset().total_seconds())
                for h in hours.astype(dt.datetime)
            ],
            dtype=np.int64,
        )

    local = np.asarray(local, dtype="datetime64[s]")
    hours = local.astype("datetime64[h]")
    days, day_of = np.unique(hours.astype("datetime64[D]"), return_inverse=True)
    starts = days.astype("datetime64[h]")
    first = offsets_of(starts)
    last = offsets_of(starts + np.timedelta64(23, "h"))
    offsets = first[day_of]
    shifting = np.flatnonzero(first != last)
    if len(shifting):
        idx = np.flatnonzero(np.isin(day_of, shifting))
        uniq, inverse = np.unique(hours[idx], return_inverse=True)
        offsets[idx] = offsets_of(uniq)[inverse]
    return local - offsets.astype("timedelta64[s]")


def db_datetime_strings(utc_naive_seconds) -> list:
    """numpy datetime64[s] in UTC -> the values the database column takes from a raw insert."""
    import numpy as np

    text = np.datetime_as_string(utc_naive_seconds, unit="s")
    if connection.vendor == "postgresql":
        return [t + "+00:00" for t in text.tolist()]
    return np.char.replace(text, "T", " ").tolist()


# ---------------------------------------------------------------------------------------------------
# Running


@dataclasses.dataclass
class Outcome:
    rows: int = 0
    rows_created: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    problems: Problems = dataclasses.field(default_factory=Problems)
    preview: dict = dataclasses.field(default_factory=dict)
    message: str = ""
    committed: bool = False


class _Abort(Exception):
    pass


def chunked_commit() -> bool:
    """Whether a commit writes in one short transaction per chunk (SQLite) instead of one for all.

    SQLite has one writer at a time for the whole database: a commit in one transaction would shut
    out every login, session and audit row for as long as the import runs. There the commit writes
    each chunk in its own short transaction, and ``actions.commit`` keeps it all or nothing through
    the batch id: a commit that fails or stops is undone (``actions.undo``) before the batch is
    marked failed, and a commit that is started again first undoes what an earlier try left.
    PostgreSQL's readers and other writers are not blocked by an open import, so there it stays one
    transaction (and ``PgStream`` needs it). ``IMPORT_CHUNKED_COMMIT = False`` turns it off on SQLite.
    """
    return connection.vendor == "sqlite" and bool(getattr(settings, "IMPORT_CHUNKED_COMMIT", True))


# Kinds whose every write a roll-back undoes (rows with the batch id, RowChange): those may commit in
# chunks. Areas (parent links set at the end) and surveys (waves created on the way) stay in one
# transaction; their files are small.
CHUNKABLE = ("reports", "charges", "population", "registers")
WRITE_ROWS = 5_000  # rows per short transaction of a commit in chunks


def commits_in_chunks(kind: str) -> bool:
    return kind in CHUNKABLE and chunked_commit()


def run(batch, *, commit: bool, progress=None, chunked: bool = False) -> Outcome:
    """Check (and with ``commit`` write) one batch's file. Never raises for bad input.

    With ``chunked`` each chunk is written in its own transaction and nothing is undone here when
    the commit fails (``outcome.committed`` stays False): the caller undoes the batch.
    """
    from hotspot.imports.kinds import ADAPTERS

    adapter = ADAPTERS[batch.kind](batch)
    outcome = Outcome()
    problems = outcome.problems
    table = None
    try:
        table = open_table(
            batch.stored_path,
            batch.file_name,
            kind=batch.kind,
            sheet=batch.parameters.get("sheet", ""),
            required=adapter.required,
            canonical=adapter.canonical,
        )
        adapter.start(table, problems)
        outcome.preview = {"header": table.header, "rows": [], "format": table.note}
        if commit and chunked:
            try:
                _loop(adapter, table, outcome, progress, write=True, chunked=True)
            finally:
                adapter.stop()
            if problems.errors:
                raise _Abort
            outcome.committed = True
        elif commit:
            with transaction.atomic():
                try:
                    _loop(adapter, table, outcome, progress, write=True)
                finally:
                    adapter.stop()  # a writer still running stops before the roll-back
                if problems.errors:
                    raise _Abort
                outcome.committed = True
        else:
            _loop(adapter, table, outcome, progress, write=False)
    except Refused as exc:
        problems.error(exc.row, exc.column, exc.message)
        outcome.message = exc.message
    except _Abort:
        outcome.rows_created = outcome.rows_updated = outcome.rows_unchanged = 0
    finally:
        if table is not None:
            table.close()
    if problems.errors and not outcome.message:
        outcome.message = _("%(n)s errors: nothing can be imported until they are fixed.") % {
            "n": problems.errors
        }
    return outcome


def _loop(adapter, table, outcome, progress, *, write: bool, chunked: bool = False):
    import contextlib

    def writing():  # with ``chunked``: one short transaction per part of a chunk
        return transaction.atomic() if chunked else contextlib.nullcontext()

    problems = outcome.problems
    saw_rows = False
    for first_row, rows in table.chunks():
        saw_rows = True
        wanted = PREVIEW_ROWS - len(outcome.preview["rows"])
        if wanted > 0:
            outcome.preview["rows"].extend(
                [_printable(str(c)[:80]) if not isinstance(c, dict) else "…" for c in r]
                for r in rows[:wanted]
            )
        outcome.rows += len(rows)
        records = adapter.check(first_row, rows, problems)
        if write and not problems.errors:
            if chunked:  # short transactions of WRITE_ROWS rows each
                items = list(records.items())
                parts = [dict(items[i : i + WRITE_ROWS]) for i in range(0, len(items), WRITE_ROWS)]
            else:
                parts = [records]
            for part in parts:
                with writing():
                    created, updated, unchanged = adapter.write(part)
                outcome.rows_created += created
                outcome.rows_updated += updated
                outcome.rows_unchanged += unchanged
        if progress is not None:
            progress(table.fraction_read())
    if not saw_rows:
        raise Refused(_("%(name)s has a header but no rows.") % {"name": adapter.batch.file_name})
    adapter.finish(problems)
    if write and not problems.errors:
        with writing():
            created, updated, unchanged = adapter.write_final()
        outcome.rows_created += created
        outcome.rows_updated += updated
        outcome.rows_unchanged += unchanged
