"""One small adapter per kind of data: which columns, how a row is checked, how it is written.

Each adapter gets rows in chunks from the engine. ``check`` returns the chunk's valid records keyed by
their natural key and reports every problem with row, column and reason; ``write`` inserts new keys,
updates changed ones (keeping their previous values for roll-back) and counts unchanged ones.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import numpy as np
import pyproj
import shapely
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotspot.areas.models import AGE_BANDS, STORAGE_SRID, TILING_KINDS, Area, AreaKind, Population
from hotspot.imports.engine import (
    PgStream,
    Refused,
    copy_text,
    db_datetime_strings,
    fast_insert,
    local_to_utc,
    model_field,
)
from hotspot.imports.models import RowChange
from hotspot.incidents.actions import mixed_levels
from hotspot.incidents.models import Charge, CrimeReport, Offence
from hotspot.indicators.models import Indicator, IndicatorValue, NationalValue
from hotspot.parsing import parse_date, parse_datetime, parse_int, parse_number
from hotspot.surveys.models import SurveyItem, SurveyResponse, SurveyWave

_CPR = re.compile(r"^\d{6}-?\d{4}$")
LOOKUP = 5000  # keys per "which of these exist already" query


def _json(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def _from_json(field, value):
    if value is None:
        return None
    if isinstance(field, models.BinaryField):
        return bytes.fromhex(value)
    if isinstance(field, models.DateTimeField | models.DateField):
        return field.to_python(value)
    return value


def int_range(model, name: str) -> tuple[int, int]:
    """The whole numbers ``model.name`` can hold on every supported database (the narrower of
    PostgreSQL's column range and this database's), so a file that passes the check commits."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    internal = model._meta.get_field(name).get_internal_type()
    lo, hi = BaseDatabaseOperations.integer_field_ranges[internal]
    here_lo, here_hi = connection.ops.integer_field_range(internal)
    return max(lo, lo if here_lo is None else here_lo), min(hi, hi if here_hi is None else here_hi)


def _model_value(field, value):
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        parsed = dt.datetime.fromisoformat(value.replace(" ", "T"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return value


_SPELLED_OUT = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})
_SEPARATORS = re.compile(r"[\s_\-.]+")


def header_key(text: str) -> str:
    """A column name as it is compared: 'Anmeldelses-ID', 'anmeldelses id' and 'ANMELDELSESID' are one.

    NFC first (a Mac writes å as a + ring), case folded, æ/ø/å as ae/oe/aa (a file written without
    them), and spaces, hyphens, underscores and dots left out.
    """
    text = unicodedata.normalize("NFC", str(text)).casefold().translate(_SPELLED_OUT)
    return _SEPARATORS.sub("", text)


