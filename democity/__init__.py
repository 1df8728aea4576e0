"""The synthetic demo city ("Demokommune"): a made-up municipality with a known, hidden truth.

A top-level package of its own, beside ``safetystats`` (the analysis library) and ``hotspot`` (the Django
project): pure numpy and shapely, never Django (``tests/test_architecture.py``). Only the demo app
(``hotspot/demo``), tests and benchmarks import it; production code never does. ``python -m democity --out
DIR`` writes the city as import files (docs/demo-city.md).
"""

from .generator import (
    AGE_BANDS,
    CITIZEN_DIRECTED_RATE,
    CRS,
    NATIONAL_CONVICTED_SHARE,
    OFFENCE_GROUPS,
    OFFENCES,
    REGISTER_INDICATORS,
    SEXES,
    SURVEY_ITEMS,
    SURVEY_YEARS,
    YEARS,
    AreaSpec,
    City,
    OffenceSpec,
    Truth,
    charges,
    generate_city,
    iter_reports,
    registers,
    survey,
    write_csv,
)

__all__ = [
    "AGE_BANDS",
    "SEXES",
    "YEARS",
    "SURVEY_YEARS",
    "CRS",
    "OFFENCES",
    "OFFENCE_GROUPS",
    "SURVEY_ITEMS",
    "REGISTER_INDICATORS",
    "NATIONAL_CONVICTED_SHARE",
    "CITIZEN_DIRECTED_RATE",
    "OffenceSpec",
    "AreaSpec",
    "Truth",
    "City",
    "generate_city",
    "iter_reports",
    "charges",
    "survey",
    "registers",
    "write_csv",
]
