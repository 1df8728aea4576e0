from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import ExtractYear

from hotspot.incidents.models import CrimeReport, ReportCount


@transaction.atomic
def refresh_report_counts(municipality_id: int) -> int:
    """Rebuild ReportCount for one municipality from its crime reports; returns the number of rows."""
    ReportCount.objects.filter(area__municipality_id=municipality_id).delete()
    rows = (
        CrimeReport.objects.filter(municipality_id=municipality_id, area__isnull=False)
        .annotate(year=ExtractYear("occurred_at"))
        .values("area_id", "year", "offence__group")
        .annotate(
            reports=Count("id"),
            citizen_directed=Count("id", filter=Q(offence__citizen_directed=True)),
            serious=Count("id", filter=Q(offence__serious=True)),
        )
        .order_by()
    )
    objs = [
        ReportCount(
            area_id=r["area_id"],
            year=r["year"],
            group=r["offence__group"],
            reports=r["reports"],
            citizen_directed=r["citizen_directed"],
            serious=r["serious"],
        )
        for r in rows
    ]
    ReportCount.objects.bulk_create(objs, batch_size=2000)
    return len(objs)