class Adapter:
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    # Other names of the columns, Danish ones first (the headers of the platform's own downloads and
    # the words a Danish file uses): {header: column}. The one place a kind's column names live.
    aliases: dict[str, str] = {}
    # Columns a download writes beside a code to name it ('gerningskode' and 'forbrydelse'): when the
    # code comes under another name, these headers are read as the names and skipped. {column: headers}
    name_columns: dict[str, tuple[str, ...]] = {}
    model: type[models.Model]
    key_fields: tuple[str, ...] = ()
    value_fields: tuple[str, ...] = ()
    fast = False  # insert new rows with fast_insert (executemany / COPY) instead of bulk_create
    tenant = False  # the model has its own municipality column, filled from the batch
    narrow_by = ""  # a key of several fields: the one that narrows the look-up of existing rows

    def __init__(self, batch):
        self.batch = batch
        self.municipality = batch.municipality
        self.options = batch.parameters or {}

    # -- header --------------------------------------------------------------------------------------
    @classmethod
    def column_names(cls) -> dict[str, str]:
        """{header_key: column} for the columns' own names and their aliases."""
        names = {header_key(c): c for c in cls.required + cls.optional}
        for alias, column in cls.aliases.items():
            names.setdefault(header_key(alias), column)
        return names

    @classmethod
    def canonical(cls, header) -> list[str | None]:
        """A file's header -> the columns it holds: a known name or alias becomes its column, an
        unknown header stays as it is, a name column beside its code becomes None (not read)."""
        names = cls.column_names()
        out = [names.get(header_key(h), h) if h else h for h in header]
        for column, name_headers in cls.name_columns.items():
            renamed = any(
                c == column and header_key(h) != header_key(column) for h, c in zip(header, out)
            )
            if renamed:
                skip = {header_key(n) for n in name_headers}
                out = [None if header_key(h) in skip else c for h, c in zip(header, out)]
        return out

    def start(self, table, problems):
        name = self.batch.file_name
        header = self.canonical(table.header)
        spelled: dict[str, list[str]] = {}  # column -> its headers in the file
        for h, c in zip(table.header, header):
            if c:
                spelled.setdefault(c, []).append(h)
        dupes = sorted(c for c, hs in spelled.items() if len(hs) > 1)
        if dupes:
            raise Refused(
                _("%(name)s: the column %(cols)s appears more than once.")
                % {
                    "name": name,
                    "cols": ", ".join(" / ".join(dict.fromkeys(spelled[c])) for c in dupes),
                },
                column=spelled[dupes[0]][-1],
                row=1,
            )
        missing = [c for c in self.required if c not in spelled]
        if missing:
            raise Refused(
                _("%(name)s: missing column %(cols)s. Expected columns: %(expected)s.")
                % {
                    "name": name,
                    "cols": ", ".join(missing),
                    "expected": ", ".join(self.required + self.optional),
                },
                column=missing[0],
                row=1,
            )
        known = self.required + self.optional
        extra = [c for c in header if c and c not in known]
        extra = self.extra_columns(extra)
        if extra:
            raise Refused(
                _("%(name)s: unknown column %(cols)s. Expected columns: %(expected)s.")
                % {
                    "name": name,
                    "cols": ", ".join(extra),
                    "expected": ", ".join(self.required + self.optional),
                },
                column=extra[0],
                row=1,
            )
        # Problems name a column as the file spells it ('tidspunkt', not occurred_at).
        problems.spelling = {c: hs[0] for c, hs in spelled.items() if hs[0] != c}
        self.col = {c: i for i, c in enumerate(header) if c is not None}
        self.width = len(header)
        self.table = table
        self.seen: dict = {}
        self.setup(problems)

    def extra_columns(self, extra):
        return extra

    def setup(self, problems):
        pass

    def columns(self, first_row, rows, problems):
        """Rows -> {column: list of stripped strings}, and the mask of rows with the right width."""
        ok = np.ones(len(rows), dtype=bool)
        fixed = []
        for k, r in enumerate(rows):
            if len(r) != self.width:
                if len(r) > self.width and any(str(c).strip() for c in r[self.width :]):
                    problems.error(
                        first_row + k,
                        "",
                        _("the row has %(n)s cells but the header has %(m)s columns")
                        % {"n": len(r), "m": self.width},
                    )
                    ok[k] = False
                r = (list(r) + [""] * self.width)[: self.width]
            fixed.append(r)
        cols = list(zip(*fixed)) if fixed else [()] * self.width
        out = {}
        for h, i in self.col.items():
            try:
                out[h] = list(map(str.strip, cols[i]))
                has_nul = "\x00" in "".join(out[h])
            except TypeError:  # not only text (a GeoJSON geometry)
                out[h] = [c.strip() if isinstance(c, str) else c for c in cols[i]]
                has_nul = any(isinstance(c, str) and "\x00" in c for c in out[h])
            if has_nul:  # PostgreSQL refuses NUL in text; no file means one
                for k, c in enumerate(out[h]):
                    if isinstance(c, str) and "\x00" in c and ok[k]:
                        problems.error(
                            first_row + k,
                            h,
                            _("holds a NUL character (byte 0), which text cannot hold"),
                            c,  # Problems shows the byte as \\0
                        )
                        ok[k] = False
        return out, ok

    def too_long(self, first_row, values, ok, problems, column, field):
        """Refuse values longer than ``field`` (of ``self.model`` or a model class) can hold."""
        model, name = (self.model, field) if isinstance(field, str) else field
        limit = model._meta.get_field(name).max_length
        for k, v in enumerate(values):
            if ok[k] and isinstance(v, str) and len(v) > limit:
                problems.error(
                    first_row + k,
                    column,
                    _("longer than %(n)s characters") % {"n": limit},
                    v,
                )
                ok[k] = False

    def key_check(self, first_row, keys, ok, problems, column):
        """Refuse empty keys and keys that appear twice in the file (naming the earlier row)."""
        seen = self.seen
        for k, key in enumerate(keys):
            if not ok[k]:
                continue
            if key in ("", None) or (isinstance(key, tuple) and "" in key):
                problems.error(first_row + k, column, _("empty"))
                ok[k] = False
                continue
            earlier = seen.get(key)
            if earlier is not None:
                problems.error(
                    first_row + k,
                    column,
                    _("duplicate: the same key is in row %(row)s") % {"row": earlier},
                    key if not isinstance(key, tuple) else " / ".join(map(str, key)),
                )
                ok[k] = False
            else:
                seen[key] = first_row + k

    # -- parsing helpers -----------------------------------------------------------------------------
    def parse_each(self, first_row, values, ok, problems, column, parse, reason, *, optional=False):
        out = [None] * len(values)
        for k, v in enumerate(values):
            if v in ("", None):
                if not optional:
                    problems.error(first_row + k, column, _("empty"))
                    ok[k] = False
                continue
            try:
                out[k] = parse(v)
            except (ValueError, TypeError, OverflowError):
                problems.error(first_row + k, column, reason, v)
                ok[k] = False
        return out

    def codes(self, first_row, values, ok, problems, column, mapping, reason):
        out = [None] * len(values)
        for k, v in enumerate(values):
            if not ok[k]:
                continue
            found = mapping.get(v)
            if found is None:
                problems.error(first_row + k, column, reason if v else _("empty"), v)
                ok[k] = False
            else:
                out[k] = found
        return out

    def year(self, first_row, values, ok, problems, column="year"):
        this_year = timezone.localdate().year

        def parse(v):
            y = parse_int(v)
            if not 1900 <= y <= this_year + 1:
                raise ValueError(v)
            return y

        return self.parse_each(
            first_row,
            values,
            ok,
            problems,
            column,
            parse,
            _("not a year between 1900 and %(y)s") % {"y": this_year + 1},
        )

    def area_codes(self):
        if not hasattr(self, "_areas"):
            self._areas = dict(
                Area.objects.filter(municipality=self.municipality).values_list("code", "pk")
            )
        return self._areas

    # -- writing -------------------------------------------------------------------------------------
    def existing(self, keys):
        """{key: (pk, values..., batch_id)} for the keys that exist already, ``LOOKUP`` per query.

        A key of one field is looked up as it is; a key of several fields by its ``narrow_by`` part
        (every row of those areas or waves comes back; ``write`` only asks for its own keys).
        """
        single = len(self.key_fields) == 1
        field = self.key_fields[0] if single else self.narrow_by
        if single:
            wanted = list(keys)
        else:
            part = self.key_fields.index(field)
            wanted = sorted({k[part] for k in keys})
        found = self.model.objects.all()
        if self.tenant:
            found = found.filter(municipality=self.municipality)
        nk = len(self.key_fields)
        out = {}
        for i in range(0, len(wanted), LOOKUP):
            for row in found.filter(**{f"{field}__in": wanted[i : i + LOOKUP]}).values_list(
                *self.key_fields, "pk", *self.value_fields, "batch_id"
            ):
                out[row[0] if single else row[:nk]] = row[nk:]
        return out

    def write(self, records: dict) -> tuple[int, int, int]:
        if not records:
            return 0, 0, 0
        existing = self.existing(list(records))
        nv = len(self.value_fields)
        new, changed, same = [], [], 0
        for key, values in records.items():
            old = existing.get(key)
            if old is None:
                new.append((*(key if isinstance(key, tuple) else (key,)), *values))
            elif tuple(self.comparable(old[1 : 1 + nv])) != tuple(values):
                changed.append((old, values))
            else:
                same += 1
        self.insert(new)
        self.update(changed)
        return len(new), len(changed), same

    def comparable(self, values):
        return values

    def insert(self, rows):
        fields = [*self.key_fields, *self.value_fields, "batch_id"]
        rows = [(*r, self.batch.pk) for r in rows]
        if self.tenant:
            fields = ["municipality_id", *fields]
            rows = [(self.municipality.pk, *r) for r in rows]
        if self.fast:
            fast_insert(self.model, fields, rows)
        else:
            self.model.objects.bulk_create(
                [self.model(**dict(zip(fields, r))) for r in rows], batch_size=2000
            )

    def update(self, changed):
        if not changed:
            return
        meta = self.model._meta
        fields = {f: model_field(self.model, f) for f in self.value_fields}
        label = meta.label_lower
        RowChange.objects.bulk_create(
            [
                RowChange(
                    batch=self.batch,
                    model=label,
                    object_id=old[0],
                    previous={
                        **{f: _json(v) for f, v in zip(self.value_fields, old[1:])},
                        "batch_id": old[-1],
                    },
                )
                for old, _values in changed
            ],
            batch_size=2000,
        )
        objs = []
        for old, values in changed:
            obj = self.model(pk=old[0], batch_id=self.batch.pk)
            for f, v in zip(self.value_fields, values):
                setattr(obj, f, _model_value(fields[f], v))
            objs.append(obj)
        self.model.objects.bulk_update(objs, [*self.value_fields, "batch_id"], batch_size=500)

    def finish(self, problems):
        pass

    def write_final(self):
        return 0, 0, 0

    def stop(self):
        """Called once the commit's rows are written or the commit failed (see PgStream)."""


