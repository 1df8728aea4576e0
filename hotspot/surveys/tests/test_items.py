"""The survey item catalogue through its pages: create, change, refusals, audit rows."""

import pytest
from django.urls import reverse

from hotspot.audit.models import AuditEvent
from hotspot.surveys import actions
from hotspot.surveys.models import SurveyItem

NEW = {"code": "tryg_nat", "text_da": "Tryg om natten?", "text_en": "Safe at night?",
       "scale_min": "1", "scale_max": "5"}  # fmt: skip


@pytest.fixture(autouse=True)
def _english(english):
    yield


def _audit(action, item):
    return AuditEvent.objects.filter(
        action=action, object_type="surveys.surveyitem", object_id=str(item.pk)
    )


def test_list_shows_items_with_use(login, analyst):
    page = login(analyst).get(reverse("surveys:items")).content.decode()
    assert 'id="item-safety"' in page and reverse("surveys:item_new") in page


def test_create_writes_item_and_audit_row(login, analyst):
    client = login(analyst)
    response = client.post(reverse("surveys:item_new"), NEW)
    assert response.status_code == 302 and response["Location"] == reverse("surveys:items")
    item = SurveyItem.objects.get(code="tryg_nat")
    assert (item.scale_min, item.scale_max, item.text_da) == (1, 5, "Tryg om natten?")
    row = _audit("create", item).get()
    assert row.actor == analyst and "code" in row.fields and "scale_max" in row.fields


def test_create_is_prefilled_and_returns_to_next(login, analyst):
    client = login(analyst)
    page = client.get(reverse("surveys:item_new") + "?code=tryg_nat&next=/data/7/").content.decode()
    assert 'value="tryg_nat"' in page and 'name="next" value="/data/7/"' in page
    response = client.post(reverse("surveys:item_new"), {**NEW, "next": "/data/7/"})
    assert response["Location"] == "/data/7/"
    # a next address off the site is not followed
    response = client.post(
        reverse("surveys:item_new"), {**NEW, "code": "other", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("surveys:items")


@pytest.mark.parametrize(
    "change,field,words",
    [
        ({"code": "Tryg Nat"}, "code", "lower-case letters"),
        ({"code": "safety"}, "code", "already"),
        ({"scale_max": "1"}, "scale_max", "above the lowest answer"),
        ({"scale_min": "x"}, "scale_min", "whole number"),
        ({"text_da": ""}, "text_da", "required"),
    ],
)
def test_bad_input_names_the_field(login, analyst, change, field, words):
    response = login(analyst).post(reverse("surveys:item_new"), {**NEW, **change})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and words in " ".join(errors[field])
    assert f'id="id_{field}-error"' in response.content.decode()
    assert not SurveyItem.objects.filter(code=NEW["code"]).exists()


def test_change_writes_changed_fields_only(login, analyst):
    item = SurveyItem.objects.create(
        code="spare", text_da="a", text_en="a", scale_min=0, scale_max=1
    )
    client = login(analyst)
    data = {"code": "spare", "text_da": "b", "text_en": "a", "scale_min": "0", "scale_max": "1"}
    assert client.post(reverse("surveys:item_edit", args=[item.pk]), data).status_code == 302
    item.refresh_from_db()
    assert item.text_da == "b"
    assert _audit("update", item).get().fields == ["text_da"]
    # unchanged: no audit row; an unused item's code may still change
    client.post(reverse("surveys:item_edit", args=[item.pk]), data)
    assert _audit("update", item).count() == 1
    client.post(reverse("surveys:item_edit", args=[item.pk]), {**data, "code": "spare2"})
    item.refresh_from_db()
    assert item.code == "spare2" and _audit("update", item).count() == 2


def test_code_of_an_item_with_answers_is_refused(login, analyst):
    item = SurveyItem.objects.get(code="safety")  # the demo city's answers use it
    assert actions.item_in_use(item)
    data = {"code": "tryghed", "text_da": item.text_da, "text_en": item.text_en,
            "scale_min": item.scale_min, "scale_max": item.scale_max}  # fmt: skip
    response = login(analyst).post(reverse("surveys:item_edit", args=[item.pk]), data)
    assert response.status_code == 200
    message = " ".join(response.context["form"].errors["code"])
    assert "code: answers to safety are stored under this code" in message
    item.refresh_from_db()
    assert item.code == "safety" and not _audit("update", item).exists()
    assert (
        "safety" in response.content.decode()
    )  # the page names the stored item, not the typed code


def test_scale_must_keep_the_stored_answers(login, analyst):
    item = SurveyItem.objects.get(code="safety")  # answers 1–7 are stored
    data = {"code": "safety", "text_da": item.text_da, "text_en": item.text_en,
            "scale_min": "1", "scale_max": "5"}  # fmt: skip
    response = login(analyst).post(reverse("surveys:item_edit", args=[item.pk]), data)
    assert response.status_code == 200
    assert "stored answers to safety run from 1 to 7" in " ".join(
        response.context["form"].errors["scale_max"]
    )
    item.refresh_from_db()
    assert item.scale_max == 7
    # widening keeps every answer: allowed
    data["scale_max"] = "9"
    assert (
        login(analyst).post(reverse("surveys:item_edit", args=[item.pk]), data).status_code == 302
    )
    item.refresh_from_db()
    assert item.scale_max == 9


def test_item_used_only_by_answers_counts_as_used(demo_municipality):
    """An answer under the code marks the item used even before a tally is built."""
    from hotspot.areas.models import Area
    from hotspot.surveys.models import SurveyResponse, SurveyWave

    item = SurveyItem.objects.create(
        code="fresh", text_da="a", text_en="a", scale_min=0, scale_max=1
    )
    assert not actions.item_in_use(item)
    wave = SurveyWave.objects.create(municipality=demo_municipality, year=2031, name="x")
    area = Area.objects.filter(municipality=demo_municipality).first()
    SurveyResponse.objects.create(
        wave=wave, respondent="r", area=area, weight=1, answers={"fresh": 1}
    )
    assert actions.item_in_use(item)
