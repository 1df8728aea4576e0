"""Issue 13, part 2: the first-install path of docs/getting-started.md, walked with the sample files.

From an empty database (the suite's demo city removed inside the test's transaction, so the
database holds what ``migrate`` leaves and nothing else): ``create_municipality``, the administrator's
login, the catalogue entries the files need on the catalogue pages, every sample file of docs/examples/
uploaded, checked and imported through the Data pages, an index with all three pillars run through
the index pages, the § 61 a/b criteria on an area profile (first without the national values: the
convicted criterion is *unknown*, not *not met*), and a programme with one goal on a register
indicator and one on the safety index through the programme pages. The tasks run at once (the test
settings' ``ImmediateBackend``), as the task worker would run them. The walk is timed and the time
printed (``-s`` shows it).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import time
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"
GUIDE = ROOT / "docs" / "getting-started.md"
PASSWORD = "lang-sommer-ved-fjorden-7"

#: (file, kind of data, source) in the guide's order
FILES = (
    ("areas.geojson", "areas", "Eksempelkøbing, GIS-afdelingen"),
    ("population.csv", "population", "Danmarks Statistik (opdigtet)"),
    ("reports.csv", "reports", "Politiet, udtræk (opdigtet)"),
    ("charges.csv", "charges", "Politiet, udtræk (opdigtet)"),
    ("survey.csv", "survey", "Tryghedsundersøgelsen (opdigtet)"),
    ("registers.csv", "registers", "Danmarks Statistik (opdigtet)"),
)
NATIONAL = ("national.csv", "national", "Danmarks Statistik (opdigtet)")
DIRECTIONS = {"higher is worse": "-1", "higher is better": "1", "context only": "0"}


def _examples():
    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: Rows a freshly migrated database holds (migrations seed them); every other table is empty.
SEEDED = {
    "contenttypes.contenttype",
    "auth.permission",
    "incidents.offence",  # the default offence catalogue (incidents.0003_seed_offences)
    "programmes.corearea",  # the 2008 framework's core areas, shared by every municipality
    "programmes.coreareaelement",
    "audit.auditevent",  # append-only: rows cannot be deleted, not even here
}


def _empty_database():
    """Remove the suite's demo city and every shared catalogue entry it made (inside the test's
    transaction, which is rolled back), and check that only the migrations' rows are left."""
    from hotspot.accounts.models import Municipality, User
    from hotspot.incidents.actions import DEFAULT_OFFENCES
    from hotspot.incidents.models import Offence
    from hotspot.indicators.models import Indicator, NationalValue, StatbankResponse
    from hotspot.indices.models import SelectionDossier
    from hotspot.programmes.models import CoreArea
    from hotspot.surveys.models import SurveyItem

    SelectionDossier.objects.all().delete()  # its candidates protect the runs' areas
    Municipality.objects.all().delete()
    User.objects.all().delete()
    NationalValue.objects.all().delete()
    Indicator.objects.all().delete()
    SurveyItem.objects.all().delete()
    StatbankResponse.objects.all().delete()
    Offence.objects.exclude(code__in=[o[0] for o in DEFAULT_OFFENCES]).delete()
    CoreArea.objects.filter(municipality__isnull=False).delete()
    left = {
        m._meta.label_lower: m._base_manager.count()
        for m in apps.get_models()
        if m._meta.label_lower not in SEEDED and not m._meta.proxy and m._meta.managed
    }
    assert {k: n for k, n in left.items() if n} == {}
    assert Offence.objects.count() == len(DEFAULT_OFFENCES)


def _upload(client, name, kind, source):
    from hotspot.imports.models import ImportBatch

    body = (EXAMPLES / name).read_bytes()
    response = client.post(
        reverse("imports:upload"),
        {"kind": kind, "file": SimpleUploadedFile(name, body), "source": source},
    )
    batch = ImportBatch.objects.filter(file_name=name).latest("pk")
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    return batch


