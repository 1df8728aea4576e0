"""Statistics Denmark in the app: the configured Statbank tables, fetched into the catalogue's values.

The tables (:data:`TABLES`) and the measures derived from them (:data:`MEASURES`) are data: which
values of which variable are asked for, which catalogue indicator a measure writes and how it is
derived. One fetch for one municipality (:func:`run_fetch`, run by the task worker and by
``manage.py fetch_statbank``) is one import batch of kind ``statbank``:

1. the municipality must have an area of kind municipality: its figures are stored on it;
2. per table: ``tableinfo`` is checked against the spec (the variables and values it was set up
   with, the municipality's code), then the municipality and the whole country (``000``, *Hele
   landet*: the client never sums totals, so the country is asked for by its own code) are fetched
   and summed to years (every raw answer is stored as ``StatbankResponse``);
3. the measures are derived: residents on 1 January (FOLK1A, first quarter), reported criminal-code
   offences (STRAF11, the four level-2 groups, whole years only) and charges (STRAF22) per 1,000
   residents;
4. in one transaction: the catalogue entries the first time (``surveys.actions.create_entry``), the
   municipality's values as ``IndicatorValue`` rows on its area and the country's as ``NationalValue``
   rows, each with the batch; the previous values of changed rows go to the batch's row changes, so
   that the imports' roll-back restores them; then the batch is committed and audited.

Any refusal (an HTTP error, Statbank's error answer, a table whose variables or values changed since it
was set up, a year without all its quarters, a municipality code Statbank does not know) fails the
batch with a message naming the table, the variable and what changed; nothing is written (the raw
answers stay stored). A second fetch of the same figures changes nothing: it records every value as
unchanged.

It lives with the imports because a fetch is an import batch (lifecycle, roll-back, history); the
Statbank client it drives is ``hotspot.indicators.statbank``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
import re
from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from hotspot import computations
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.imports.models import ImportBatch, RowChange
from hotspot.indicators import statbank
from hotspot.indicators.actions import INDICATOR_FIELDS
from hotspot.indicators.models import (
    Direction,
    Indicator,
    IndicatorValue,
    NationalValue,
    StatbankResponse,
)
from hotspot.indicators.statbank import StatbankError
from hotspot.surveys.actions import create_entry

#: The import batch's kind and the steps a fetch goes through (``imports.models.Kind.STATBANK`` and
#: ``imports.models.Status``).
KIND = "statbank"
QUEUED = "queued"
WORKING = "committing"
#: Statbank's code of the whole country (*Hele landet*).
NATIONAL = "000"
MUNICIPALITY_KIND = "municipality"  # areas.models.AreaKind.MUNICIPALITY

# How a variable's values are chosen.
AREA = "area"  # the municipality's code, or 000 for the whole country
PARTS = "parts"  # every value but the total and "unknown" (the only value when there is one)
YEARS = "years"  # every year of a yearly table
FULL_YEARS = "full_years"  # the quarters of every year whose four quarters the table lists
FIRST_QUARTERS = "first_quarters"  # the first quarter of every year: the count on 1 January
TIME_RULES = (YEARS, FULL_YEARS, FIRST_QUARTERS)
_YEAR = re.compile(r"^\d{4}$")
_QUARTER = re.compile(r"^(\d{4})K([1-4])$")

RULE_WORDS = {
    AREA: gettext_lazy("the municipality's code, and 000 (Hele landet) for Denmark as a whole"),
    PARTS: gettext_lazy("every value but the total and unknown, summed"),
    YEARS: gettext_lazy("every year"),
    FULL_YEARS: gettext_lazy("the quarters of every whole year, summed to years"),
    FIRST_QUARTERS: gettext_lazy("the first quarter of every year (1 January)"),
}


@dataclasses.dataclass(frozen=True)
class TableSpec:
    """One Statbank table as the fetch was set up: every variable with the values chosen (codes, or
    one of the rules above). A table whose variables or values differ is refused."""

    table: str
    description: str
    variables: dict

    @property
    def area_variable(self) -> str:
        return next(n for n, rule in self.variables.items() if rule == AREA)

    @property
    def time_variable(self) -> str:
        return next(n for n, rule in self.variables.items() if rule in TIME_RULES)

    @property
    def source(self) -> str:
        return source_of([self.table])

    def choices(self) -> list[tuple[str, str]]:
        """(variable, the values chosen in words or codes) for the Statbank page."""
        return [
            (name, RULE_WORDS[rule] if isinstance(rule, str) else ", ".join(rule))
            for name, rule in self.variables.items()
        ]


@dataclasses.dataclass(frozen=True)
class MeasureSpec:
    """A catalogue indicator a fetch writes: the yearly sum of ``table`` (per 1,000 residents on
    1 January from FOLK1A when ``per_1000``). ``own`` is the area's own figure of the same thing in
    ``measures.build_panel`` (``residents`` for its denominator), or "" when there is none."""

    code: str
    table: str
    name_da: str
    name_en: str
    unit: str
    per_1000: bool
    own: str = ""

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.table, RESIDENTS) if self.per_1000 else (self.table,)

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "da").startswith("en") else self.name_da

    @property
    def digits(self) -> str:
        """How a page shows it (``floatformat``): rates with one decimal, counts whole."""
        return "1g" if self.per_1000 else "0g"

    @property
    def source(self) -> str:
        return source_of(self.tables)


RESIDENTS = "FOLK1A"
TABLES = (
    TableSpec(
        "FOLK1A",
        gettext_lazy(
            "Population on the first day of the quarter by area, sex, age and marital status"
        ),
        {
            "OMRÅDE": AREA,
            "KØN": PARTS,
            "ALDER": PARTS,
            "CIVILSTAND": PARTS,
            "Tid": FIRST_QUARTERS,
        },
    ),
    TableSpec(
        "STRAF11",
        gettext_lazy("Reported criminal offences by area, type of offence and quarter"),
        # the four level-2 groups of the criminal code: sexual, violent, property and other crimes
        {"OMRÅDE": AREA, "OVERTRÆD": ("11", "12", "13", "14"), "Tid": FULL_YEARS},
    ),
    TableSpec(
        "STRAF22",
        gettext_lazy("Reported offences and charges by area, type of offence and year"),
        # charges for violent and property crimes
        {"OMRÅDE": AREA, "OVERTRÆD": ("12", "13"), "ANMSIGT": ("SIGT",), "Tid": YEARS},
    ),
)
TABLE_BY_ID = {t.table: t for t in TABLES}
MEASURES = (
    MeasureSpec(
        "dst_residents",
        "FOLK1A",
        "Indbyggere 1. januar (Danmarks Statistik)",
        "Residents on 1 January (Statistics Denmark)",
        "indbyggere",
        per_1000=False,
        own="residents",
    ),
    MeasureSpec(
        "dst_reports_per_1000",
        "STRAF11",
        "Anmeldte straffelovsovertrædelser pr. 1.000 indbyggere (Danmarks Statistik)",
        "Reported criminal code offences per 1,000 residents (Statistics Denmark)",
        "pr. 1.000",
        per_1000=True,
        own="reports_total",
    ),
    MeasureSpec(
        "dst_charges_per_1000",
        "STRAF22",
        "Sigtelser for vold og ejendomsforbrydelser pr. 1.000 indbyggere (Danmarks Statistik)",
        "Charges for violent and property crimes per 1,000 residents (Statistics Denmark)",
        "pr. 1.000",
        per_1000=True,
    ),
)
MEASURE_BY_CODE = {m.code: m for m in MEASURES}


def source_of(tables) -> str:
    """ "Kilde: Danmarks Statistik, statistikbanken.dk/STRAF11, statistikbanken.dk/FOLK1A"."""
    first, *rest = tables
    return ", ".join(
        [statbank.SOURCE.format(table=first), *(f"statistikbanken.dk/{t}" for t in rest)]
    )


class FetchRefused(Exception):
    """A fetch that cannot start or run (unknown table, one under way, no municipality area); the
    message says why, in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# -- the batch ---------------------------------------------------------------------------------------


