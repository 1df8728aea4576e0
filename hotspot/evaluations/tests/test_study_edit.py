"""Issue 14 item 8: a new study's last year is the latest complete year with data (not the current
one, which has no population); a study can be changed and deleted; a failed one says so in the list
and can be removed; a result computed before a change says it is out of date."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from hotspot.areas.inputs import latest_year
from hotspot.areas.models import Area
from hotspot.audit.models import Action, AuditEvent
from hotspot.evaluations import pages
from hotspot.evaluations.actions import create_study
from hotspot.evaluations.models import Design, Inference, Outcome, Study, StudyResult
from hotspot.evaluations.tasks import study_parameters
from hotspot.incidents.models import OffenceGroup, ReportCount
from hotspot.programmes.models import Programme

START = dt.date(2010, 7, 1)


@pytest.fixture
def study(demo_municipality, analyst):
    from hotspot.demo.models import DemoCity

    truth = DemoCity.objects.get(municipality=demo_municipality).truth
    areas = {a.code: a for a in Area.objects.filter(municipality=demo_municipality)}
    return create_study(
        municipality=demo_municipality,
        user=analyst,
        name="Edit me",
        outcome=Outcome.REPORTS_CITIZEN,
        treated=[(areas[f"HS-{truth['hotspots'][0]}"], START)],
        controls=[areas[f"KO-{c}"] for c in truth["controls"]],
        first_year=2008,
        last_year=2014,
        design=Design.POISSON_FE,
        inference=Inference.RANDOMIZATION,
    )


def _post(client, study, **changes):
    data = {
        "name": study.name,
        "first_year": study.first_year,
        "last_year": study.last_year,
        "design": study.design,
        "inference": study.inference,
        "buffer_m": study.buffer_m,
        "seed": study.seed,
    }
    data.update(changes)
    return client.post(reverse("evaluations:edit", args=[study.pk]), data)


def test_a_new_study_for_a_programme_ends_in_the_latest_complete_year_even_with_this_years_reports(
    demo_municipality, login, analyst
):
    today = timezone.localdate()
    # this year's reports are in (imported weekly), this year's population is not
    area = Area.objects.filter(municipality=demo_municipality, code__startswith="HS-").first()
    ReportCount.objects.create(
        area=area,
        year=today.year,
        group=OffenceGroup.values[0],
        reports=10,
        citizen_directed=4,
        serious=1,
    )
    programme = Programme.objects.filter(municipality=demo_municipality).first()
    new = pages.new_study(demo_municipality, [])
    ctx = pages.blank_study_context(new, programme)
    last = ctx["form"].initial["last_year"]
    assert last == latest_year(demo_municipality)
    assert last < today.year
    # and a last year after it is refused with the reason, not left to fail in the worker
    form = new.form({"last_year": today.year, "first_year": 2008})
    form.is_valid()
    assert "not a complete year" in " ".join(form.errors.get("last_year", []))


def test_changing_a_study_writes_one_audit_row_and_marks_the_old_result_stale(
    study, login, analyst
):
    result = StudyResult.objects.create(
        study=study,
        parameters=study_parameters(study),
        status=StudyResult.Status.FAILED,
        error="no population",
    )
    client = login(analyst)
    before = AuditEvent.objects.filter(action=Action.UPDATE, object_id=str(study.pk)).count()
    # an unchanged form writes nothing
    response = _post(client, study)
    assert response.status_code == 302
    assert (
        AuditEvent.objects.filter(action=Action.UPDATE, object_id=str(study.pk)).count() == before
    )
    assert not pages.result_is_stale(study, result)
    response = _post(client, study, name="Renamed", first_year=2009)
    assert response.status_code == 302
    study.refresh_from_db()
    assert (study.name, study.first_year) == ("Renamed", 2009)
    rows = AuditEvent.objects.filter(action=Action.UPDATE, object_id=str(study.pk))
    assert rows.count() == before + 1
    assert pages.result_is_stale(study, result)
    page = client.get(study.get_absolute_url()).content.decode()
    assert 'id="result-stale"' in page


@pytest.mark.parametrize(
    "changes,field,words",
    [
        ({"last_year": 2007}, "last_year", "must come after"),
        ({"last_year": 2099}, "last_year", "not a complete year"),
        ({"first_year": 2011}, None, "no pre-period"),
    ],
)
def test_a_bad_change_is_refused_with_its_reason_and_nothing_changes(
    study, login, analyst, changes, field, words
):
    response = _post(login(analyst), study, **changes)
    assert response.status_code == 200
    assert words in response.content.decode()
    fresh = Study.objects.get(pk=study.pk)
    assert (fresh.first_year, fresh.last_year) == (2008, 2014)


def test_a_failed_study_says_so_in_the_list_and_can_be_deleted_with_its_results(
    study, login, analyst
):
    StudyResult.objects.create(study=study, status=StudyResult.Status.FAILED, error="no population")
    client = login(analyst)
    listing = client.get(reverse("evaluations:list")).content.decode()
    assert 'data-status="failed"' in listing
    assert reverse("evaluations:edit", args=[study.pk]) in listing
    assert client.get(reverse("evaluations:delete", args=[study.pk])).status_code == 405
    response = client.post(reverse("evaluations:delete", args=[study.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("evaluations:list")
    assert not Study.objects.filter(pk=study.pk).exists()
    assert not StudyResult.objects.filter(study_id=study.pk).exists()
    assert AuditEvent.objects.filter(action=Action.DELETE, object_id=str(study.pk)).exists()


def test_a_study_being_computed_is_not_deleted(study, login, analyst):
    StudyResult.objects.create(study=study, status=StudyResult.Status.RUNNING)
    response = login(analyst).post(reverse("evaluations:delete", args=[study.pk]), follow=True)
    assert Study.objects.filter(pk=study.pk).exists()
    assert "being computed" in response.content.decode()


def test_a_partner_can_neither_change_nor_delete(study, login, partner):
    client = login(partner)
    assert _post(client, study, name="Hijack").status_code == 403
    assert client.post(reverse("evaluations:delete", args=[study.pk])).status_code == 403
    assert Study.objects.get(pk=study.pk).name == "Edit me"
