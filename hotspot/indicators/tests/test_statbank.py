"""The Statbank client from recorded answers (tests/fixtures): never the network."""

import json
from pathlib import Path

import pytest

from hotspot.indicators import statbank
from hotspot.indicators.models import StatbankResponse

FIXTURES = Path(__file__).parent / "fixtures"


class Recorded:
    """fetch(url, payload) from files: tableinfo_<T>.json and data_<T>_<area>_<FORMAT>.csv."""

    def __init__(self, *, partial=False):
        self.calls = []
        self.partial = partial

    def __call__(self, url, payload):
        self.calls.append((url, payload))
        table = payload["table"]
        if url.endswith("/tableinfo"):
            return (FIXTURES / f"tableinfo_{table}.json").read_text(encoding="utf-8")
        area = next(v["values"][0] for v in payload["variables"] if v["code"] == "OMRÅDE")
        text = (FIXTURES / f"data_{table}_{area}_{payload['format']}.csv").read_text(
            encoding="utf-8"
        )
        if self.partial:  # as if 2024K4 were published: 2024 is complete
            text += "".join(f"101;{g};2024K4;10\n" for g in ("11", "12", "13", "14"))
        return text


@pytest.mark.django_db
def test_straf11_full_years_only_and_raw_stored():
    fetch = Recorded()
    client = statbank.Client(fetch=fetch)
    with pytest.raises(statbank.StatbankError, match="2024 has quarters \\[1, 2, 3\\]"):
        statbank.reported_offences(client, "101")
    # the query asked for one level only (no total, no 4-digit codes) and named every variable
    data_payload = fetch.calls[-1][1]
    offences = next(v["values"] for v in data_payload["variables"] if v["code"] == "OVERTRÆD")
    assert offences == ["11", "12", "13", "14"]
    stored = StatbankResponse.objects.filter(table="STRAF11", endpoint="data").latest(
        "retrieved_at"
    )
    assert stored.query == data_payload and stored.raw.startswith("OMRÅDE;OVERTRÆD")
    assert len(stored.sha256) == 64


@pytest.mark.django_db
def test_straf11_yearly_sums():
    client = statbank.Client(fetch=Recorded(partial=True))
    rows = statbank.reported_offences(client, "101").rows
    by = {(r["OVERTRÆD"], r["Tid"]): r["INDHOLD"] for r in rows}
    assert by[("12", "2023")] == 410 + 455 + 470 + 430
    assert by[("12", "2024")] == 420 + 470 + 480 + 10


@pytest.mark.django_db
def test_query_is_checked_against_tableinfo():
    client = statbank.Client(fetch=Recorded())
    with pytest.raises(statbank.StatbankError, match="no value"):
        client.data("STRAF11", {"OMRÅDE": ["123"], "OVERTRÆD": ["12"], "Tid": ["*"]})
    with pytest.raises(statbank.StatbankError, match="no variable"):
        client.data("STRAF11", {"KOMMUNE": ["101"], "OVERTRÆD": ["12"], "Tid": ["*"]})
    with pytest.raises(statbank.StatbankError, match="missing"):
        client.data("STRAF11", {"OMRÅDE": ["101"], "Tid": ["*"]})


@pytest.mark.django_db
def test_folk1a_drops_totals():
    client = statbank.Client(fetch=Recorded())
    rows = statbank.population(client, "101").rows
    # CIVILSTAND has only "I alt": it is the one value there is, so it is kept as the only choice
    assert {r["KØN"] for r in rows} == {"1", "2"}
    assert {r["ALDER"] for r in rows} == {"0-4", "5-9"}
    assert sum(r["INDHOLD"] for r in rows) == 21000 + 16800 + 20500 + 16400


@pytest.mark.django_db
def test_straf22_yearly_reports_and_charges_with_missing_value():
    client = statbank.Client(fetch=Recorded())
    info = client.tableinfo("STRAF22")
    rows = client.data(
        "STRAF22", {"OMRÅDE": ["101"], "OVERTRÆD": ["*"], "ANMSIGT": ["*"], "Tid": ["*"]}
    )
    assert any(r["INDHOLD"] is None for r in rows.rows)  # ".." is not available, never 0
    clean = statbank.drop_totals_and_unknown(rows, info)
    assert all(r["OVERTRÆD"] != "TOT" for r in clean.rows) and len(clean.rows) == 8
    assert statbank.yearly(clean, info).rows == clean.rows  # already yearly


def test_unknown_and_total_detection():
    info = statbank.TableInfo.from_json(
        json.loads((FIXTURES / "tableinfo_STRAF11.json").read_text(encoding="utf-8"))
    )
    area = info.variables["OMRÅDE"]
    assert area.is_total("000") and area.is_unknown("999") and not area.is_total("101")
    assert info.variables["OVERTRÆD"].is_total("TOT")
    # "12 Voldsforbrydelser i alt" is a level of the hierarchy, not the grand total
    assert not info.variables["OVERTRÆD"].is_total("12")


def test_bad_answer_is_a_clear_error():
    info = statbank.TableInfo.from_json(
        json.loads((FIXTURES / "tableinfo_STRAF11.json").read_text(encoding="utf-8"))
    )
    with pytest.raises(statbank.StatbankError, match="INDHOLD"):
        statbank.parse_csv("<html>Service unavailable</html>", info)
    with pytest.raises(statbank.StatbankError, match="not in tableinfo"):
        statbank.parse_csv("OMRÅDE;OVERTRÆD;TID;INDHOLD\n102;12;2023K1;5\n", info)


def test_numbers_in_danish_and_plain_form_and_missing_marks():
    from hotspot.indicators.statbank import _number

    assert _number("1.234,5") == 1234.5
    assert _number(" 12 ") == 12.0
    assert _number("0,25") == 0.25
    assert [_number(m) for m in ("", "..", ".", "-")] == [None] * 4
    with pytest.raises(ValueError):
        _number("nan")
