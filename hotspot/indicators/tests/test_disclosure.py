"""The small-cell rule (issue 10, item 10): partners and the board never see a count of 1–4 reports or
charges, nor a rate from which one could be worked out; roles with raw-data rights see every figure.

Each test tries to get a small count back as a partner or board member would: from the page, the map's
GeoJSON, the export, or by subtracting the shown children of a district from the district's total.
"""

import csv
import io

import numpy as np
import pytest
from django.urls import reverse

from hotspot.areas.inputs import area_table, latest_year
from hotspot.areas.models import Area, AreaKind, Population
from hotspot.incidents.models import ReportCount
from hotspot.indicators import disclosure

AGGREGATE_ONLY = ("partner", "board")
RAW = ("coordinator", "analyst")


def test_rule_hides_small_cells_and_enough_others_to_stop_subtraction():
    rng = np.random.default_rng(7)
    limit = disclosure.min_cell()
    for _ in range(2000):
        cells = [int(c) for c in rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 30], size=rng.integers(1, 8))]
        hide = disclosure.hidden(cells, raw=False)
        shown = [c for c, h in zip(cells, hide) if not h]
        hidden_sum = sum(c for c, h in zip(cells, hide) if h)
        assert not any(0 < c < limit for c in shown), cells
        # what the total minus the shown cells gives away is either nothing or at least `limit`
        assert (
            hidden_sum == 0 or hidden_sum >= limit or all(hide[k] for k, c in enumerate(cells) if c)
        )
        assert disclosure.hidden(cells, raw=True) == [False] * len(cells)
    assert disclosure.row([2, 40, 0, 12], raw=False) == [
        disclosure.SUPPRESSED,
        40,
        0,
        disclosure.SUPPRESSED,
    ]
    assert str(disclosure.SUPPRESSED) == "<5"
    assert disclosure.count(0, raw=False) == 0
    assert disclosure.rate(1.7, 3, raw=False) is None
    assert disclosure.rate(1.7, 3, raw=True) == 1.7


@pytest.fixture
def small_area(demo_municipality):
    """A housing area under a district with 2 reports and 1 citizen-directed report in the latest year."""
    year = latest_year(demo_municipality)
    district = Area.objects.filter(municipality=demo_municipality, kind=AreaKind.DISTRICT).first()
    area = Area.objects.create(
        municipality=demo_municipality,
        code="SMALL-1",
        name="Lille Gård",
        kind=AreaKind.HOUSING,
        parent=district,
    )
    Population.objects.create(area=area, year=year, age_band="18-24", sex="F", count=51)
    ReportCount.objects.create(
        area=area, year=year, group="violence", reports=2, citizen_directed=1, serious=1
    )
    return area


@pytest.mark.parametrize("role", AGGREGATE_ONLY)
def test_aggregate_roles_never_see_a_small_report_count(role, small_area, member, login):
    client = login(member(role))
    rows = {r["area"].code: r for r in client.get(reverse("areas:list")).context["rows"]}
    assert rows["SMALL-1"]["reports"] is disclosure.SUPPRESSED
    assert rows["SMALL-1"]["rate"] is None and rows["SMALL-1"]["citizen_directed_rate"] is None

    small_area.geometry = Area.objects.exclude(geometry=None).first().geometry
    small_area.save(update_fields=["geometry"])
    features = client.get(reverse("areas:geojson")).json()["features"]
    props = next(f["properties"] for f in features if f["properties"]["code"] == "SMALL-1")
    assert props["reports"] is None and props["rate"] is None and props["suppressed"]

    text = client.get(reverse("areas:export", args=["csv"])).content.decode("utf-8-sig")
    line = next(r for r in csv.reader(io.StringIO(text), delimiter=";") if r[0] == "SMALL-1")
    assert line[6] == "<5" and line[7] == ""

    page = client.get(reverse("areas:detail", args=[small_area.pk]))
    latest = page.context["trend"][-1]
    assert latest["total"] is disclosure.SUPPRESSED and latest["rate"] is None
    assert disclosure.SUPPRESSED in latest["groups"]
    assert 2 not in page.context["chart"]["reports"]["series"][-1]
    assert "&lt;5" in page.content.decode() and page.context["disclosure_note"]


@pytest.mark.parametrize("role", RAW)
def test_raw_data_roles_see_the_exact_count(role, small_area, member, login):
    client = login(member(role))
    rows = {r["area"].code: r for r in client.get(reverse("areas:list")).context["rows"]}
    assert rows["SMALL-1"]["reports"] == 2
    assert rows["SMALL-1"]["rate"] == pytest.approx(2 / 51 * 1000)
    page = client.get(reverse("areas:detail", args=[small_area.pk]))
    assert page.context["trend"][-1]["total"] == 2 and page.context["disclosure_note"] is None