def batch_model():
    """``imports.ImportBatch``."""
    return ImportBatch


def _row_change_model():
    """``imports.RowChange``: the previous values of a row a batch changed (roll-back restores them)."""
    return RowChange


def http_function():
    """The HTTP function the client posts with: ``settings.STATBANK_FETCH`` (a callable or its dotted
    path, ``fetch(url, payload) -> text``; tests give recorded answers), else the client's own."""
    value = getattr(settings, "STATBANK_FETCH", None)
    if isinstance(value, str) and value:
        return import_string(value)
    return value or None


def municipality_area(municipality):
    """The municipality's own area (kind municipality) that holds its Statbank figures, or None."""
    from hotspot.areas.models import Area

    return (
        Area.objects.filter(municipality=municipality, kind=MUNICIPALITY_KIND)
        .order_by("code")
        .first()
    )


def chosen_tables(tables=None) -> list[str]:
    """The tables a fetch asks for, in :data:`TABLES` order: all by default; FOLK1A joins any table a
    per-1,000 measure divides. Raises FetchRefused for a table that is not set up."""
    if not tables:
        return [t.table for t in TABLES]
    wanted = {str(t).strip().upper() for t in tables if str(t).strip()}
    unknown = sorted(wanted - set(TABLE_BY_ID))
    if unknown:
        raise FetchRefused(
            _("%(tables)s: not a table the fetch is set up for; the tables are %(known)s.")
            % {"tables": ", ".join(unknown), "known": ", ".join(TABLE_BY_ID)}
        )
    for m in MEASURES:
        if m.table in wanted:
            wanted.update(m.tables)
    return [t.table for t in TABLES if t.table in wanted]