# ---------------------------------------------------------------------------------------------------
# Locating points in areas


class Locator:
    """Vectorised point-in-polygon (shapely 2 STRtree) over the municipality's areas of some kinds."""

    def __init__(self, municipality, kinds):
        rows = list(
            Area.objects.filter(
                municipality=municipality, kind__in=kinds, geometry__isnull=False
            ).values_list("pk", "geometry", "area_m2")
        )
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.geoms = shapely.from_wkb([bytes(r[1]) for r in rows]) if rows else np.array([])
        self.sizes = np.array([r[2] or 0.0 for r in rows])
        self.tree = shapely.STRtree(self.geoms) if rows else None
        self.transformers: dict[str, pyproj.Transformer | None] = {}
        self.inside = 0
        self.outside = 0
        self.sample: list[tuple[float, float]] = []

    def __bool__(self):
        return self.tree is not None

    def transform(self, crs: str, x, y):
        if crs not in self.transformers:
            try:
                target = pyproj.CRS.from_epsg(STORAGE_SRID)
                source = pyproj.CRS.from_user_input(crs)
                self.transformers[crs] = (
                    None
                    if source == target
                    else pyproj.Transformer.from_crs(source, target, always_xy=True)
                )
            except pyproj.exceptions.CRSError:
                raise ValueError(crs) from None
        t = self.transformers[crs]
        return (x, y) if t is None else t.transform(x, y)

    def locate(self, x: np.ndarray, y: np.ndarray):
        """-> (area id or -1 per point, number of areas containing each point)."""
        n = len(x)
        result = np.full(n, -1, dtype=np.int64)
        counts = np.zeros(n, dtype=np.int64)
        if self.tree is None or n == 0:
            return result, counts
        points = shapely.points(x, y)
        idx_point, idx_area = self.tree.query(points, predicate="within")
        counts = np.bincount(idx_point, minlength=n)
        # Overlaps: the smallest area wins (a hotspot inside a district), and the row is reported.
        order = np.lexsort((self.sizes[idx_area], idx_point))
        idx_point, idx_area = idx_point[order], idx_area[order]
        first = np.unique(idx_point, return_index=True)[1]
        result[idx_point[first]] = self.ids[idx_area[first]]
        # Points exactly on a shared border are within no area: take the first area they touch.
        border = np.flatnonzero(counts == 0)
        if len(border):
            bp, ba = self.tree.query(points[border], predicate="intersects")
            if len(bp):
                fb = np.unique(bp, return_index=True)[1]
                result[border[bp[fb]]] = self.ids[ba[fb]]
                counts[border[bp[fb]]] = 1
        self.inside += int((counts > 0).sum())
        self.outside += int((counts == 0).sum())
        if len(self.sample) < 50:
            self.sample.extend(zip(x[:50].tolist(), y[:50].tolist()))
        return result, counts

    def crs_hint(self, crs_seen) -> str:
        """Why might every point lie outside? Look at the coordinates' ranges."""
        xs = np.array([p[0] for p in self.sample]) if self.sample else np.array([0.0])
        ys = np.array([p[1] for p in self.sample]) if self.sample else np.array([0.0])
        said = ", ".join(sorted(crs_seen)) or f"EPSG:{STORAGE_SRID}"
        if np.all(np.abs(xs) <= 180) and np.all(np.abs(ys) <= 90):
            return _(
                "The coordinates look like longitude/latitude in degrees (EPSG:4326), but the "
                "file says %(crs)s. Set the crs column (or the CRS field) to EPSG:4326."
            ) % {"crs": said}
        if np.all((ys > 100_000) & (ys < 1_000_000)) and np.all(xs > 5_000_000):
            return _("x and y seem to be swapped: x looks like a northing and y like an easting.")
        return _(
            "Check that the coordinates really are in %(crs)s (Danish data are usually in EPSG:25832, "
            "ETRS89 / UTM 32N, in metres) and that the file belongs to this municipality."
        ) % {"crs": said}


class _PointsMixin:
    """Coordinates (x, y, crs) or an area code -> area id, with every doubtful row reported."""

    point_kinds = TILING_KINDS

    def setup_points(self):
        has_xy = "x" in self.col and "y" in self.col
        has_area = "area" in self.col
        if not has_xy and not has_area:
            raise Refused(
                _("%(name)s needs coordinates (columns x and y) or an area code (column area).")
                % {"name": self.batch.file_name},
                column="x",
                row=1,
            )
        if ("x" in self.col) != ("y" in self.col):
            raise Refused(
                _("%(name)s has only one of the columns x and y.") % {"name": self.batch.file_name},
                column="x" if "x" in self.col else "y",
                row=1,
            )
        self.locator = Locator(
            self.municipality, self.options.get("area_kinds") or self.point_kinds
        )
        self.default_crs = self.options.get("crs") or f"EPSG:{STORAGE_SRID}"
        self.crs_seen: set[str] = set()
        self.with_points = 0
        if has_xy and not self.locator and not has_area:
            raise Refused(
                _("This municipality has no areas to place the points in; import the areas first.")
            )

    def place(self, first_row, cols, ok, problems, *, optional_area_column="area"):
        n = len(ok)
        area_ids = [None] * n
        codes = self.area_codes()
        xs = cols.get("x")
        ys = cols.get("y")
        crs_col = cols.get("crs")
        area_col = cols.get(optional_area_column)
        need_xy = np.zeros(n, dtype=bool)
        for k in range(n):
            if not ok[k]:
                continue
            code = area_col[k] if area_col is not None else ""
            if code:
                aid = codes.get(code)
                if aid is None:
                    problems.error(first_row + k, "area", _("unknown area code"), code)
                    ok[k] = False
                else:
                    area_ids[k] = aid
            elif xs is not None and (xs[k] or ys[k]):
                need_xy[k] = True
            else:
                problems.error(first_row + k, "x", _("neither coordinates nor an area code"))
                ok[k] = False
        x = np.full(n, np.nan)
        y = np.full(n, np.nan)
        if need_xy.any():
            idx = np.flatnonzero(need_xy)
            try:  # fast path: plain numbers with a decimal point
                x[idx] = np.array([xs[k] for k in idx]).astype(float)
                y[idx] = np.array([ys[k] for k in idx]).astype(float)
            except ValueError:
                for k in idx:
                    for column, src, dst in (("x", xs, x), ("y", ys, y)):
                        try:
                            dst[k] = parse_number(src[k])
                        except ValueError:
                            problems.error(first_row + k, column, _("not a number"), src[k])
                            ok[k] = False
                            need_xy[k] = False
            idx = np.flatnonzero(need_xy & ok)
            crs = np.array(
                [(crs_col[k] or self.default_crs) if crs_col is not None else self.default_crs
                 for k in idx], dtype=object,
            )  # fmt: skip
            for name in set(crs.tolist()):
                sel = idx[crs == name]
                try:
                    x[sel], y[sel] = self.locator.transform(name, x[sel], y[sel])
                    self.crs_seen.add(name)
                except ValueError:
                    for k in sel:
                        problems.error(first_row + k, "crs", _("unknown coordinate system"), name)
                        ok[k] = False
            idx = np.flatnonzero(need_xy & ok)
            self.with_points += len(idx)
            found, counts = self.locator.locate(x[idx], y[idx])
            for j, k in enumerate(idx):
                if counts[j] == 0:
                    problems.warning(
                        first_row + k,
                        "x",
                        _("the point lies outside every area; it is imported without an area"),
                        f"{x[k]:.1f} {y[k]:.1f}",
                    )
                else:
                    if counts[j] > 1:
                        problems.warning(
                            first_row + k,
                            "x",
                            _("the point lies in %(n)s overlapping areas; the smallest was chosen")
                            % {"n": int(counts[j])},
                            f"{x[k]:.1f} {y[k]:.1f}",
                        )
                    area_ids[k] = int(found[j])
        return area_ids, x, y

    def finish_points(self, problems):
        if self.with_points and self.locator.inside == 0:
            problems.error(
                None,
                "x",
                _("None of the %(n)s points lies inside the municipality's areas. %(hint)s")
                % {"n": self.with_points, "hint": self.locator.crs_hint(self.crs_seen)},
            )