def test_no_hidden_count_comes_back_by_subtracting_children_from_their_district(
    small_area, demo_municipality
):
    exact = {r["area"].pk: r for r in area_table(demo_municipality, raw=True)}
    shown = area_table(demo_municipality, raw=False)
    limit = disclosure.min_cell()
    shown_by_pk = {r["area"].pk: r for r in shown}
    by_parent = {}
    for r in shown:
        if r["area"].parent_id:
            by_parent.setdefault(r["area"].parent_id, []).append(r)
    checked = 0
    for parent, members in by_parent.items():
        for key in ("reports", "citizen_directed", "serious"):
            hidden = [exact[r["area"].pk][key] for r in members if r[key] is disclosure.SUPPRESSED]
            visible = [r[key] for r in members if r[key] is not disclosure.SUPPRESSED]
            assert not any(0 < v < limit for v in visible)
            # either the hidden part is too large to pin down, or the parent's total is hidden too
            parent_hidden = shown_by_pk[parent][key] is disclosure.SUPPRESSED
            assert sum(hidden) == 0 or sum(hidden) >= limit or parent_hidden
            checked += bool(hidden)
    assert checked > 0  # the fixture's area forces at least one protected group


def test_overblik_year_to_date_hides_a_small_count_from_partners(
    small_area, demo_municipality, partner, coordinator, login
):
    """Two reports so far this year: the partner's Overblik says "<5" and gives no change in per cent
    (which with last year's count would give the 2 back); the coordinator sees 2."""
    from django.utils import timezone

    from hotspot.incidents.models import CrimeReport, Offence

    now = timezone.now()
    offence = Offence.objects.first()
    for k in range(2):
        CrimeReport.objects.create(
            municipality=demo_municipality,
            external_id=f"YTD-{k}",
            occurred_at=now.replace(month=1, day=2 + k),
            offence=offence,
            area=small_area,
        )
    seen = login(partner).get(reverse("home")).context["overview"]["partial"]
    assert seen["reports"] is disclosure.SUPPRESSED and seen["change"] is None
    exact = login(coordinator).get(reverse("home")).context["overview"]["partial"]
    assert exact["reports"] == 2


def test_index_values_of_small_youth_charge_counts_are_hidden_from_partners(
    demo_municipality, partner, coordinator, login
):
    from hotspot.indices.tests.factories import make_run

    run = make_run(demo_municipality)
    from hotspot.indices import inputs as ix

    inputs = ix.Inputs.from_bytes(run.inputs)
    k = inputs.codes.index("youth_charged")
    small = inputs.small[:, :, k] & ~np.isnan(inputs.values[:, :, k])
    assert small.any(), "the demo city at the suite's scale has area-years with 1-4 charged youths"
    a, _y = np.argwhere(small)[0]
    area = Area.objects.get(pk=int(inputs.area_ids[a]))
    url = reverse("indices:profile", args=[run.pk, area.pk])

    def youth_row(user):
        rows = login(user).get(url).context["indicator_rows"]
        return next(r["values"] for r in rows if r["code"] == "youth_charged")

    exact = youth_row(coordinator)
    seen = youth_row(partner)
    for j in range(len(inputs.years)):
        if small[a, j]:
            assert seen[j] is None and exact[j] is not None
        else:
            assert seen[j] == exact[j]

    def youth_cells(user):
        text = login(user).get(reverse("indices:export", args=[run.pk, "csv"]))
        lines = list(
            csv.reader(
                io.StringIO(b"".join(text.streaming_content).decode("utf-8-sig")), delimiter=";"
            )
        )
        col = lines[0].index("youth_charged")
        return sum(1 for line in lines[1:] if line[col] != "")

    assert youth_cells(coordinator) - youth_cells(partner) == int(small.sum())


def test_study_trend_hides_small_yearly_counts(demo_municipality, partner, coordinator, login):
    from hotspot.evaluations.models import COUNT_OUTCOMES, Study, StudyResult

    studies = [
        s
        for s in Study.objects.filter(municipality=demo_municipality, outcome__in=COUNT_OUTCOMES)
        if s.latest_result() and s.latest_result().status == StudyResult.Status.DONE
    ]
    assert studies, "the demo city ships computed studies"
    study = studies[0]
    result = study.latest_result()
    counts = result.figures["trend"]["treated_counts"]
    counts[0] = 2  # a year with two charged youths in the hotspot
    result.figures["trend"]["treated_counts"] = counts
    StudyResult.objects.filter(pk=result.pk).update(figures=result.figures)
    url = study.get_absolute_url()
    seen = login(partner).get(url).context["trend_rows"][0]
    assert seen["treated_n"] is disclosure.SUPPRESSED and seen["treated"] is None
    exact = login(coordinator).get(url).context["trend_rows"][0]
    assert exact["treated_n"] == 2


def test_goal_series_leave_out_years_with_a_small_report_count(demo_municipality, small_area):
    from hotspot.programmes.inputs import goal_series
    from hotspot.programmes.models import Goal, Measure

    goal = Goal.objects.filter(measure__in=[Measure.REPORT_RATE, Measure.CITIZEN_RATE]).first()
    assert goal is not None, "the demo programmes have goals measured by report rates"
    year = latest_year(demo_municipality)
    goal.area = small_area
    goal.save()
    series = goal_series(goal)
    assert all(d.year != year for d, _v in series)  # 2 reports that year: no rate shown
    ReportCount.objects.filter(area=small_area, year=year).update(reports=7, citizen_directed=6)
    assert any(d.year == year for d, _v in goal_series(goal))
