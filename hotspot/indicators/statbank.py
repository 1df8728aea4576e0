"""Statistics Denmark's Statbank API (api.statbank.dk/v1): ``tableinfo`` and ``data`` (CSV/BULK).

Municipality-level comparison data: STRAF11 (reported offences by municipality, quarterly), STRAF22
(reports and charges, yearly), FOLK1A (population, quarterly). Hotspot-level data come from local extracts.

What the client guarantees:
- every query is checked against the table's ``tableinfo`` (variables and values exist) before it is sent;
- totals ("I alt", TOT, "Hele landet") and unknown codes ("Uoplyst") are dropped, so sums never double
  count;
- quarters are summed to years only when all four are there (``yearly`` refuses partial years);
- every raw answer is stored (``StatbankResponse``) with its query and retrieval time, an error answer
  (HTTP 4xx/5xx, or Statbank's error JSON) too, before the error is raised.

Every refusal is a :class:`StatbankError` whose attributes (``reason``, ``table``, ``variable``,
``values``, ``detail``, ``response_id``) let a caller say in the user's language what changed.

Tests run from recorded fixtures (``tests/fixtures``): ``Client(fetch=...)`` takes the HTTP function.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import re
import urllib.error
import urllib.request

from django.utils import timezone

from hotspot.parsing import parse_number

BASE_URL = "https://api.statbank.dk/v1"
SOURCE = "Kilde: Danmarks Statistik, statistikbanken.dk/{table}"
LICENCE = "CC BY 4.0 (Danmarks Statistik)"
TOTAL_IDS = {"TOT", "IALT", "000"}
UNKNOWN_IDS = {"UOPL"}
_TOTAL_TEXT = re.compile(r"(^|\s)i alt$|^hele landet$|^total$|^all ", re.IGNORECASE)
_UNKNOWN_TEXT = re.compile(r"uoplyst|unknown|ukendt", re.IGNORECASE)
_QUARTER = re.compile(r"^(\d{4})K([1-4])$")


class StatbankError(ValueError):
    """The query or the answer does not fit the table (names what was expected and what was given).

    ``reason`` says which refusal it is: ``no_variable`` (the table has no such variable),
    ``new_variable`` (the table has a variable the query does not choose values for), ``no_value``
    (the variable has no such value), ``partial_year`` (a year lacks a quarter or a value),
    ``bad_answer`` (the answer is not the expected CSV/JSON), ``http`` (an HTTP error status),
    ``api_error`` (Statbank's error JSON) or ``unreachable`` (no answer at all). ``variable`` and
    ``values`` name what is concerned, ``detail`` is the rest (Statbank's own message, the quarters
    found) and ``response_id`` the stored raw answer (``StatbankResponse``), when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str = "",
        table: str = "",
        variable: str = "",
        values=(),
        detail: str = "",
        status: int | None = None,
        response_id: int | None = None,
    ):
        super().__init__(message)
        self.reason, self.table, self.variable = reason, table, variable
        self.values = tuple(values)
        self.detail, self.status, self.response_id = detail, status, response_id


def _http_post(url: str, payload: dict) -> str:  # pragma: no cover - network, never in tests
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # nosec B310: https URL from settings
        return response.read().decode("utf-8-sig")


@dataclasses.dataclass(frozen=True)
class Variable:
    id: str
    text: str
    time: bool
    values: dict[str, str]  # id -> text

    def is_total(self, value_id: str) -> bool:
        """The variable's grand total (TOT, IALT, "Hele landet"). Numeric group codes such as
        "12 Voldsforbrydelser i alt" are a hierarchy level, not a total: queries pick one level."""
        if value_id.upper() in TOTAL_IDS:
            return True
        return not value_id.isdigit() and bool(_TOTAL_TEXT.search(self.values.get(value_id, "")))

    def is_unknown(self, value_id: str) -> bool:
        return value_id.upper() in UNKNOWN_IDS or bool(
            _UNKNOWN_TEXT.search(self.values.get(value_id, ""))
        )