class _OffenceMixin:
    def setup_offences(self):
        self.offences = dict(Offence.objects.values_list("code", "pk"))
        self.codes_seen: set[str] = set()

    def finish_offences(self, problems):
        message = mixed_levels(self.codes_seen)
        if message:
            problems.error(None, "offence", message)


# ---------------------------------------------------------------------------------------------------
# The kinds


def _age(v) -> int:
    """An age in whole years, 0–120 (a person charged, a suspect); ValueError otherwise."""
    a = parse_int(v)
    if not 0 <= a <= 120:
        raise ValueError(v)
    return a


class ReportsAdapter(_PointsMixin, _OffenceMixin, Adapter):
    """id, occurred_at (local time), offence, x, y, crs or area, and optionally the suspect's age:
    counted where the crime happened."""

    required = ("id", "occurred_at", "offence")
    optional = ("x", "y", "crs", "area", "suspect_age")
    aliases = {
        # The area page's download ("Hent anmeldelser som CSV"), in Danish and in English
        "anmeldelses-id": "id",
        "tidspunkt": "occurred_at",
        "gerningstidspunkt": "occurred_at",
        "gerningskode": "offence",
        "report id": "id",
        "time": "occurred_at",
        "offence code": "offence",
        "område": "area",
        "områdekode": "area",
        "x-koordinat": "x",
        "y-koordinat": "y",
        "koordinatsystem": "crs",
        "mistænktes alder": "suspect_age",
        "gerningspersonens alder": "suspect_age",
        "suspect age": "suspect_age",
    }
    name_columns = {"offence": ("forbrydelse", "offence", "offence name")}
    model = CrimeReport
    key_fields = ("external_id",)
    value_fields = ("occurred_at", "offence_id", "x", "y", "area_id", "suspect_age")
    fast = True
    tenant = True

    def setup(self, problems):
        self.setup_points()
        self.setup_offences()
        self.any_existing = CrimeReport.objects.filter(municipality=self.municipality).exists()
        self.stream: PgStream | None = None
        self.written = (0, 0, 0)  # what the stream wrote: (created, updated, unchanged)

    def check(self, first_row, rows, problems):
        cols, ok = self.columns(first_row, rows, problems)
        ids = cols["id"]
        for k, v in enumerate(ids):
            if len(v) > 64:
                problems.error(first_row + k, "id", _("longer than 64 characters"), v)
                ok[k] = False
        self.key_check(first_row, ids, ok, problems, "id")
        raw_times = cols["occurred_at"]
        try:
            local = np.array(raw_times, dtype="datetime64[s]")
            bad = np.isnat(local)
        except ValueError:
            local = np.empty(len(raw_times), dtype="datetime64[s]")
            bad = np.zeros(len(raw_times), dtype=bool)
            for k, v in enumerate(raw_times):
                try:
                    local[k] = np.datetime64(parse_datetime(v), "s")
                except ValueError:
                    bad[k] = True
        now = np.datetime64(timezone.localtime().replace(tzinfo=None), "s")
        for k in np.flatnonzero(bad):
            problems.error(
                first_row + k,
                "occurred_at",
                _(
                    "not a date and time (use 2024-03-31T22:15, 31-03-2024 22:15 or 31.03.2024 22:15)"
                )
                if raw_times[k]
                else _("empty"),
                raw_times[k],
            )
            ok[k] = False
        good = ~bad
        future = good & (local > now)
        early = good & (local < np.datetime64("1900-01-01"))
        for k in np.flatnonzero(future):
            problems.error(first_row + k, "occurred_at", _("in the future"), raw_times[k])
            ok[k] = False
        for k in np.flatnonzero(early):
            problems.error(first_row + k, "occurred_at", _("before 1900"), raw_times[k])
            ok[k] = False
        offence_codes = cols["offence"]
        self.codes_seen.update(offence_codes)
        offence_ids = self.codes(
            first_row, offence_codes, ok, problems, "offence", self.offences,
            _("unknown offence code (see the offence catalogue)"),
        )  # fmt: skip
        area_ids, x, y = self.place(first_row, cols, ok, problems)
        ages = [None] * len(ids)
        if "suspect_age" in cols:
            ages = self.parse_each(
                first_row, cols["suspect_age"], ok, problems, "suspect_age", _age,
                _("not an age between 0 and 120"), optional=True,
            )  # fmt: skip
        keep = np.flatnonzero(ok)
        if not len(keep):
            return {}
        utc = local_to_utc(local[keep])
        times = db_datetime_strings(utc)
        xr = np.round(x[keep], 2)
        yr = np.round(y[keep], 2)
        return {
            ids[k]: (
                t,
                offence_ids[k],
                None if xv != xv else xv,  # NaN: no coordinates
                None if yv != yv else yv,
                area_ids[k],
                ages[k],
            )
            for k, t, xv, yv in zip(keep.tolist(), times, xr.tolist(), yr.tolist())
        }

    def write(self, records):
        if connection.vendor != "postgresql":
            return super().write(records)
        # PostgreSQL: COPY (and upsert) in a writer thread while the next chunk is checked.
        if not records:
            return 0, 0, 0
        if self.stream is None:
            self.stream = PgStream(
                CrimeReport,
                municipality_id=self.municipality.pk,
                batch_id=self.batch.pk,
                key=self.key_fields[0],
                values=self.value_fields,
                direct=not self.any_existing,
            )
        ids = list(records)
        joined = "".join(ids)
        if any(c in joined for c in "\\\t\n\r"):
            ids = [copy_text(k) for k in ids]
        n = "\\N"
        lines = [
            f"{k}\t{t}\t{o}\t{n if x is None else x}\t{n if y is None else y}\t{n if a is None else a}"
            f"\t{n if g is None else g}"
            for k, (t, o, x, y, a, g) in zip(ids, records.values())
        ]
        self.stream.put(lines, len(lines))
        return 0, 0, 0

    def write_final(self):
        counts, self.written = self.written, (0, 0, 0)
        return counts

    def stop(self):
        if self.stream is not None:
            self.stream.abort()
            self.stream = None

    def existing(self, keys):
        return super().existing(keys) if self.any_existing else {}

    def comparable(self, values):
        t, *rest = values
        return (db_datetime_strings(np.array([np.datetime64(t.replace(tzinfo=None), "s")]))[0],
                *rest)  # fmt: skip

    def finish(self, problems):
        if self.stream is not None:  # the writer owns the connection until it is done
            self.written = self.stream.close()
            self.stream = None
        self.finish_points(problems)
        self.finish_offences(problems)


