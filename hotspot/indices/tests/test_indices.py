"""The indices app: inputs, reproducible runs, bad input, pages, sensitivity, dossier, export."""

import datetime as dt
import io

import numpy as np
import openpyxl
import pytest
import shapely
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

import safetystats
from hotspot.areas.models import Area, AreaKind, Population
from hotspot.audit.models import Action, AuditEvent
from hotspot.incidents.models import Charge, ReportCount
from hotspot.indicators.library_messages import message_for
from hotspot.indicators.models import IndicatorValue
from hotspot.indices import actions
from hotspot.indices import inputs as ix
from hotspot.indices.models import (
    Candidate,
    IndexRun,
    Need,
    SafetyIndex,
    SafetyScore,
    SelectionDossier,
    SensitivityValue,
    Status,
)
from hotspot.indices.tasks import compute_run, verify_run
from hotspot.indices.tests.factories import (
    MIN_N,
    cached_inputs,
    demo_spec,
    make_definition,
    make_run,
)

pytestmark = pytest.mark.django_db


def _area(code, municipality):
    return Area.objects.get(municipality=municipality, code=code)


# -- inputs -----------------------------------------------------------------------------------------
def test_report_rate_matches_the_counts(demo_municipality):
    spec = demo_spec()
    inputs = cached_inputs(demo_municipality.pk, spec)
    area = _area("D02-H1", demo_municipality)
    a = list(inputs.area_ids).index(area.pk)
    y = list(inputs.years).index(2015)
    k = inputs.codes.index("reports_violence")
    reports = ReportCount.objects.filter(area=area, year=2015, group="violence").aggregate(
        n=Sum("reports")
    )["n"]
    residents = Population.objects.filter(area=area, year=2015).aggregate(n=Sum("count"))["n"]
    assert reports > 0
    assert inputs.values[a, y, k] == pytest.approx(1000 * reports / residents, rel=1e-12)


def test_youth_charges_count_distinct_persons_by_residence(demo_municipality):
    inputs = cached_inputs(demo_municipality.pk, demo_spec())
    area = _area("D02-H1", demo_municipality)
    a = list(inputs.area_ids).index(area.pk)
    y = list(inputs.years).index(2012)
    persons = (
        Charge.objects.filter(area=area, charged_on__year=2012, age__gte=10, age__lte=17)
        .values("person_key")
        .distinct()
        .count()
    )
    youths = Population.objects.filter(
        area=area, year=2012, age_band__in=["10-14", "15-17"]
    ).aggregate(n=Sum("count"))["n"]
    charges = Charge.objects.filter(area=area, charged_on__year=2012, age__lte=17).count()
    assert persons > 0 and charges >= persons
    got = inputs.values[a, y, inputs.codes.index("youth_charged")]
    assert got == pytest.approx(1000 * persons / youths, rel=1e-12)


def test_missing_is_never_zero(demo_municipality):
    inputs = cached_inputs(demo_municipality.pk, demo_spec())
    k = inputs.codes.index("survey_unsafe")
    y2008 = list(inputs.years).index(2008)
    # no survey wave in 2008: missing, not 0
    assert np.isnan(inputs.values[:, y2008, k]).all()
    # suppressed cells (fewer than MIN_N respondents) are missing too, the rest are shares
    later = inputs.values[:, 1:, k]
    assert np.isnan(later).any() and (later[np.isfinite(later)] >= 0).all()
    high_min = ix.build_inputs(demo_municipality.pk, ["survey_unsafe"], survey_min_n=1000)
    assert np.isnan(high_min.values).all()