@dataclasses.dataclass(frozen=True)
class TableInfo:
    id: str
    text: str
    unit: str
    variables: dict[str, Variable]

    @classmethod
    def from_json(cls, data: dict) -> TableInfo:
        variables = {
            v["id"]: Variable(
                id=v["id"],
                text=v.get("text", ""),
                time=bool(v.get("time")),
                values={x["id"]: x.get("text", "") for x in v.get("values", [])},
            )
            for v in data.get("variables", [])
        }
        return cls(data["id"], data.get("text", ""), data.get("unit", ""), variables)

    def check(self, selection: dict[str, list[str]]) -> None:
        for name, values in selection.items():
            variable = self.variables.get(name)
            if variable is None:
                raise StatbankError(
                    f"{self.id} has no variable {name!r}; it has {sorted(self.variables)}",
                    reason="no_variable",
                    table=self.id,
                    variable=name,
                    detail=", ".join(self.variables),
                )
            unknown = [v for v in values if v != "*" and v not in variable.values]
            if unknown:
                raise StatbankError(
                    f"{self.id}.{name} has no value(s) {unknown}; e.g. {list(variable.values)[:8]}",
                    reason="no_value",
                    table=self.id,
                    variable=name,
                    values=unknown,
                )
        missing = sorted(set(self.variables) - set(selection))
        if missing:
            # BULK needs every variable; we ask for them all explicitly so totals never sneak in.
            raise StatbankError(
                f"{self.id}: choose values for every variable; missing {missing}",
                reason="new_variable",
                table=self.id,
                variable=missing[0],
                values=missing,
            )


@dataclasses.dataclass(frozen=True)
class Rows:
    table: str
    columns: tuple[str, ...]
    rows: list[dict]  # {variable id: value id, ..., "INDHOLD": float | None}
    response_id: int | None = None


def error_message(raw: str) -> str | None:
    """Statbank's message when ``raw`` is its error JSON (``{"errorTypeCode": …, "message": …}``),
    else None (a table's ``tableinfo`` JSON is no error)."""
    text = raw.lstrip("\ufeff").strip()
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or "variables" in data:
        return None
    if "errorTypeCode" in data or "message" in data:
        return str(data.get("message") or data.get("errorTypeCode"))
    return None


def _http_body(exc: urllib.error.HTTPError) -> str:
    try:
        return (exc.read() or b"").decode("utf-8-sig", errors="replace")
    except Exception:  # noqa: BLE001 - an unreadable body is an empty one
        return ""


