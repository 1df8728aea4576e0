"""A municipality's first week (issue 14, item 1): importing this year's reports must not make the site
show "0 residents" and "–" rates for the current, partial year. Figures stay on the latest complete year
with population; the current year shows as year to date against the same days of last year."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from hotspot.areas.inputs import latest_year, partial_year
from hotspot.areas.models import Area, AreaKind, Population
from hotspot.imports import actions
from hotspot.imports.models import Status
from hotspot.incidents.models import CrimeReport, ReportCount


def _import_this_years_reports(tmp_path, municipality, user, n=10):
    """Ten reports dated November (or the latest past month) of the current year, through the importer."""
    today = timezone.localdate()
    month = 11 if today.month > 11 else max(1, today.month - 1)
    area = (
        Area.objects.filter(municipality=municipality, kind=AreaKind.RODE).order_by("code").first()
    )
    body = "id,occurred_at,offence,area\n" + "".join(
        f"NOW-{k},{today.year}-{month:02d}-{1 + k:02d}T12:00:00,ROEV,{area.code}\n"
        for k in range(n)
    )
    path = tmp_path / "this-year.csv"
    path.write_text(body, encoding="utf-8")
    batch = actions.create_batch(
        municipality=municipality,
        kind="reports",
        file_name="this-year.csv",
        path=str(path),
        user=user,
        options={},
    )
    actions.validate(batch)
    assert batch.status == Status.READY, batch.error
    actions.commit(batch, user)
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED
    return dt.date(today.year, month, n)


def test_this_years_reports_do_not_become_the_latest_year(
    tmp_path, settings, demo_municipality, analyst, coordinator, login
):
    settings.IMPORT_DIR = str(tmp_path / "imports")
    before = latest_year(demo_municipality)
    through = _import_this_years_reports(tmp_path, demo_municipality, analyst)
    this_year = timezone.localdate().year
    assert ReportCount.objects.filter(area__municipality=demo_municipality, year=this_year).exists()

    assert latest_year(demo_municipality) == before < this_year
    client = login(coordinator)
    home = client.get(reverse("home"))
    overview = home.context["overview"]
    assert overview["year"] == before
    assert overview["whole"]["residents"] > 0 and overview["whole"]["rate"] is not None
    partial = overview["partial"]
    assert partial["year"] == this_year and partial["through"] == through
    assert partial["reports"] >= 10
    same_days_last_year = CrimeReport.objects.filter(
        municipality=demo_municipality,
        occurred_at__year=this_year - 1,
        occurred_at__date__lte=through.replace(year=this_year - 1),
    ).count()
    assert partial["reports_last_year"] == same_days_last_year
    page = home.content.decode()
    assert f"{this_year} indtil nu" in page

    rows = client.get(reverse("areas:list")).context["rows"]
    assert all(r["year"] == before for r in rows)
    assert any(r["rate"] is not None for r in rows)
    assert client.get(reverse("areas:list")).context["year"] == before


def test_a_fresh_install_with_only_reports_takes_the_latest_complete_report_year(
    other_municipality,
):
    year = timezone.localdate().year
    area = Area.objects.create(
        municipality=other_municipality, code="ONLY-R", name="Kun anmeldelser", kind=AreaKind.RODE
    )
    for y in (
        year - 2,
        year - 1,
        year,
    ):  # no population at all: rates are "–", the year still right
        ReportCount.objects.create(
            area=area, year=y, group="violence", reports=7, citizen_directed=3, serious=1
        )
    ReportCount.objects.filter(area__municipality=other_municipality).exclude(area=area).delete()
    Population.objects.filter(area__municipality=other_municipality).delete()
    assert latest_year(other_municipality) == year - 1
    assert (
        partial_year(other_municipality) is None or partial_year(other_municipality)["year"] == year
    )


def test_year_to_date_through_the_end_of_february_of_a_leap_year_counts_last_years_february_28(
    demo_municipality, monkeypatch
):
    """Through 28 or 29 February 2028, last year's same days run to 28 February 2027 inclusive."""
    from hotspot.areas import inputs
    from hotspot.incidents.models import Offence

    offence = Offence.objects.first()
    tz = timezone.get_current_timezone()

    def report(key, day):
        CrimeReport.objects.create(
            municipality=demo_municipality,
            external_id=f"LEAP-{key}",
            occurred_at=dt.datetime.combine(day, dt.time(12), tzinfo=tz),
            offence=offence,
        )

    monkeypatch.setattr(inputs.timezone, "localdate", lambda: dt.date(2028, 3, 15))
    CrimeReport.objects.filter(municipality=demo_municipality, occurred_at__year__gte=2027).delete()
    report("last-27", dt.date(2027, 2, 27))
    report("last-28", dt.date(2027, 2, 28))
    report("last-mar", dt.date(2027, 3, 1))
    report("this-28", dt.date(2028, 2, 28))
    seen = inputs.partial_year(demo_municipality, raw=True)
    assert seen["through"] == dt.date(2028, 2, 28)
    assert (seen["reports"], seen["reports_last_year"]) == (1, 2)
    report("this-29", dt.date(2028, 2, 29))
    seen = inputs.partial_year(demo_municipality, raw=True)
    assert seen["through"] == dt.date(2028, 2, 29)
    assert (seen["reports"], seen["reports_last_year"]) == (2, 2)
