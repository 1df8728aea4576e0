"""The indicator catalogue through its pages: indicators and national values; refusals, audit rows."""

import pytest
from django.urls import reverse

from hotspot.audit.models import AuditEvent
from hotspot.indicators.models import Direction, Indicator, NationalValue

NEW = {"code": "low_income", "name_da": "Lavindkomst", "name_en": "Low income", "unit": "%",
       "direction": str(Direction.HIGHER_IS_WORSE), "source": "DST", "licence": "CC BY 4.0"}  # fmt: skip


@pytest.fixture(autouse=True)
def _english(english):
    yield


def _audit(action, obj):
    return AuditEvent.objects.filter(
        action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk)
    )


def _as_form(indicator, **change):
    data = {f: getattr(indicator, f) for f in NEW}
    return {**data, **change}


def test_catalogue_lists_indicators_and_national_values(login, analyst):
    page = login(analyst).get(reverse("indicators:catalogue")).content.decode()
    assert 'id="indicator-convicted"' in page
    national = NationalValue.objects.select_related("indicator").first()
    assert f'id="national-{national.pk}"' in page


def test_create_writes_indicator_and_audit_row(login, analyst):
    response = login(analyst).post(reverse("indicators:indicator_new"), NEW)
    assert response.status_code == 302 and response["Location"] == reverse("indicators:catalogue")
    indicator = Indicator.objects.get(code="low_income")
    assert indicator.direction == Direction.HIGHER_IS_WORSE and indicator.licence == "CC BY 4.0"
    row = _audit("create", indicator).get()
    assert row.actor == analyst and set(row.fields) == set(NEW)


def test_new_page_is_prefilled_from_the_address(login, analyst):
    page = login(analyst).get(reverse("indicators:indicator_new") + "?code=FOLK1A").content.decode()
    assert 'value="FOLK1A"' in page


@pytest.mark.parametrize(
    "change,field,words",
    [
        ({"code": "low income"}, "code", "without spaces"),
        ({"code": "convicted"}, "code", "already"),
        ({"unit": ""}, "unit", "required"),
        ({"direction": "5"}, "direction", "valid choice"),
    ],
)
def test_bad_indicator_names_the_field(login, analyst, change, field, words):
    response = login(analyst).post(reverse("indicators:indicator_new"), {**NEW, **change})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and words in " ".join(errors[field]), errors
    assert not Indicator.objects.filter(name_en="Low income").exists()


def test_change_of_an_unused_indicator(login, analyst):
    indicator = Indicator.objects.create(
        code="spare", name_da="a", name_en="a", unit="%", direction=Direction.NEUTRAL
    )
    client = login(analyst)
    url = reverse("indicators:indicator_edit", args=[indicator.pk])
    assert client.post(url, _as_form(indicator, code="spare2", unit="persons")).status_code == 302
    indicator.refresh_from_db()
    assert (indicator.code, indicator.unit) == ("spare2", "persons")
    assert sorted(_audit("update", indicator).get().fields) == ["code", "unit"]
    client.post(url, _as_form(indicator))  # unchanged: no second row
    assert _audit("update", indicator).count() == 1


@pytest.mark.parametrize(
    "change,field,words",
    [
        ({"code": "convicted_2"}, "code", "code: convicted is used by data"),
        ({"unit": "per 1,000"}, "unit", "unit: values of convicted are stored in %"),
    ],
)
def test_code_and_unit_in_use_are_refused(login, analyst, change, field, words):
    indicator = Indicator.objects.get(code="convicted")  # the demo city's values use it
    response = login(analyst).post(
        reverse("indicators:indicator_edit", args=[indicator.pk]), _as_form(indicator, **change)
    )
    assert response.status_code == 200
    assert words in " ".join(response.context["form"].errors[field])
    indicator.refresh_from_db()
    assert (indicator.code, indicator.unit) == ("convicted", "%")
    assert not _audit("update", indicator).exists()


def test_name_of_an_indicator_in_use_may_change(login, analyst):
    indicator = Indicator.objects.get(code="convicted")
    url = reverse("indicators:indicator_edit", args=[indicator.pk])
    assert login(analyst).post(url, _as_form(indicator, name_en="Convicted")).status_code == 302
    assert _audit("update", indicator).get().fields == ["name_en"]


def test_national_value_create_change_and_refusals(login, analyst):
    indicator = Indicator.objects.get(code="convicted")
    client = login(analyst)
    data = {"indicator": indicator.pk, "year": "1999", "value": "1.5", "source": "DST STRAF40"}
    assert client.post(reverse("indicators:national_new"), data).status_code == 302
    value = NationalValue.objects.get(indicator=indicator, year=1999)
    assert value.value == pytest.approx(1.5)
    assert _audit("create", value).get().actor == analyst
    # the same indicator and year again: refused on the year
    response = client.post(reverse("indicators:national_new"), data)
    assert response.status_code == 200 and "year" in response.context["form"].errors
    # a share above 100 %, a year in the future
    response = client.post(
        reverse("indicators:national_new"), {**data, "year": "1998", "value": "140"}
    )
    assert "from 0 to 100" in " ".join(response.context["form"].errors["value"])
    response = client.post(reverse("indicators:national_new"), {**data, "year": "2999"})
    assert "year: must be from 1900" in " ".join(response.context["form"].errors["year"])
    # change the value: one audit row naming it
    url = reverse("indicators:national_edit", args=[value.pk])
    assert client.post(url, {**data, "value": "1.7"}).status_code == 302
    value.refresh_from_db()
    assert value.value == pytest.approx(1.7)
    assert _audit("update", value).get().fields == ["value"]
    # moving it onto a year that has a value already is refused
    other = NationalValue.objects.filter(indicator=indicator).exclude(pk=value.pk).first()
    response = client.post(url, {**data, "year": str(other.year)})
    assert response.status_code == 200 and "year" in response.context["form"].errors


def test_new_national_value_page_preselects_the_indicator(login, analyst):
    indicator = Indicator.objects.get(code="convicted")
    page = login(analyst).get(reverse("indicators:national_new") + "?indicator=convicted")
    assert f'value="{indicator.pk}" selected' in page.content.decode()


def test_the_demo_city_loads_its_catalogue_through_the_actions(db):
    """No demo-only seeding of catalogue tables: the demo's rows have the actions' audit rows."""
    from hotspot.surveys.models import SurveyItem

    for obj in (
        Indicator.objects.get(code="convicted"),
        SurveyItem.objects.get(code="safety"),
        NationalValue.objects.filter(indicator__code="convicted").first(),
    ):
        assert _audit("create", obj).filter(purpose="demo").exists(), obj
