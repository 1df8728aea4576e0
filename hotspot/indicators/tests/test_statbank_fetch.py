"""The Statbank fetch (``statbank_sync``) from recorded answers (tests/fixtures): never the network.

The recorded answers are København's (101). What a fetch needs beyond them is built here from their
shape (:class:`Statbank`): Hele landet (000), and FOLK1A on 1 January 2023 and 2024.
"""

import copy
import io
import json
import re
import urllib.error
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from hotspot.accounts.models import Municipality
from hotspot.areas.models import Area, AreaKind
from hotspot.audit.models import AuditEvent
from hotspot.imports import statbank as statbank_sync
from hotspot.imports import statbank_pages as pages
from hotspot.indicators import statbank
from hotspot.indicators.models import (
    Direction,
    Indicator,
    IndicatorValue,
    NationalValue,
    StatbankResponse,
)

FIXTURES = Path(__file__).parent / "fixtures"
#: Denmark as a whole in the built answers: København's counts times these factors.
NATIONAL_RESIDENTS, NATIONAL_CRIMES = 80, 50
#: FOLK1A on 1 January 2023 and 2024, built from the recorded 2025K1 rows times these factors.
EARLIER = {"2023K1": 0.96, "2024K1": 0.98}


class Statbank:
    """fetch(url, payload) -> the recorded answer of the table asked for (tableinfo_<T>.json,
    data_<T>_101_BULK.csv), with what the recorded files lack built from their shape:

    - Hele landet (000): the København rows with the code 000 and the counts × ``NATIONAL_RESIDENTS``
      (FOLK1A) or × ``NATIONAL_CRIMES`` (STRAF11, STRAF22), ``..`` kept;
    - FOLK1A 2023K1 and 2024K1 (the recorded table holds 2025K1 only): the 2025K1 rows × ``EARLIER``,
      listed in its tableinfo too;
    - STRAF11 2024K4, 10 per offence group, unless ``partial`` (the recorded answer ends at 2024K3
      while its tableinfo lists 2024K4: a year without all its quarters).

    ``tableinfo`` ({table: function(dict)}) edits a copy of a recorded tableinfo; ``answer``
    ({(endpoint, table): exception or text}) answers a call with that instead; ``residents`` adds to
    København's FOLK1A 2025K1 counts (a revised figure).
    """

    def __init__(self, *, partial=False, tableinfo=None, answer=None, residents=0):
        self.partial = partial
        self.tableinfo = tableinfo or {}
        self.answer = answer or {}
        self.residents = residents
        self.calls = []

    def __call__(self, url, payload):
        self.calls.append((url, payload))
        endpoint = url.rsplit("/", 1)[-1]
        table = payload["table"]
        given = self.answer.get((endpoint, table))
        if isinstance(given, BaseException):
            raise given
        if given is not None:
            return given
        if endpoint == "tableinfo":
            data = json.loads((FIXTURES / f"tableinfo_{table}.json").read_text(encoding="utf-8"))
            if table == "FOLK1A":
                time = next(v for v in data["variables"] if v["time"])
                time["values"] = [{"id": t, "text": t} for t in (*EARLIER, "2025K1")]
            if table in self.tableinfo:
                data = copy.deepcopy(data)
                self.tableinfo[table](data)
            return json.dumps(data, ensure_ascii=False)
        area = next(v["values"][0] for v in payload["variables"] if v["code"] == "OMRÅDE")
        return self.data(table, area)

    def data(self, table, area):
        text = (FIXTURES / f"data_{table}_101_BULK.csv").read_text(encoding="utf-8")
        header, *lines = text.strip().splitlines()
        if table == "FOLK1A":
            built = []
            for line in lines:
                *cells, _time, n = line.split(";")
                built += [";".join([*cells, t, str(round(int(n) * f))]) for t, f in EARLIER.items()]
            revised = []
            for line in lines:
                *cells, n = line.split(";")
                revised.append(";".join([*cells, str(int(n) + self.residents)]))
            lines = built + revised
        if table == "STRAF11" and not self.partial:
            lines += [f"101;{g};2024K4;10" for g in ("11", "12", "13", "14")]
        if area == statbank_sync.NATIONAL:
            factor = NATIONAL_RESIDENTS if table == "FOLK1A" else NATIONAL_CRIMES
            lines = [_national(line, factor) for line in lines]
        return "\n".join([header, *lines]) + "\n"