class ChargesAdapter(_PointsMixin, _OffenceMixin, Adapter):
    """id, person (pseudonym), charged_on, offence, age, area or x/y/crs: counted where the person lives."""

    required = ("id", "person", "charged_on", "offence", "age")
    optional = ("area", "x", "y", "crs")
    aliases = {
        "sigtelses-id": "id",
        "personnøgle": "person",
        "pseudonym": "person",
        "sigtelsesdato": "charged_on",
        "sigtet den": "charged_on",
        "gerningskode": "offence",
        "offence code": "offence",
        "alder": "age",
        "område": "area",
        "områdekode": "area",
        "x-koordinat": "x",
        "y-koordinat": "y",
        "koordinatsystem": "crs",
    }
    name_columns = {"offence": ("forbrydelse", "offence", "offence name")}
    model = Charge
    key_fields = ("external_id",)
    value_fields = ("person_key", "charged_on", "offence_id", "age", "area_id")
    tenant = True

    def setup(self, problems):
        self.setup_points()
        self.setup_offences()

    def check(self, first_row, rows, problems):
        cols, ok = self.columns(first_row, rows, problems)
        ids = cols["id"]
        self.too_long(first_row, ids, ok, problems, "id", "external_id")
        self.key_check(first_row, ids, ok, problems, "id")
        persons = cols["person"]
        for k, p in enumerate(persons):
            if not p:
                problems.error(first_row + k, "person", _("empty"))
                ok[k] = False
            elif _CPR.match(p):
                problems.error(
                    first_row + k,
                    "person",
                    _("looks like a CPR number; person keys must be pseudonyms"),
                )
                ok[k] = False
            elif len(p) > 64:
                problems.error(first_row + k, "person", _("longer than 64 characters"))
                ok[k] = False
        today = timezone.localdate()

        def date(v):
            d = parse_date(v)
            if d > today or d.year < 1900:
                raise ValueError(v)
            return d

        dates = self.parse_each(
            first_row, cols["charged_on"], ok, problems, "charged_on", date,
            _("not a date between 1900 and today (use 2024-03-31, 31-03-2024 or 31.03.2024)"),
        )  # fmt: skip

        ages = self.parse_each(
            first_row, cols["age"], ok, problems, "age", _age, _("not an age between 0 and 120")
        )
        self.codes_seen.update(cols["offence"])
        offence_ids = self.codes(
            first_row, cols["offence"], ok, problems, "offence", self.offences,
            _("unknown offence code (see the offence catalogue)"),
        )  # fmt: skip
        area_ids, _x, _y = self.place(first_row, cols, ok, problems)
        return {
            ids[k]: (persons[k], dates[k], offence_ids[k], ages[k], area_ids[k])
            for k in np.flatnonzero(ok).tolist()
        }

    def finish(self, problems):
        self.finish_points(problems)
        self.finish_offences(problems)


_SEX = {"f": "F", "k": "F", "kvinde": "F", "kvinder": "F", "m": "M", "mand": "M", "mænd": "M"}


class PopulationAdapter(Adapter):
    """area, year, age_band, sex, count: residents on 1 January."""

    required = ("area", "year", "age_band", "sex", "count")
    aliases = {
        "område": "area",
        "områdekode": "area",
        "år": "year",
        "aldersgruppe": "age_band",
        "køn": "sex",
        "antal": "count",
        "indbyggere": "count",
    }
    model = Population
    key_fields = ("area_id", "year", "age_band", "sex")
    value_fields = ("count",)
    narrow_by = "area_id"

    def check(self, first_row, rows, problems):
        cols, ok = self.columns(first_row, rows, problems)
        areas = self.codes(
            first_row, cols["area"], ok, problems, "area", self.area_codes(), _("unknown area code")
        )
        years = self.year(first_row, cols["year"], ok, problems)
        bands = self.codes(
            first_row, cols["age_band"], ok, problems, "age_band", {b: b for b in AGE_BANDS},
            _("unknown age band; expected one of %(bands)s") % {"bands": ", ".join(AGE_BANDS)},
        )  # fmt: skip
        sexes = self.codes(
            first_row, [s.lower() for s in cols["sex"]], ok, problems, "sex", _SEX,
            _("unknown sex; expected F (K) or M"),
        )  # fmt: skip

        lo, hi = int_range(Population, "count")

        def count(v):
            n = parse_int(v)
            if not lo <= n <= hi:
                raise ValueError(v)
            return n

        counts = self.parse_each(
            first_row, cols["count"], ok, problems, "count", count,
            _("not a whole number from %(lo)s to %(hi)s") % {"lo": lo, "hi": hi},
        )  # fmt: skip
        keys = [(a, y, b, s) for a, y, b, s in zip(areas, years, bands, sexes)]
        self.key_check(first_row, keys, ok, problems, "area")
        return {keys[k]: (counts[k],) for k in np.flatnonzero(ok).tolist()}