class Client:
    def __init__(self, *, fetch=None, lang: str = "da", store: bool = True):
        self.fetch = fetch or _http_post
        self.lang = lang
        self.store = store
        self._info: dict[str, TableInfo] = {}
        #: the stored answers (``StatbankResponse`` ids) of this client, in the order received
        self.response_ids: list[int] = []

    def _store(self, endpoint: str, payload: dict, url: str, fmt: str, raw: str) -> int | None:
        if not self.store:
            return None
        from hotspot.indicators.models import StatbankResponse

        pk = StatbankResponse.objects.create(
            endpoint=endpoint,
            table=payload.get("table", ""),
            query=payload,
            url=url,
            retrieved_at=timezone.now(),
            format=fmt[:10],
            raw=raw,
            sha256=hashlib.sha256(raw.encode("utf-8")).hexdigest(),
        ).pk
        self.response_ids.append(pk)
        return pk

    def _call(self, endpoint: str, payload: dict, fmt: str) -> tuple[str, int | None]:
        url = f"{BASE_URL}/{endpoint}"
        table = payload.get("table", "")
        try:
            raw = self.fetch(url, payload)
        except urllib.error.HTTPError as exc:
            body = _http_body(exc)
            pk = self._store(endpoint, payload, url, f"HTTP {exc.code}", body)
            message = error_message(body) or body.strip()[:200] or str(exc.reason or "")
            raise StatbankError(
                f"{table}: {url} answered HTTP {exc.code}: {message}",
                reason="http",
                table=table,
                detail=message,
                status=exc.code,
                response_id=pk,
            ) from None
        except (urllib.error.URLError, OSError) as exc:  # no answer: nothing to store
            reason = getattr(exc, "reason", None) or exc
            raise StatbankError(
                f"{table}: {url} could not be reached: {reason}",
                reason="unreachable",
                table=table,
                detail=str(reason),
            ) from None
        pk = self._store(endpoint, payload, url, fmt, raw)
        message = error_message(raw)
        if message is not None:
            raise StatbankError(
                f"{table}: Statbank refused the query: {message}",
                reason="api_error",
                table=table,
                detail=message,
                response_id=pk,
            )
        return raw, pk

    def tableinfo(self, table: str) -> TableInfo:
        if table not in self._info:
            payload = {"table": table, "format": "JSON", "lang": self.lang}
            raw, pk = self._call("tableinfo", payload, "JSON")
            try:
                self._info[table] = TableInfo.from_json(json.loads(raw))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise StatbankError(
                    f"tableinfo for {table} is not the expected JSON: {exc}",
                    reason="bad_answer",
                    table=table,
                    detail=str(exc),
                    response_id=pk,
                ) from None
        return self._info[table]

    def data(self, table: str, selection: dict[str, list[str]], *, fmt: str = "BULK") -> Rows:
        if fmt not in ("BULK", "CSV"):
            raise StatbankError(f"format must be BULK or CSV; got {fmt!r}")
        info = self.tableinfo(table)
        info.check(selection)
        payload = {
            "table": table,
            "format": fmt,
            "lang": self.lang,
            "valuePresentation": "Code",
            "variables": [{"code": k, "values": v} for k, v in selection.items()],
        }
        raw, pk = self._call("data", payload, fmt)
        return parse_csv(raw, info, response_id=pk)


def _number(text: str):
    if text.strip() in ("", "..", ".", "-"):
        return None  # DST: ".." = confidential / not available
    return parse_number(text)


def parse_csv(raw: str, info: TableInfo, *, response_id=None) -> Rows:
    """The ``data`` answer (semicolon CSV, codes, last column INDHOLD) -> rows; checks the codes."""
    reader = csv.reader(io.StringIO(raw.lstrip("\ufeff")), delimiter=";")
    header = [h.strip() for h in next(reader, [])]
    if not header or header[-1].upper() != "INDHOLD":
        raise StatbankError(
            f"{info.id}: expected a CSV whose last column is INDHOLD; got {header}",
            reason="bad_answer",
            table=info.id,
            detail=";".join(header)[:200],
            response_id=response_id,
        )
    by_upper = {k.upper(): k for k in info.variables}
    names = []
    for h in header[:-1]:
        if h.upper() not in by_upper:
            raise StatbankError(
                f"{info.id}: column {h!r} is not a variable of the table",
                reason="bad_answer",
                table=info.id,
                variable=h,
                detail=h,
                response_id=response_id,
            )
        names.append(by_upper[h.upper()])
    rows = []
    for line_no, cells in enumerate(reader, start=2):
        if not cells:
            continue
        if len(cells) != len(header):
            raise StatbankError(
                f"{info.id}: line {line_no} has {len(cells)} cells, expected {len(header)}",
                reason="bad_answer",
                table=info.id,
                detail=f"{line_no}",
                response_id=response_id,
            )
        row = {}
        for name, value in zip(names, cells[:-1]):
            if value not in info.variables[name].values:
                raise StatbankError(
                    f"{info.id}: line {line_no}: {name}={value!r} is not in tableinfo",
                    reason="no_value",
                    table=info.id,
                    variable=name,
                    values=[value],
                    response_id=response_id,
                )
            row[name] = value
        try:
            row["INDHOLD"] = _number(cells[-1])
        except ValueError:
            raise StatbankError(
                f"{info.id}: line {line_no}: INDHOLD={cells[-1]!r} is not a number",
                reason="bad_answer",
                table=info.id,
                variable="INDHOLD",
                values=[cells[-1]],
                detail=f"{line_no}",
                response_id=response_id,
            ) from None
        rows.append(row)
    return Rows(info.id, tuple(names), rows, response_id)