def _national(line, factor):
    _area, *cells, n = line.split(";")
    return ";".join(["000", *cells, n if n == ".." else str(int(n) * factor)])


# København's figures as the built answers give them
RESIDENTS = {2023: 71712, 2024: 73206, 2025: 74700}
REPORTS = {2023: 231 + 1765 + 21450 + 2440, 2024: 191 + 1380 + 15760 + 1940}
CHARGES = {2023: 1100 + 3900, 2024: 1100 + 3900}
CODES = ("dst_residents", "dst_reports_per_1000", "dst_charges_per_1000")


@pytest.fixture
def kobenhavn(demo_municipality):
    """The demo municipality under København's code (101), so the recorded answers are its own."""
    Municipality.objects.filter(pk=demo_municipality.pk).update(code="101")
    demo_municipality.refresh_from_db()
    return demo_municipality


def _home(municipality):
    return Area.objects.get(municipality=municipality, kind=AreaKind.MUNICIPALITY)


def _values(batch):
    return (
        IndicatorValue.objects.filter(batch=batch).count()
        + NationalValue.objects.filter(batch=batch).count()
    )


def _nothing_written(batch):
    assert batch.status == "failed"
    assert _values(batch) == 0
    assert not batch.changes.exists()


@pytest.mark.django_db
def test_fetch_writes_values_and_national_values_in_one_batch(kobenhavn, analyst):
    fetch = Statbank()
    batch = statbank_sync.fetch_now(kobenhavn, user=analyst, fetch=fetch)
    assert batch.status == "committed", batch.error
    assert batch.kind == "statbank" and batch.committed_by == analyst
    assert batch.licence == statbank.LICENCE
    assert batch.source == (
        "Kilde: Danmarks Statistik, statistikbanken.dk/FOLK1A, statistikbanken.dk/STRAF11, "
        "statistikbanken.dk/STRAF22"
    )
    responses = batch.parameters["responses"]
    assert len(responses) == 9  # 3 tableinfo + 3 tables × (København, Hele landet)
    assert set(
        StatbankResponse.objects.filter(pk__in=responses).values_list("table", flat=True)
    ) == {
        "FOLK1A",
        "STRAF11",
        "STRAF22",
    }
    assert len(batch.inputs_hash) == 64

    # the country is asked for explicitly (the client never sums totals), each area on its own
    areas = [
        next(v["values"] for v in p["variables"] if v["code"] == "OMRÅDE")
        for url, p in fetch.calls
        if url.endswith("/data")
    ]
    assert areas == [["101"], ["000"]] * 3
    folk1a = next(p for url, p in fetch.calls if url.endswith("/data") and p["table"] == "FOLK1A")
    asked = {v["code"]: v["values"] for v in folk1a["variables"]}
    assert asked["Tid"] == ["2023K1", "2024K1", "2025K1"]  # 1 January only
    assert asked["KØN"] == ["1", "2"] and asked["CIVILSTAND"] == ["TOT"]  # no total summed

    # the catalogue entries, created the first time through the catalogue's create step (audited)
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=CODES)}
    assert set(indicators) == set(CODES)
    reports = indicators["dst_reports_per_1000"]
    assert reports.name_da.startswith("Anmeldte straffelovsovertrædelser")
    assert reports.source == (
        "Kilde: Danmarks Statistik, statistikbanken.dk/STRAF11, statistikbanken.dk/FOLK1A"
    )
    assert reports.licence == statbank.LICENCE and reports.direction == Direction.NEUTRAL
    assert AuditEvent.objects.filter(
        action="create", object_type="indicators.indicator", object_id=str(reports.pk)
    ).exists()
    assert AuditEvent.objects.filter(
        action="import", object_type="imports.importbatch", object_id=str(batch.pk)
    ).exists()

    # the municipality's values on its own area
    home = _home(kobenhavn)
    local = {
        (v.indicator.code, v.year): v
        for v in IndicatorValue.objects.filter(area=home, batch=batch).select_related("indicator")
    }
    assert {y: local["dst_residents", y].value for y in RESIDENTS} == RESIDENTS
    for year, n in REPORTS.items():
        v = local["dst_reports_per_1000", year]
        assert v.value == pytest.approx(1000 * n / RESIDENTS[year])
        assert (v.numerator, v.denominator) == (n, RESIDENTS[year])
    for year, n in CHARGES.items():
        assert local["dst_charges_per_1000", year].value == pytest.approx(
            1000 * n / RESIDENTS[year]
        )
    assert ("dst_reports_per_1000", 2025) not in local  # no reports for 2025

    # Denmark's as national values
    national = {
        (v.indicator.code, v.year): v.value
        for v in NationalValue.objects.filter(batch=batch).select_related("indicator")
    }
    assert national["dst_residents", 2025] == 74700 * NATIONAL_RESIDENTS
    assert national["dst_reports_per_1000", 2023] == pytest.approx(
        1000 * REPORTS[2023] * NATIONAL_CRIMES / (RESIDENTS[2023] * NATIONAL_RESIDENTS)
    )
    assert batch.rows_created == len(local) + len(national) == batch.rows == 14
    assert batch.rows_updated == batch.rows_unchanged == 0


