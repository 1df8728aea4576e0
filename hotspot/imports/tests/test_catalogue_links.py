"""An import naming codes the catalogue lacks: the batch page lists them with a create link filled in
with the code, nothing is created by itself, and the same file passes once the code exists."""

import html

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hotspot.imports.models import ImportBatch, Status
from hotspot.indicators.models import Indicator
from hotspot.surveys.models import SurveyItem

SURVEY = (
    "respondent,year,area,weight,safety,tryg_nat,tryg_dag\n"
    "N-1,2020,{area},1.0,3,2,1\n"
    "N-2,2020,{area},1.5,6,5,4\n"
)


def _upload(client, content, name, kind):
    client.post(
        reverse("imports:upload"),
        {"kind": kind, "file": SimpleUploadedFile(name, content.encode()), "source": "Kommunen"},
    )
    return ImportBatch.objects.filter(file_name=name).latest("pk")


def _links(page):
    """{code: create address} of the batch page's unknown-code list."""
    import re

    found = re.findall(r'<a href="([^"]+)" class="create-code" data-code="([^"]+)"', page)
    return {code: html.unescape(url) for url, code in found}


def _area(municipality):
    from hotspot.areas.models import Area, AreaKind

    return Area.objects.filter(municipality=municipality, kind=AreaKind.HOUSING).first().code


def test_unknown_survey_items_get_create_links_and_pass_after(login, outsider, other_municipality):
    """Lillekommune (the small municipality, a user who imports there) brings its own survey."""
    client = login(outsider)
    body = SURVEY.format(area=_area(other_municipality))
    batch = _upload(client, body, "own-survey.csv", "survey")
    assert batch.status == Status.INVALID and batch.municipality == other_municipality
    page = client.get(batch.get_absolute_url()).content.decode()
    links = _links(page)
    assert set(links) == {"tryg_nat", "tryg_dag"}
    assert 'id="check-again"' in page
    assert not SurveyItem.objects.filter(code__in=links).exists()  # never a silent creation
    for code in ("tryg_nat", "tryg_dag"):
        url = links[code]
        assert url.startswith(reverse("surveys:item_new") + "?")
        form = client.get(url).content.decode()
        assert f'value="{code}"' in form and batch.get_absolute_url() in form
        response = client.post(
            url,
            {"code": code, "text_da": "Tryg?", "text_en": "Safe?", "scale_min": "1",
             "scale_max": "7", "next": batch.get_absolute_url()},
        )  # fmt: skip
        assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
        # the list shrinks with the catalogue
        remaining = _links(client.get(batch.get_absolute_url()).content.decode())
        assert code not in remaining
    again = _upload(client, body, "own-survey.csv", "survey")
    assert again.status == Status.READY, list(again.problems.values_list("reason", flat=True))
    assert 'id="unknown-codes"' not in client.get(again.get_absolute_url()).content.decode()


def test_unknown_indicator_codes_get_create_links(login, analyst, demo_municipality):
    client = login(analyst)
    area = _area(demo_municipality)
    body = (
        "område;år;indikatorkode;værdi\n"
        f"{area};2020;low_income;12.5\n{area};2021;low_income;11\n{area};2020;convicted;2\n"
    )
    batch = _upload(client, body, "reg.csv", "registers")
    assert batch.status == Status.INVALID
    links = _links(client.get(batch.get_absolute_url()).content.decode())
    assert list(links) == ["low_income"]  # once, although two rows name it; convicted is known
    assert links["low_income"].startswith(reverse("indicators:indicator_new") + "?code=low_income")
    response = client.post(
        links["low_income"],
        {"code": "low_income", "name_da": "Lavindkomst", "name_en": "Low income", "unit": "%",
         "direction": "-1", "source": "DST", "licence": "", "next": batch.get_absolute_url()},
    )  # fmt: skip
    assert response["Location"] == batch.get_absolute_url()
    assert Indicator.objects.filter(code="low_income").exists()
    assert _links(client.get(batch.get_absolute_url()).content.decode()) == {}
    again = _upload(client, body, "reg.csv", "registers")
    assert again.status == Status.READY


def test_other_problems_give_no_create_links(login, analyst, demo_municipality):
    client = login(analyst)
    body = f"respondent,year,area,weight,safety\nN-1,2020,{_area(demo_municipality)},-1,3\n"
    batch = _upload(client, body, "neg.csv", "survey")
    assert batch.status == Status.INVALID
    assert 'id="unknown-codes"' not in client.get(batch.get_absolute_url()).content.decode()


def test_data_page_links_the_catalogues(login, analyst):
    page = login(analyst).get(reverse("imports:home")).content.decode()
    assert f'href="{reverse("surveys:items")}" id="survey-items-link"' in page
    assert f'href="{reverse("indicators:catalogue")}" id="indicators-link"' in page