# -- runs: reproducible, pointing to version, inputs and library -----------------------------------
def test_run_stores_version_hash_and_library_and_recomputes_identically(demo_municipality):
    run = make_run(demo_municipality)
    assert run.status == Status.DONE, run.error
    assert len(run.inputs_hash) == 64 and run.method_version == safetystats.__version__
    assert run.library_versions["safetystats"] == safetystats.__version__
    assert run.status == Status.DONE and run.progress == 100 and run.finished_at is not None
    assert run.version.number == 1 and run.years[0] == 2008 and run.years[-1] == 2025
    n = SafetyScore.objects.filter(run=run).count()
    assert n == run.parameters["areas"] * len(run.years)
    ok, message = verify_run(run)
    assert ok and message == "identical"
    # a second run of the same version from the database gives the same hash and scores
    second = IndexRun.objects.create(version=run.version, status=Status.QUEUED)
    compute_run(second.pk)
    second.refresh_from_db()
    assert second.inputs_hash == run.inputs_hash
    a = list(SafetyScore.objects.filter(run=run).order_by("area", "year").values_list("score"))
    b = list(SafetyScore.objects.filter(run=second).order_by("area", "year").values_list("score"))
    assert a == b
    # changed data: the stored run no longer matches today's inputs, and says so
    value = IndicatorValue.objects.filter(
        area__municipality=demo_municipality, indicator__code="convicted", year=2020
    ).first()
    value.value += 1.0
    value.save()
    ok, message = verify_run(run)
    assert not ok and "inputs hash" in message


def test_scores_follow_the_library_and_flag_missing(demo_municipality):
    run = make_run(demo_municipality)
    scores = SafetyScore.objects.filter(run=run, year=2025)
    scored = scores.filter(score__isnull=False)
    assert scored.count() >= 20
    # copenhagen preset: 100 + 10 z, bands marked < 85 <= intensified < 95 <= ordinary
    for s in scored:
        expected = (
            "marked effort"
            if s.score < 85
            else ("intensified effort" if s.score < 95 else "ordinary effort")
        )
        assert s.band_label == expected
    # the two planted hotspots are among the least safe estates
    worst = list(scored.order_by("score").values_list("area__code", flat=True)[:6])
    assert {"D02-H1", "D08-H1"} & set(worst)
    # without survey data the subjective pillar is empty: no score, flagged, never a zero
    unscored = scores.filter(score__isnull=True)
    assert unscored.exists()
    assert all(s.subjective is None and s.n_missing > 0 for s in unscored)
    ranks = sorted(scored.values_list("rank", flat=True))
    assert ranks == list(range(1, scored.count() + 1))


def test_area_with_all_indicators_missing_is_flagged(demo_municipality):
    empty = Area(municipality=demo_municipality, code="D99-H9", name="Tomt", kind=AreaKind.HOUSING)
    empty.set_polygon(shapely.box(720000, 6175000, 720100, 6175100))
    empty.save()
    keep = {"reports_violence", "survey_unsafe", "reg_convicted"}
    # fresh inputs (a new area): these codes differ from the cached sets
    spec = demo_spec(indicators=[r for r in demo_spec()["indicators"] if r["code"] in keep])
    run = make_run(demo_municipality, spec=spec)
    s = SafetyScore.objects.get(run=run, area=empty, year=2020)
    assert s.no_data and s.score is None and s.n_missing == 3
    assert run.parameters["no_data_area_years"] >= len(run.years)


# -- bad input --------------------------------------------------------------------------------------
def _post_definition(client, **changes):
    catalogue = ix.catalogue()
    data = {
        "name": "Eget",
        "w_objective": "1/3",
        "w_subjective": "1/3",
        "w_socio_economic": "1/3",
        "normalisation": "z",
        "aggregation": "linear",
        "missing": "reweight",
        "reference_year": "2009",
        "area_set": "tiling",
        "scale_a": "100",
        "scale_b": "10",
        "clip": "",
        "band_cuts": "85; 95",
        "band_labels": "marked; intensified; ordinary",
        "survey_min_n": str(MIN_N),
        "divergence_threshold": "1",
    }
    for code, e in catalogue.items():
        data[f"pillar_{code}"] = e.pillar
        data[f"theme_{code}"] = e.theme
        data[f"dir_{code}"] = e.direction or ""
        data[f"weight_{code}"] = ""
        if e.default:
            data[f"use_{code}"] = "on"
    data.update(changes)
    return client.post(reverse("indices:definition_new"), data)


def test_own_definition_is_created(client, analyst):
    client.force_login(analyst)
    response = _post_definition(client)
    assert response.status_code == 302
    d = SafetyIndex.objects.get(name="Eget")
    assert d.current.spec["pillar_weights"]["objective"] == pytest.approx(1 / 3)
    assert AuditEvent.objects.filter(action=Action.CREATE, object_type="indices.safetyindex")