@pytest.mark.django_db
def test_a_second_fetch_of_the_same_figures_changes_nothing(kobenhavn, analyst):
    first = statbank_sync.fetch_now(kobenhavn, user=analyst, fetch=Statbank())
    stored = sorted(IndicatorValue.objects.filter(batch=first).values_list("pk", "value"))
    second = statbank_sync.fetch_now(kobenhavn, user=analyst, fetch=Statbank())
    assert second.status == "committed"
    assert (second.rows_created, second.rows_updated, second.rows_unchanged) == (0, 0, 14)
    assert _values(second) == 0 and _values(first) == 14
    assert sorted(IndicatorValue.objects.filter(batch=first).values_list("pk", "value")) == stored
    assert Indicator.objects.filter(code__in=CODES).count() == 3


@pytest.mark.django_db
def test_roll_back_removes_the_values_and_national_values(kobenhavn, analyst):
    from hotspot.imports import actions

    batch = statbank_sync.fetch_now(kobenhavn, user=analyst, fetch=Statbank())
    assert _values(batch) == 14
    actions.rollback(batch, analyst)
    batch.refresh_from_db()
    assert batch.status == "rolled_back" and batch.rows_removed == 14
    assert IndicatorValue.objects.filter(batch=batch).count() == 0
    assert NationalValue.objects.filter(batch=batch).count() == 0


@pytest.mark.django_db
def test_a_revised_figure_is_updated_in_place_and_roll_back_restores_it(kobenhavn, analyst):
    from hotspot.imports import actions

    first = statbank_sync.fetch_now(kobenhavn, user=analyst, fetch=Statbank())
    home = _home(kobenhavn)
    before = IndicatorValue.objects.get(area=home, indicator__code="dst_residents", year=2025)
    revised = statbank_sync.fetch_now(kobenhavn, user=analyst, fetch=Statbank(residents=25))
    assert revised.status == "committed"
    # København's and Denmark's residents 2025 changed; nothing else (no 2025 rates)
    assert (revised.rows_created, revised.rows_updated) == (0, 2)
    after = IndicatorValue.objects.get(pk=before.pk)
    assert after.value == 74700 + 4 * 25 and after.batch_id == revised.pk
    actions.rollback(revised, analyst)
    restored = IndicatorValue.objects.get(pk=before.pk)
    assert (restored.value, restored.batch_id) == (74700, first.pk)


def _rename(table, old, new):
    def edit(data):
        next(v for v in data["variables"] if v["id"] == old)["id"] = new

    return {table: edit}


def _drop_value(table, variable, value):
    def edit(data):
        var = next(v for v in data["variables"] if v["id"] == variable)
        var["values"] = [x for x in var["values"] if x["id"] != value]

    return {table: edit}