def drop_totals_and_unknown(rows: Rows, info: TableInfo) -> Rows:
    """Remove rows whose value of any (non-time) variable is a total or unknown."""
    keep = [
        r
        for r in rows.rows
        if not any(
            info.variables[n].is_total(r[n]) or info.variables[n].is_unknown(r[n])
            for n in rows.columns
            # a variable with a single value (e.g. CIVILSTAND "I alt" only) has nothing to drop
            if not info.variables[n].time and len(info.variables[n].values) > 1
        )
    ]
    return dataclasses.replace(rows, rows=keep)


def yearly(rows: Rows, info: TableInfo) -> Rows:
    """Sum quarters (2024K1...) to years; refuses a year that lacks a quarter or has a missing value."""
    time_var = next((n for n in rows.columns if info.variables[n].time), None)
    if time_var is None:
        raise StatbankError(f"{info.id} has no time variable", reason="no_variable", table=info.id)
    groups: dict[tuple, dict[int, float | None]] = {}
    for r in rows.rows:
        m = _QUARTER.match(r[time_var])
        if not m:
            return rows  # already yearly
        key = tuple((n, r[n]) for n in rows.columns if n != time_var) + ((time_var, m[1]),)
        groups.setdefault(key, {})[int(m[2])] = r["INDHOLD"]
    out = []
    for key, quarters in groups.items():
        year = dict(key)[time_var]
        if sorted(quarters) != [1, 2, 3, 4] or any(v is None for v in quarters.values()):
            raise StatbankError(
                f"{info.id}: {year} has quarters {sorted(quarters)} with values; a partial year "
                "is not summed (expected K1-K4)",
                reason="partial_year",
                table=info.id,
                variable=time_var,
                values=[year],
                detail=", ".join(f"K{q}" for q in sorted(quarters) if quarters[q] is not None),
                response_id=rows.response_id,
            )
        out.append({**dict(key), "INDHOLD": sum(quarters.values())})
    return dataclasses.replace(rows, rows=out)


def reported_offences(client: Client, municipality: str, *, table: str = "STRAF11") -> Rows:
    """STRAF11: reported offences in one municipality per offence group and year (full years only).

    Asks for the level-2 groups only (codes of two digits: 11, 12, 13, ...) so levels never mix.
    """
    info = client.tableinfo(table)
    offence_var = next(n for n in info.variables if n.upper().startswith("OVERTR"))
    area_var = next(n for n in info.variables if n.upper().startswith("OMR"))
    time_var = next(n for n, v in info.variables.items() if v.time)
    groups = [c for c in info.variables[offence_var].values if re.fullmatch(r"\d{2}", c)]
    rows = client.data(
        table,
        {area_var: [municipality], offence_var: groups, time_var: ["*"]},
    )
    return yearly(drop_totals_and_unknown(rows, info), info)


def population(client: Client, municipality: str, *, table: str = "FOLK1A") -> Rows:
    """FOLK1A: residents by sex and age on the first day of each quarter (totals dropped)."""
    info = client.tableinfo(table)
    selection = {}
    for name, variable in info.variables.items():
        if name.upper().startswith("OMR"):
            selection[name] = [municipality]
        elif variable.time:
            selection[name] = ["*"]
        else:
            selection[name] = [
                v
                for v in variable.values
                if not variable.is_total(v) and not variable.is_unknown(v)
            ] or list(variable.values)[:1]
    return drop_totals_and_unknown(client.data(table, selection), info)