class SurveyAdapter(Adapter):
    """respondent, year, area, weight, optional wave, then one column per survey item."""

    required = ("respondent", "year", "area", "weight")
    optional = ("wave",)
    aliases = {
        "respondent-id": "respondent",
        "besvarelse": "respondent",
        "år": "year",
        "område": "area",
        "områdekode": "area",
        "vægt": "weight",
        "runde": "wave",
        "bølge": "wave",
    }
    model = SurveyResponse
    value_fields = ("area_id", "weight", "answers")

    def extra_columns(self, extra):
        # a column names its item as other columns are matched (header_key: 'Safety', 'SAFETY' and
        # 'safety' are one), and keeps the file's spelling for the problems it is named in
        items = {header_key(i.code): i for i in SurveyItem.objects.all()}
        self.items = {c: items[header_key(c)] for c in extra if header_key(c) in items}
        self.item_columns = list(self.items)
        self.item_codes = sorted(i.code for i in items.values())
        return [c for c in extra if c not in self.items]

    def setup(self, problems):
        if not self.item_columns:
            raise Refused(
                _("%(name)s has no answer columns; expected survey item codes such as %(items)s.")
                % {"name": self.batch.file_name, "items": ", ".join(self.item_codes[:5])},
                row=1,
            )
        self.waves = {
            (w.year, w.name): w for w in SurveyWave.objects.filter(municipality=self.municipality)
        }

    def wave_name(self, year, name):
        if name:
            return name
        same_year = [n for (y, n) in self.waves if y == year]
        return same_year[0] if len(same_year) == 1 else f"Tryghedsundersøgelse {year}"

    def check(self, first_row, rows, problems):
        cols, ok = self.columns(first_row, rows, problems)
        years = self.year(first_row, cols["year"], ok, problems)
        areas = self.codes(
            first_row, cols["area"], ok, problems, "area", self.area_codes(), _("unknown area code")
        )

        def weight(v):
            w = parse_number(v)
            if w <= 0:
                raise ValueError(v)
            return w

        weights = self.parse_each(
            first_row, cols["weight"], ok, problems, "weight", weight, _("not a positive number")
        )
        answers = [{} for _ in range(len(ok))]
        for code in self.item_columns:
            item = self.items[code]
            for k, v in enumerate(cols[code]):
                if v == "" or not ok[k]:
                    continue  # an empty answer is a missing answer
                try:
                    a = parse_int(v)
                    if not item.scale_min <= a <= item.scale_max:
                        raise ValueError(v)
                    answers[k][item.code] = a
                except ValueError:
                    problems.error(
                        first_row + k,
                        code,
                        _("not an answer from %(lo)s to %(hi)s")
                        % {"lo": item.scale_min, "hi": item.scale_max},
                        v,
                    )
                    ok[k] = False
        waves = cols.get("wave") or [""] * len(ok)
        self.too_long(first_row, waves, ok, problems, "wave", (SurveyWave, "name"))
        self.too_long(first_row, cols["respondent"], ok, problems, "respondent", "respondent")
        keys = [
            ((y, self.wave_name(y, w)), r) if y is not None else ("", r)
            for y, w, r in zip(years, waves, cols["respondent"])
        ]
        self.key_check(first_row, [(k[0], k[1]) if k[1] else "" for k in keys], ok, problems,
                       "respondent")  # fmt: skip
        return {keys[k]: (areas[k], weights[k], answers[k]) for k in np.flatnonzero(ok).tolist()}

    def write(self, records):
        # Waves are created here (inside the commit's transaction); keys become (wave id, respondent).
        resolved = {}
        for (wave_key, respondent), values in records.items():
            wave = self.waves.get(wave_key)
            if wave is None:
                wave = SurveyWave.objects.create(
                    municipality=self.municipality, year=wave_key[0], name=wave_key[1]
                )
                self.waves[wave_key] = wave
            resolved[(wave.pk, respondent)] = values
        return super().write(resolved)

    key_fields = ("wave_id", "respondent")
    narrow_by = "wave_id"


# Ways a file writes "per cent": one unit, whichever the catalogue or the file uses.
_PER_CENT = {"%", "pct", "pct.", "procent", "percent", "per cent"}


def _unit_key(unit: str) -> str:
    """A unit as it is compared: case and spacing aside, and every spelling of per cent as %."""
    key = " ".join(unicodedata.normalize("NFC", str(unit)).split()).casefold()
    return "%" if key in _PER_CENT else key


class RegistersAdapter(Adapter):
    """area, year, indicator, value and/or numerator and denominator (an empty cell = not available),
    and optionally the unit, which must be the catalogue indicator's."""

    required = ("area", "year", "indicator")
    optional = ("value", "numerator", "denominator", "unit")
    aliases = {
        "område": "area",
        "områdekode": "area",
        "år": "year",
        "indikator": "indicator",
        "indikatorkode": "indicator",
        "værdi": "value",
        "tæller": "numerator",
        "nævner": "denominator",
        "enhed": "unit",
    }
    model = IndicatorValue
    key_fields = ("indicator_id", "area_id", "year")
    value_fields = ("value", "numerator", "denominator")
    narrow_by = "area_id"

    def setup(self, problems):
        if not {"value", "numerator"} & set(self.col):
            raise Refused(
                _("%(name)s needs a value column or numerator and denominator columns.")
                % {"name": self.batch.file_name},
                column="value",
                row=1,
            )
        self.indicators = dict(Indicator.objects.values_list("code", "pk"))
        self.units = dict(Indicator.objects.values_list("pk", "unit"))

    def check(self, first_row, rows, problems):
        cols, ok = self.columns(first_row, rows, problems)
        areas = self.codes(
            first_row, cols["area"], ok, problems, "area", self.area_codes(), _("unknown area code")
        )
        years = self.year(first_row, cols["year"], ok, problems)
        inds = self.codes(
            first_row, cols["indicator"], ok, problems, "indicator", self.indicators,
            _("unknown indicator code"),
        )  # fmt: skip
        n = len(ok)
        for k, given in enumerate(cols.get("unit") or ()):
            if not ok[k] or not given:
                continue  # an empty unit cell says nothing
            expected = self.units[inds[k]]
            if _unit_key(given) != _unit_key(expected):
                problems.error(
                    first_row + k,
                    "unit",
                    _(
                        "the unit %(given)s differs from the unit of %(code)s in the indicator "
                        "catalogue, %(expected)s; values are stored in the catalogue's unit"
                    )
                    % {"given": given, "code": cols["indicator"][k], "expected": expected},
                    given,
                )
                ok[k] = False
        parsed = {}
        for column in ("value", "numerator", "denominator"):
            parsed[column] = self.parse_each(
                first_row, cols.get(column) or [""] * n, ok, problems, column, parse_number,
                _("not a number"), optional=True,
            )  # fmt: skip
        for k in range(n):
            if not ok[k]:
                continue
            v, num, den = parsed["value"][k], parsed["numerator"][k], parsed["denominator"][k]
            if (num is None) != (den is None):
                problems.error(
                    first_row + k,
                    "denominator",
                    _("give both numerator and denominator, or neither"),
                )
                ok[k] = False
            elif num is not None and (num < 0 or den <= 0):
                problems.error(
                    first_row + k,
                    "numerator" if num < 0 else "denominator",
                    _("a count cannot be negative, and the denominator must be above 0"),
                    num if num < 0 else den,
                )
                ok[k] = False
            elif v is None and num is not None:
                parsed["value"][k] = 100.0 * num / den
        keys = list(zip(inds, areas, years))
        self.key_check(first_row, keys, ok, problems, "indicator")
        return {
            keys[k]: (parsed["value"][k], parsed["numerator"][k], parsed["denominator"][k])
            for k in np.flatnonzero(ok).tolist()
        }

    def comparable(self, values):
        return tuple(None if v is None else float(v) for v in values)