def _add_variable(table, name):
    def edit(data):
        data["variables"].insert(
            1, {"id": name, "text": "herkomst", "time": False, "values": [{"id": "1", "text": "x"}]}
        )

    return {table: edit}


@pytest.mark.parametrize(
    "edits,named",
    [
        (_rename("STRAF22", "ANMSIGT", "ANMSIGTE"), ["STRAF22", "ANMSIGT", "no longer has"]),
        (_drop_value("STRAF11", "OVERTRÆD", "13"), ["STRAF11", "OVERTRÆD", "13", "no longer"]),
        (_add_variable("FOLK1A", "HERKOMST"), ["FOLK1A", "HERKOMST", "new variable"]),
    ],
    ids=["variable renamed", "value removed", "variable added"],
)
@pytest.mark.django_db
def test_a_table_that_changed_fails_the_batch_and_writes_nothing(
    kobenhavn, analyst, english, edits, named
):
    first = statbank_sync.fetch_now(kobenhavn, user=analyst, fetch=Statbank())
    home = _home(kobenhavn)
    # the table changed and København's residents were revised: neither half is written
    fetch = Statbank(tableinfo=edits, residents=25)
    batch = statbank_sync.fetch_now(kobenhavn, user=analyst, fetch=fetch)
    _nothing_written(batch)
    for word in named:
        assert word in batch.error
    assert "set up again" in batch.error and "Nothing was written" in batch.error
    assert re.search(r"stored as Statbank response #\d+", batch.error)  # the refused tableinfo
    residents = IndicatorValue.objects.get(area=home, indicator__code="dst_residents", year=2025)
    assert (residents.value, residents.batch_id) == (74700, first.pk)


@pytest.mark.django_db
def test_a_first_fetch_that_fails_creates_no_catalogue_entries(kobenhavn, analyst):
    batch = statbank_sync.fetch_now(
        kobenhavn, user=analyst, fetch=Statbank(tableinfo=_rename("STRAF22", "Tid", "TID2"))
    )
    _nothing_written(batch)
    assert not Indicator.objects.filter(code__in=CODES).exists()


@pytest.mark.django_db
def test_a_year_without_all_its_quarters_fails_the_batch(kobenhavn, analyst, english):
    # the recorded STRAF11 answer as it is: 2024K1-K3, while its tableinfo lists 2024K4
    batch = statbank_sync.fetch_now(kobenhavn, user=analyst, fetch=Statbank(partial=True))
    _nothing_written(batch)
    assert "STRAF11" in batch.error and "2024" in batch.error and "K1, K2, K3" in batch.error


def _http_error(code, body):
    return urllib.error.HTTPError(
        "https://api.statbank.dk/v1/data", code, "Bad Request", {}, io.BytesIO(body.encode())
    )


@pytest.mark.django_db
def test_an_http_error_is_stored_named_and_writes_nothing(kobenhavn, analyst, english):
    body = '{"errorTypeCode": "EXTRACT-NOTALLOWED", "message": "Udtrækket er for stort"}'
    fetch = Statbank(answer={("data", "STRAF22"): _http_error(400, body)})
    batch = statbank_sync.fetch_now(kobenhavn, user=analyst, fetch=fetch)
    _nothing_written(batch)
    assert "STRAF22" in batch.error and "400" in batch.error
    assert "Udtrækket er for stort" in batch.error
    stored = StatbankResponse.objects.get(pk=batch.parameters["responses"][-1])
    assert (stored.table, stored.format, stored.raw) == ("STRAF22", "HTTP 400", body)
    assert f"#{stored.pk}" in batch.error
    assert not Indicator.objects.filter(code__in=CODES).exists()


@pytest.mark.django_db
def test_an_error_answer_is_stored_named_and_writes_nothing(kobenhavn, analyst, english):
    body = '{"errorTypeCode": "TABLE-NOTFOUND", "message": "Tabellen STRAF11 findes ikke"}'
    batch = statbank_sync.fetch_now(
        kobenhavn, user=analyst, fetch=Statbank(answer={("tableinfo", "STRAF11"): body})
    )
    _nothing_written(batch)
    assert "STRAF11" in batch.error and "Tabellen STRAF11 findes ikke" in batch.error
    assert StatbankResponse.objects.filter(table="STRAF11", raw=body).exists()


