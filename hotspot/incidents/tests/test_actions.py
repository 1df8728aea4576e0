"""refresh_report_counts against a count done row by row in Python (years in local time)."""

import collections
import datetime as dt

from django.utils import timezone

from hotspot.areas.models import Area
from hotspot.incidents.actions import mixed_levels, refresh_report_counts
from hotspot.incidents.models import CrimeReport, Offence, ReportCount


def test_report_counts_match_a_row_by_row_count(demo_municipality, english):
    area = Area.objects.filter(municipality=demo_municipality, kind="district").first()
    offence = Offence.objects.filter(citizen_directed=True, serious=False).first()
    # 23:30 UTC on New Year's Eve is already the next year in Copenhagen: it counts for 2021.
    CrimeReport.objects.create(
        municipality=demo_municipality,
        external_id="NYE-1",
        occurred_at=dt.datetime(2020, 12, 31, 23, 30, tzinfo=dt.UTC),
        offence=offence,
        area=area,
    )
    n = refresh_report_counts(demo_municipality.pk)
    expected = collections.Counter()
    for r in CrimeReport.objects.filter(
        municipality=demo_municipality, area__isnull=False
    ).select_related("offence"):
        key = (r.area_id, timezone.localtime(r.occurred_at).year, r.offence.group)
        expected[(*key, "reports")] += 1
        expected[(*key, "citizen_directed")] += r.offence.citizen_directed
        expected[(*key, "serious")] += r.offence.serious
    got = collections.Counter()
    rows = ReportCount.objects.filter(area__municipality=demo_municipality)
    for c in rows:
        for name in ("reports", "citizen_directed", "serious"):
            got[(c.area_id, c.year, c.group, name)] += getattr(c, name)
    assert n == rows.count() == len({k[:3] for k in expected})
    assert +got == +expected
    assert got[(area.pk, 2021, offence.group, "reports")] >= 1


def test_mixed_levels(db, english):
    group = Offence.objects.create(code="ZZ12", name_da="G", name_en="G", group="violence", level=2)
    member = Offence.objects.create(
        code="ZZ1225", name_da="M", name_en="M", group="violence", level=3, parent=group
    )
    Offence.objects.create(code="ZZLOCAL", name_da="L", name_en="L", group="other")
    assert mixed_levels([]) is None
    assert mixed_levels([member.code, "ZZLOCAL", "UNKNOWN"]) is None  # no level: not judged
    message = mixed_levels([group.code, member.code, "ZZLOCAL"])
    assert message is not None
    assert "level 2: ZZ12" in message and "level 3: ZZ1225" in message