class NationalAdapter(Adapter):
    """indicator, year, value and optionally source: national (or regional) reference values, such
    as the national share of convicted residents that the statutory criteria compare an area with.

    Shared by every municipality, like the catalogue: one value per indicator and year, in the
    indicator's unit (a share in % lies from 0 to 100). An empty source cell takes the batch's source.
    """

    required = ("indicator", "year", "value")
    optional = ("source",)
    aliases = {
        "indikator": "indicator",
        "indikatorkode": "indicator",
        "år": "year",
        "værdi": "value",
        "kilde": "source",
    }
    model = NationalValue
    key_fields = ("indicator_id", "year")
    value_fields = ("value", "source")
    narrow_by = "indicator_id"

    def setup(self, problems):
        self.indicators = dict(Indicator.objects.values_list("code", "pk"))
        self.units = dict(Indicator.objects.values_list("pk", "unit"))
        self.default_source = (self.batch.source or "")[
            : NationalValue._meta.get_field("source").max_length
        ]

    def check(self, first_row, rows, problems):
        cols, ok = self.columns(first_row, rows, problems)
        inds = self.codes(
            first_row, cols["indicator"], ok, problems, "indicator", self.indicators,
            _("unknown indicator code"),
        )  # fmt: skip
        this_year = timezone.localdate().year

        def year(v):  # as the catalogue's form: a reference value is of a year that has been
            y = parse_int(v)
            if not 1900 <= y <= this_year:
                raise ValueError(v)
            return y

        years = self.parse_each(
            first_row, cols["year"], ok, problems, "year", year,
            _("not a year between 1900 and %(y)s") % {"y": this_year},
        )  # fmt: skip
        values = self.parse_each(
            first_row, cols["value"], ok, problems, "value", parse_number, _("not a number")
        )
        for k, v in enumerate(values):
            if ok[k] and _unit_key(self.units[inds[k]]) == "%" and not 0 <= v <= 100:
                problems.error(
                    first_row + k,
                    "value",
                    _("%(code)s is a share in per cent, so the value lies from 0 to 100")
                    % {"code": cols["indicator"][k]},
                    cols["value"][k],
                )
                ok[k] = False
        sources = cols.get("source") or [""] * len(ok)
        self.too_long(first_row, sources, ok, problems, "source", "source")
        # a repeated indicator and year is named by the file's code, not the catalogue's id
        self.key_check(first_row, list(zip(cols["indicator"], years)), ok, problems, "indicator")
        keys = list(zip(inds, years))
        return {
            keys[k]: (values[k], sources[k] or self.default_source)
            for k in np.flatnonzero(ok).tolist()
        }

    def comparable(self, values):
        value, source = values
        return (None if value is None else float(value), source)


# GEOS's reasons (shapely.is_valid_reason) in words; the point where it happens is kept.
_GEOS_REASONS = {
    "Self-intersection": gettext_lazy("the boundary crosses itself"),
    "Ring Self-intersection": gettext_lazy("a ring touches itself"),
    "Too few points in geometry component": gettext_lazy("too few points"),
    "Hole lies outside shell": gettext_lazy("a hole lies outside the polygon"),
    "Holes are nested": gettext_lazy("a hole lies inside another hole"),
    "Interior is disconnected": gettext_lazy("the inside is split in two"),
    "Nested shells": gettext_lazy("a polygon lies inside another"),
    "Duplicate Rings": gettext_lazy("a ring appears twice"),
    "Invalid Coordinate": gettext_lazy("a coordinate is not a number"),
    "Ring is not closed": gettext_lazy("a ring is not closed"),
}


def _validity_reason(geom) -> str:
    """'Self-intersection[700050 6170050]' -> 'the boundary crosses itself (Self-intersection at
    700050 6170050)': the words, and GEOS's own term to search for."""
    text = shapely.is_valid_reason(geom)
    term, _sep, where = text.partition("[")
    words = _GEOS_REASONS.get(term.strip())
    if words is None:
        return text
    where = where.rstrip("]")
    if not where:
        return f"{words} ({term.strip()})"
    return _("%(words)s (%(term)s at %(where)s)") % {
        "words": words,
        "term": term.strip(),
        "where": where,
    }