def _import(client, name, kind, source):
    """Upload → check (the task) → the batch page → import (the task) → imported."""
    from hotspot.imports.models import Status

    batch = _upload(client, name, kind, source)
    page = client.get(batch.get_absolute_url())
    assert page.status_code == 200
    problems = list(batch.problems.values_list("row", "column", "reason")[:10])
    assert batch.status == Status.READY, (name, batch.error, problems)
    assert batch.errors == 0 and batch.warnings == 0, (name, problems)
    response = client.post(reverse("imports:commit", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED, (name, batch.error)
    assert batch.rows_created == batch.rows > 0, name
    return batch


def _criterion(page, key):
    return next(c for c in page.context["criteria"].criteria if c.key == key)


def _criteria_row(html: str, label: str) -> str:
    table = html.split('id="table-criteria"', 1)[1].split("</table>", 1)[0]
    return next(row for row in table.split("<tr>") if label in row)


@pytest.mark.django_db
def test_first_install_with_the_sample_files(client, capsys, tmp_path):
    from hotspot.accounts.models import Membership, Municipality, User
    from hotspot.accounts.roles import Role
    from hotspot.areas.models import Area
    from hotspot.indicators.models import Indicator, IndicatorValue, NationalValue
    from hotspot.indices.models import IndexRun, SafetyIndex, SafetyScore, Status
    from hotspot.programmes.inputs import goal_status
    from hotspot.programmes.models import Goal, Programme
    from hotspot.surveys.models import SurveyItem

    examples = _examples()
    started = time.perf_counter()
    _empty_database()
    emptied = time.perf_counter()

    # 1. the municipality and its first administrator (the password from a file, as the guide says)
    secret = tmp_path / "anna.txt"
    secret.write_text(PASSWORD + "\n")
    call_command(
        "create_municipality", examples.CODE, examples.NAME, admin="anna",
        email="anna@eksempelkoebing.dk", password_file=str(secret), verbosity=0,
    )  # fmt: skip
    municipality = Municipality.objects.get(code=examples.CODE)

    # 2. the administrator logs in
    response = client.post(reverse("login"), {"username": "anna", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200

    # 3. the catalogue entries the files need, on the catalogue pages
    assert client.get(reverse("surveys:items")).status_code == 200
    for code, text_da, text_en, lo, hi in examples.SURVEY_ITEMS:
        response = client.post(
            reverse("surveys:item_new"),
            {"code": code, "text_da": text_da, "text_en": text_en, "scale_min": lo,
             "scale_max": hi},
        )  # fmt: skip
        assert response.status_code == 302, response.content.decode()[:3000]
    assert client.get(reverse("indicators:catalogue")).status_code == 200
    for code, name_da, name_en, unit, direction in examples.INDICATORS:
        response = client.post(
            reverse("indicators:indicator_new"),
            {"code": code, "name_da": name_da, "name_en": name_en, "unit": unit,
             "direction": DIRECTIONS[direction], "source": "Danmarks Statistik", "licence": ""},
        )  # fmt: skip
        assert response.status_code == 302, response.content.decode()[:3000]
    assert SurveyItem.objects.count() == len(examples.SURVEY_ITEMS)
    assert Indicator.objects.count() == len(examples.INDICATORS)

    # 4. every sample file through the Data pages (the national values come after the first look
    # at the criteria, below)
    assert client.get(reverse("imports:home")).status_code == 200
    batches = {name: _import(client, name, kind, source) for name, kind, source in FILES}
    assert batches["areas.geojson"].rows_created == len(examples.AREAS)
    assert Area.objects.filter(municipality=municipality).count() == len(examples.AREAS)

    # 5. an index with all three pillars, through the index pages
    response = client.post(
        reverse("indices:from_preset"),
        {"preset": "copenhagen", "name": "Tryghedsindeks", "reference_year": "2023",
         "area_set": "tiling", "survey_min_n": "20"},
    )  # fmt: skip
    definition = SafetyIndex.objects.get(municipality=municipality)
    assert response.status_code == 302 and response["Location"] == definition.get_absolute_url()
    response = client.post(reverse("indices:compute", args=[definition.pk]))
    run = IndexRun.objects.get(version__definition=definition)
    assert response["Location"] == run.get_absolute_url()
    assert run.status == Status.DONE, run.error
    assert client.get(run.get_absolute_url()).status_code == 200
    spec = run.version.spec
    assert {row["pillar"] for row in spec["indicators"]} == {
        "objective", "subjective", "socio_economic",
    }  # fmt: skip
    assert all(w > 0 for w in spec["pillar_weights"].values())
    scores = SafetyScore.objects.filter(run=run, year=2025)
    assert scores.count() == len(examples.TILING)
    for s in scores:
        assert None not in (s.score, s.objective, s.subjective, s.socio_economic), s.area.code
    ranking = client.get(reverse("indices:ranking", args=[run.pk]) + "?year=2025")
    worst = ranking.context["rows"][0]
    assert Area.objects.get(pk=worst["area_id"]).code == "B1"  # Kløverparken, as built

    # 6. the criteria on Kløverparken's profile: first without national values
    klover = Area.objects.get(municipality=municipality, code="B1")
    profile_url = reverse("indices:profile", args=[run.pk, klover.pk]) + "?year=2025"
    assert not NationalValue.objects.exists()
    page = client.get(profile_url)
    assert page.status_code == 200
    convicted = _criterion(page, "convicted")
    assert convicted.met is None and convicted.threshold is None  # unknown, never "not met"
    row = _criteria_row(page.content.decode(), "dømt efter straffeloven")
    assert "ukendt" in row and "Andel dømte på landsplan mangler for 2024" in row, row
    assert ">nej<" not in row
    assessment = page.context["assessment"]
    assert assessment.classification == "vulnerable"  # decided by the other criteria
    assert _criterion(page, "outside").met and _criterion(page, "income").met

    national = _import(client, *NATIONAL)
    assert national.rows_created == len(examples.NATIONAL_CONVICTED)
    assert NationalValue.objects.filter(batch=national).count() == len(examples.NATIONAL_CONVICTED)
    page = client.get(profile_url)
    convicted = _criterion(page, "convicted")
    assert convicted.met is True and convicted.threshold == pytest.approx(3 * (1.50 + 1.48) / 2)
    assert page.context["criteria"].n_met == 3
    assert page.context["assessment"].classification == "vulnerable"
    assert 'id="table-criteria"' in page.content.decode()
    hyben = Area.objects.get(municipality=municipality, code="B2")
    page = client.get(reverse("indices:profile", args=[run.pk, hyben.pk]) + "?year=2025")
    assert page.context["assessment"].classification == "prevention"

    # 7. a programme with two goals. The administrator manages users, not programmes: they add a
    # coordinator under Administration, who does it.
    response = client.post(
        reverse("member_new"),
        {"username": "kim", "email": "kim@eksempelkoebing.dk", "full_name": "Kim Sekretariat",
         "role": Role.COORDINATOR, "organisation": "", "password1": PASSWORD + "-kim",
         "password2": PASSWORD + "-kim"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    coordinator = User.objects.get(username="kim")
    assert (
        Membership.objects.get(user=coordinator, municipality=municipality).role == Role.COORDINATOR
    )
    client.force_login(coordinator)
    response = client.post(
        reverse("programmes:new"),
        {"name": "Hotspot Kløverparken", "areas": [klover.pk], "start": "2026-01-01",
         "end": "2029-12-31", "purpose_short": "Færre anmeldelser og større tryghed.",
         "purpose_long": "", "status": "draft", "approved_on": "", "approved_by": ""},
    )  # fmt: skip
    programme = Programme.objects.get(municipality=municipality)
    assert response.status_code == 302, response.content.decode()[:3000]
    outside = Indicator.objects.get(code="outside_labour_education")
    baseline = IndicatorValue.objects.get(indicator=outside, area=klover, year=2023).value
    response = client.post(
        reverse("programmes:goal_new", args=[programme.pk]),
        {"title": "Flere i arbejde eller uddannelse", "kind": "effect", "measure": "indicator",
         "indicator": outside.pk, "area": klover.pk, "unit": "%", "baseline_value": baseline,
         "baseline_date": "2023-12-31", "target_value": "40", "deadline": "2029-12-31"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    register_goal = Goal.objects.get(programme=programme, measure="indicator")
    status = goal_status(register_goal)
    latest = IndicatorValue.objects.get(indicator=outside, area=klover, year=2025).value
    assert status.current_date == dt.date(2025, 12, 31)
    assert status.current == pytest.approx(round(latest, 2))
    # The safety index: the goal follows the latest run's scores, with a milestone for 2025
    score = dict(SafetyScore.objects.filter(run=run, area=klover).values_list("year", "score"))
    response = client.post(
        reverse("programmes:goal_new", args=[programme.pk]),
        {"title": "Tryghedsindekset i Kløverparken", "kind": "effect", "measure": "safety_index",
         "index": definition.pk, "area": klover.pk, "unit": "score",
         "baseline_value": f"{score[2023]:.1f}", "baseline_date": "2023-12-31",
         "target_value": f"{score[2023] + 10:.1f}", "deadline": "2029-12-31",
         "milestones": f"2025: {score[2023] + 2:.1f}"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    index_goal = Goal.objects.get(programme=programme, measure="safety_index")
    status = goal_status(index_goal)
    assert status.current == pytest.approx(round(score[2025], 2)) and status.progress is not None
    assert status.milestone == pytest.approx(round(score[2023] + 2, 1))
    goals = client.get(reverse("programmes:goals", args=[programme.pk])).content.decode()
    assert register_goal.title in goals and index_goal.title in goals

    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(
            f"\nfirst install: {seconds:.1f} s for the whole path "
            f"({seconds - (emptied - started):.1f} s after emptying the database)"
        )


def test_the_sample_files_are_what_the_script_writes(tmp_path):
    """The committed files are make_examples.py's output (deterministic), small, and the guide's
    catalogue tables list exactly the entries the files need."""
    examples = _examples()
    counts = examples.write(tmp_path)
    for name, rows in counts.items():
        assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes(), name
        assert 0 < rows <= 500, name
    guide = GUIDE.read_text(encoding="utf-8")
    for code, *_rest in (*examples.SURVEY_ITEMS, *examples.INDICATORS):
        assert re.search(rf"\| `{re.escape(code)}` \|", guide), code
    for name, rows in counts.items():  # the guide's table of files says how many rows each has
        assert re.search(rf"\| `{re.escape(name)}` \| [^|]+ \| {rows} \|", guide), name
    assert "hotspot.demo" not in (EXAMPLES / "make_examples.py").read_text()
    assert "democity" not in (EXAMPLES / "make_examples.py").read_text().replace(
        "never the demo city", ""
    )
