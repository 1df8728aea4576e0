"""What the platform exports imports again, and Danish column names: the alias tables of kinds.py."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hotspot.accounts.models import Municipality
from hotspot.areas.models import Area, AreaKind
from hotspot.imports.kinds import ADAPTERS, header_key
from hotspot.imports.models import ImportBatch, Status
from hotspot.incidents.models import CrimeReport


def _housing_area_with_reports(municipality, at_least=20):
    """The housing area with the fewest reports, but at least ``at_least`` (a short download)."""
    counted = sorted(
        (CrimeReport.objects.filter(area_id__in=a.tiling_descendant_ids()).count(), a.pk)
        for a in Area.objects.filter(municipality=municipality, kind=AreaKind.HOUSING)
    )
    return Area.objects.get(pk=next(pk for n, pk in counted if n >= at_least))


def _danish_download(client, settings, area):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "da"  # the download as a Danish user gets it
    response = client.get(reverse("areas:reports_csv", args=[area.pk]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0] == "anmeldelses-id;tidspunkt;gerningskode;forbrydelse;x;y;crs;mistænktes alder"
    return content, len(lines) - 1


@pytest.fixture
def reimported(client, settings, login, analyst, demo_municipality, load):
    """The area page's crime-report download (analyst: no small-cell rule), uploaded again as is."""
    area = _housing_area_with_reports(demo_municipality)
    login(analyst)
    content, rows = _danish_download(client, settings, area)
    before = CrimeReport.objects.filter(municipality=demo_municipality).count()
    batch = load("reports", "anmeldelser.csv", content, commit=True, user=analyst)
    after = CrimeReport.objects.filter(municipality=demo_municipality).count()
    return batch, rows, before, after


def test_the_area_download_imports_again_with_nothing_new(reimported):
    batch, rows, before, after = reimported
    assert batch.status == Status.COMMITTED, batch.error
    assert (batch.rows, batch.errors, batch.warnings, batch.rows_created) == (rows, 0, 0, 0)
    assert batch.rows_updated + batch.rows_unchanged == rows
    assert after == before


def test_the_area_download_imports_again_unchanged(reimported):
    batch, rows, _before, _after = reimported
    assert (batch.rows_updated, batch.rows_unchanged) == (0, rows)


def _report_to_copy(municipality):
    """A report in a housing area: its offence code, coordinates and area code for new rows."""
    area = _housing_area_with_reports(municipality)
    report = (
        CrimeReport.objects.filter(area_id__in=area.tiling_descendant_ids(), x__isnull=False)
        .select_related("offence", "area")
        .first()
    )
    return report


def test_a_file_with_danish_headers_imports_new_rows(load, analyst, demo_municipality):
    model = _report_to_copy(demo_municipality)
    code = model.offence.code
    # Upper and lower case, spaces around, æøå, written by Excel in Windows-1252.
    content = (
        f" Anmeldelses-ID ;TIDSPUNKT;Gerningskode;Forbrydelse;X;Y;Koordinatsystem;Område\n"
        f"DK-1;05.03.2024 14:30;{code};hvad som helst;{model.x:.2f};{model.y:.2f};EPSG:25832;\n"
        f"DK-2;2024-03-06 09:15;{code};;;;;{model.area.code}\n"
    ).encode("cp1252")
    batch = load("reports", "danske.csv", content, commit=True, user=analyst)
    assert batch.status == Status.COMMITTED, batch.error
    assert (batch.rows_created, batch.rows_updated, batch.rows_unchanged, batch.errors) == (
        2,
        0,
        0,
        0,
    )
    new = {r.external_id: r for r in CrimeReport.objects.filter(external_id__in=["DK-1", "DK-2"])}
    assert new["DK-1"].offence_id == new["DK-2"].offence_id == model.offence_id
    assert new["DK-1"].area_id == model.area_id and new["DK-2"].area_id == model.area_id
    assert new["DK-1"].x == pytest.approx(model.x, abs=0.005)  # centimetres, as given


