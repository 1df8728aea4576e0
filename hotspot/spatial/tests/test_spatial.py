"""Spatial runs on the demo city: the counts are the reports, the z-scores esda's, partners see no small
count, bad input gets a message, and the hot cells reach the dossier and a programme's places."""

import csv
import datetime as dt
import io

import numpy as np
import pytest
from django.urls import reverse

from hotspot import disclosure
from hotspot.areas.models import Area, AreaKind
from hotspot.audit.models import AuditEvent
from hotspot.incidents.models import CrimeReport
from hotspot.spatial import actions, pages
from hotspot.spatial.inputs import Grid, SpatialInputError, period_start
from hotspot.spatial.models import Method, SpatialRun
from safetystats.tests.references import reference

esda = reference("esda")
libpysal = reference("libpysal")

#: the stored z is rounded to 3 decimals
Z_TOLERANCE = 5e-4
FIRST, LAST = dt.date(2024, 1, 1), dt.date(2024, 12, 31)

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning:libpysal"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning:esda"),
    pytest.mark.filterwarnings(r"ignore:Gi\* requested:UserWarning"),
]


@pytest.fixture
def hotspot_area(demo_municipality):
    return (
        Area.objects.filter(
            municipality=demo_municipality, kind=AreaKind.HOTSPOT, geometry__isnull=False
        )
        .order_by("code")
        .first()
    )


def _run(municipality, user, area, method, *, first=FIRST, last=LAST, cell_size=100, **params):
    return actions.create_run(
        municipality,
        user=user,
        area=area,
        method=method,
        first_day=first,
        last_day=last,
        offence_groups=params.pop("groups", []),
        cell_size=cell_size,
        parameters=params,
    )


