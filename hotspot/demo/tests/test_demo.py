"""The demo city in the database: sizes, truth, users, and that a second run reuses it."""

from django.core.management import call_command

from hotspot.accounts.models import Membership, User
from hotspot.accounts.roles import Role
from hotspot.areas.models import Area, AreaKind
from hotspot.demo.models import DemoCity
from hotspot.incidents.models import Charge, CrimeReport, ReportCount
from hotspot.surveys.models import SurveyResponse


def test_demo_city_sizes_match_what_was_recorded(demo_municipality):
    demo = DemoCity.objects.get(municipality=demo_municipality)
    assert (
        demo.sizes["reports"] == CrimeReport.objects.filter(municipality=demo_municipality).count()
    )
    assert demo.sizes["charges"] == Charge.objects.filter(municipality=demo_municipality).count()
    assert (
        demo.sizes["survey_responses"]
        == SurveyResponse.objects.filter(wave__municipality=demo_municipality).count()
    )
    # scale 0.1: ~25,000 residents and ~30,000 reports (DEMO-CITY.md)
    assert 15_000 <= demo.sizes["residents"] <= 35_000
    assert 18_000 <= demo.sizes["reports"] <= 45_000
    total = sum(
        ReportCount.objects.filter(area__municipality=demo_municipality).values_list(
            "reports", flat=True
        )
    )
    assert total == demo.sizes["reports"]


def test_truth_is_stored_and_points_at_real_areas(demo_municipality):
    truth = DemoCity.objects.get(municipality=demo_municipality).truth
    codes = set(Area.objects.filter(municipality=demo_municipality).values_list("code", flat=True))
    assert len(truth["hotspots"]) == 2 and set(truth["hotspots"]) <= codes
    assert 6 <= len(truth["controls"]) <= 10 and set(truth["controls"]) <= codes
    assert truth["hotspot_start"] == "2010-07-01"
    assert truth["effect_reports"] < 0 and truth["effect_youth_charges"] < 0
    hotspots = Area.objects.filter(municipality=demo_municipality, kind=AreaKind.HOTSPOT)
    assert hotspots.count() == 3  # two from 2010, one from 2013 (staggered)


def test_one_demo_user_per_role(demo_municipality):
    roles = set(
        Membership.objects.filter(municipality=demo_municipality).values_list("role", flat=True)
    )
    assert roles == set(Role.values)
    outsider = User.objects.get(username="outsider")
    assert not outsider.memberships.filter(municipality=demo_municipality).exists()


def test_second_run_reuses_what_exists(demo_municipality, capsys):
    before = CrimeReport.objects.count()
    ids = set(Area.objects.values_list("pk", flat=True))
    call_command("make_demo_city", seed=1, scale=0.1)
    out = capsys.readouterr().out
    assert "reusing" in out
    assert "coordinator-hotspot-demo" in out  # the users and passwords are printed every time
    assert CrimeReport.objects.count() == before
    assert set(Area.objects.values_list("pk", flat=True)) == ids