def test_danish_population_headers_with_decomposed_letters(load, demo_municipality):
    area = Area.objects.filter(municipality=demo_municipality, kind=AreaKind.HOUSING).first()
    # "Område" as a Mac may write it (a + combining ring); ø has no decomposed form.
    header = "Omra\u030ade;År;Aldersgruppe;Køn;Antal\n"
    batch = load("population", "folketal.csv", header + f"{area.code};1990;0-9;K;7\n", commit=True)
    assert batch.status == Status.COMMITTED, batch.error
    assert batch.rows_created == 1


def test_an_unknown_column_is_still_refused_with_file_row_and_column(load):
    batch = load("reports", "farve.csv", "anmeldelses-id;tidspunkt;gerningskode;farve\nA;x;y;z\n")
    assert batch.status == Status.INVALID
    problem = batch.problems.get()
    assert (problem.row, problem.column) == (1, "farve")
    assert "farve.csv" in problem.reason and "unknown column farve" in problem.reason


def test_a_column_given_twice_under_two_names_is_refused(load):
    batch = load("reports", "to.csv", "id;anmeldelses-id;tidspunkt;gerningskode\nA;A;x;y\n")
    assert batch.status == Status.INVALID
    problem = batch.problems.get()
    assert problem.row == 1 and problem.column == "anmeldelses-id"
    assert "id / anmeldelses-id" in problem.reason and "more than once" in problem.reason


def test_problems_name_the_column_as_the_file_spells_it(load, demo_municipality):
    model = _report_to_copy(demo_municipality)
    batch = load(
        "reports",
        "stavning.csv",
        f"Anmeldelses-ID;Tidspunkt;Gerningskode;Områdekode\nS-1;i går;{model.offence.code};"
        f"{model.area.code}\n",
    )
    assert batch.status == Status.INVALID
    assert list(batch.problems.values_list("row", "column")) == [(2, "tidspunkt")]


def test_the_offence_name_column_is_read_only_beside_a_renamed_code():
    """'offence' beside 'offence code' (the English download) holds names; alone it is the code."""
    canonical = ADAPTERS["reports"].canonical
    assert canonical(["report id", "time", "offence code", "offence"]) == [
        "id",
        "occurred_at",
        "offence",
        None,
    ]
    assert canonical(["id", "occurred_at", "offence", "forbrydelse"]) == [
        "id",
        "occurred_at",
        "offence",
        "forbrydelse",  # unknown: refused, as any other unknown column
    ]


@pytest.mark.parametrize("kind", list(ADAPTERS))
def test_every_alias_names_a_column_of_its_kind_and_no_two_collide(kind):
    adapter = ADAPTERS[kind]
    columns = adapter.required + adapter.optional
    keys = {}
    for name, column in [*((c, c) for c in columns), *adapter.aliases.items()]:
        assert column in columns, f"{kind}: {name} -> {column}"
        assert keys.setdefault(header_key(name), column) == column, f"{kind}: {name} collides"


def test_header_key_is_case_space_and_danish_letter_insensitive():
    assert header_key("Anmeldelses-ID ") == header_key("anmeldelses id") == "anmeldelsesid"
    assert header_key("ÅR") == header_key("aar") == header_key("A\u030ar")
    assert header_key("Køn") == header_key("KOEN")
    assert header_key("occurred_at") == header_key("Occurred At")


# -- "Upload a corrected file" keeps the kind, source and options -----------------------------------


def _upload(client, content, name, kind, **extra):
    return client.post(
        reverse("imports:upload"),
        {"kind": kind, "file": SimpleUploadedFile(name, content.encode()), **extra},
    )


def _selected(page, name):
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="([^"]*)" selected>', select)


