"""What the import pages show beyond the batch itself."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import number_format

from hotspot.imports import engine
from hotspot.imports.kinds import ADAPTERS, header_key
from hotspot.imports.models import ImportProblem, Kind, Status
from hotspot.indicators.models import Indicator
from hotspot.surveys.models import SurveyItem

#: The units of a size in words, of 1,024 as an operating system shows a file's size.
_SIZE_UNITS = (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024))


def size_words(n_bytes: int) -> str:
    """A size in the largest unit it holds one of, whole when it is whole, else with one decimal below
    100: the default upload limit (2 × 1024³ bytes) is "2 GB", not "2147 MB"; 1.5 × 1024³ is "1,5 GB"
    in Danish."""
    for unit, size in _SIZE_UNITS:
        if n_bytes >= size:
            value = n_bytes / size
            digits = 0 if value == int(value) or value >= 100 else 1
            return f"{number_format(round(value, digits), digits, force_grouping=True)} {unit}"
    return f"{n_bytes} B"


def offence_headers(kind) -> set[str]:
    """The header keys under which a kind's file holds offence codes (none for most kinds)."""
    adapter = ADAPTERS.get(kind)
    if adapter is None or "offence" not in adapter.required + adapter.optional:
        return set()
    return {key for key, column in adapter.column_names().items() if column == "offence"}


def _unknown_survey_columns(batch) -> list[str]:
    """The answer columns of a refused survey file that name no survey item (read again from the
    stored file's header: the refusal names them in one sentence, and the catalogue may have grown
    since). Nothing when the file is gone or was refused for another reason."""
    adapter = ADAPTERS[batch.kind]
    known = set(adapter.required + adapter.optional)
    columns = {header_key(c) for c in adapter.column_names()}
    first = (
        ImportProblem.objects.filter(batch=batch, row=1).exclude(column="").order_by("pk").first()
    )
    if first is None or header_key(first.column) in columns:
        return []
    try:
        table = engine.open_table(
            batch.stored_path,
            batch.file_name,
            kind=batch.kind,
            sheet=(batch.parameters or {}).get("sheet", ""),
            required=adapter.required,
            canonical=adapter.canonical,
        )
    except (engine.Refused, OSError, ValueError):  # moved, removed or no longer readable
        return [first.column]
    try:
        header = adapter.canonical(table.header)
    finally:
        table.close()
    items = {code.lower() for code in SurveyItem.objects.values_list("code", flat=True)}
    return list(dict.fromkeys(c for c in header if c and c not in known and c not in items))


#: Codes of one batch listed with a create link at most (a file may name thousands of bad codes).
UNKNOWN_SHOWN = 50


def _unknown_indicator_codes(batch) -> list[str]:
    """The indicator codes a register or national-values file names that the catalogue does not
    hold (now)."""
    headers = {
        key for key, column in ADAPTERS[batch.kind].column_names().items() if column == "indicator"
    }
    problems = ImportProblem.objects.filter(batch=batch).exclude(value="")
    columns = problems.values_list("column", flat=True).distinct().order_by()
    spellings = [c for c in columns if header_key(c) in headers]  # as the file spells it
    values = (
        problems.filter(column__in=spellings)
        .exclude(value__contains=" / ")  # a duplicate key (indicator / area / year), not a code
        .values_list("value", flat=True)
        .distinct()
        .order_by("value")
    )
    known = set(Indicator.objects.values_list("code", flat=True))
    return [v for v in values[: UNKNOWN_SHOWN * 2] if v not in known][:UNKNOWN_SHOWN]


def unknown_codes(batch) -> dict | None:
    """What a refused survey, register or national-values file names that the catalogue lacks, each
    with the address of the create page filled in with it (and back to the batch): the way forward,
    never a silent creation. None for other kinds, or when nothing is unknown."""
    if batch.status != Status.INVALID:
        return None
    back = batch.get_absolute_url()
    if batch.kind == Kind.SURVEY:
        codes, page = _unknown_survey_columns(batch), "surveys:item_new"
    elif batch.kind in (Kind.REGISTERS, Kind.NATIONAL):
        codes, page = _unknown_indicator_codes(batch), "indicators:indicator_new"
    else:
        return None
    if not codes:
        return None
    links = [(c, f"{reverse(page)}?{urlencode({'code': c, 'next': back})}") for c in codes]
    return {"kind": batch.kind, "links": links}
