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

from hotspot import disclosure
from hotspot.areas.inputs import disclosure_plan, latest_year
from hotspot.areas.models import Area, AreaKind, Population
from hotspot.incidents.models import ReportCount
from hotspot.indicators.tests.attacker import recoverable

AGGREGATE_ONLY = ("partner", "board")
RAW = ("coordinator", "analyst")


def _random_tables(rng):
    """Areas × offence groups with both margins, a district over the areas, citizen-directed counts
    (never published: the rest of the reports follows from them), a hotspot copying one area."""
    n_areas, n_groups = int(rng.integers(2, 6)), int(rng.integers(2, 4))
    sizes = [0, 0, 1, 1, 2, 3, 4, 5, 6, 9, 14, 30]
    values, constraints, unpublished = {}, [], set()
    for a in range(n_areas):
        for g in range(n_groups):
            values[a, g] = int(rng.choice(sizes))
        values[a, "T"] = sum(values[a, g] for g in range(n_groups))
        values[a, "cd"] = int(rng.integers(0, values[a, "T"] + 1))
        values[a, "rest"] = values[a, "T"] - values[a, "cd"]
        unpublished.add((a, "rest"))
        constraints.append(((a, "T"), [(a, g) for g in range(n_groups)]))
        constraints.append(((a, "T"), [(a, "cd"), (a, "rest")]))
    for m in [*range(n_groups), "T", "cd", "rest"]:
        values["D", m] = sum(values[a, m] for a in range(n_areas))
        values["H", m] = values[0, m]  # a hotspot drawn as area 0
        constraints.append((("D", m), [(a, m) for a in range(n_areas)]))
        constraints.append((("H", m), [(0, m)]))
    unpublished |= {("D", "rest"), ("H", "rest")}
    constraints.append((("D", "T"), [("D", g) for g in range(n_groups)]))
    constraints.append((("D", "T"), [("D", "cd"), ("D", "rest")]))
    return values, constraints, unpublished


def test_no_small_count_can_be_worked_out_from_the_published_tables():
    """150 random linked tables, attacked jointly by a linear programme: nothing small comes back,
    nothing small is shown, "<5" marks only small counts, and zeros stay shown."""
    rng = np.random.default_rng(7)
    limit = disclosure.min_cell()
    withheld = 0
    for _ in range(150):
        values, constraints, unpublished = _random_tables(rng)
        hide = disclosure.protect(values, constraints, unpublished=unpublished)
        published = {c: str(hide[c]) if c in hide else v for c, v in values.items()}
        assert not any(
            0 < v < limit
            for c, v in published.items()
            if isinstance(v, int) and c not in unpublished
        )
        for c, mark in hide.items():
            assert mark is disclosure.WITHHELD or 0 < values[c] < limit, (c, values[c])
            assert values[c] > 0  # a zero is never hidden
        assert all(c in hide for c, v in values.items() if 0 < v < limit and c not in unpublished)
        assert recoverable(values, constraints, published, unpublished, limit) == {}
        withheld += sum(mark is disclosure.WITHHELD for mark in hide.values())
    assert withheld > 0


def test_the_joint_audit_catches_what_single_sums_do_not():
    """A 2 × 2 table with both margins: every single sum has two unknowns, yet the four small cells
    and the margins pin each other (row 4 + 4 = 8 and column 4 + 4 = 8 leave only 4)."""
    values = {("a", 0): 4, ("a", 1): 4, ("b", 0): 4, ("b", 1): 4}
    values |= {("a", "T"): 8, ("b", "T"): 8, ("D", 0): 8, ("D", 1): 8, ("D", "T"): 16}
    constraints = [
        (("a", "T"), [("a", 0), ("a", 1)]),
        (("b", "T"), [("b", 0), ("b", 1)]),
        (("D", 0), [("a", 0), ("b", 0)]),
        (("D", 1), [("a", 1), ("b", 1)]),
        (("D", "T"), [("D", 0), ("D", 1)]),
    ]
    only_primary = {c: "<5" if 0 < v < 5 else v for c, v in values.items()}
    assert recoverable(values, constraints, only_primary)  # the attack works without the rule
    hide = disclosure.protect(values, constraints)
    published = {c: str(hide[c]) if c in hide else v for c, v in values.items()}
    assert recoverable(values, constraints, published) == {}