def test_upload_a_corrected_file_keeps_the_kind_and_the_source(login, analyst):
    client = login(analyst)
    _upload(
        client,
        "area,year,age_band,sex,count\nNOPE,1990,0-9,F,5\n",
        "folk.csv",
        "population",
        source="Kilde: Danmarks Statistik",
        licence="CC BY 4.0",
        sheet="Ark1",
    )
    batch = ImportBatch.objects.get(file_name="folk.csv")
    assert batch.status == Status.INVALID
    detail = client.get(batch.get_absolute_url()).content.decode()
    link = re.search(r'<a href="([^"]+)" id="upload-corrected"', detail).group(1)
    assert link == f"{reverse('imports:home')}?corrects={batch.pk}#upload-heading"
    page = client.get(link.split("#")[0]).content.decode()
    assert _selected(page, "kind") == ["population"]
    assert 'name="source" id="id_source" value="Kilde: Danmarks Statistik"' in page
    assert 'name="licence" id="id_licence" value="CC BY 4.0"' in page
    assert 'name="sheet" id="id_sheet" value="Ark1"' in page
    assert 'id="corrects"' in page
    # Without the parameter the form starts empty (its first kind).
    plain = client.get(reverse("imports:home")).content.decode()
    assert _selected(plain, "kind") == [] and 'id="corrects"' not in plain


def test_a_foreign_or_malformed_batch_fills_nothing(login, analyst):
    other = Municipality.objects.get(memberships__user__username="outsider")
    foreign = ImportBatch.objects.create(
        municipality=other,
        kind="population",
        file_name="x.csv",
        status="invalid",
        inputs_hash="0" * 64,
    )
    client = login(analyst)
    for value in (str(foreign.pk), "abc", "", "99999999999999999999"):
        page = client.get(reverse("imports:home"), {"corrects": value}).content.decode()
        assert 'id="corrects"' not in page and _selected(page, "kind") == [], value


def test_an_unknown_offence_code_links_to_the_catalogue(login, analyst):
    client = login(analyst)
    _upload(
        client,
        "id,occurred_at,offence,x,y,crs\nC-1,2020-01-01T10:00:00,NOPE,718715.04,6175581.34,EPSG:25832\n",
        "kode.csv",
        "reports",
    )
    batch = ImportBatch.objects.get(file_name="kode.csv")
    page = client.get(batch.get_absolute_url()).content.decode()
    catalogue = reverse("incidents:offences")
    assert f'href="{catalogue}" class="catalogue-link"' in page
    assert 'id="catalogue-link"' in page
    # A kind without offence codes has no such link.
    _upload(client, "area,year,age_band,sex,count\nNOPE,1990,0-9,F,5\n", "p.csv", "population")
    other = client.get(ImportBatch.objects.get(file_name="p.csv").get_absolute_url()).content
    assert catalogue.encode() not in other


def test_the_suspects_age_is_read_when_given_and_refused_with_its_row_when_not_an_age(
    load, analyst, demo_municipality
):
    """Issue 15 part 4: a programme's follow-up rule may take reports by the suspect's age band, so the
    report import reads the optional column (Danish header as the area download writes it)."""
    model = _report_to_copy(demo_municipality)
    code, area = model.offence.code, model.area.code
    good = (
        "Anmeldelses-id;Tidspunkt;Gerningskode;Område;Mistænktes alder\n"
        f"SA-1;2024-03-05 14:30;{code};{area};15\n"
        f"SA-2;2024-03-06 09:15;{code};{area};\n"
    )
    batch = load("reports", "alder.csv", good, commit=True, user=analyst)
    assert batch.status == Status.COMMITTED, batch.error
    ages = dict(
        CrimeReport.objects.filter(external_id__in=["SA-1", "SA-2"]).values_list(
            "external_id", "suspect_age"
        )
    )
    assert ages == {"SA-1": 15, "SA-2": None}  # an empty cell: no suspect known
    bad = (
        "Anmeldelses-id;Tidspunkt;Gerningskode;Område;Mistænktes alder\n"
        f"SA-3;2024-03-07 10:00;{code};{area};femten\n"
        f"SA-4;2024-03-07 11:00;{code};{area};130\n"
    )
    refused = load("reports", "forkert-alder.csv", bad)
    assert refused.status == Status.INVALID
    problems = refused.problems.filter(severity="error")
    assert sorted(p.row for p in problems) == [2, 3], [(p.row, p.column) for p in problems]
    assert {p.column.lower() for p in problems} <= {"suspect_age", "mistænktes alder"}
    assert not CrimeReport.objects.filter(external_id__in=["SA-3", "SA-4"]).exists()