def running_fetch(municipality):
    """The municipality's fetch that is queued or under way, or None. One the task worker gave no
    sign of life for ``IMPORT_STALE_MINUTES`` (or never took) does not count: a fetch again is
    harmless, it finds the same figures unchanged."""
    minutes = int(getattr(settings, "IMPORT_STALE_MINUTES", 10))  # imports.models.stale_minutes
    cutoff = timezone.now() - dt.timedelta(minutes=minutes)
    for batch in batch_model().objects.filter(
        municipality=municipality, kind=KIND, status__in=(QUEUED, WORKING)
    ):
        if (batch.heartbeat or batch.created_at) >= cutoff:
            return batch
    return None


@transaction.atomic
def queue_fetch(municipality, *, user=None, tables=None, request=None):
    """Create the batch of a fetch (waiting for the task worker: ``tasks.fetch_statbank_task``),
    audited. Refused while another fetch of the municipality is under way."""
    tables = chosen_tables(tables)
    under_way = running_fetch(municipality)
    if under_way is not None:
        raise FetchRefused(
            _("A fetch from Statistics Denmark is already under way (batch #%(pk)s).")
            % {"pk": under_way.pk}
        )
    batch = batch_model().objects.create(
        municipality=municipality,
        kind=KIND,
        status=QUEUED,
        file_name=f"statistikbanken.dk: {', '.join(tables)}",
        source=source_of(tables)[:300],
        licence=statbank.LICENCE,
        parameters={"tables": tables, "municipality_code": municipality.code},
        created_by=user,
        committed_by=user,
    )
    record(
        Action.CREATE,
        actor=user,
        municipality=municipality,
        obj=batch,
        purpose=Purpose.ANALYSIS,
        request=request,
    )
    return batch


def fetch_now(municipality, *, user=None, tables=None, fetch=None):
    """Queue and run a fetch in this process (the command line) -> the batch, committed or failed."""
    return run_fetch(queue_fetch(municipality, user=user, tables=tables), fetch=fetch)


# -- the fetch ---------------------------------------------------------------------------------------


def run_fetch(batch, *, fetch=None):
    """Fetch the batch's tables and write their values, all or nothing -> the batch (refreshed).

    A batch that is no longer waiting (run already, or given up on) is left as it is."""
    Batch = batch_model()
    claimed = Batch.objects.filter(pk=batch.pk, status=QUEUED).update(
        status=WORKING, progress=0, heartbeat=timezone.now()
    )
    batch.refresh_from_db()
    if not claimed:
        return batch
    client = statbank.Client(fetch=fetch or http_function())
    try:
        plan = _fetch(batch, client)
        _write(batch, plan)
    except FetchRefused as exc:
        _failed(batch, exc.message, client)
    except StatbankError as exc:
        _failed(batch, describe(exc), client)
    except IntegrityError:
        _failed(
            batch,
            _(
                "Another fetch wrote the same figures at the same time; nothing was written. "
                "Fetch again."
            ),
            client,
        )
    except Exception:
        _failed(
            batch,
            _("The fetch failed because of an internal error; nothing was written."),
            client,
        )
        raise
    batch.refresh_from_db()
    return batch