def test_markers_and_rates():
    assert str(disclosure.SUPPRESSED) == "<5" and str(disclosure.WITHHELD) == ".."
    assert isinstance(disclosure.WITHHELD, disclosure.Suppressed)
    assert disclosure.js(disclosure.WITHHELD) is None
    assert disclosure.count(0, raw=False) == 0
    assert disclosure.rate(1.7, 3, raw=False) is None
    assert disclosure.rate(1.7, 3, raw=True) == 1.7
    assert (
        disclosure.rate_of(disclosure.WITHHELD, 1.7) is None and disclosure.rate_of(9, 1.7) == 1.7
    )


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


def _published_by_pages(client, municipality, year):
    """What a reader collects for ``year`` from the area list and every area's page: per area the
    reports, citizen-directed and serious counts and the count of each offence group."""
    from hotspot.incidents.models import OffenceGroup

    groups = [g for g, _ in OffenceGroup.choices]
    published = {}
    for r in client.get(reverse("areas:list")).context["rows"]:
        for key in ("reports", "citizen_directed", "serious"):
            published[r["area"].pk, key] = r[key] if isinstance(r[key], int) else str(r[key])
    for area in Area.objects.filter(municipality=municipality):
        trend = client.get(reverse("areas:detail", args=[area.pk])).context["trend"]
        row = next(t for t in trend if t["year"] == year)
        total = row["total"] if isinstance(row["total"], int) else str(row["total"])
        assert total == published[area.pk, "reports"]  # the two pages agree
        for g, n in zip(groups, row["groups"]):
            published[area.pk, g] = n if isinstance(n, int) else str(n)
    return groups, published


def _linked_tables(municipality, year, groups):
    """The sums that tie the published counts together, and the true counts."""
    from hotspot.areas.models import tiling_map_for

    members = tiling_map_for(municipality.pk)
    leaf = {}
    for r in ReportCount.objects.filter(area__municipality=municipality, year=year):
        for key, n in (
            (r.group, r.reports),
            ("reports", r.reports),
            ("citizen_directed", r.citizen_directed),
            ("serious", r.serious),
            ("not_citizen_directed", r.reports - r.citizen_directed),
            ("not_serious", r.reports - r.serious),
        ):
            leaf[r.area_id, key] = leaf.get((r.area_id, key), 0) + n
    measures = [
        "reports",
        "citizen_directed",
        "serious",
        "not_citizen_directed",
        "not_serious",
        *groups,
    ]
    values = {
        (a, m): sum(leaf.get((t, m), 0) for t in members[a]) for a in members for m in measures
    }
    constraints, unpublished = [], set()
    for a in members:
        constraints.append(((a, "reports"), [(a, g) for g in groups]))
        constraints.append(((a, "reports"), [(a, "citizen_directed"), (a, "not_citizen_directed")]))
        constraints.append(((a, "reports"), [(a, "serious"), (a, "not_serious")]))
        unpublished |= {(a, "not_citizen_directed"), (a, "not_serious")}
        if members[a] != [a]:
            constraints += [((a, m), [(t, m) for t in members[a]]) for m in measures]
    return values, constraints, unpublished


def test_no_small_count_can_be_worked_out_from_all_pages_together(
    small_area, demo_municipality, partner, login
):
    """The attack of the review: a partner reads the area list and every area page and solves all
    their sums at once. Nothing small comes back; with small counts hidden only cell by cell, the
    same attack recovers them (so the test can fail)."""
    year = latest_year(demo_municipality)
    groups, published = _published_by_pages(login(partner), demo_municipality, year)
    values, constraints, unpublished = _linked_tables(demo_municipality, year, groups)
    assert set(published) | unpublished == set(values)
    assert recoverable(values, constraints, published, unpublished) == {}
    assert published[small_area.pk, "reports"] == "<5"
    assert any(v == ".." for v in published.values())
    cell_by_cell = {c: "<5" if 0 < v < 5 else v for c, v in values.items() if c not in unpublished}
    assert recoverable(values, constraints, cell_by_cell, unpublished)


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
    ReportCount.objects.filter(area=small_area, year=year).update(reports=40, citizen_directed=36)
    plan = disclosure_plan(demo_municipality.pk, [year])[year]
    measure = "citizen_directed" if goal.measure == Measure.CITIZEN_RATE else "reports"
    shown = any(d.year == year for d, _v in goal_series(goal))
    assert shown == ((small_area.pk, measure) not in plan)  # the year follows the one plan