class AreasAdapter(Adapter):
    """GeoJSON features or CSV rows with WKT: code, name, kind, parent, valid_from, valid_to."""

    required = ("code", "name", "kind")
    optional = ("parent", "valid_from", "valid_to", "municipality", "geometry", "wkt", "crs")
    aliases = {
        "kode": "code",
        "områdekode": "code",
        "navn": "name",
        "type": "kind",
        "områdetype": "kind",
        "del af": "parent",
        "overordnet område": "parent",
        "gyldig fra": "valid_from",
        "gyldig til": "valid_to",
        "kommune": "municipality",
        "kommunekode": "municipality",
        "geometri": "geometry",
        "koordinatsystem": "crs",
    }
    model = Area
    key_fields = ("code",)
    tenant = True
    value_fields = (
        "name", "kind", "valid_from", "valid_to", "geometry", "area_m2",
        "min_x", "min_y", "max_x", "max_y",
    )  # fmt: skip

    def setup(self, problems):
        if "geometry" not in self.col and "wkt" not in self.col:
            raise Refused(
                _("%(name)s needs polygons: GeoJSON geometries or a wkt column.")
                % {"name": self.batch.file_name},
                column="wkt",
                row=1,
            )
        self.file_crs = getattr(self.table, "crs", "") or ""
        self.parents: dict[str, str] = {}
        self.parent_rows: dict[str, int] = {}
        self.transformers: dict[str, object] = {}

    def _transformer(self, crs):
        if crs not in self.transformers:
            source = pyproj.CRS.from_user_input(crs)
            target = pyproj.CRS.from_epsg(STORAGE_SRID)
            self.transformers[crs] = (
                None
                if source == target
                else pyproj.Transformer.from_crs(source, target, always_xy=True)
            )
        return self.transformers[crs]

    def check(self, first_row, rows, problems):
        cols, ok = self.columns(first_row, rows, problems)
        n = len(ok)
        codes = cols["code"]
        for k, c in enumerate(codes):
            if len(c) > 32:
                problems.error(first_row + k, "code", _("longer than 32 characters"), c)
                ok[k] = False
        self.key_check(first_row, codes, ok, problems, "code")
        kinds = self.codes(
            first_row, cols["kind"], ok, problems, "kind", {k: k for k in AreaKind.values},
            _("unknown kind; expected one of %(kinds)s") % {"kinds": ", ".join(AreaKind.values)},
        )  # fmt: skip
        dates = {}
        for column in ("valid_from", "valid_to"):
            dates[column] = self.parse_each(
                first_row, cols.get(column) or [""] * n, ok, problems, column, parse_date,
                _("not a date"), optional=True,
            )  # fmt: skip
        own = self.municipality.code
        for k, m in enumerate(cols.get("municipality") or [""] * n):
            if m and m != own and ok[k]:
                problems.error(
                    first_row + k,
                    "municipality",
                    _("belongs to municipality %(m)s, not %(own)s") % {"m": m, "own": own},
                    m,
                )
                ok[k] = False
        records = {}
        geoms = cols.get("geometry") or [None] * n
        wkts = cols.get("wkt") or [""] * n
        crss = cols.get("crs") or [""] * n
        for k in range(n):
            if not ok[k]:
                continue
            column = "geometry" if geoms[k] else "wkt"
            try:
                if geoms[k]:
                    geom = shapely.geometry.shape(geoms[k])
                elif wkts[k]:
                    geom = shapely.from_wkt(wkts[k])
                else:
                    problems.error(first_row + k, column, _("no polygon"))
                    ok[k] = False
                    continue
            except (shapely.errors.ShapelyError, ValueError, TypeError, AttributeError, KeyError):
                problems.error(first_row + k, column, _("not a valid geometry"), str(wkts[k])[:80])
                ok[k] = False
                continue
            if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
                problems.error(
                    first_row + k, column, _("not a polygon (%(type)s)") % {"type": geom.geom_type}
                )
                ok[k] = False
                continue
            crs = crss[k] or self.options.get("crs") or self.file_crs or f"EPSG:{STORAGE_SRID}"
            try:
                t = self._transformer(crs)
            except pyproj.exceptions.CRSError:
                problems.error(first_row + k, "crs", _("unknown coordinate system"), crs)
                ok[k] = False
                continue
            if not np.isfinite(shapely.get_coordinates(geom)).all():
                problems.error(first_row + k, column, _("the coordinates must be finite numbers"))
                ok[k] = False
                continue
            if t is not None:
                geom = shapely.transform(
                    geom, lambda xy, t=t: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))
                )
                if not np.isfinite(shapely.get_coordinates(geom)).all():
                    problems.error(
                        first_row + k,
                        column,
                        _("the coordinates cannot be converted from %(crs)s") % {"crs": crs},
                    )
                    ok[k] = False
                    continue
            if not geom.is_valid:
                # Refused, not repaired: make_valid may turn it into lines or a different shape.
                problems.error(
                    first_row + k,
                    column,
                    _("invalid polygon: %(reason)s; repair it (e.g. QGIS: Fix geometries)")
                    % {"reason": _validity_reason(geom)},
                )
                ok[k] = False
                continue
            if geom.area < 1:
                problems.error(
                    first_row + k, column, _("the polygon has no area (in %(crs)s)") % {"crs": crs}
                )
                ok[k] = False
                continue
            parent = (cols.get("parent") or [""] * n)[k]
            if parent:
                self.parents[codes[k]] = parent
                self.parent_rows[codes[k]] = first_row + k
            minx, miny, maxx, maxy = (float(v) for v in geom.bounds)
            records[codes[k]] = (
                cols["name"][k][:120],
                kinds[k],
                dates["valid_from"][k],
                dates["valid_to"][k],
                shapely.to_wkb(geom),
                float(geom.area),
                minx,
                miny,
                maxx,
                maxy,
            )
        return records

    def finish(self, problems):
        known = set(self.seen) | set(self.area_codes())
        for code, parent in self.parents.items():
            if parent not in known:
                problems.error(
                    self.parent_rows[code], "parent", _("unknown parent area code"), parent
                )
            elif parent == code:
                problems.error(
                    self.parent_rows[code], "parent", _("an area cannot contain itself"), parent
                )
        for cycle in self.parent_cycles():
            first = min(cycle, key=lambda c: self.parent_rows.get(c, float("inf")))
            start = cycle.index(first)
            shown = [*cycle[start:], *cycle[:start], first]
            problems.error(
                self.parent_rows[first],
                "parent",
                _("the parent areas form a cycle: %(cycle)s") % {"cycle": " → ".join(shown)},
                self.parents[first],
            )

    def parent_cycles(self) -> list[list[str]]:
        """Cycles of two or more areas (each listed child first) that the parents would have after
        the commit: the database's parents, with those of the file's areas replaced by the file's
        (an area in the file without a parent gets none). Only cycles through the file's areas."""
        graph = dict(
            Area.objects.filter(municipality=self.municipality).values_list("code", "parent__code")
        )
        graph.update({code: self.parents.get(code) for code in self.seen})
        cycles, done = [], set()
        for start in self.parents:
            path, index, node = [], {}, start
            while node is not None and node not in done and node not in index:
                index[node] = len(path)
                path.append(node)
                node = graph.get(node)
            if node is not None and node in index:
                cycle = path[index[node] :]
                if len(cycle) > 1 and any(c in self.parent_rows for c in cycle):
                    cycles.append(cycle)
            done.update(path)
        return cycles

    def comparable(self, values):
        return tuple(bytes(v) if isinstance(v, memoryview) else v for v in values)

    def write_final(self):
        # Parents last: a file may name a parent further down.
        ids = dict(Area.objects.filter(municipality=self.municipality).values_list("code", "pk"))
        current = dict(
            Area.objects.filter(
                municipality=self.municipality, code__in=list(self.seen)
            ).values_list("code", "parent_id")
        )
        moved: dict[int | None, list[str]] = {}  # new parent id -> codes of the areas it gets
        for code in self.seen:
            want = ids.get(self.parents.get(code)) if self.parents.get(code) else None
            if current.get(code) != want:
                moved.setdefault(want, []).append(code)
        for parent_id, codes in moved.items():
            Area.objects.filter(municipality=self.municipality, code__in=codes).update(
                parent_id=parent_id
            )
        return 0, 0, 0


ADAPTERS = {
    "areas": AreasAdapter,
    "reports": ReportsAdapter,
    "charges": ChargesAdapter,
    "population": PopulationAdapter,
    "survey": SurveyAdapter,
    "registers": RegistersAdapter,
    "national": NationalAdapter,
}


def expected_columns(kind: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    adapter = ADAPTERS[kind]
    return adapter.required, adapter.optional