def _failed(batch, message: str, client) -> None:
    parameters = {**(batch.parameters or {}), "responses": list(client.response_ids)}
    batch_model().objects.filter(pk=batch.pk, status=WORKING).update(
        status=batch.failed_status,
        error=message,
        parameters=parameters,
        heartbeat=timezone.now(),
        finished_at=timezone.now(),
    )


@dataclasses.dataclass
class _Plan:
    area: object
    tables: list[str]
    # (measure code, place, year) -> (value, numerator, denominator); place is the municipality's
    # code or NATIONAL
    values: dict
    years: dict
    responses: list  # the stored answers (StatbankResponse ids)


def _fetch(batch, client) -> _Plan:
    municipality = batch.municipality
    area = municipality_area(municipality)
    if area is None:
        raise FetchRefused(
            _(
                "%(municipality)s has no area of the kind municipality, on which the figures of "
                "Statistics Denmark are stored. Import the municipality's boundary as an area of "
                "kind municipality, then fetch again."
            )
            % {"municipality": municipality.name}
        )
    code = municipality.code
    tables = chosen_tables((batch.parameters or {}).get("tables"))
    sums: dict[tuple[str, str], dict[int, float | None]] = {}
    steps = 3 * len(tables)
    for k, table in enumerate(tables):
        spec = TABLE_BY_ID[table]
        info = client.tableinfo(table)
        try:
            check_spec(spec, info, code)
        except StatbankError as exc:
            if exc.response_id is None and client.response_ids:
                exc.response_id = client.response_ids[-1]  # the tableinfo that was refused
            raise
        computations.set_progress(batch, 100 * (3 * k + 1) // (steps + 1))
        for j, place in enumerate((code, NATIONAL)):
            selection = selection_for(spec, info, place)
            rows = client.data(table, selection)
            sums[table, place] = yearly_sums(spec, info, selection, rows)
            computations.set_progress(batch, 100 * (3 * k + 2 + j) // (steps + 1))
    values, years = derive(sums, tables, code)
    return _Plan(area, tables, values, years, list(client.response_ids))


def check_spec(spec: TableSpec, info: statbank.TableInfo, code: str) -> None:
    """Refuse (StatbankError) a table whose variables or values are not what ``spec`` was set up with,
    or that does not know the municipality ``code``."""
    for name in spec.variables:
        if name not in info.variables:
            raise StatbankError(
                f"{spec.table} has no variable {name!r}",
                reason="no_variable",
                table=spec.table,
                variable=name,
                detail=", ".join(info.variables),
            )
    for name in info.variables:
        if name not in spec.variables:
            raise StatbankError(
                f"{spec.table} has a new variable {name!r}",
                reason="new_variable",
                table=spec.table,
                variable=name,
            )
    for name, rule in spec.variables.items():
        variable = info.variables[name]
        if isinstance(rule, tuple):
            missing = [v for v in rule if v not in variable.values]
            if missing:
                raise StatbankError(
                    f"{spec.table}.{name} has no value(s) {missing}",
                    reason="no_value",
                    table=spec.table,
                    variable=name,
                    values=missing,
                )
        elif rule == AREA:
            if code not in variable.values or variable.is_total(code) or variable.is_unknown(code):
                raise StatbankError(
                    f"{spec.table}.{name} does not know the municipality {code!r}",
                    reason="unknown_area",
                    table=spec.table,
                    variable=name,
                    values=[code],
                )
            if NATIONAL not in variable.values:
                raise StatbankError(
                    f"{spec.table}.{name} has no value {NATIONAL!r}",
                    reason="no_value",
                    table=spec.table,
                    variable=name,
                    values=[NATIONAL],
                )
        elif rule in TIME_RULES and not _times(spec, info, rule):
            raise StatbankError(
                f"{spec.table}.{name} has no time values of the kind {rule}",
                reason="time_format",
                table=spec.table,
                variable=name,
                values=list(variable.values)[:3],
            )


def _parts(variable: statbank.Variable) -> list[str]:
    return [
        v for v in variable.values if not variable.is_total(v) and not variable.is_unknown(v)
    ] or list(variable.values)[:1]


def _times(spec: TableSpec, info: statbank.TableInfo, rule: str) -> list[str]:
    values = list(info.variables[spec.time_variable].values)
    if rule == YEARS:
        return values if values and all(_YEAR.match(v) for v in values) else []
    quarters = defaultdict(set)
    for v in values:
        m = _QUARTER.match(v)
        if m:
            quarters[m[1]].add(int(m[2]))
    if rule == FIRST_QUARTERS:
        return [v for v in values if _QUARTER.match(v) and v.endswith("K1")]
    return [v for v in values if (m := _QUARTER.match(v)) and quarters[m[1]] == {1, 2, 3, 4}]


def selection_for(spec: TableSpec, info: statbank.TableInfo, place: str) -> dict[str, list[str]]:
    """The values asked for of every variable, for the municipality's code or NATIONAL."""
    selection = {}
    for name, rule in spec.variables.items():
        if rule == AREA:
            selection[name] = [place]
        elif rule == PARTS:
            selection[name] = _parts(info.variables[name])
        elif rule in TIME_RULES:
            selection[name] = _times(spec, info, rule)
        else:
            selection[name] = list(rule)
    return selection


def _incomplete(spec, variable, values, detail):
    return StatbankError(
        f"{spec.table}: the answer lacks rows for {values}: {detail}",
        reason="incomplete",
        table=spec.table,
        variable=variable,
        values=values,
        detail=detail,
    )


def yearly_sums(spec: TableSpec, info, selection: dict, rows: statbank.Rows) -> dict:
    """{year: the sum of the answer's values asked for} (None when a value is not available).

    Rows of values that were not asked for are left out; every time value asked for must come with
    one row per combination of the other variables' values, and a year of quarters with all four
    (``statbank.yearly``), else StatbankError."""
    wanted = {name: set(values) for name, values in selection.items()}
    time_var = spec.time_variable
    kept = [r for r in rows.rows if all(r.get(n) in wanted[n] for n in wanted)]
    expected = math.prod(len(v) for n, v in wanted.items() if n != time_var)
    combos = defaultdict(set)
    counts = defaultdict(int)
    for r in kept:
        combos[r[time_var]].add(tuple(r[n] for n in wanted if n != time_var))
        counts[r[time_var]] += 1
    for t in sorted(counts):
        if counts[t] != expected or len(combos[t]) != expected:
            raise _incomplete(spec, time_var, [t], f"{len(combos[t])}/{expected}")
    rule = spec.variables[time_var]
    if rule == FULL_YEARS:
        kept = statbank.yearly(dataclasses.replace(rows, rows=kept), info).rows
        asked = sorted({t[:4] for t in selection[time_var]})
    else:
        asked = list(selection[time_var])
    got = {r[time_var] for r in kept}
    absent = [t for t in asked if t not in got]
    if absent:
        raise _incomplete(spec, time_var, absent, f"0/{expected}")
    out: dict[int, float | None] = {}
    for r in kept:
        year = int(r[time_var][:4])
        value = r["INDHOLD"]
        if year in out and out[year] is None:
            continue
        out[year] = None if value is None else out.get(year, 0.0) + value
    return out


def derive(sums: dict, tables: list[str], code: str) -> tuple[dict, dict]:
    """The measures of the fetched tables -> ({(measure, place, year): (value, numerator,
    denominator)}, {measure: years}). A year without residents, or with a value not available
    (Statbank's ``..``), has no value."""
    values = {}
    years = defaultdict(set)
    for m in MEASURES:
        if m.table not in tables:
            continue
        for place in (code, NATIONAL):
            residents = sums.get((RESIDENTS, place), {})
            for year, n in sorted(sums.get((m.table, place), {}).items()):
                if n is None:
                    continue
                if m.per_1000:
                    den = residents.get(year)
                    if not den:
                        continue
                    values[m.code, place, year] = (1000.0 * n / den, float(n), float(den))
                else:
                    values[m.code, place, year] = (float(n), None, None)
                years[m.code].add(year)
    return values, {c: sorted(y) for c, y in years.items()}


# -- writing -----------------------------------------------------------------------------------------


def catalogue_entries(user=None) -> dict[str, Indicator]:
    """{code: Indicator} of :data:`MEASURES`, created in the catalogue the first time (audited,
    ``surveys.actions.create_entry``). An entry of the same code in another unit is refused."""
    found = {i.code: i for i in Indicator.objects.filter(code__in=list(MEASURE_BY_CODE))}
    for m in MEASURES:
        indicator = found.get(m.code)
        if indicator is None:
            data = {
                "code": m.code,
                "name_da": m.name_da,
                "name_en": m.name_en,
                "unit": m.unit,
                # comparison figures for a whole municipality: context, never an index's direction
                "direction": Direction.NEUTRAL,
                "source": m.source,
                "licence": statbank.LICENCE,
            }
            found[m.code] = create_entry(
                Indicator, data, INDICATOR_FIELDS, user=user, purpose=Purpose.ADMINISTRATION
            )
        elif indicator.unit != m.unit:
            raise FetchRefused(
                _(
                    "The catalogue's indicator %(code)s is in %(unit)s, but the figures of "
                    "Statistics Denmark are in %(expected)s; nothing was written."
                )
                % {"code": m.code, "unit": indicator.unit, "expected": m.unit}
            )
    return found


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return float(a) == float(b)


def _write(batch, plan: _Plan) -> None:
    Batch = batch_model()
    RowChange = _row_change_model()
    code = batch.municipality.code
    with transaction.atomic():
        indicators = catalogue_entries(batch.created_by)
        ids = {c: i.pk for c, i in indicators.items()}
        local = {(m, y): v for (m, place, y), v in plan.values.items() if place == code}
        national = {(m, y): v for (m, place, y), v in plan.values.items() if place == NATIONAL}
        created = updated = same = 0

        existing = {
            (row[0], row[1]): row[2:]
            for row in IndicatorValue.objects.filter(
                area=plan.area, indicator_id__in=ids.values()
            ).values_list(
                "indicator_id", "year", "pk", "value", "numerator", "denominator", "batch_id"
            )
        }
        new, changes, changed = [], [], []
        for (m, year), (value, num, den) in sorted(local.items()):
            old = existing.get((ids[m], year))
            if old is None:
                new.append(
                    IndicatorValue(
                        indicator_id=ids[m],
                        area=plan.area,
                        year=year,
                        value=value,
                        numerator=num,
                        denominator=den,
                        batch_id=batch.pk,
                    )
                )
            elif all(_same(a, b) for a, b in zip(old[1:4], (value, num, den))):
                same += 1
            else:
                pk, *previous, old_batch = old
                changes.append(
                    RowChange(
                        batch_id=batch.pk,
                        model="indicators.indicatorvalue",
                        object_id=pk,
                        previous={
                            **dict(zip(("value", "numerator", "denominator"), previous)),
                            "batch_id": old_batch,
                        },
                    )
                )
                changed.append(
                    IndicatorValue(
                        pk=pk, value=value, numerator=num, denominator=den, batch_id=batch.pk
                    )
                )
        IndicatorValue.objects.bulk_create(new)
        IndicatorValue.objects.bulk_update(
            changed, ["value", "numerator", "denominator", "batch_id"]
        )
        created, updated = len(new), len(changed)

        existing = {
            (row[0], row[1]): row[2:]
            for row in NationalValue.objects.filter(indicator_id__in=ids.values()).values_list(
                "indicator_id", "year", "pk", "value", "source", "batch_id"
            )
        }
        new, changed = [], []
        for (m, year), (value, _num, _den) in sorted(national.items()):
            source = MEASURE_BY_CODE[m].source
            old = existing.get((ids[m], year))
            if old is None:
                new.append(
                    NationalValue(
                        indicator_id=ids[m],
                        year=year,
                        value=value,
                        source=source,
                        batch_id=batch.pk,
                    )
                )
            elif _same(old[1], value) and old[2] == source:
                same += 1
            else:
                pk, old_value, old_source, old_batch = old
                changes.append(
                    RowChange(
                        batch_id=batch.pk,
                        model="indicators.nationalvalue",
                        object_id=pk,
                        previous={"value": old_value, "source": old_source, "batch_id": old_batch},
                    )
                )
                changed.append(NationalValue(pk=pk, value=value, source=source, batch_id=batch.pk))
        NationalValue.objects.bulk_create(new)
        NationalValue.objects.bulk_update(changed, ["value", "source", "batch_id"])
        created += len(new)
        updated += len(changed)
        RowChange.objects.bulk_create(changes)

        if not Batch.objects.filter(pk=batch.pk, status=WORKING).update(status=batch.done_status):
            raise FetchRefused(_("The fetch was stopped; nothing was written."))
        responses = list(
            StatbankResponse.objects.filter(pk__in=plan.responses)
            .order_by("pk")
            .values_list("pk", "sha256")
        )
        digest = hashlib.sha256("".join(sha for _pk, sha in responses).encode()).hexdigest()
        computations.finish(
            batch,
            status=batch.done_status,
            rows=len(plan.values),
            rows_created=created,
            rows_updated=updated,
            rows_unchanged=same,
            committed_at=timezone.now(),
            inputs_hash=digest,
            preview={"format": "BULK"},
            parameters={
                **(batch.parameters or {}),
                "tables": plan.tables,
                "area": plan.area.code,
                "responses": [pk for pk, _sha in responses],
                "years": plan.years,
            },
        )
        record(
            Action.IMPORT,
            actor=batch.created_by,
            municipality=batch.municipality,
            obj=batch,
            purpose=Purpose.ANALYSIS,
            count=created + updated,
        )


# -- the words of a refusal --------------------------------------------------------------------------

CHANGED = gettext_lazy(
    "The table has changed since the fetch was set up: the fetch must be set up again."
)
MESSAGES = {
    "no_variable": gettext_lazy(
        "Statistics Denmark's table %(table)s no longer has the variable %(variable)s that the "
        "fetch was set up with (it has %(detail)s)."
    ),
    "new_variable": gettext_lazy(
        "Statistics Denmark's table %(table)s has a new variable %(variable)s that the fetch was "
        "not set up with."
    ),
    "no_value": gettext_lazy(
        "Statistics Denmark's table %(table)s: the variable %(variable)s no longer has the "
        "value(s) %(values)s that the fetch was set up with."
    ),
    "time_format": gettext_lazy(
        "Statistics Denmark's table %(table)s: the time variable %(variable)s has values such as "
        "%(values)s, not the years or quarters the fetch was set up with."
    ),
    "unknown_area": gettext_lazy(
        "Statistics Denmark does not know the municipality code %(values)s in table %(table)s "
        "(variable %(variable)s). The municipality's code must be its three-digit code, e.g. "
        "101 for Copenhagen."
    ),
    "partial_year": gettext_lazy(
        "Statistics Denmark's table %(table)s: the year %(values)s lacks quarters (the answer "
        "has %(detail)s of K1–K4), so it cannot be summed to a year."
    ),
    "incomplete": gettext_lazy(
        "Statistics Denmark's table %(table)s: the answer for %(values)s (variable "
        "%(variable)s) lacks rows (%(detail)s of the combinations asked for)."
    ),
    "bad_answer": gettext_lazy(
        "Statistics Denmark's answer for table %(table)s is not what was expected (%(detail)s)."
    ),
    "http": gettext_lazy(
        "Statistics Denmark answered the query for table %(table)s with HTTP status "
        "%(status)s: %(detail)s"
    ),
    "api_error": gettext_lazy(
        "Statistics Denmark refused the query for table %(table)s: %(detail)s"
    ),
    "unreachable": gettext_lazy(
        "Statistics Denmark could not be reached for table %(table)s (%(detail)s). Try again later."
    ),
}
CHANGE_REASONS = ("no_variable", "new_variable", "no_value", "time_format")


def describe(exc: StatbankError) -> str:
    """The Danish (active language) message of a refusal: the table, the variable, what changed, the
    stored answer, and that nothing was written."""
    template = MESSAGES.get(exc.reason)
    if template is None:
        text = str(exc)
    else:
        text = str(template) % {
            "table": exc.table or "–",
            "variable": exc.variable or "–",
            "values": ", ".join(exc.values) or "–",
            "detail": exc.detail or "–",
            "status": exc.status if exc.status is not None else "–",
        }
    parts = [text]
    if exc.reason in CHANGE_REASONS:
        parts.append(str(CHANGED))
    if exc.response_id:
        parts.append(
            _("The answer is stored as Statbank response #%(pk)s.") % {"pk": exc.response_id}
        )
    parts.append(_("Nothing was written."))
    return " ".join(parts)