@pytest.mark.parametrize(
    "changes,needle",
    [
        ({"w_socio_economic": "0,5"}, "sum to 1"),
        ({"use_reg_non_western": "on", "dir_reg_non_western": ""}, "reg_non_western"),
        ({"dir_survey_unsafe": ""}, "direction"),
        ({"band_cuts": "95; 85"}, "increasing"),
        ({"weight_survey_unsafe": "0,7"}, "some but not all"),
        ({"w_objective": "en tredjedel"}, "expected a number"),
    ],
)
def test_bad_definitions_are_refused_with_a_reason(client, analyst, changes, needle):
    client.force_login(analyst)
    response = _post_definition(client, **changes)
    assert response.status_code == 200
    assert needle in response.content.decode()
    assert not SafetyIndex.objects.filter(name="Eget").exists()


def test_reference_year_without_data_fails_the_run_with_the_reason(
    client, analyst, demo_municipality
):
    run = make_run(demo_municipality, spec=demo_spec(reference_year=2008))
    assert run.status == Status.FAILED
    # the library's refusal in our words (hotspot.indicators.library_messages), not its English
    assert run.error == message_for("index.reference_year_no_data")
    client.force_login(analyst)
    page = client.get(reverse("indices:run", args=[run.pk]))
    assert page.status_code == 200 and escape(run.error) in page.content.decode()
    with pytest.raises(ValueError, match="reference year 2030 has no data"):
        ix.build_definition(demo_spec(reference_year=2030), list(range(2008, 2026)))


def test_geometric_mean_over_non_positive_values_fails_with_the_reason(demo_municipality):
    run = make_run(demo_municipality, spec=demo_spec(aggregation="geometric"))
    assert run.status == Status.FAILED
    assert run.error == message_for("index.geometric_not_positive")


# -- pages ------------------------------------------------------------------------------------------
def test_home_lists_definitions_and_offers_presets_to_analysts_only(
    client, analyst, partner, demo_municipality
):
    run = make_run(demo_municipality)
    client.force_login(analyst)
    page = client.get(reverse("indices:home")).content.decode()
    assert run.version.definition.name in page and 'id="preset-form"' in page
    client.force_login(partner)
    page = client.get(reverse("indices:home")).content.decode()
    assert run.version.definition.name in page and 'id="preset-form"' not in page


def test_from_preset_and_compute(client, analyst, demo_municipality):
    client.force_login(analyst)
    response = client.post(
        reverse("indices:from_preset"),
        {
            "preset": "rotterdam-2002",
            "reference_year": "2009",
            "area_set": "housing",
            "survey_min_n": "5",
        },
    )
    definition = SafetyIndex.objects.get(preset="rotterdam-2002")
    assert response["Location"] == definition.get_absolute_url()
    spec = definition.current.spec
    assert spec["pillar_weights"]["subjective"] == pytest.approx(2 / 3)
    assert spec["bands"]["labels"][0] == "unsafe" and spec["scale"]["clip"] == [1.0, 10.0]
    response = client.post(reverse("indices:compute", args=[definition.pk]))
    run = IndexRun.objects.get(version__definition=definition)
    assert response["Location"] == run.get_absolute_url()
    assert run.status == Status.DONE, run.error
    grades = SafetyScore.objects.filter(run=run, score__isnull=False).values_list(
        "score", flat=True
    )
    assert grades and all(1.0 <= g <= 10.0 for g in grades)
    assert SafetyScore.objects.filter(run=run).exclude(area__kind=AreaKind.HOUSING).count() == 0


