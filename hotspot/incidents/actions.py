from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext as _

from hotspot.incidents.models import CrimeReport, ReportCount


def refresh_report_counts(municipality_id: int) -> int:
    """Rebuild ReportCount for one municipality from its crime reports; returns the number of rows.

    The counting (seconds for a large city) runs before the writing transaction, which only swaps
    the rows: on SQLite a transaction holds the one write lock from its start, and logins, sessions
    and audit rows waited behind the counting (issue 14). A report written meanwhile is counted by
    the refresh its import enqueues.
    """
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
    with transaction.atomic():
        ReportCount.objects.filter(area__municipality_id=municipality_id).delete()
        ReportCount.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


# The default offence catalogue (docs/data-import.md): Statistics Denmark's offence hierarchy as its crime
# tables (STRAF11, STRAF22) group it: level 1 = the act (1 Straffelov, 2 Færdselslov, 3 Særlove), level 2
# = DST's main groups (11 sexual offences, 12 violence, 13 property, 14 other criminal code; 32 narcotics,
# 34 weapons), level 3 = the detailed offences a police extract names. The level-1/2 codes are DST's; the
# level-3 codes are this platform's default numbering within DST's groups; edit or add codes in the admin
# so that they match the local police extract. Flags: citizen_directed = "borgervendt kriminalitet"
# (crime aimed at residents and passers-by), serious = "alvorlig og personfarlig kriminalitet".
# (code, parent, level, name_da, name_en, group, citizen_directed, serious)
DEFAULT_OFFENCES = (
    ("1", None, 1, "Straffelov i alt", "Criminal Code, total", "other", False, False),
    ("2", None, 1, "Færdselslov i alt", "Road Traffic Act, total", "other", False, False),
    ("3", None, 1, "Særlove i alt", "Special acts, total", "other", False, False),
    ("11", "1", 2, "Seksualforbrydelser i alt", "Sexual offences, total", "other", True, True),
    ("12", "1", 2, "Voldsforbrydelser i alt", "Crimes of violence, total", "violence", True, True),
    ("13", "1", 2, "Ejendomsforbrydelser i alt", "Offences against property, total", "theft", True, False),
    ("14", "1", 2, "Andre forbrydelser i alt", "Other criminal code offences, total", "other", False, False),
    ("32", "3", 2, "Lov om euforiserende stoffer", "Euphoriant Substances Act", "narcotics", False, False),
    ("34", "3", 2, "Våbenloven", "Weapons Act", "other", False, False),
    ("1120", "11", 3, "Voldtægt mv.", "Rape etc.", "other", True, True),
    ("1210", "12", 3, "Vold og lignende mod offentlig myndighed", "Violence against public authority", "violence", False, True),
    ("1225", "12", 3, "Simpel vold", "Common assault", "violence", True, True),
    ("1230", "12", 3, "Grov og særlig grov vold", "Aggravated assault", "violence", True, True),
    ("1260", "12", 3, "Trusler", "Threats", "threats", True, True),
    ("1310", "13", 3, "Indbrud i beboelser", "Residential burglary", "burglary", True, False),
    ("1315", "13", 3, "Indbrud i forretninger mv.", "Burglary in businesses etc.", "burglary", True, False),
    ("1320", "13", 3, "Tyveri fra butik", "Shoplifting", "theft", True, False),
    ("1325", "13", 3, "Tyveri af cykel", "Bicycle theft", "theft", True, False),
    ("1330", "13", 3, "Tyveri af og fra køretøjer", "Theft of and from vehicles", "theft", True, False),
    ("1340", "13", 3, "Andre tyverier", "Other theft", "theft", True, False),
    ("1350", "13", 3, "Røveri", "Robbery", "robbery", True, True),
    ("1360", "13", 3, "Hærværk", "Vandalism", "vandalism", True, False),
    ("1370", "13", 3, "Bedrageri", "Fraud", "other", False, False),
    ("1410", "14", 3, "Opløb og forstyrrelse af offentlig orden", "Public disorder", "other", False, False),
    ("3210", "32", 3, "Besiddelse af euforiserende stoffer", "Possession of drugs", "narcotics", False, False),
    ("3220", "32", 3, "Salg og smugling af euforiserende stoffer", "Drug dealing and smuggling", "narcotics", False, True),
    ("3410", "34", 3, "Overtrædelse af våbenloven", "Weapons offence", "other", False, False),
)  # fmt: skip


def seed_offences(offence_model=None) -> int:
    """Create the default catalogue; existing codes keep their (possibly edited) names and flags.

    Takes the model as an argument so the data migration can pass its historical model.
    """
    if offence_model is None:
        from hotspot.incidents.models import Offence as offence_model
    created = 0
    by_code = {}
    for code, parent, level, name_da, name_en, group, citizen, serious in DEFAULT_OFFENCES:
        obj, was_created = offence_model.objects.get_or_create(
            code=code,
            defaults={
                "name_da": name_da,
                "name_en": name_en,
                "group": group,
                "citizen_directed": citizen,
                "serious": serious,
                "level": level,
                "parent": by_code.get(parent),
            },
        )
        if not was_created and obj.level is None:
            obj.level, obj.parent = level, by_code.get(parent)
            obj.save(update_fields=["level", "parent"])
        by_code[code] = obj
        created += was_created
    return created


def mixed_levels(codes) -> str | None:
    """A message when ``codes`` mix hierarchy levels (a group and its own members, or two levels).

    Counting "12 Voldsforbrydelser i alt" next to "1225 Simpel vold" counts the same assault twice, so a
    source that does this is refused. Codes without a level (local codes) are not judged.
    """
    from hotspot.incidents.models import Offence

    rows = list(
        Offence.objects.filter(code__in=set(codes)).values_list("code", "level", "parent__code")
    )
    levels: dict[int, list[str]] = {}
    for code, level, _parent in rows:
        if level is not None:
            levels.setdefault(level, []).append(code)
    if len(levels) <= 1:
        return None
    examples = "; ".join(
        _("level %(level)s: %(codes)s") % {"level": lvl, "codes": ", ".join(sorted(c)[:5])}
        for lvl, c in sorted(levels.items())
    )
    return _(
        "the offence codes mix levels of the hierarchy (%(examples)s); a group and its members "
        "would count the same crime twice. Use the codes of one level only."
    ) % {"examples": examples}