@pytest.mark.django_db
def test_no_answer_at_all_fails_cleanly(kobenhavn, analyst, english):
    fetch = Statbank(answer={("tableinfo", "FOLK1A"): urllib.error.URLError("timed out")})
    batch = statbank_sync.fetch_now(kobenhavn, user=analyst, fetch=fetch)
    _nothing_written(batch)
    assert "FOLK1A" in batch.error and "could not be reached" in batch.error


@pytest.mark.django_db
def test_a_municipality_code_statbank_does_not_know_fails_cleanly(
    demo_municipality, analyst, english
):
    # the demo municipality's code (999) is no municipality of Statbank's
    batch = statbank_sync.fetch_now(demo_municipality, user=analyst, fetch=Statbank())
    _nothing_written(batch)
    assert "999" in batch.error and "FOLK1A" in batch.error and "OMRÅDE" in batch.error


@pytest.mark.django_db
def test_a_municipality_without_its_own_area_fails_before_asking(english):
    frederiksberg = Municipality.objects.create(code="147", name="Frederiksberg")
    fetch = Statbank()
    batch = statbank_sync.fetch_now(frederiksberg, fetch=fetch)
    _nothing_written(batch)
    assert fetch.calls == []
    assert "Frederiksberg has no area of the kind municipality" in batch.error


def test_unknown_tables_are_refused_and_rates_bring_their_residents():
    assert statbank_sync.chosen_tables(["straf11"]) == ["FOLK1A", "STRAF11"]
    assert statbank_sync.chosen_tables(None) == ["FOLK1A", "STRAF11", "STRAF22"]
    with pytest.raises(statbank_sync.FetchRefused, match="BEF1"):
        statbank_sync.chosen_tables(["BEF1"])


def test_the_client_names_what_changed():
    info = statbank.TableInfo.from_json(
        json.loads((FIXTURES / "tableinfo_STRAF11.json").read_text(encoding="utf-8"))
    )
    with pytest.raises(statbank.StatbankError) as exc:
        info.check({"OMRÅDE": ["101"], "OVERTRÆD": ["99"], "Tid": ["*"]})
    assert (exc.value.reason, exc.value.table, exc.value.variable, exc.value.values) == (
        "no_value",
        "STRAF11",
        "OVERTRÆD",
        ("99",),
    )
    assert statbank.error_message('{"errorTypeCode": "X", "message": "Forkert"}') == "Forkert"
    assert statbank.error_message('{"id": "STRAF11", "variables": []}') is None
    assert statbank.error_message("OMRÅDE;TID;INDHOLD") is None