def test_new_version_keeps_old_runs(client, analyst, demo_municipality):
    run = make_run(demo_municipality)
    definition = run.version.definition
    client.force_login(analyst)
    form = client.get(reverse("indices:definition_edit", args=[definition.pk]))
    assert form.status_code == 200
    data = {k: v for k, v in form.context["form"].initial.items() if v not in (None, False)}
    data = {k: ("on" if v is True else v) for k, v in data.items()}
    data["w_objective"], data["w_subjective"], data["w_socio_economic"] = "0,5", "0,5", "0"
    data["note"] = "felt safety counts more"
    response = client.post(reverse("indices:definition_edit", args=[definition.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert definition.versions.count() == 2
    assert definition.current.spec["pillar_weights"]["socio_economic"] == 0
    run.refresh_from_db()
    assert run.version.number == 1


def test_ranking_map_and_profile(client, partner, demo_municipality):
    run = make_run(demo_municipality)
    client.force_login(partner)
    page = client.get(reverse("indices:ranking", args=[run.pk]) + "?year=2025")
    assert page.status_code == 200
    rows = page.context["rows"]
    scores = [r["score"] for r in rows if r["score"] is not None]
    assert scores == sorted(scores)
    ref = dict(SafetyScore.objects.filter(run=run, year=2009).values_list("area_id", "score"))
    first = rows[0]
    if ref.get(first["area_id"]) is not None:
        assert first["change"] == pytest.approx(first["score"] - ref[first["area_id"]])
    assert 'name="candidates"' not in page.content.decode()  # partners cannot start a dossier
    assert any(r["divergence_label"] for r in rows)  # the demo has areas where the two diverge
    geo = client.get(reverse("indices:geojson", args=[run.pk]) + "?year=2025").json()
    assert len(geo["features"]) == run.parameters["areas"]
    lon, lat = geo["features"][0]["geometry"]["coordinates"][0][0][:2]
    assert 11 < lon < 13.5 and 54.5 < lat < 56.5
    worst = rows[0]["area_id"]
    profile = client.get(reverse("indices:profile", args=[run.pk, worst]) + "?year=2025")
    html = profile.content.decode()
    assert profile.status_code == 200
    assert 'id="table-indicators"' in html and 'id="table-survey"' in html
    assert 'id="table-criteria"' in html and profile.context["assessment"] is not None
    assert len(profile.context["indicator_rows"]) == len(run.parameters["indicators"])


def test_ranking_and_home_read_no_stored_inputs_and_a_fixed_number_of_queries(
    client, coordinator, demo_municipality
):
    run = make_run(demo_municipality)
    client.force_login(coordinator)
    client.get(reverse("help"))  # a first page starts the session's clock (one session write)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("indices:ranking", args=[run.pk]) + "?year=2025")
    assert page.status_code == 200 and page.context["rows"]
    # the stored input array (megabytes for a large municipality) is not read to show the ranking
    assert not [q for q in queries if '"inputs"' in q["sql"]]
    # session, user, membership, finished-work notices (one query, hotspot/notices.py) and the page
    assert len(queries) <= 9, "\n".join(q["sql"][:150] for q in queries)
    counts = []
    for k in range(3):
        make_definition(demo_municipality, name=f"Indeks {k}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("indices:home")).status_code == 200
        assert not [q for q in queries if '"inputs"' in q["sql"]]
        counts.append(len(queries))
    assert counts[0] == counts[-1], counts  # was one more query per definition


def test_pages_fall_back_on_a_bad_year_page_or_rule_set(client, partner, demo_municipality):
    run = make_run(demo_municipality)
    client.force_login(partner)
    ranking = client.get(reverse("indices:ranking", args=[run.pk]) + "?year=abc&page=x")
    assert ranking.status_code == 200 and ranking.context["year"] == run.years[-1]
    assert ranking.context["page"].number == 1
    area = ranking.context["rows"][0]["area_id"]
    url = reverse("indices:profile", args=[run.pk, area])
    profile = client.get(url + "?year=1900&rules=1066")
    assert profile.status_code == 200
    assert profile.context["year"] == run.years[-1] and profile.context["rules"] == "2018"


def test_profile_of_an_area_outside_the_run_is_404(client, partner, demo_municipality):
    run = make_run(demo_municipality)
    district = Area.objects.filter(municipality=demo_municipality, kind=AreaKind.DISTRICT).first()
    client.force_login(partner)
    assert client.get(reverse("indices:profile", args=[run.pk, district.pk])).status_code == 404


def test_sensitivity_gives_rank_intervals_and_is_reproducible(client, analyst, demo_municipality):
    run = make_run(demo_municipality)
    client.force_login(analyst)
    params = {
        "year": "2025",
        "draws": "200",
        "concentration": "20",
        "normalisations": ["z", "rank"],
        "seed": "7",
    }
    response = client.post(reverse("indices:sensitivity", args=[run.pk]), params)
    assert response.status_code == 302
    sens = run.sensitivity_runs.get()
    assert sens.status == Status.DONE, sens.error
    values = SensitivityValue.objects.filter(sensitivity=sens, rank__isnull=False)
    assert (
        values.count()
        == SafetyScore.objects.filter(run=run, year=2025, score__isnull=False).count()
    )
    for v in values:
        assert v.rank_low <= v.rank_median <= v.rank_high and 0 <= v.band_change_share <= 1
    assert any(v.rank_high > v.rank_low for v in values)
    client.post(reverse("indices:sensitivity", args=[run.pk]), params)
    again = run.sensitivity_runs.order_by("-pk").first()

    def pairs(s):
        return sorted(
            SensitivityValue.objects.filter(sensitivity=s).values_list(
                "area_id", "rank_low", "rank_high", "band_change_share"
            )
        )

    assert pairs(again) == pairs(sens)
    ranking = client.get(reverse("indices:ranking", args=[run.pk]) + "?year=2025")
    assert any(r["interval"] for r in ranking.context["rows"])
    page = client.get(reverse("indices:sensitivity", args=[run.pk]) + "?year=2025")
    assert 'id="sensitivity-table"' in page.content.decode()


def test_partner_cannot_run_sensitivity(client, partner, demo_municipality):
    run = make_run(demo_municipality)
    client.force_login(partner)
    response = client.post(reverse("indices:sensitivity", args=[run.pk]), {"year": "2025"})
    assert response.status_code == 403
    assert not run.sensitivity_runs.exists()


# -- dossier ----------------------------------------------------------------------------------------
def _two_worst(run, year=2025):
    return list(
        SafetyScore.objects.filter(run=run, year=year, score__isnull=False)
        .order_by("score")
        .values_list("area_id", flat=True)[:2]
    )


def test_dossier_decision_creates_hotspot_areas(client, coordinator, demo_municipality):
    run = make_run(demo_municipality)
    ids = _two_worst(run)
    hotspots_before = Area.objects.filter(kind=AreaKind.HOTSPOT).count()
    client.force_login(coordinator)
    response = client.post(
        reverse("indices:dossier_new", args=[run.pk]), {"year": "2025", "candidates": ids}
    )
    dossier = SelectionDossier.objects.get(run=run)  # the demo has a dossier of its own
    assert response["Location"] == dossier.get_absolute_url()
    page = client.get(dossier.get_absolute_url())
    html = page.content.decode()
    for a in Area.objects.filter(pk__in=ids):
        assert a.name in html
    assert len(page.context["columns"]) == 2 and "<svg" in html
    # too short a rationale: refused, nothing created
    bad = client.post(
        reverse("indices:dossier_decide", args=[dossier.pk]),
        {"selected": [ids[0]], "rationale": "fordi", "valid_from": "2026-01-01"},
    )
    assert bad.status_code == 400
    assert Area.objects.filter(kind=AreaKind.HOTSPOT).count() == hotspots_before
    rationale = "Laveste indeks to år i træk, og flest utrygge beboere blandt kandidaterne."
    # a selected area without its level of need: refused, nothing created
    bad = client.post(
        reverse("indices:dossier_decide", args=[dossier.pk]),
        {"selected": [ids[0]], "rationale": rationale, "valid_from": "2026-01-01"},
    )
    assert bad.status_code == 400 and "Choose the level of need" in bad.content.decode()
    assert Area.objects.filter(kind=AreaKind.HOTSPOT).count() == hotspots_before
    ok = client.post(
        reverse("indices:dossier_decide", args=[dossier.pk]),
        {
            "selected": [ids[0]],
            f"need_{ids[0]}": "marked",
            "rationale": rationale,
            "valid_from": "2026-01-01",
        },
    )
    assert ok.status_code == 302
    dossier.refresh_from_db()
    assert dossier.decided_by == coordinator and dossier.rationale == rationale
    chosen = Candidate.objects.get(dossier=dossier, area_id=ids[0])
    hotspot = chosen.hotspot
    parent = Area.objects.get(pk=ids[0])
    assert hotspot.kind == AreaKind.HOTSPOT and hotspot.parent == parent
    assert hotspot.name == f"Hotspot {parent.name}"
    assert hotspot.valid_from == dt.date(2026, 1, 1)
    assert shapely.equals(hotspot.polygon, parent.polygon)
    assert hotspot.tiling_descendant_ids() == [parent.pk]
    assert not Candidate.objects.get(dossier=dossier, area_id=ids[1]).selected
    assert AuditEvent.objects.filter(
        action=Action.UPDATE, object_type="indices.selectiondossier", object_id=str(dossier.pk)
    ).exists()
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_type="areas.area", object_id=str(hotspot.pk)
    ).exists()
    # decided is final
    again = client.post(
        reverse("indices:dossier_decide", args=[dossier.pk]),
        {"selected": [ids[1]], "rationale": rationale, "valid_from": "2026-01-01"},
    )
    assert again.status_code == 400
    assert Area.objects.filter(kind=AreaKind.HOTSPOT).count() == hotspots_before + 1
    pdf = client.get(reverse("indices:dossier_pdf", args=[dossier.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_norrebro_case_district_hotspots_with_need_and_a_rode(
    client, coordinator, demo_municipality
):
    """Copenhagen 2011: a district-level index places two hotspots, "Indre Nørrebro (distrikt 8)" with a
    marked need and "Ydre Nørrebro (distrikt 12 inklusiv rode 157)" with an intensified one."""
    run = make_run(demo_municipality, spec=demo_spec(area_set="district"))
    worst = list(
        SafetyScore.objects.filter(run=run, year=2025, score__isnull=False)
        .order_by("score")
        .values_list("area_id", flat=True)[:2]
    )
    inner, outer = Area.objects.get(pk=worst[0]), Area.objects.get(pk=worst[1])
    assert inner.kind == outer.kind == AreaKind.DISTRICT
    rode = (
        Area.objects.filter(municipality=demo_municipality, kind=AreaKind.RODE)
        .exclude(parent=outer)
        .order_by("code")
        .first()
    )
    client.force_login(coordinator)
    client.post(
        reverse("indices:dossier_new", args=[run.pk]), {"year": "2025", "candidates": worst}
    )
    dossier = SelectionDossier.objects.filter(run=run).get()
    page = client.get(dossier.get_absolute_url()).content.decode()
    assert f'name="need_{inner.pk}"' in page and f'name="with_{outer.pk}"' in page
    response = client.post(
        reverse("indices:dossier_decide", args=[dossier.pk]),
        {
            "selected": worst,
            f"need_{inner.pk}": "marked",
            f"need_{outer.pk}": "intensified",
            f"with_{outer.pk}": [rode.pk],
            "rationale": "Tryghedsindekset 2025 viser behov for en markant og en intensiveret indsats.",
            "valid_from": "2026-01-01",
        },
    )
    assert response.status_code == 302
    a = Candidate.objects.get(dossier=dossier, area=inner)
    b = Candidate.objects.get(dossier=dossier, area=outer)
    assert (a.need, b.need) == ("marked", "intensified")
    assert a.need_band == SafetyScore.objects.get(run=run, area=inner, year=2025).band_label
    assert sorted(b.hotspot.tiling_descendant_ids()) == sorted(
        [*outer.tiling_descendant_ids(), rode.pk]
    )
    assert set(b.hotspot.members.all()) == {outer, rode}
    assert a.hotspot.tiling_descendant_ids() == inner.tiling_descendant_ids()
    # a foreign area cannot be slipped in: the choices are the municipality's own areas
    decided = client.get(dossier.get_absolute_url()).content.decode()
    assert str(Need.MARKED.label).lower() in decided
    # the programme of the two hotspots shows each one's need, and its goals read both together
    from hotspot.programmes.models import Programme

    programme = Programme.objects.create(
        municipality=demo_municipality, name="Nørrebro", start=dt.date(2026, 1, 1),
        end=dt.date(2029, 12, 31),
    )  # fmt: skip
    programme.areas.set([a.hotspot, b.hotspot])
    assert [(x, str(n)) for x, n in programme.areas_with_need()] == sorted(
        [(a.hotspot, str(Need.MARKED.label)), (b.hotspot, str(Need.INTENSIFIED.label))],
        key=lambda p: p[0].code,
    )
    page = client.get(reverse("programmes:detail", args=[programme.pk])).content.decode()
    assert str(Need.INTENSIFIED.label).lower() in page


def test_dossier_page_queries_do_not_grow_with_the_candidates(
    client, coordinator, demo_municipality
):
    run = make_run(demo_municipality)
    ids = list(
        SafetyScore.objects.filter(run=run, year=2025, score__isnull=False)
        .order_by("score")
        .values_list("area_id", flat=True)[:6]
    )
    client.force_login(coordinator)
    client.get(reverse("help"))  # a first page starts the session's clock (one session write)
    counts = []
    for k in (2, 6):
        areas = sorted(Area.objects.filter(pk__in=ids[:k]), key=lambda a: ids.index(a.pk))
        dossier = actions.create_dossier(run=run, year=2025, areas=areas, user=coordinator)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(dossier.get_absolute_url())
        assert page.status_code == 200 and len(page.context["columns"]) == k
        assert all(col["assessment"] is not None for col in page.context["columns"])
        counts.append(len(queries))
    # criteria, survey shares and scores are read for all candidates at once (was 8 + 4 per candidate)
    # 16: with the finished-work notices' one query, the decision form's bands and areas (one each)
    # and the two felt-safety measures of the survey tally (one each); 17: the spatial app's hot-cell
    # section asks once for the newest hot-spot runs
    assert counts[0] == counts[1] <= 17, counts


def test_batched_area_profile_matches_one_area_at_a_time(demo_municipality):
    areas = list(Area.objects.filter(municipality=demo_municipality).order_by("code")[:40])
    district = Area.objects.filter(municipality=demo_municipality, kind=AreaKind.DISTRICT).first()
    areas.append(district)  # a composite area: residents summed over its tiling areas
    histories = ix.criteria_histories(areas)
    shares = ix.survey_shares_for_areas(areas, min_n=MIN_N)
    for a in areas:
        assert histories[a.pk] == ix.criteria_histories([a])[a.pk]
        assert shares[a.pk] == ix.survey_shares_for_areas([a], min_n=MIN_N)[a.pk]
    ids = district.tiling_descendant_ids()
    residents = Population.objects.filter(area_id__in=ids, year=2025).aggregate(n=Sum("count"))
    assert histories[district.pk][2025].residents == residents["n"]


def test_hotspot_code_does_not_clash_with_existing_hotspots(coordinator, demo_municipality):
    run = make_run(demo_municipality)
    parent = _area("D02-H1", demo_municipality)  # the demo already has HS-D02-H1
    other = _area("D01-R1", demo_municipality)
    dossier = actions.create_dossier(run=run, year=2025, areas=[parent, other], user=coordinator)
    actions.decide_dossier(
        dossier=dossier,
        user=coordinator,
        selected_area_ids=[parent.pk],
        rationale="Planlagt udvidelse af den eksisterende indsats i området.",
        valid_from=dt.date(2026, 3, 1),
    )
    assert Candidate.objects.get(dossier=dossier, area=parent).hotspot.code == "HS-D02-H1-2026"


def test_dossier_needs_two_candidates_and_the_coordinator(
    client, coordinator, analyst, demo_municipality
):
    run = make_run(demo_municipality)
    ids = _two_worst(run)
    client.force_login(analyst)
    assert (
        client.post(reverse("indices:dossier_new", args=[run.pk]), {"candidates": ids}).status_code
        == 403
    )
    client.force_login(coordinator)
    response = client.post(reverse("indices:dossier_new", args=[run.pk]), {"candidates": ids[:1]})
    assert response.status_code == 302 and not SelectionDossier.objects.filter(run=run).exists()


def test_foreign_candidates_are_ignored(client, coordinator, demo_municipality, other_municipality):
    run = make_run(demo_municipality)
    foreign = list(
        Area.objects.filter(municipality=other_municipality).values_list("pk", flat=True)[:2]
    )
    client.force_login(coordinator)
    client.post(
        reverse("indices:dossier_new", args=[run.pk]),
        {"candidates": [*foreign, _two_worst(run)[0]]},
    )
    assert not SelectionDossier.objects.filter(run=run).exists()


# -- export -----------------------------------------------------------------------------------------
def test_export_csv_and_xlsx_are_audited(client, partner, demo_municipality):
    run = make_run(demo_municipality)
    client.force_login(partner)
    response = client.get(reverse("indices:export", args=[run.pk, "csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 1 + SafetyScore.objects.filter(run=run).count()
    assert "survey_unsafe" in lines[0] and "reports_violence" in lines[0]
    event = AuditEvent.objects.filter(action=Action.EXPORT, object_id=str(run.pk)).get()
    assert event.count == len(lines) - 1 and event.actor == partner
    # the shared Danish CSV: semicolons, decimal comma; rows by area code and year
    stored = SafetyScore.objects.filter(run=run).order_by("area__code", "year")
    exported = [line.split(";") for line in lines[1:]]
    assert [(c[0], int(c[2])) for c in exported] == [(s.area.code, s.year) for s in stored]
    assert [None if c[3] == "" else float(c[3].replace(",", ".")) for c in exported] == [
        None if s.score is None else pytest.approx(s.score, abs=0.005) for s in stored
    ]
    xlsx = client.get(reverse("indices:export", args=[run.pk, "xlsx"]))
    assert xlsx.content[:2] == b"PK"
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    scores, method = book.worksheets
    assert sum(1 for _row in scores.iter_rows()) == len(lines)
    assert dict(method.iter_rows(values_only=True))["inputs_hash"] == run.inputs_hash
    assert AuditEvent.objects.filter(action=Action.EXPORT, object_id=str(run.pk)).count() == 2
    assert client.get(reverse("indices:export", args=[run.pk, "pdf"])).status_code == 404


# -- divergence -------------------------------------------------------------------------------------
def test_divergence_in_reference_sds():
    from safetystats import index as sx

    d = sx.IndexDefinition(
        indicators=(
            sx.Indicator("reports", "bad", "crime", "objective"),
            sx.Indicator("unsafe", "bad", "felt", "subjective"),
        ),
        pillar_weights={"objective": 0.5, "subjective": 0.5},
    )
    # area 0: few reports but many feel unsafe -> positive divergence (feels less safe than measured)
    v = np.array([[[10.0, 0.4]], [[20.0, 0.2]], [[30.0, 0.1]], [[20.0, 0.2]]])
    result = sx.compute(v, d)
    div = ix.divergence(result, d)
    assert div[0, 0] > 1 and div[2, 0] < 0
    assert div[1, 0] == pytest.approx(div[3, 0])


def test_a_run_reports_its_progress_while_it_reads_its_inputs(demo_municipality, monkeypatch):
    """Issue 14 item 7: the progress bar stayed at 0 for the whole minute of reading the inputs."""
    from hotspot import computations
    from hotspot.indices import tasks
    from hotspot.indices.tests.factories import make_definition

    seen = []
    real = computations.set_progress

    def spy(obj, progress, **kw):
        seen.append(int(progress))
        return real(obj, progress, **kw)

    monkeypatch.setattr(computations, "set_progress", spy)
    definition = make_definition(demo_municipality)
    run = IndexRun.objects.create(version=definition.current)
    assert tasks.compute_run(run.pk) == Status.DONE
    reading = [p for p in seen if 5 <= p <= 40]
    assert len(set(reading)) >= 4, seen  # several steps while the inputs are read, not one jump
    assert seen == sorted(seen) and seen[-1] < 100  # finish() sets 100
    run.refresh_from_db()
    assert run.progress == 100


def test_a_composed_hotspot_has_the_population_weighted_score_of_its_members(demo_municipality):
    """indices.inputs.unit_scores: an area the index did not score, made of two it did, has their
    residents-weighted mean score, checked by hand from the stored scores and residents."""
    from hotspot.areas.actions import compose_area

    run = make_run(demo_municipality)
    a, b = (
        Area.objects.get(pk=pk)
        for pk in SafetyScore.objects.filter(run=run, year=2025, score__isnull=False)
        .order_by("score")
        .values_list("area_id", flat=True)[:2]
    )
    hotspot = Area.objects.create(
        municipality=demo_municipality, code="HS-SAMLET", name="Samlet", kind=AreaKind.HOTSPOT
    )
    compose_area(hotspot, [a, b])
    values, present = ix.unit_scores(run, {"h": hotspot, "a": a}, [2025])
    score = {s.area_id: s.score for s in SafetyScore.objects.filter(run=run, year=2025)}
    pop = {
        x.pk: Population.objects.filter(area=x, year=2025).aggregate(n=Sum("count"))["n"]
        for x in (a, b)
    }
    expected = (score[a.pk] * pop[a.pk] + score[b.pk] * pop[b.pk]) / (pop[a.pk] + pop[b.pk])
    assert present.all()
    assert values[0, 0] == pytest.approx(expected, rel=1e-12)
    assert values[1, 0] == pytest.approx(score[a.pk], rel=1e-12)  # a scored area: its own score
