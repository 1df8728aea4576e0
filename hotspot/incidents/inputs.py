"""ORM -> rows for report counts: the one reader of ``ReportCount`` (reports per area × year ×
offence group, with the citizen-directed and serious ones among them), used by the measures layer
(``indicators.measures``) and the area pages alike."""

from hotspot.incidents.models import ReportCount


def report_count_rows(area_ids, years=None):
    """(area id, year, group, reports, citizen-directed, serious) of the given areas (and years)."""
    rows = ReportCount.objects.filter(area_id__in=list(area_ids))
    if years is not None:
        rows = rows.filter(year__in=list(years))
    return rows.values_list("area_id", "year", "group", "reports", "citizen_directed", "serious")