# -- the page, the button and the command ------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_shows_tables_and_last_fetches_in_danish(client, kobenhavn, analyst):
    batch = statbank_sync.fetch_now(kobenhavn, user=analyst, fetch=Statbank())
    failed = statbank_sync.fetch_now(
        kobenhavn, user=analyst, tables=["STRAF11"], fetch=Statbank(partial=True)
    )
    client.force_login(analyst)
    response = client.get(reverse("imports:statbank"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="da"' in html
    for table in ("FOLK1A", "STRAF11", "STRAF22"):
        assert f'id="table-{table}"' in html
    # the last fetch of each table: STRAF11's failed (with its message), STRAF22's the first one
    rows = dict(re.findall(r'<tr id="table-(\w+)">(.*?)</tr>', html, re.S))
    assert f"#{failed.pk}" in rows["STRAF11"] and "K1, K2, K3" in rows["STRAF11"]
    assert f"#{batch.pk}" in rows["STRAF22"] and "Importeret" in rows["STRAF22"]
    assert "Anmeldte straffelovsovertrædelser pr. 1.000 indbyggere" in html  # the Danish name
    assert 'id="fetch-button"' in html
    from tests.test_danish_pages import english_words, problems, visible_text

    assert problems(visible_text(html), english_words(), names=[analyst.username]) == []


@pytest.mark.django_db
def test_the_page_and_the_button_refuse_a_partner(client, partner):
    client.force_login(partner)
    assert client.get(reverse("imports:statbank")).status_code == 403
    assert client.post(reverse("imports:statbank_fetch")).status_code == 403


@pytest.mark.django_db
def test_fetch_now_queues_the_task_which_fetches(client, kobenhavn, analyst, settings):
    settings.STATBANK_FETCH = Statbank()
    client.force_login(analyst)
    response = client.post(reverse("imports:statbank_fetch"), follow=True)
    assert response.status_code == 200
    batch = statbank_sync.batch_model().objects.filter(kind="statbank").latest("pk")
    assert batch.status == "committed" and batch.created_by == analyst  # the worker ran (inline)
    assert _values(batch) == 14
    assert f"#{batch.pk}" in response.content.decode()


@pytest.mark.django_db
def test_fetch_now_is_refused_while_a_fetch_is_under_way(client, kobenhavn, analyst, settings):
    settings.STATBANK_FETCH = Statbank()
    waiting = statbank_sync.queue_fetch(kobenhavn, user=analyst)
    client.force_login(analyst)
    page = client.get(reverse("imports:statbank")).content.decode()
    assert 'id="running"' in page and 'id="fetch-button"' not in page
    response = client.post(reverse("imports:statbank_fetch"), follow=True)
    assert response.status_code == 200
    assert f"#{waiting.pk}" in response.content.decode()
    assert statbank_sync.batch_model().objects.filter(kind="statbank").count() == 1


@pytest.mark.django_db
def test_a_fetch_the_worker_never_took_does_not_block_the_next(kobenhavn, analyst):
    import datetime as dt

    from django.utils import timezone

    waiting = statbank_sync.queue_fetch(kobenhavn, user=analyst)
    with pytest.raises(statbank_sync.FetchRefused, match=f"#{waiting.pk}"):
        statbank_sync.queue_fetch(kobenhavn, user=analyst)
    statbank_sync.batch_model().objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert statbank_sync.queue_fetch(kobenhavn, user=analyst).pk != waiting.pk


@pytest.mark.django_db
def test_a_failed_fetch_through_the_button_is_a_message_not_an_error(
    client, kobenhavn, analyst, settings
):
    settings.STATBANK_FETCH = Statbank(answer={("data", "FOLK1A"): _http_error(503, "Nede")})
    client.force_login(analyst)
    response = client.post(reverse("imports:statbank_fetch"), follow=True)
    assert response.status_code == 200
    batch = statbank_sync.batch_model().objects.filter(kind="statbank").latest("pk")
    _nothing_written(batch)
    assert "503" in batch.error and batch.error in response.content.decode()
    detail = client.get(batch.get_absolute_url())
    assert detail.status_code == 200 and "503" in detail.content.decode()


@pytest.mark.django_db
def test_the_command_runs_the_same_fetch(kobenhavn, settings):
    settings.STATBANK_FETCH = Statbank()
    out = io.StringIO()
    call_command("fetch_statbank", "--municipality", "101", stdout=out)
    assert "14 new, 0 changed, 0 unchanged" in out.getvalue()
    call_command("fetch_statbank", "--municipality", "101", "--tables", "STRAF11", stdout=out)
    last = statbank_sync.batch_model().objects.filter(kind="statbank").latest("pk")
    assert last.parameters["tables"] == ["FOLK1A", "STRAF11"]
    assert (last.rows_created, last.rows_unchanged) == (0, 10)
    with pytest.raises(CommandError, match="BEF1"):
        call_command("fetch_statbank", "--municipality", "101", "--tables", "BEF1", stdout=out)
    settings.STATBANK_FETCH = Statbank(partial=True)
    with pytest.raises(CommandError, match="101"):
        call_command("fetch_statbank", "--municipality", "101", stdout=out, stderr=io.StringIO())
    # every municipality: København's fetch is written, Lillekommune's code (998) is refused
    settings.STATBANK_FETCH = Statbank()
    err = io.StringIO()
    with pytest.raises(CommandError, match="for 998;"):
        call_command("fetch_statbank", stdout=out, stderr=err)
    assert "998" in err.getvalue() and "OMRÅDE" in err.getvalue()
    assert "101 Demokommune: batch" in out.getvalue().splitlines()[-1]


# -- beside the area ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_comparison_puts_the_area_beside_the_municipality_and_denmark(kobenhavn, analyst):
    from hotspot.indicators import measures

    statbank_sync.fetch_now(kobenhavn, user=analyst, fetch=Statbank())
    area = Area.objects.filter(municipality=kobenhavn, kind=AreaKind.HOUSING).first()
    rows = pages.comparison(area, [2022, 2023, 2024, 2025])
    by = {r["measure"]: {x["year"]: x for x in r["rows"]} for r in rows}
    assert list(by) == list(CODES)
    assert set(by["dst_reports_per_1000"]) == {2023, 2024}  # years Statbank has
    panel = measures.build_panel(
        {area.pk: area.tiling_descendant_ids()},
        [2023],
        ["reports_total"],
        municipality_id=kobenhavn.pk,
    )
    row = by["dst_reports_per_1000"][2023]
    assert row["area"] == pytest.approx(panel.values[0, 0, 0])  # the panel's rate, not recomputed
    assert row["municipality"] == pytest.approx(1000 * REPORTS[2023] / RESIDENTS[2023])
    assert row["denmark"] == pytest.approx(
        row["municipality"] * NATIONAL_CRIMES / NATIONAL_RESIDENTS
    )
    assert by["dst_residents"][2023]["area"] == panel.denominators[0, 0, 0]  # its residents
    assert by["dst_charges_per_1000"][2023]["area"] is None  # no all-ages charges per area
    assert pages.comparison(area, []) == []


@pytest.mark.django_db
def test_comparison_is_empty_before_any_fetch(kobenhavn):
    area = Area.objects.filter(municipality=kobenhavn, kind=AreaKind.HOUSING).first()
    assert pages.comparison(area, [2023, 2024]) == []


@pytest.mark.django_db
def test_the_area_page_shows_the_comparison(client, kobenhavn, analyst, partner):
    statbank_sync.fetch_now(kobenhavn, user=analyst, fetch=Statbank())
    area = Area.objects.filter(municipality=kobenhavn, kind=AreaKind.HOUSING).first()
    for user in (analyst, partner):
        client.force_login(user)
        response = client.get(reverse("areas:detail", args=[area.pk]))
        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="table-comparison"' in html
        assert 'data-measure="dst_reports_per_1000" data-year="2023"' in html
        assert "Anmeldte straffelovsovertrædelser" in html


def test_a_crime_goal_shows_the_municipality_and_denmark(client, kobenhavn, analyst, coordinator):
    """The 2015 evaluation compared the hotspots with the municipality and the whole country: a goal
    on reports per 1,000 residents shows its values beside Statistics Denmark's."""
    import datetime as dt

    from hotspot.programmes.models import Goal, Programme

    statbank_sync.fetch_now(kobenhavn, user=analyst, fetch=Statbank())
    area = Area.objects.filter(municipality=kobenhavn, kind=AreaKind.HOUSING).first()
    programme = Programme.objects.create(
        municipality=kobenhavn, name="P", start=dt.date(2022, 1, 1), end=dt.date(2026, 12, 31)
    )
    programme.areas.add(area)
    goal = Goal.objects.create(
        programme=programme, title="Færre anmeldelser", kind="effect", measure="reports_total",
        baseline_value=100, baseline_date=dt.date(2021, 12, 31), target_value=50,
        deadline=dt.date(2026, 12, 31),
    )  # fmt: skip
    client.force_login(coordinator)
    page = client.get(goal.get_absolute_url())
    beside = page.context["beside"]
    assert beside is not None and beside["rows"]
    home = _home(kobenhavn)
    for row in beside["rows"]:
        stored = IndicatorValue.objects.get(
            area=home, indicator__code="dst_reports_per_1000", year=row["year"]
        )
        assert row["municipality"] == stored.value
        assert (
            row["denmark"]
            == NationalValue.objects.get(
                indicator__code="dst_reports_per_1000", year=row["year"]
            ).value
        )
        assert (
            row["goal"] == dict((d.year, v) for d, v in page.context["status"].series)[row["year"]]
        )
    assert 'id="goal-beside"' in page.content.decode()