def _reference_counts(run) -> np.ndarray:
    """Counts per cell straight from the reports (an independent path: the ORM and integer division)."""
    grid = Grid.of(run.figures["grid"])
    xmin, ymin, xmax, ymax = grid.bounds
    reports = CrimeReport.objects.filter(
        municipality=run.municipality,
        occurred_at__gte=period_start(run.first_day),
        occurred_at__lt=period_start(run.last_day + dt.timedelta(days=1)),
        x__gte=xmin,
        x__lte=xmax,
        y__gte=ymin,
        y__lte=ymax,
    )
    counts = np.zeros((grid.rows, grid.cols))
    for x, y in reports.values_list("x", "y"):
        r = min(int((y - grid.y0) // grid.size), grid.rows - 1)
        c = min(int((x - grid.x0) // grid.size), grid.cols - 1)
        counts[r, c] += 1
    return counts


def test_gi_star_counts_are_the_reports_and_z_is_esdas(demo_municipality, analyst, hotspot_area):
    run = _run(demo_municipality, analyst, hotspot_area, Method.GI_STAR, permutations=99)
    assert run.status == SpatialRun.Status.DONE, run.error
    assert run.inputs_hash and run.method_version and "numpy" in run.library_versions
    counts = _reference_counts(run)
    cells = pages.cells(run, raw=True)
    stored = {(c["row"], c["col"]): c for c in cells}
    # every cell with a report is stored, with its count
    assert {rc for rc in zip(*np.nonzero(counts), strict=True)} <= set(stored)
    for (r, c), cell in stored.items():
        assert cell["count"] == counts[r, c]
    assert run.figures["points"] == counts.sum() > 0
    grid = Grid.of(run.figures["grid"])
    ref = esda.G_Local(
        counts.ravel(),
        libpysal.weights.lat2W(grid.rows, grid.cols, rook=False),
        transform="B",
        star=True,
        permutations=0,
    )
    z = ref.Zs.reshape(counts.shape)
    for (r, c), cell in stored.items():
        assert abs(cell["z"] - z[r, c]) <= Z_TOLERANCE
    # the demo plants hot cells inside and around its hotspots
    hot = [c for c in cells if c["bin"] > 0]
    assert hot and any(c["inside"] for c in hot)
    assert all(c["z"] > 0 for c in hot)
    assert run.figures["summary"]["3"] == sum(1 for c in cells if c["bin"] == 3)


def test_partners_see_the_coarse_grid_and_no_small_count(
    client, demo_municipality, analyst, partner, hotspot_area
):
    run = _run(demo_municipality, analyst, hotspot_area, Method.GI_STAR, cell_size=50)
    assert run.status == "done" and run.figures["few"] > 0, "a 50 m grid has cells with few reports"
    coarse = run.figures["coarse"]
    assert coarse["factor"] in (2, 4, 8, 16) and coarse["grid"]["size"] == 50 * coarse["factor"]
    client.force_login(partner)
    data = client.get(reverse("spatial:geojson", args=[run.pk])).json()
    counts = [f["properties"]["count"] for f in data["features"]]
    assert counts and all(n is None or n >= disclosure.min_cell() for n in counts)
    page = client.get(run.get_absolute_url())
    assert page.status_code == 200 and page.context["coarsened"]
    assert b'id="run-coarsened"' in page.content
    download = client.get(reverse("spatial:csv", args=[run.pk]))
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    reports = header.index("anmeldelser")
    for row in rows[1:]:
        assert row[reports] == "" or row[reports].startswith("<") or int(row[reports]) >= 5
    # the analyst sees the fine grid with the exact small counts
    client.force_login(analyst)
    fine = client.get(reverse("spatial:geojson", args=[run.pk])).json()
    assert any(f["properties"]["few"] for f in fine["features"])


def test_the_export_is_audited_and_states_the_method(
    client, demo_municipality, analyst, hotspot_area
):
    run = _run(demo_municipality, analyst, hotspot_area, Method.GI_STAR, permutations=0)
    client.force_login(analyst)
    before = AuditEvent.objects.filter(action="export").count()
    response = client.get(reverse("spatial:xlsx", args=[run.pk]))
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="export").count() == before + 1
    csv_text = client.get(reverse("spatial:csv", args=[run.pk])).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("række;kolonne")
    assert len(csv_text.splitlines()) == 1 + len(run.figures["cells"])


@pytest.mark.parametrize(
    "method",
    [Method.LOCAL_MORAN, Method.EMERGING, Method.CONCENTRATION, Method.NEAR_REPEAT, Method.DENSITY],
)
def test_each_analysis_runs_on_the_demo_and_its_page_shows(
    client, demo_municipality, analyst, hotspot_area, method
):
    first = dt.date(2023, 1, 1) if method == Method.EMERGING else FIRST
    run = _run(
        demo_municipality, analyst, hotspot_area, method, first=first, time_step=30,
        permutations=99, n_boot=199,
    )  # fmt: skip
    assert run.status == "done", run.error
    client.force_login(analyst)
    page = client.get(run.get_absolute_url())
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="run-source"' in body and "Kilde" in body
    if method == Method.NEAR_REPEAT:
        knox = run.figures["knox"]
        assert len(knox) == 4 and len(knox[0]["cells"]) == 4
        assert 'id="knox-table"' in body
    if method == Method.CONCENTRATION:
        assert 0 <= run.figures["generalized_gini"] <= run.figures["gini"] + 1e-9 <= 1 + 1e-9
        assert 'id="concentration-table"' in body and "<svg" in body
    if method == Method.EMERGING:
        assert run.figures["slices"] == 25  # 731 days in 30-day steps
        assert 'id="emerging-definitions"' in body
    if method == Method.LOCAL_MORAN:
        assert set(run.figures["summary"]) == {"HH", "LH", "LL", "HL"}
    if method == Method.DENSITY:
        assert run.figures["bandwidth"] > 0 and run.figures["rule"] == "scott"
        assert max(c[2] for c in run.figures["cells"]) == run.figures["max_density"]
        assert 'id="spatial-map"' in body


def test_the_demo_near_repeat_burglaries_are_found(demo_municipality, analyst):
    run = _run(
        demo_municipality, analyst, None, Method.NEAR_REPEAT,
        first=dt.date(2020, 1, 1), groups=["burglary"], permutations=199,
    )  # fmt: skip
    assert run.status == "done", run.error
    first_band = run.figures["knox"][0]["cells"][0]  # 0–99 m, 0–6 days
    assert first_band["ratio"] > 1 and first_band["p"] <= 0.05, first_band


def test_the_demo_hot_cells_persist_and_emerge(demo_municipality, analyst):
    """The demo plants persistent and emerging hot cells (DEMO-CITY.md, "Crime at places"): quarterly
    slices over six years find both kinds, and the cells of each category are as many as its count."""
    run = _run(
        demo_municipality, analyst, None, Method.EMERGING,
        first=dt.date(2020, 1, 1), last=dt.date(2025, 12, 31), time_step=91,
    )  # fmt: skip
    assert run.status == "done", run.error
    summary = run.figures["summary"]
    assert summary.get("persistent_hot", 0) + summary.get("intensifying_hot", 0) > 0, summary
    assert summary.get("new_hot", 0) + summary.get("consecutive_hot", 0) > 0, summary
    stored = pages.cells(run, raw=True)
    for key, n in summary.items():
        if key != "no_pattern":
            assert sum(1 for c in stored if c["category"] == key) == n, key


def test_crime_concentrates_on_few_places_in_the_demo(demo_municipality, analyst):
    """About half of the reports lie in about 5 % of the 100 m cells (DEMO-CITY.md); the places are the
    cells inside the municipality's outline, not the sea around it."""
    run = _run(demo_municipality, analyst, None, Method.CONCENTRATION, n_boot=199)
    assert run.status == "done", run.error
    top5 = next(t for t in run.figures["top"] if t["fraction"] == 0.05)
    assert 0.4 <= top5["share"] <= 0.9, top5
    assert top5["interval"][0] <= top5["share"] <= top5["interval"][1]
    whole = Area.objects.get(municipality=demo_municipality, kind=AreaKind.MUNICIPALITY)
    cells_in_outline = whole.polygon.area / 100**2
    assert abs(run.figures["places"] - cells_in_outline) <= 0.05 * cells_in_outline


def test_bad_input_gets_a_message_and_no_run(demo_municipality, analyst, hotspot_area, settings):
    settings.SPATIAL_MAX_CELLS = 1000
    with pytest.raises(SpatialInputError, match="flere end de 1.000"):
        _run(demo_municipality, analyst, hotspot_area, Method.GI_STAR, cell_size=10)
    settings.SPATIAL_MAX_CELLS = 2_000_000
    with pytest.raises(SpatialInputError, match="slutter før"):
        _run(demo_municipality, analyst, hotspot_area, Method.GI_STAR, first=LAST, last=FIRST)
    with pytest.raises(SpatialInputError, match="mindst tre perioder"):
        _run(
            demo_municipality, analyst, hotspot_area, Method.EMERGING,
            first=dt.date(2024, 12, 1), time_step=30,
        )  # fmt: skip
    with pytest.raises(SpatialInputError, match="mellem 10 og 5000"):
        _run(demo_municipality, analyst, hotspot_area, Method.GI_STAR, cell_size=5)
    assert not SpatialRun.objects.exists()


def test_a_grid_of_one_cell_fails_with_words(demo_municipality, analyst, hotspot_area):
    run = _run(demo_municipality, analyst, hotspot_area, Method.GI_STAR, cell_size=5000)
    assert run.status == "failed"
    assert "kun én celle" in pages.run_error(run)
    assert "values:" not in pages.run_error(run)


def test_a_period_without_reports_fails_with_words_not_a_trace(
    client, demo_municipality, analyst, hotspot_area
):
    run = _run(
        demo_municipality, analyst, hotspot_area, Method.GI_STAR,
        first=dt.date(2030, 1, 1), last=dt.date(2030, 6, 30),
    )  # fmt: skip
    assert run.status == "failed"
    client.force_login(analyst)
    page = client.get(run.get_absolute_url())
    assert page.status_code == 200
    error = page.context["error"]
    assert error and "Traceback" not in error and "values:" not in error
    assert 'id="run-error"' in page.content.decode()


def test_the_form_refuses_a_grid_too_large_with_the_numbers(
    client, demo_municipality, analyst, hotspot_area, settings
):
    settings.SPATIAL_MAX_CELLS = 500
    client.force_login(analyst)
    response = client.post(
        reverse("spatial:new"),
        {
            "method": "gi_star",
            "area": hotspot_area.pk,
            "first_day": "2024-01-01",
            "last_day": "2024-12-31",
            "cell_size": 10,
            "contiguity": "queen",
            "permutations": 0,
            "time_step": 7,
            "bandwidth": "scott",
            "distance_step": 100,
        },
    )
    assert response.status_code == 200
    assert "flere end de 500" in response.content.decode()
    assert not SpatialRun.objects.exists()


def test_a_new_run_through_the_form(client, demo_municipality, analyst, hotspot_area):
    client.force_login(analyst)
    form = client.get(reverse("spatial:new") + f"?area={hotspot_area.pk}")
    assert form.status_code == 200
    response = client.post(
        reverse("spatial:new"),
        {
            "method": "gi_star",
            "area": hotspot_area.pk,
            "first_day": "2024-01-01",
            "last_day": "2024-12-31",
            "offence_groups": ["violence", "theft"],
            "cell_size": 100,
            "contiguity": "rook",
            "permutations": 99,
            "fdr": "on",
            "time_step": 7,
            "bandwidth": "scott",
            "distance_step": 100,
        },
    )
    run = SpatialRun.objects.get()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert run.offence_groups == ["theft", "violence"]
    assert run.parameters["contiguity"] == "rook" and run.parameters["fdr"] is True
    assert "time_step" not in run.parameters  # only the method's own parameters are kept
    assert AuditEvent.objects.filter(object_type__icontains="spatialrun", action="create").exists()
    listing = client.get(reverse("spatial:list"))
    assert run.get_absolute_url() in listing.content.decode()


def test_the_dossier_shows_the_hot_cells_of_each_candidate(
    client, demo_municipality, analyst, coordinator, hotspot_area
):
    from hotspot.indices.actions import create_dossier
    from hotspot.indices.tests.factories import make_run

    index_run = make_run(demo_municipality)
    parent = hotspot_area.parent
    other = (
        Area.objects.filter(municipality=demo_municipality, kind=AreaKind.HOUSING)
        .exclude(pk=parent.pk)
        .first()
    )
    dossier = create_dossier(run=index_run, year=2025, areas=[parent, other], user=coordinator)
    client.force_login(coordinator)
    assert "dossier-hot-cells" not in client.get(dossier.get_absolute_url()).content.decode()
    spatial_run = _run(demo_municipality, analyst, None, Method.GI_STAR, permutations=0)
    assert spatial_run.status == "done", spatial_run.error
    page = client.get(dossier.get_absolute_url())
    section = next(s for s in page.context["sections"] if s["template"].startswith("spatial/"))
    row = next(r for r in section["rows"] if r["area"] == parent)
    expected = pages.hot_cells_near(spatial_run, parent.polygon)
    assert row["inside"] == expected["inside"] and row["inside"]["hot"] > 0
    assert 'id="dossier-hot-cells"' in page.content.decode()


def test_a_hot_cell_becomes_a_programme_place(client, demo_municipality, analyst, coordinator):
    from hotspot.programmes.models import Place, Programme

    programme = Programme.objects.filter(municipality=demo_municipality).first()
    area = programme.areas.exclude(geometry__isnull=True).first()
    run = _run(demo_municipality, analyst, area, Method.GI_STAR, permutations=0)
    hot = next(c for c in pages.cells(run, raw=True) if c["bin"] > 0 and c["inside"])
    client.force_login(coordinator)
    response = client.post(
        reverse("spatial:save_place", args=[run.pk]),
        {"programme": programme.pk, "row": hot["row"], "col": hot["col"], "kind": "police"},
    )
    assert response.status_code == 302
    place = Place.objects.get(programme=programme, source__contains=f" {run.pk},")
    assert (place.x, place.y) == Grid.of(run.figures["grid"]).centre(hot["row"], hot["col"])
    assert place.cell_size == 100 and place.kind == "police"
    # a cell that is not in the run is refused, nothing saved
    before = Place.objects.count()
    client.post(
        reverse("spatial:save_place", args=[run.pk]),
        {"programme": programme.pk, "row": 99999, "col": 0},
    )
    assert Place.objects.count() == before


def test_the_knox_table_downloads_with_small_pair_counts_hidden_from_partners(
    client, demo_municipality, analyst, partner, hotspot_area
):
    run = _run(demo_municipality, analyst, hotspot_area, Method.NEAR_REPEAT, permutations=99)
    observed = [c["observed"] for b in run.figures["knox"] for c in b["cells"]]
    client.force_login(partner)
    text = client.get(reverse("spatial:csv", args=[run.pk])).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:2] == ["afstand fra (m)", "afstand til (m, ikke medregnet)"]
    assert len(rows) == 1 + len(observed) == 17
    shown = [r[4] for r in rows[1:]]
    for n, cell in zip(observed, shown, strict=True):
        assert cell == (f"<{disclosure.min_cell()}" if 0 < n < disclosure.min_cell() else str(n))


def test_the_run_pages_ask_a_fixed_number_of_queries(
    client, demo_municipality, analyst, hotspot_area
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(analyst)
    client.get(reverse("help"))  # a first page starts the session's clock
    counts = []
    for k in (1, 4):
        while SpatialRun.objects.count() < k:
            _run(demo_municipality, analyst, hotspot_area, Method.GI_STAR, permutations=0)
        # the next page tells the analyst once that the runs are done (hotspot.notices)
        told = client.get(reverse("help"))
        assert "Den rumlige analyse" in told.content.decode()
        assert "Den rumlige analyse" not in client.get(reverse("help")).content.decode()
        with CaptureQueriesContext(connection) as listing:
            assert client.get(reverse("spatial:list")).status_code == 200
        run = SpatialRun.objects.order_by("-pk").first()
        with CaptureQueriesContext(connection) as detail:
            assert client.get(run.get_absolute_url()).status_code == 200
        counts.append((len(listing), len(detail)))
    assert counts[0] == counts[1], counts
    assert counts[0][0] <= 8 and counts[0][1] <= 10, counts


def test_a_new_municipality_without_areas_is_told_to_import_them(analyst):
    """An empty install (``create_municipality``, no data yet): the run is refused with the way
    forward, nothing queued; the form page opens."""
    from hotspot.accounts.models import Municipality

    empty = Municipality.objects.create(name="Nykøbing Tom", code="K9T")
    with pytest.raises(SpatialInputError, match="importér områderne først"):
        _run(empty, analyst, None, Method.GI_STAR)
    assert not SpatialRun.objects.filter(municipality=empty).exists()
