"""Synthetic demo city ("Demokommune") with a known, hidden truth.

Everything here is made up from a seed: geometry, residents, crime reports, charges, survey answers and
register indicators. Nothing is real person data. The numbers follow ``docs/demo-city.md`` (the design
source is the project's DEMO-CITY.md): about 250,000 residents and 300,000 reports at scale 1, a falling
citizen-directed report rate (75 per 1,000 in 2009, about 40 by 2021), two hotspot estates from 1 July 2010
with injected effects from 2011 on, controls that follow the common trend, a displacement ring around one
hotspot, a diffusion ring around the other, and one late (2013) hotspot.

The module is pure: numpy and shapely only, never Django or pandas. Every random draw comes from a
``numpy.random.Generator(PCG64)`` whose ``SeedSequence`` is keyed by (variant, purpose, area, year), so
each area-year is generated independently of every other one. That is what makes :func:`iter_reports`
streamable and independent of ``chunk_size``.

Examples
--------
>>> city = generate_city(seed=1, scale=0.1)
>>> city.municipality_code, city.municipality_name
('999', 'Demokommune')
>>> sum(1 for a in city.areas if a.kind == "district")
12
>>> city.truth.effect_reports
-0.2
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import math
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import Polygon, mapping

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

AGE_BANDS = ("0-9", "10-14", "15-17", "18-24", "25-29", "30-59", "60+")
SEXES = ("F", "M")
YEARS = tuple(range(2008, 2026))
#: One survey wave a year from 2009 (DEMO-CITY.md, "Survey").
SURVEY_YEARS = tuple(range(2009, 2026))
#: Every coordinate is ETRS89 / UTM zone 32N in metres.
CRS = "EPSG:25832"

OFFENCE_GROUPS = (
    "violence",
    "threats",
    "burglary",
    "theft",
    "robbery",
    "vandalism",
    "narcotics",
    "other",
)


@dataclass(frozen=True)
class OffenceSpec:
    """One offence code of the demo catalogue (Statistics Denmark-style offence groups).

    Attributes
    ----------
    code : str
        Stable short code (ASCII, upper case), e.g. ``"VOLD_SIMP"``.
    name_da, name_en : str
        Danish and English names.
    group : str
        One of :data:`OFFENCE_GROUPS`.
    citizen_directed : bool
        Counted as "borgervendt kriminalitet".
    serious : bool
        Counted as "alvorlig og personfarlig kriminalitet".
    """

    code: str
    name_da: str
    name_en: str
    group: str
    citizen_directed: bool
    serious: bool


OFFENCES: tuple[OffenceSpec, ...] = (
    OffenceSpec("VOLD_SIMP", "Simpel vold", "Common assault", "violence", True, True),
    OffenceSpec("VOLD_GROV", "Grov vold", "Aggravated assault", "violence", True, True),
    OffenceSpec(
        "VOLD_TJM",
        "Vold mod tjenestemand",
        "Violence against a public servant",
        "violence",
        False,
        True,
    ),
    OffenceSpec("TRUS", "Trusler", "Threats", "threats", True, True),
    OffenceSpec("INDB_BEB", "Indbrud i beboelse", "Residential burglary", "burglary", True, False),
    OffenceSpec(
        "INDB_ERH",
        "Indbrud i forretning og virksomhed",
        "Commercial burglary",
        "burglary",
        True,
        False,
    ),
    OffenceSpec("TYV_BUT", "Butikstyveri", "Shoplifting", "theft", True, False),
    OffenceSpec("TYV_CYK", "Tyveri af cykel", "Bicycle theft", "theft", True, False),
    OffenceSpec(
        "TYV_KTJ", "Tyveri af og fra køretøj", "Theft of and from vehicles", "theft", True, False
    ),
    OffenceSpec("TYV_AND", "Andre tyverier", "Other theft", "theft", True, False),
    OffenceSpec("ROEV", "Røveri", "Robbery", "robbery", True, True),
    OffenceSpec("HAERV", "Hærværk", "Vandalism", "vandalism", True, False),
    OffenceSpec(
        "NARK_BES",
        "Besiddelse af euforiserende stoffer",
        "Drug possession",
        "narcotics",
        False,
        False,
    ),
    OffenceSpec(
        "NARK_SAL", "Salg af euforiserende stoffer", "Drug dealing", "narcotics", False, False
    ),
    OffenceSpec("VAAB", "Overtrædelse af våbenloven", "Weapons offence", "other", False, False),
    OffenceSpec(
        "ANDET", "Øvrige overtrædelser af straffeloven", "Other penal code", "other", False, False
    ),
)
_OFF_CODES = tuple(o.code for o in OFFENCES)
_OFF_INDEX = {c: i for i, c in enumerate(_OFF_CODES)}
_OFF_GROUP = np.array([OFFENCE_GROUPS.index(o.group) for o in OFFENCES])
#: Offences the injected report effect (and the rings) act on: serious OR citizen-directed, so the
#: effect holds whether an analysis uses the union, the intersection or either flag alone.
_OFF_FLAGGED = np.array([o.citizen_directed or o.serious for o in OFFENCES])
_OFF_CD = np.array([o.citizen_directed for o in OFFENCES])

# Share of each citizen-directed code among citizen-directed reports in an ordinary area. A plausible
# Danish urban mix (theft dominates, then vandalism, burglary, violence); our choice, sums to 1.
_CD_MIX = {
    "VOLD_SIMP": 0.07,
    "VOLD_GROV": 0.015,
    "TRUS": 0.05,
    "INDB_BEB": 0.10,
    "INDB_ERH": 0.04,
    "TYV_BUT": 0.12,
    "TYV_CYK": 0.14,
    "TYV_KTJ": 0.10,
    "TYV_AND": 0.18,
    "ROEV": 0.02,
    "HAERV": 0.165,
}
# Reports per 1,000 residents of the codes that are not citizen-directed, in an ordinary area; chosen so
# that the total lands near 300,000 reports over 2008-2025 at scale 1 (DEMO-CITY.md, "Sizes").
_NON_CD_RATE = {"VOLD_TJM": 0.6, "NARK_BES": 3.5, "NARK_SAL": 0.8, "VAAB": 0.8, "ANDET": 3.5}
# How vulnerability v in [0, 1] tilts the mix: vulnerable estates have more violence, threats,
# vandalism and drugs, less burglary (our choice, direction as in Danish police statistics).
_GROUP_TILT = {
    "violence": 0.8,
    "threats": 0.6,
    "burglary": -0.3,
    "theft": 0.0,
    "robbery": 0.5,
    "vandalism": 0.5,
    "narcotics": 3.0,
    "other": 0.5,
}

#: Target city-wide citizen-directed reports per 1,000 residents by year (DEMO-CITY.md: about 75 in
#: 2009 falling towards about 40 by 2021, after Copenhagen's published 76 -> 35; flat-ish after 2021).
CITIZEN_DIRECTED_RATE: dict[int, float] = {
    2008: 77.0,
    2009: 75.0,
    2010: 72.0,
    2011: 69.0,
    2012: 65.0,
    2013: 62.0,
    2014: 58.0,
    2015: 55.0,
    2016: 52.0,
    2017: 49.0,
    2018: 46.0,
    2019: 44.0,
    2020: 41.0,
    2021: 40.0,
    2022: 41.0,
    2023: 42.0,
    2024: 42.0,
    2025: 41.0,
}

#: National share (%) of residents 18+ convicted of penal code, weapons or narcotics offences, by year.
#: Synthetic values of a plausible size (not Statistics Denmark figures); the statutory criterion
#: (METHODS.md §4) compares an area with 3 x this share.
NATIONAL_CONVICTED_SHARE: dict[int, float] = {y: round(1.95 - 0.04 * (y - 2008), 3) for y in YEARS}

SURVEY_ITEMS = (
    (
        "safety",
        "Hvor tryg eller utryg føler du dig i dit nabolag? (1 = grundlæggende tryg, "
        "7 = grundlæggende utryg)",
        "How safe or unsafe do you feel in your neighbourhood? (1 = basically safe, "
        "7 = basically unsafe)",
        1,
        7,
    ),
    (
        "unsafe_evening",
        "Føler du dig utryg, når du går alene i dit nabolag om aftenen? (0 = nej, 1 = ja)",
        "Do you feel unsafe walking alone in your neighbourhood in the evening? (0 = no, 1 = yes)",
        0,
        1,
    ),
    (
        "problem_vandalism",
        "Hvor stort et problem er hærværk i dit nabolag? (1 = intet problem, 4 = stort problem)",
        "How big a problem is vandalism in your neighbourhood? (1 = no problem, 4 = big problem)",
        1,
        4,
    ),
    (
        "problem_drugs",
        "Hvor stort et problem er salg og brug af narkotika i dit nabolag? (1-4)",
        "How big a problem is drug dealing and use in your neighbourhood? (1-4)",
        1,
        4,
    ),
    (
        "problem_harassment",
        "Hvor stort et problem er chikane og trusler i dit nabolag? (1-4)",
        "How big a problem are harassment and threats in your neighbourhood? (1-4)",
        1,
        4,
    ),
)

#: (code, name_da, name_en, unit, direction). ``direction`` says which way is worse for an index:
#: "higher_is_worse", "higher_is_better" or "neutral" (the non-Western share is not a harm in itself;
#: it enters only the statutory parallel-society rule).
REGISTER_INDICATORS = (
    (
        "outside_labour_education",
        "Uden for arbejdsmarked eller uddannelse (18-64 år)",
        "Outside labour market or education (18-64)",
        "%",
        "higher_is_worse",
    ),
    (
        "convicted",
        "Dømte for overtrædelse af straffeloven, våbenloven eller lov om euforiserende stoffer "
        "(18+ år)",
        "Convicted of penal code, weapons or narcotics offences (18+)",
        "%",
        "higher_is_worse",
    ),
    (
        "primary_education_only",
        "Kun grundskoleuddannelse (30-59 år)",
        "Primary education only (30-59)",
        "%",
        "higher_is_worse",
    ),
    (
        "income_relative_region",
        "Gennemsnitlig bruttoindkomst (15-64 år, ekskl. uddannelsessøgende) i procent af regionens",
        "Mean gross income (15-64, excluding students) as a percentage of the region's",
        "%",
        "higher_is_better",
    ),
    (
        "non_western",
        "Indvandrere og efterkommere fra ikke-vestlige lande",
        "Non-Western immigrants and descendants",
        "%",
        "neutral",
    ),
)

_VARIANTS = {"demo": 1, "small": 2}
_PURPOSES = {
    "geometry": 1,
    "population": 2,
    "reports": 3,
    "charges": 4,
    "survey": 5,
    "registers": 6,
    "model": 7,
}


@dataclass(frozen=True)
class _VariantParams:
    municipality_code: str
    municipality_name: str
    origin: tuple[float, float]
    radius_m: float
    n_districts: int
    n_rode: int
    n_estates: int
    residents_2008: float
    estate_min_gap_m: float
    district_names: tuple[str, ...]


# Origins on land in EPSG:25832: (720,000, 6,175,000) is on Zealand (DEMO-CITY.md); the small second
# municipality sits in central Jutland, ~190 km away, so no polygon can touch the demo city.
_PARAMS = {
    "demo": _VariantParams(
        municipality_code="999",
        municipality_name="Demokommune",
        origin=(720_000.0, 6_175_000.0),
        radius_m=4_600.0,
        n_districts=12,
        n_rode=40,
        n_estates=20,
        # ~240,000 in 2008 growing to ~260,000 in 2025, i.e. "~250,000" (DEMO-CITY.md, "Shape").
        residents_2008=240_000.0,
        estate_min_gap_m=1_100.0,
        district_names=(
            "Midtby",
            "Nørre Kvarter",
            "Skræppebjerg",
            "Østre Mosekær",
            "Hjortetrøst",
            "Søndre Engsyre",
            "Kvanløse",
            "Tidselbæk",
            "Vestre Perikon",
            "Bregnemark",
            "Slåenholt",
            "Ravnekær",
        ),
    ),
    "small": _VariantParams(
        municipality_code="998",
        municipality_name="Lillekommune",
        origin=(540_000.0, 6_250_000.0),
        radius_m=1_900.0,
        n_districts=3,
        n_rode=4,
        n_estates=2,
        residents_2008=5_000.0,
        estate_min_gap_m=700.0,
        district_names=("Lilleby", "Mølleløkke", "Rævehøj"),
    ),
}

# Made-up estate names (plant/bird prefix + housing suffix). Any resemblance to a real estate is
# coincidental; none is taken from a list of real estates.
_ESTATE_PREFIXES = (
    "Skræppe",
    "Perikon",
    "Hjortetrøst",
    "Engsyre",
    "Kvan",
    "Tidsel",
    "Mispel",
    "Slåen",
    "Kornblomst",
    "Bregne",
    "Stær",
    "Vibe",
    "Hvede",
    "Tusindfryd",
    "Pilurt",
    "Lyngrævling",
    "Mjødurt",
    "Kattehale",
    "Rylle",
    "Klokkelyng",
    "Tranebær",
    "Sivskæg",
)
_ESTATE_SUFFIXES = ("parken", "vænget", "gården", "haven", "toften", "bakken", "høj")
_RODE_SUFFIXES = ("Nord", "Syd", "Øst", "Vest", "Centrum", "Mark")


@dataclass(frozen=True)
class AreaSpec:
    """One area polygon.

    ``kind`` is "municipality", "district", "rode" (police district), "housing" (public housing
    estate), "hotspot" or "control". Rode and housing areas tile the districts ("the tiling"); a
    hotspot or control area has the estate as parent and the same polygon.
    """

    code: str
    name: str
    kind: str
    parent: str | None
    polygon: Polygon
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None


@dataclass(frozen=True)
class Truth:
    """The hidden truth injected into the demo city (DEMO-CITY.md, "The hidden truth").

    Effects are relative changes on top of the common trend, applied from ``effect_from_year`` on
    (``late_effect_from_year`` for the late hotspot); the unsafe effect is in percentage points of the
    share answering 5-7 on the 7-point safety item. Report effects act on offences that are serious or
    citizen-directed; the rings act on the same offences and on every sub-area the ring covers
    (the hotspot estate itself is not part of its ring).
    """

    hotspots: tuple[str, ...]
    hotspot_start: datetime.date
    late_hotspot: str
    late_start: datetime.date
    controls: tuple[str, ...]
    effect_youth_charges: float
    effect_reports: float
    effect_unsafe_points: float
    displacement_hotspot: str
    displacement_effect: float
    diffusion_hotspot: str
    diffusion_effect: float
    ring_m: float
    effect_from_year: int = 2011
    late_effect_from_year: int = 2014
    late_effect_youth_charges: float = -0.25
    late_effect_reports: float = -0.20
    late_effect_unsafe_points: float = -5.0
    #: Latent vulnerability in [0, 1] of every estate (drives rates, survey and registers).
    estate_vulnerability: tuple[tuple[str, float], ...] = ()
    #: Planted near-repeat burglary series: (sub-area, first date, number of burglaries).
    near_repeat_series: tuple[tuple[str, datetime.date, int], ...] = ()


@dataclass(frozen=True)
class _Model:
    """Private per-sub-area parameters shared by the generators (index = position in the tiling)."""

    codes: tuple[str, ...]
    kinds: tuple[str, ...]
    polygons: tuple[Polygon, ...]
    vulnerability: np.ndarray
    report_mult: np.ndarray
    hot_xy: tuple[np.ndarray, ...]
    hot_sd: tuple[np.ndarray, ...]
    hot_p: tuple[np.ndarray, ...]
    hot_share: np.ndarray
    unsafe_base: np.ndarray
    treat_year: np.ndarray  # first year with an effect, 0 = never
    rings: tuple[tuple[tuple[Polygon, float], ...], ...]  # per sub-area: (ring, relative effect)
    ring_from_year: int
    series: tuple[tuple[int, int, datetime.date, float, float, int], ...]
    register_slopes: np.ndarray  # (n_sub, 4)


@dataclass(frozen=True, eq=False)
class City:
    """A generated municipality. ``population`` columns: area, year, age_band, sex, count.

    ``eq=False`` because the numpy arrays inside make generated equality meaningless; compare
    the arrays instead.
    """

    seed: int
    scale: float
    variant: str
    municipality_code: str
    municipality_name: str
    areas: tuple[AreaSpec, ...]
    population: dict[str, np.ndarray]
    truth: Truth | None
    _model: _Model = field(repr=False)
    _pop: np.ndarray = field(repr=False)  # (n_sub, n_years, n_bands, n_sexes) int64

    @property
    def subareas(self) -> tuple[str, ...]:
        """Codes of the tiling sub-areas (kinds rode and housing), in generation order."""
        return self._model.codes


# --------------------------------------------------------------------------------------------------
# random streams


def _rng(seed: int, variant: str, purpose: str, *keys: int) -> np.random.Generator:
    # One independent stream per (seed, variant, purpose, area, year): SeedSequence spawn keys are
    # exactly what SeedSequence.spawn() would produce, so streams never overlap and can be created
    # in any order (streaming, chunking, parallel loaders all give the same numbers).
    ss = np.random.SeedSequence(
        entropy=seed, spawn_key=(_VARIANTS[variant], _PURPOSES[purpose], *keys)
    )
    return np.random.Generator(np.random.PCG64(ss))


# --------------------------------------------------------------------------------------------------
# geometry


def _blob(rng, cx, cy, r0, n=64, wobble=(0.10, 0.07, 0.04)):
    """Irregular star-shaped polygon around (cx, cy) with mean radius r0."""
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    r = np.ones(n)
    for k, a in enumerate(wobble, start=2):
        r += a * rng.uniform(0.5, 1.0) * np.cos(k * t + rng.uniform(0, 2 * np.pi))
    return Polygon(np.column_stack([cx + r0 * r * np.cos(t), cy + r0 * r * np.sin(t)]))


def _random_points_in(rng, poly, n, *, min_dist=0.0, max_tries=20_000):
    """n points uniformly inside poly, pairwise at least min_dist apart (dart throwing)."""
    x0, y0, x1, y1 = poly.bounds
    pts: list[tuple[float, float]] = []
    tries = 0
    while len(pts) < n:
        tries += 1
        if tries > max_tries:
            return None
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if not shapely.contains_xy(poly, x, y):
            continue
        if min_dist and any((x - a) ** 2 + (y - b) ** 2 < min_dist**2 for a, b in pts):
            continue
        pts.append((x, y))
    return np.array(pts)


def _voronoi_tiles(points, region, *, lloyd=2):
    """Voronoi cells of points clipped to region, relaxed by Lloyd iterations; None if any cell is
    not a single polygon (the caller then retries with new seeds)."""
    pts = np.asarray(points, dtype=float)
    cells: list = []
    for it in range(lloyd + 1):
        if len(pts) == 1:
            cells = [region]
        else:
            vor = shapely.voronoi_polygons(
                shapely.MultiPoint(pts), extend_to=region.buffer(1_000.0), ordered=True
            )
            cells = [shapely.intersection(g, region) for g in vor.geoms]
        if it < lloyd:
            pts = np.array([[c.centroid.x, c.centroid.y] for c in cells])
    if any(c.geom_type != "Polygon" or not c.is_valid or c.area <= 0 for c in cells):
        return None
    return cells


def _build_geometry(seed: int, variant: str, p: _VariantParams):
    rng = _rng(seed, variant, "geometry")
    ox, oy = p.origin
    for _attempt in range(200):
        muni = _blob(rng, ox, oy, p.radius_m, n=128, wobble=(0.08, 0.06, 0.04))
        spacing = math.sqrt(muni.area / p.n_districts)
        # The first district seed is the origin, so D01 is the central district ("Midtby").
        pts = _random_points_in(rng, muni, p.n_districts - 1, min_dist=0.7 * spacing)
        if pts is None:
            continue
        pts = np.vstack([[ox, oy], pts])
        districts = _voronoi_tiles(pts, muni, lloyd=1)
        if districts is None:
            continue
        # Order: D01 contains the origin, the rest clockwise from north (readable maps and codes).
        centre = int(np.argmax([shapely.contains_xy(d, ox, oy) for d in districts]))
        ang = [
            (math.atan2(d.centroid.x - ox, d.centroid.y - oy)) % (2 * math.pi) for d in districts
        ]
        order = [centre] + sorted(
            (i for i in range(len(districts)) if i != centre), key=ang.__getitem__
        )
        districts = [districts[i] for i in order]
        # Rode per district in proportion to area, at least one.
        share = np.array([d.area for d in districts]) / muni.area
        k = np.maximum(1, np.round(share * p.n_rode)).astype(int)
        while k.sum() > p.n_rode:
            k[np.argmax(np.where(k > 1, k, -1))] -= 1
        while k.sum() < p.n_rode:
            k[np.argmax(share / k)] += 1
        rode_cells: list[list] = []
        ok = True
        for d, kd in zip(districts, k):
            if kd == 1:
                rode_cells.append([d])
                continue
            sp = math.sqrt(d.area / kd)
            dp = _random_points_in(rng, d, int(kd), min_dist=0.6 * sp)
            cells = None if dp is None else _voronoi_tiles(dp, d, lloyd=2)
            if cells is None:
                ok = False
                break
            rode_cells.append(cells)
        if not ok:
            continue
        return muni, districts, rode_cells, rng
    raise RuntimeError("could not build a valid tiling in 200 attempts; report this seed as a bug")


def _place_estates(rng, p: _VariantParams, muni, rode_cells, r_max):
    """Estate centres: at most one per rode cell, not in the central rode, pairwise >= min gap."""
    ox, oy = p.origin
    cells = [(di, ri, c) for di, cs in enumerate(rode_cells) for ri, c in enumerate(cs)]
    for _attempt in range(100):
        order = rng.permutation(len(cells))
        placed: list[tuple[int, int, float, float]] = []
        for j in order:
            di, ri, c = cells[j]
            if p.n_districts > 3 and shapely.contains_xy(c, ox, oy):
                continue  # the city-centre rode is nightlife and shops, not housing estates
            core = c.buffer(-(1.25 * r_max + 40.0))
            if core.is_empty:
                continue
            pt = _random_points_in(rng, core, 1, max_tries=200)
            if pt is None:
                continue
            x, y = pt[0]
            if any((x - a) ** 2 + (y - b) ** 2 < p.estate_min_gap_m**2 for _, _, a, b in placed):
                continue
            placed.append((di, ri, x, y))
            if len(placed) == p.n_estates:
                return placed
    raise RuntimeError("could not place the housing estates; report this seed as a bug")


# --------------------------------------------------------------------------------------------------
# city


def generate_city(*, seed: int = 1, scale: float = 1.0, variant: str = "demo") -> City:
    """Generate the synthetic municipality: areas, population and the hidden truth.

    Parameters
    ----------
    seed : int
        Non-negative seed; the same (seed, scale, variant) always gives the same city.
    scale : float
        Multiplies residents and every event count (reports, charges, survey sample); polygons do not
        change. 1 gives ~250,000 residents and ~300,000 reports over 2008-2025 (DEMO-CITY.md, "Sizes").
    variant : {"demo", "small"}
        "demo" is Demokommune (code 999, 12 districts, ~60 sub-areas, with a hidden truth); "small" is
        Lillekommune (code 998, 3 districts, 6 sub-areas, ~5,000 residents, no truth) for tenancy tests.

    Returns
    -------
    City

    Examples
    --------
    >>> small = generate_city(variant="small", scale=1)
    >>> small.municipality_name, small.truth is None
    ('Lillekommune', True)
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(scale, (int, float, np.floating, np.integer)) or not (
        math.isfinite(scale) and scale > 0
    ):
        raise ValueError(f"scale must be a finite number > 0, got {scale!r}")
    if variant not in _PARAMS:
        raise ValueError(f"variant must be one of {sorted(_PARAMS)}, got {variant!r}")
    seed, scale = int(seed), float(scale)
    p = _PARAMS[variant]
    muni, districts, rode_cells, grng = _build_geometry(seed, variant, p)
    ox, oy = p.origin
    demo = variant == "demo"

    # Estate sizes at scale 1: 1,000-6,000 residents (DEMO-CITY.md). Dense blocks of ~15,000
    # residents per km2, so a 6,000-resident estate is a blob of ~360 m radius.
    density = 0.015
    r_max = math.sqrt(6_000 / (density * math.pi))
    placed = _place_estates(grng, p, muni, rode_cells, r_max)
    ne = len(placed)

    # Roles (demo only). Hotspots need a 300 m ring that stays inside the municipality and apart
    # from the other hotspot's ring, so the displacement and diffusion rings never mix.
    roles = ["ordinary"] * ne
    vul = grng.uniform(0.2, 0.6, ne) if not demo else np.zeros(ne)
    ring_m = 300.0
    if demo:
        ok_ring = [
            muni.contains(shapely.Point(x, y).buffer(1.25 * r_max + ring_m + 50.0))
            for _, _, x, y in placed
        ]
        cand = [i for i in grng.permutation(ne) if ok_ring[i]]
        pair = None
        for a in cand:
            for b in cand:
                if a != b and math.dist(placed[a][2:], placed[b][2:]) > 2 * (1.25 * r_max + 350):
                    pair = (int(a), int(b))
                    break
            if pair:
                break
        if pair is None:
            raise RuntimeError("no two estates with clean 300 m rings; report this seed as a bug")
        rest = [int(i) for i in grng.permutation(ne) if i not in pair]
        roles[pair[0]] = roles[pair[1]] = "hotspot"
        roles[rest[0]] = "late"
        for i in rest[1:9]:
            roles[i] = "control"
        # Latent vulnerability: hotspots worst (so they rank worst in 2009), then the late hotspot,
        # then eight controls of similar but slightly better profile, then ordinary estates.
        vul[pair[0]], vul[pair[1]] = 1.0, 0.97
        vul[rest[0]] = 0.76
        vul[rest[1:9]] = np.sort(grng.uniform(0.50, 0.72, 8))[::-1]
        vul[rest[9:]] = grng.uniform(0.05, 0.45, len(rest) - 9)
    pop_range = {
        "hotspot": (4_800, 5_600),
        "late": (4_000, 5_000),
        "control": (2_500, 5_000),
        "ordinary": (1_200, 4_000),
    }
    if not demo:
        pop_range["ordinary"] = (1_100, 1_500)
    est_pop = np.array([grng.uniform(*pop_range[r]) for r in roles])
    est_growth = grng.uniform(-0.008, 0.008, ne)

    # Estate polygons: blob of radius for its size, kept 40 m inside its rode cell; the rode keeps
    # the rest of the cell, with the estate as a hole. Tiling is exact by construction.
    est_polys = []
    for (di, ri, x, y), n in zip(placed, est_pop):
        cell = rode_cells[di][ri]
        r0 = math.sqrt(n / (density * math.pi))
        b = shapely.intersection(_blob(grng, x, y, r0), cell.buffer(-40.0))
        if b.geom_type != "Polygon":
            b = max(b.geoms, key=lambda g: g.area)
        est_polys.append(b)
    rode_polys = [list(cs) for cs in rode_cells]
    for (di, ri, _, _), b in zip(placed, est_polys):
        rode_polys[di][ri] = rode_polys[di][ri].difference(b)

    # Areas: municipality, districts, then per district its rode and estates; hotspot/control last.
    areas: list[AreaSpec] = [
        AreaSpec(p.municipality_code, p.municipality_name, "municipality", None, muni)
    ]
    sub_codes, sub_names, sub_kinds, sub_polys, sub_dist, est_of_sub = [], [], [], [], [], []
    name_pool = [a + b for a in _ESTATE_PREFIXES for b in _ESTATE_SUFFIXES]
    name_idx = grng.permutation(len(name_pool))
    ni = 0
    for di, d in enumerate(districts):
        dcode = f"D{di + 1:02d}"
        dname = p.district_names[di]
        areas.append(AreaSpec(dcode, dname, "district", p.municipality_code, d))
        for ri, rp in enumerate(rode_polys[di]):
            sub_codes.append(f"{dcode}-R{ri + 1}")
            sub_names.append(f"{dname} {_RODE_SUFFIXES[ri % len(_RODE_SUFFIXES)]}")
            if ri >= len(_RODE_SUFFIXES):
                sub_names[-1] += f" {ri // len(_RODE_SUFFIXES) + 1}"
            sub_kinds.append("rode")
            sub_polys.append(rp)
            sub_dist.append(di)
            est_of_sub.append(-1)
        h = 0
        for e, (edi, _, _, _) in enumerate(placed):
            if edi != di:
                continue
            h += 1
            sub_codes.append(f"{dcode}-H{h}")
            sub_names.append(name_pool[name_idx[ni]])
            ni += 1
            sub_kinds.append("housing")
            sub_polys.append(est_polys[e])
            sub_dist.append(di)
            est_of_sub.append(e)
    for code, name, kind, poly, di in zip(sub_codes, sub_names, sub_kinds, sub_polys, sub_dist):
        areas.append(AreaSpec(code, name, kind, f"D{di + 1:02d}", poly))
    n_sub = len(sub_codes)
    est_sub = {e: s for s, e in enumerate(est_of_sub) if e >= 0}

    # Per sub-area latent parameters.
    v = np.zeros(n_sub)
    centroid = np.array([[g.centroid.x, g.centroid.y] for g in sub_polys])
    dist_c = np.hypot(centroid[:, 0] - ox, centroid[:, 1] - oy)
    is_centre = np.array(
        [k == "rode" and bool(shapely.contains_xy(g, ox, oy)) for k, g in zip(sub_kinds, sub_polys)]
    )
    if not demo:
        is_centre[:] = False
    for e, s in est_sub.items():
        v[s] = vul[e]
    rode_idx = np.array([i for i, k in enumerate(sub_kinds) if k == "rode"])
    v[rode_idx] = grng.uniform(0.0, 0.25, len(rode_idx))
    # Report multiplier relative to the city mean (normalised per year later): reports are counted
    # where they happen, so the centre (nightlife, shops) has many per resident, vulnerable estates
    # 2-3x the mean, quiet suburbs below it.
    mult = np.empty(n_sub)
    for i in range(n_sub):
        if sub_kinds[i] == "housing":
            mult[i] = 0.7 + 2.5 * v[i]
        else:
            mult[i] = (
                grng.lognormal(0.0, 0.3)
                * (1.0 + 0.5 * v[i])
                * (1.0 + 1.2 * math.exp(-dist_c[i] / 1500))
            )
    mult[is_centre] = 4.5

    # Residents per sub-area in 2008 at scale 1.
    base = np.zeros(n_sub)
    growth = np.zeros(n_sub)
    for e, s in est_sub.items():
        base[s], growth[s] = est_pop[e], est_growth[e]
    rest_total = p.residents_2008 - base.sum()
    w = np.array([sub_polys[i].area for i in rode_idx]) * np.exp(-dist_c[rode_idx] / 5_000.0)
    w *= grng.lognormal(0.0, 0.25, len(rode_idx))
    w[is_centre[rode_idx]] *= 0.6
    base[rode_idx] = rest_total * w / w.sum()
    # Drift: some areas grow, some shrink (DEMO-CITY.md); rode a bit faster on average (new builds).
    growth[rode_idx] = grng.normal(0.006, 0.008, len(rode_idx))

    # Hot points: places that concentrate reports (squares, stations, shops, youth hang-outs). With
    # about half the reports in these Gaussian bumps, ~5 % of 100 m cells hold ~half the reports
    # (DEMO-CITY.md, "strong spatial concentration").
    hot_xy, hot_sd, hot_p = [], [], []
    hot_share = np.empty(n_sub)
    for i, g in enumerate(sub_polys):
        if is_centre[i]:
            k, hot_share[i] = 14, 0.65
        elif sub_kinds[i] == "housing":
            k, hot_share[i] = 2 + int(grng.poisson(1.0)), 0.5
        else:
            k, hot_share[i] = min(12, 3 + int(grng.poisson(g.area / 5e5))), 0.5
        xy = _random_points_in(grng, g.buffer(-20.0), k)
        if xy is None:
            xy = _random_points_in(grng, g, k)
        hot_xy.append(xy)
        hot_sd.append(grng.uniform(15.0, 45.0, k))
        wk = grng.lognormal(0.0, 0.9, k)
        hot_p.append(wk / wk.sum())

    # Unsafe share (answers 5-7) in 2009 by area: ~7 % in ordinary rode, up to ~30 % in the worst
    # estates, so the weighted city-wide share is ~10 % (DEMO-CITY.md, "Survey").
    unsafe_base = np.where(
        np.array(sub_kinds) == "housing",
        0.07 + 0.20 * v,
        0.055 + 0.06 * v + grng.uniform(0, 0.02, n_sub),
    )
    unsafe_base[is_centre] = 0.11

    # Truth.
    treat_year = np.zeros(n_sub, dtype=int)
    truth = None
    rings: list[list[tuple[Polygon, float]]] = [[] for _ in range(n_sub)]
    series: list[tuple[int, int, datetime.date, float, float, int]] = []
    if demo:
        hs = [est_sub[pair[0]], est_sub[pair[1]]]
        late = est_sub[rest[0]]
        controls = sorted(est_sub[e] for e in rest[1:9])
        treat_year[hs] = 2011
        treat_year[late] = 2014
        ring_polys = []
        for s, eff in ((hs[0], 0.08), (hs[1], -0.06)):
            ring = sub_polys[s].buffer(ring_m).difference(sub_polys[s])
            ring_polys.append(ring)
            for j in range(n_sub):
                if j != s and sub_polys[j].intersects(ring):
                    part = ring.intersection(sub_polys[j])
                    if part.area > 1.0:
                        rings[j].append((ring, eff))
        # Near-repeat burglary series: a handful, in ordinary rode away from the rings.
        ring_union = shapely.union_all(ring_polys).buffer(200.0)
        cand = [
            int(i)
            for i in rode_idx
            if not is_centre[i] and not sub_polys[i].buffer(-150.0).is_empty
        ]
        for _ in range(6):
            for _try in range(50):
                s = int(grng.choice(cand))
                core = sub_polys[s].buffer(-150.0).difference(ring_union)
                if core.is_empty:
                    continue
                pt = _random_points_in(grng, core, 1, max_tries=500)
                if pt is None:
                    continue
                year = int(grng.integers(2008, 2026))
                start = datetime.date(year, 1, 1) + datetime.timedelta(
                    days=int(grng.integers(0, 330))
                )
                series.append(
                    (s, year, start, float(pt[0, 0]), float(pt[0, 1]), int(grng.integers(4, 9)))
                )
                break
        series.sort(key=lambda t: (t[1], t[0]))
        truth = Truth(
            hotspots=(sub_codes[hs[0]], sub_codes[hs[1]]),
            hotspot_start=datetime.date(2010, 7, 1),
            late_hotspot=sub_codes[late],
            late_start=datetime.date(2013, 7, 1),
            controls=tuple(sub_codes[c] for c in controls),
            effect_youth_charges=-0.25,
            effect_reports=-0.20,
            effect_unsafe_points=-5.0,
            displacement_hotspot=sub_codes[hs[0]],
            displacement_effect=0.08,
            diffusion_hotspot=sub_codes[hs[1]],
            diffusion_effect=-0.06,
            ring_m=ring_m,
            estate_vulnerability=tuple(
                (sub_codes[s], round(float(v[s]), 3)) for s in sorted(est_sub.values())
            ),
            near_repeat_series=tuple((sub_codes[s], d, n) for s, _, d, _, _, n in series),
        )
        for s, label in ((hs[0], "hotspot"), (hs[1], "hotspot"), (late, "hotspot")):
            start = truth.late_start if s == late else truth.hotspot_start
            areas.append(
                AreaSpec(
                    f"HS-{sub_codes[s]}",
                    f"Hotspot {sub_names[s]}",
                    label,
                    sub_codes[s],
                    sub_polys[s],
                    valid_from=start,
                )
            )
        for s in controls:
            areas.append(
                AreaSpec(
                    f"KO-{sub_codes[s]}",
                    f"Kontrol {sub_names[s]}",
                    "control",
                    sub_codes[s],
                    sub_polys[s],
                )
            )

    # Register trajectories: per-area slopes so estates near the thresholds cross them over time
    # ("a handful of estates meet the criteria in some years and not in others", DEMO-CITY.md).
    reg_slopes = grng.normal(0.0, 1.0, (n_sub, 4))
    if demo:
        # Guarantee the "some years, not others" case: the late hotspot and the two most vulnerable
        # controls improve steadily (outside, convicted and primary-only fall, income rises), so
        # they meet >= 2 of 4 criteria in the early years and stop meeting them later.
        for s in [late, *sorted(controls, key=lambda j: -v[j])[:2]]:
            reg_slopes[s] = (-1.5, -1.0, -1.5, 1.5)

    for g in sub_polys:
        shapely.prepare(g)
    model = _Model(
        codes=tuple(sub_codes),
        kinds=tuple(sub_kinds),
        polygons=tuple(sub_polys),
        vulnerability=v,
        report_mult=mult,
        hot_xy=tuple(hot_xy),
        hot_sd=tuple(hot_sd),
        hot_p=tuple(hot_p),
        hot_share=hot_share,
        unsafe_base=unsafe_base,
        treat_year=treat_year,
        rings=tuple(tuple(r) for r in rings),
        ring_from_year=2011,
        series=tuple(series),
        register_slopes=reg_slopes,
    )
    pop = _population(seed, variant, scale, base, growth, v, is_centre)
    ny, nb, ns = len(YEARS), len(AGE_BANDS), len(SEXES)
    population = {
        "area": np.repeat(np.array(sub_codes), ny * nb * ns),
        "year": np.tile(np.repeat(np.array(YEARS, dtype=np.int64), nb * ns), n_sub),
        "age_band": np.tile(np.repeat(np.array(AGE_BANDS), ns), n_sub * ny),
        "sex": np.tile(np.array(SEXES), n_sub * ny * nb),
        "count": pop.reshape(-1).astype(np.int64),
    }
    return City(
        seed=seed,
        scale=scale,
        variant=variant,
        municipality_code=p.municipality_code,
        municipality_name=p.municipality_name,
        areas=tuple(areas),
        population=population,
        truth=truth,
        _model=model,
        _pop=pop,
    )


# Age structure (shares of residents by band). Ordinary: a Danish city; vulnerable estates are
# younger (more children, fewer 60+), the centre has more students and young adults. Our choice,
# shaped after Statistics Denmark's published age pyramids.
_AGE_ORDINARY = np.array([0.10, 0.05, 0.03, 0.10, 0.09, 0.41, 0.22])
_AGE_VULNERABLE = np.array([0.16, 0.085, 0.05, 0.12, 0.085, 0.38, 0.12])
_AGE_CENTRE = np.array([0.07, 0.03, 0.02, 0.20, 0.18, 0.36, 0.14])
_FEMALE_SHARE = np.array([0.487, 0.487, 0.486, 0.50, 0.50, 0.495, 0.55])


def _population(seed, variant, scale, base, growth, v, is_centre):
    n_sub, ny = len(base), len(YEARS)
    pop = np.zeros((n_sub, ny, len(AGE_BANDS), 2), dtype=np.int64)
    t = np.arange(ny)
    for i in range(n_sub):
        rng = _rng(seed, variant, "population", i)
        total = base[i] * scale * np.exp(growth[i] * t + rng.normal(0, 0.01, ny).cumsum() * 0.5)
        shares = (1 - v[i]) * _AGE_ORDINARY + v[i] * _AGE_VULNERABLE
        if is_centre[i]:
            shares = _AGE_CENTRE.copy()
        # Ageing: the 60+ share grows by 0.15 points a year, the others give way in proportion.
        old = np.minimum(shares[6] + 0.0015 * t, 0.35)
        sh = np.empty((ny, len(AGE_BANDS)))
        sh[:, 6] = old
        sh[:, :6] = shares[:6] / shares[:6].sum() * (1 - old)[:, None]
        sh *= rng.lognormal(0.0, 0.02, sh.shape)
        sh /= sh.sum(axis=1, keepdims=True)
        cnt = total[:, None] * sh
        pop[i, :, :, 0] = np.round(cnt * _FEMALE_SHARE)
        pop[i, :, :, 1] = np.round(cnt * (1 - _FEMALE_SHARE))
    return pop


# --------------------------------------------------------------------------------------------------
# reports


# Hour-of-day weights per offence group (index = hour 0..23): violence and robbery at night,
# burglary and theft in daytime, vandalism in the evening. Our choice, shaped after the well-known
# diurnal patterns in police data.
def _hours(peaks: list[tuple[float, float, float]], floor: float) -> np.ndarray:
    h = np.arange(24)
    w = np.full(24, floor)
    for centre, width, height in peaks:
        d = np.minimum(np.abs(h - centre), 24 - np.abs(h - centre))
        w += height * np.exp(-0.5 * (d / width) ** 2)
    return w / w.sum()


_HOUR_P = np.array(
    [
        _hours([(1.0, 2.5, 3.0), (17.0, 3.0, 1.0)], 0.2),  # violence
        _hours([(16.0, 4.0, 1.5)], 0.3),  # threats
        _hours([(12.0, 3.5, 1.2), (19.0, 2.5, 1.0)], 0.2),  # burglary
        _hours([(15.0, 4.0, 1.5)], 0.1),  # theft
        _hours([(22.0, 3.0, 1.5)], 0.2),  # robbery
        _hours([(22.5, 3.0, 1.5)], 0.2),  # vandalism
        _hours([(18.0, 4.0, 1.5)], 0.2),  # narcotics
        _hours([(13.0, 5.0, 1.0)], 0.3),  # other
    ]
)
_HOUR_CDF = np.cumsum(_HOUR_P, axis=1)
# Groups whose reports peak on Friday/Saturday nights (nightlife) get a stronger weekend boost.
_NIGHTLIFE = np.array([True, False, False, False, True, True, False, False])


def _year_days(year: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day-of-year probabilities (ordinary, nightlife) with summer and weekend peaks, and day offsets."""
    start = np.datetime64(f"{year}-01-01")
    n = int((np.datetime64(f"{year + 1}-01-01") - start).astype(int))
    days = np.arange(n)
    # Seasonality: +-18 % around the mean, peak mid-July (DEMO-CITY.md, "summer peaks").
    season = 1.0 + 0.18 * np.cos(2 * np.pi * (days - 196) / 365.25)
    wd = ((start + days).astype("datetime64[D]").view("int64") - 4) % 7  # 0 = Monday
    ordinary = season * np.where(wd >= 4, 1.08, 1.0)  # Fri, Sat, Sun
    night = season * np.select([wd == 4, wd == 5, wd == 6], [1.35, 1.5, 1.15], 0.9)
    return ordinary / ordinary.sum(), night / night.sum(), days


def _dst_start(year: int) -> int:
    """Day-of-year (0-based) of the last Sunday in March, when 02:00-03:00 does not exist."""
    d = datetime.date(year, 3, 31)
    d -= datetime.timedelta(days=(d.weekday() + 1) % 7)
    return (d - datetime.date(year, 1, 1)).days


def _times(rng, year, groups, dayp):
    n = len(groups)
    ordinary, night, _ = dayp
    nd = len(ordinary)
    day = np.where(
        _NIGHTLIFE[groups],
        np.searchsorted(np.cumsum(night), rng.random(n) * night.sum()),
        np.searchsorted(np.cumsum(ordinary), rng.random(n) * ordinary.sum()),
    )
    day = np.minimum(day, nd - 1)
    u = rng.random(n)
    hour = (u[:, None] > _HOUR_CDF[groups]).sum(axis=1)
    hour = np.minimum(hour, 23)
    # Danish wall time: the hour skipped when summer time begins is moved one hour on.
    hour = np.where((day == _dst_start(year)) & (hour == 2), 3, hour)
    sec = rng.integers(0, 3600, n)
    t0 = np.datetime64(f"{year}-01-01T00:00:00", "s")
    return t0 + (day * 86400 + hour * 3600 + sec).astype("timedelta64[s]")


def _sample_points(rng, model: _Model, i: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n points strictly inside sub-area i: a mixture of Gaussian hot points and uniform background.

    Coordinates are rounded to the centimetre *before* the containment test, so the rounded values
    written to CSV are inside the polygon too.
    """
    poly = model.polygons[i]
    x0, y0, x1, y1 = poly.bounds
    hx, hsd, hp = model.hot_xy[i], model.hot_sd[i], model.hot_p[i]
    x = np.empty(n)
    y = np.empty(n)
    hot = rng.random(n) < model.hot_share[i]
    comp = np.searchsorted(np.cumsum(hp), rng.random(n) * hp.sum())
    comp = np.minimum(comp, len(hp) - 1)
    todo = np.arange(n)
    for it in range(60):
        if len(todo) == 0:
            break
        m = len(todo)
        use_hot = hot[todo] if it < 40 else np.zeros(m, dtype=bool)
        c = comp[todo]
        cx = np.where(use_hot, hx[c, 0] + rng.normal(0, 1, m) * hsd[c], rng.uniform(x0, x1, m))
        cy = np.where(use_hot, hx[c, 1] + rng.normal(0, 1, m) * hsd[c], rng.uniform(y0, y1, m))
        cx, cy = np.round(cx, 2), np.round(cy, 2)
        inside = shapely.contains_xy(poly, cx, cy)
        x[todo[inside]] = cx[inside]
        y[todo[inside]] = cy[inside]
        todo = todo[~inside]
    while len(todo):  # uniform rejection always terminates; practically never reached
        cx = np.round(rng.uniform(x0, x1, len(todo)), 2)
        cy = np.round(rng.uniform(y0, y1, len(todo)), 2)
        inside = shapely.contains_xy(poly, cx, cy)
        x[todo[inside]] = cx[inside]
        y[todo[inside]] = cy[inside]
        todo = todo[~inside]
    return x, y


def _offence_rates(city: City) -> np.ndarray:
    """Expected reports per resident, (n_sub, n_years, n_offences), before effects and rings."""
    m = city._model
    tot = city._pop.sum(axis=(2, 3)).astype(float)  # (n_sub, ny)
    v = m.vulnerability
    tilt = np.array([[1.0 + _GROUP_TILT[o.group] * v[i] for o in OFFENCES] for i in range(len(v))])
    cd_share = np.array([_CD_MIX.get(c, 0.0) for c in _OFF_CODES])
    mix = cd_share[None, :] * tilt
    mix /= mix.sum(axis=1, keepdims=True)  # per-area mix of citizen-directed codes, sums to 1
    rates = np.zeros((len(v), len(YEARS), len(OFFENCES)))
    # Normalise per year so the city-wide citizen-directed rate hits the target exactly in
    # expectation (before the programme effects, which move it by well under 1 %).
    mbar = (tot * m.report_mult[:, None]).sum(axis=0) / np.maximum(tot.sum(axis=0), 1.0)
    target = np.array([CITIZEN_DIRECTED_RATE[y] for y in YEARS]) / 1000.0
    cd_rate = m.report_mult[:, None] * (target / mbar)[None, :]  # (n_sub, ny)
    rates += cd_rate[:, :, None] * mix[:, None, :]
    rel_trend = target / target[YEARS.index(2009)]
    for code, r in _NON_CD_RATE.items():
        j = _OFF_INDEX[code]
        level = r / 1000.0 * (m.report_mult / mbar.mean()) ** 0.8 * tilt[:, j]
        # Serious non-citizen-directed codes follow the common trend (the effect and the rings act on
        # them too); the rest (drugs, weapons, other) reflect police activity and stay flat.
        trend = rel_trend if _OFF_FLAGGED[j] else np.ones(len(YEARS))
        rates[:, :, j] = level[:, None] * trend[None, :]
    return rates


def _report_unit(city, rates, i, yi, dayp):
    """All reports of sub-area i in year YEARS[yi]: an independent stream keyed (area, year)."""
    m = city._model
    year = YEARS[yi]
    rng = _rng(city.seed, city.variant, "reports", i, year)
    pop = float(city._pop[i, yi].sum())
    lam = pop * rates[i, yi]
    ty = int(m.treat_year[i])
    if ty and year >= ty:
        eff = city.truth.effect_reports if ty == 2011 else city.truth.late_effect_reports
        lam = np.where(_OFF_FLAGGED, lam * (1.0 + eff), lam)
    # A little area-year overdispersion (Gamma, CV 3 %), as real counts vary more than Poisson.
    lam = lam * rng.gamma(1 / 0.03**2, 0.03**2)
    counts = rng.poisson(lam)
    off = np.repeat(np.arange(len(OFFENCES)), counts)
    x, y = _sample_points(rng, m, i, len(off))
    # Rings: displacement (extra reports) or diffusion (fewer) in 300 m around a hotspot.
    if m.rings[i] and year >= m.ring_from_year:
        for ring, eff in m.rings[i]:
            inr = shapely.contains_xy(ring, x, y) & _OFF_FLAGGED[off]
            idx = np.flatnonzero(inr)
            if eff < 0:
                keep = np.ones(len(off), dtype=bool)
                keep[idx[rng.random(len(idx)) < -eff]] = False
                off, x, y = off[keep], x[keep], y[keep]
            elif len(idx):
                k = int(rng.poisson(eff * len(idx)))
                src = rng.choice(idx, size=k)
                nx = np.round(x[src] + rng.normal(0, 25.0, k), 2)
                ny_ = np.round(y[src] + rng.normal(0, 25.0, k), 2)
                ok = shapely.contains_xy(ring, nx, ny_) & shapely.contains_xy(
                    m.polygons[i], nx, ny_
                )
                nx = np.where(ok, nx, x[src])
                ny_ = np.where(ok, ny_, y[src])
                off, x, y = (
                    np.concatenate([off, off[src]]),
                    np.concatenate([x, nx]),
                    np.concatenate([y, ny_]),
                )
    t = _times(rng, year, _OFF_GROUP[off], dayp)
    # Near-repeat burglary series planted in this area-year (added on top of the ordinary reports).
    for s, sy, start, sx, sy_, n in m.series:
        if s != i or sy != year:
            continue
        k = n
        px = np.round(sx + rng.normal(0, 60.0, k), 2)
        py = np.round(sy_ + rng.normal(0, 60.0, k), 2)
        ok = shapely.contains_xy(m.polygons[i], px, py)
        px, py = np.where(ok, px, round(sx, 2)), np.where(ok, py, round(sy_, 2))
        d0 = np.datetime64(start, "D") + np.sort(rng.integers(0, 21, k)).astype("timedelta64[D]")
        d0 = np.minimum(d0, np.datetime64(f"{year}-12-31"))
        st = d0.astype("datetime64[s]") + (rng.integers(9 * 3600, 20 * 3600, k)).astype(
            "timedelta64[s]"
        )
        off = np.concatenate([off, np.full(k, _OFF_INDEX["INDB_BEB"])])
        x, y, t = np.concatenate([x, px]), np.concatenate([y, py]), np.concatenate([t, st])
    order = np.argsort(t, kind="stable")
    prefix = f"{city.municipality_code}-{year}-{m.codes[i]}-"
    n = len(order)
    return {
        "id": np.array([f"{prefix}{k:06d}" for k in range(n)]),
        "occurred_at": t[order],
        "offence": np.array(_OFF_CODES)[off[order]] if n else np.array([], dtype="<U9"),
        "x": x[order],
        "y": y[order],
        "area": np.full(n, m.codes[i]),
    }


_REPORT_KEYS = ("id", "occurred_at", "offence", "x", "y", "area")


def _concat(parts):
    return {k: np.concatenate([p[k] for p in parts]) for k in _REPORT_KEYS}


def iter_reports(city: City, *, chunk_size: int = 100_000) -> Iterator[dict[str, np.ndarray]]:
    """Stream the crime reports in chunks of exactly ``chunk_size`` rows (the last may be shorter).

    Reports come year by year, and within a year sub-area by sub-area, each area-year sorted by time.
    Each area-year has its own random stream, so the concatenation of the chunks is identical for
    every ``chunk_size`` and only one area-year plus one chunk is held in memory.

    Parameters
    ----------
    city : City
    chunk_size : int
        Rows per chunk, > 0.

    Yields
    ------
    dict of numpy arrays
        ``id`` (str, unique and stable: "<municipality>-<year>-<area>-<serial>"), ``occurred_at``
        (datetime64[s], Danish wall time, never in the skipped DST hour), ``offence`` (code from
        :data:`OFFENCES`), ``x``, ``y`` (float64, EPSG:25832, rounded to the centimetre), ``area``
        (tiling sub-area whose polygon strictly contains the point).

    Examples
    --------
    >>> city = generate_city(seed=1, scale=0.1)
    >>> first = next(iter_reports(city, chunk_size=10))
    >>> len(first["id"]), str(first["occurred_at"].dtype)
    (10, 'datetime64[s]')
    """
    if (
        isinstance(chunk_size, bool)
        or not isinstance(chunk_size, (int, np.integer))
        or chunk_size < 1
    ):
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    rates = _offence_rates(city)
    n_sub = len(city._model.codes)
    buf: list[dict[str, np.ndarray]] = []
    nbuf = 0
    for yi, year in enumerate(YEARS):
        dayp = _year_days(year)
        for i in range(n_sub):
            unit = _report_unit(city, rates, i, yi, dayp)
            buf.append(unit)
            nbuf += len(unit["id"])
            while nbuf >= chunk_size:
                cat = _concat(buf)
                yield {k: a[:chunk_size] for k, a in cat.items()}
                buf = [{k: a[chunk_size:] for k, a in cat.items()}]
                nbuf -= chunk_size
    if nbuf:
        yield _concat(buf)


# --------------------------------------------------------------------------------------------------
# charges

# Distinct persons charged per resident and year in 2008, by population age band, for an ordinary
# area (v = 0) and the extra at v = 1; youths 10-17 "a few per cent" in vulnerable estates and "well
# under 1 %" elsewhere (DEMO-CITY.md, "Charges"). Band 0-9 is never charged.
_CHARGE_BASE = np.array([0.0, 0.0015, 0.009, 0.010, 0.006, 0.003, 0.0005])
_CHARGE_VUL = np.array([0.0, 0.025, 0.10, 0.03, 0.02, 0.010, 0.0005])
_BAND_AGES = ((0, 9), (10, 14), (15, 17), (18, 24), (25, 29), (30, 59), (60, 85))
# Offence mix of charges for youths (10-17) and adults, as probabilities over OFFENCES.
_CHARGE_MIX_YOUTH = {
    "VOLD_SIMP": 0.12,
    "VOLD_GROV": 0.02,
    "TRUS": 0.06,
    "INDB_BEB": 0.05,
    "INDB_ERH": 0.03,
    "TYV_BUT": 0.18,
    "TYV_CYK": 0.05,
    "TYV_KTJ": 0.05,
    "TYV_AND": 0.07,
    "ROEV": 0.05,
    "HAERV": 0.12,
    "NARK_BES": 0.10,
    "NARK_SAL": 0.02,
    "VAAB": 0.03,
    "ANDET": 0.05,
}
_CHARGE_MIX_ADULT = {
    "VOLD_SIMP": 0.12,
    "VOLD_GROV": 0.03,
    "VOLD_TJM": 0.02,
    "TRUS": 0.06,
    "INDB_BEB": 0.04,
    "INDB_ERH": 0.02,
    "TYV_BUT": 0.12,
    "TYV_CYK": 0.02,
    "TYV_KTJ": 0.04,
    "TYV_AND": 0.08,
    "ROEV": 0.02,
    "HAERV": 0.05,
    "NARK_BES": 0.20,
    "NARK_SAL": 0.05,
    "VAAB": 0.05,
    "ANDET": 0.08,
}


def _mix_p(d):
    p = np.array([d.get(c, 0.0) for c in _OFF_CODES])
    return p / p.sum()


#: Common trend of charged persons relative to 2008: youth crime fell steeply in Denmark 2008-2020
#: (5 % a year here), then levelled off. Adults fall more gently.
_YOUTH_TREND = np.array([max(0.5, 0.95 ** (y - 2008)) for y in YEARS])
_ADULT_TREND = np.array([max(0.7, 0.98 ** (y - 2008)) for y in YEARS])


def _person_key(variant: str, i: int, serial: int) -> str:
    # Opaque pseudonym: a bijective odd-multiplier mix of (variant, area, serial), so keys are unique
    # by construction and reveal nothing readable (there is no real person behind any key).
    raw = (_VARIANTS[variant] << 56) | (i << 32) | serial
    return "P" + format((raw * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF, "016x")


def charges(city: City) -> dict[str, np.ndarray]:
    """Charges (sigtelser) of persons resident in the city, counted at the residence sub-area.

    Per sub-area, year and age band the number of *distinct* charged persons is Poisson with rate
    (base + vulnerability extra) x common trend x programme effect; each person has 1 + Poisson(0.4)
    charges that year; about a third of each year's persons were already charged in the same area in
    the three years before (repeat offenders, ages carried forward).

    Returns
    -------
    dict of numpy arrays
        ``id`` (str, unique), ``person`` (str pseudonym "P" + 16 hex), ``charged_on`` (datetime64[D]),
        ``offence`` (code), ``age`` (int64, age at charge), ``area`` (residence sub-area code).

    Examples
    --------
    >>> c = charges(generate_city(seed=1, scale=0.1))
    >>> sorted(c)
    ['age', 'area', 'charged_on', 'id', 'offence', 'person']
    """
    m = city._model
    pyouth, padult = _mix_p(_CHARGE_MIX_YOUTH), _mix_p(_CHARGE_MIX_ADULT)
    out: dict[str, list] = {k: [] for k in ("person", "charged_on", "offence", "age", "area")}
    for i in range(len(m.codes)):
        rng = _rng(city.seed, city.variant, "charges", i)
        v = m.vulnerability[i]
        # v**2 keeps moderately vulnerable estates near the ordinary level; only the worst reach
        # several per cent.
        rate = _CHARGE_BASE + _CHARGE_VUL * v**2
        # Persons charged before in this area: key, birth date, last year charged.
        pool_key = np.array([], dtype="<U17")
        pool_birth = np.array([], dtype="datetime64[D]")
        pool_last = np.array([], dtype=np.int64)
        serial = 0
        ty = int(m.treat_year[i])
        for yi, year in enumerate(YEARS):
            eff = 0.0
            if ty and year >= ty:
                eff = (
                    city.truth.effect_youth_charges
                    if ty == 2011
                    else city.truth.late_effect_youth_charges
                )
            mid = np.datetime64(f"{year}-07-01")
            day0 = np.datetime64(f"{year}-01-01")
            ndays = int((np.datetime64(f"{year + 1}-01-01") - day0).astype(int))
            # Only persons known at the start of the year can recur this year.
            n0 = len(pool_key)
            age_mid = _age_years(pool_birth, np.full(n0, mid))
            used = np.zeros(n0, dtype=bool)
            for b in range(1, len(AGE_BANDS)):
                youth = b in (1, 2)
                trend = _YOUTH_TREND[yi] if youth else _ADULT_TREND[yi]
                lam = city._pop[i, yi, b].sum() * rate[b] * trend * (1.0 + (eff if youth else 0.0))
                n = int(rng.poisson(lam))
                if n == 0:
                    continue
                lo, hi = _BAND_AGES[b]
                elig = np.flatnonzero(
                    (age_mid >= lo) & (age_mid <= hi) & (pool_last[:n0] >= year - 3) & ~used
                )
                k = min(int(rng.binomial(n, 0.35)), len(elig))
                rep = rng.choice(elig, size=k, replace=False) if k else np.array([], dtype=int)
                used[rep] = True
                pool_last[rep] = year
                ages = rng.integers(lo, hi + 1, n - k)
                new_birth = mid - (ages * 365.25 + rng.integers(0, 365, n - k)).astype(
                    "timedelta64[D]"
                )
                new_key = np.array(
                    [_person_key(city.variant, i, serial + j) for j in range(n - k)], dtype="<U17"
                )
                serial += n - k
                keys = np.concatenate([pool_key[rep], new_key])
                births = np.concatenate([pool_birth[rep], new_birth])
                pool_key = np.concatenate([pool_key, new_key])
                pool_birth = np.concatenate([pool_birth, new_birth])
                pool_last = np.concatenate([pool_last, np.full(n - k, year)])
                nch = 1 + rng.poisson(0.4 if youth else 0.3, n)
                who = np.repeat(np.arange(n), nch)
                dates = day0 + rng.integers(0, ndays, len(who)).astype("timedelta64[D]")
                out["person"].append(keys[who])
                out["charged_on"].append(dates)
                out["age"].append(_age_years(births[who], dates))
                out["offence"].append(
                    rng.choice(len(OFFENCES), size=len(who), p=pyouth if youth else padult)
                )
                out["area"].append(np.full(len(who), m.codes[i]))
    cat = {k: np.concatenate(v) if v else np.array([]) for k, v in out.items()}
    n = len(cat["person"])
    return {
        "id": np.array([f"{city.municipality_code}-C{k:07d}" for k in range(n)]),
        "person": cat["person"].astype(str),
        "charged_on": cat["charged_on"].astype("datetime64[D]"),
        "offence": np.array(_OFF_CODES)[cat["offence"].astype(int)],
        "age": cat["age"].astype(np.int64),
        "area": cat["area"].astype(str),
    }


def _age_years(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Completed years of age on the given dates (vectorised; 29 February counts as 1 March)."""
    by = birth.astype("datetime64[Y]").astype(np.int64)
    oy = on.astype("datetime64[Y]").astype(np.int64)

    def month_day(d):
        months = d.astype("datetime64[M]")
        return (months.astype(np.int64) % 12) * 100 + (d - months).astype(np.int64)

    return oy - by - (month_day(on) < month_day(birth))


# --------------------------------------------------------------------------------------------------
# survey

_RESPONSE_RATE = 0.45  # typical for Danish safety surveys by post/web; invitations are n / 0.45


def _survey_allocation(city: City) -> np.ndarray:
    """Target completed interviews per sub-area and wave at scale 1: ~4,000 city-wide, estates
    oversampled (175 in vulnerable estates, 80 in others), the rest of ~1,500 spread over the rode in
    proportion to adults (DEMO-CITY.md, "Survey": ~4,000 respondents, design weights)."""
    m = city._model
    adults = city._pop[:, YEARS.index(2009), 3:].sum(axis=(1, 2)).astype(float)
    kinds = np.array(m.kinds)
    n = np.where(m.vulnerability >= 0.5, 175.0, 80.0)
    rode = kinds == "rode"
    share = adults[rode] / adults[rode].sum()
    n_rode = 1_500.0 if city.variant == "demo" else 120.0
    n[rode] = np.maximum(20.0, n_rode * share)
    if city.variant == "small":
        n[~rode] = 40.0
    return n


def survey(city: City) -> dict[str, np.ndarray]:
    """One survey wave a year from 2009: the 7-point safety item, unsafe in the evening, three
    problem items, and a design weight per respondent.

    Stratified by sub-area: each stratum invites ``n / 0.45`` adults and about 45 % answer; the
    design weight is the stratum's adults (18+) divided by its completed interviews, so weighted
    shares estimate the resident population although estates are oversampled.

    Returns
    -------
    dict of numpy arrays
        ``respondent`` (str, unique within the wave and overall), ``year``, ``area``, ``weight``,
        ``safety`` (1..7), ``unsafe_evening`` (0/1), ``problem_vandalism``, ``problem_drugs``,
        ``problem_harassment`` (1..4, 4 = big problem).
    """
    m = city._model
    alloc = _survey_allocation(city) * city.scale
    cols: dict[str, list] = {k: [] for k in ("respondent", "year", "area", "weight")}
    items: dict[str, list] = {k[0]: [] for k in SURVEY_ITEMS}
    for year in SURVEY_YEARS:
        yi = YEARS.index(year)
        serial = 0
        for i in range(len(m.codes)):
            rng = _rng(city.seed, city.variant, "survey", i, year)
            invited = int(math.ceil(alloc[i] / _RESPONSE_RATE))
            n = int(rng.binomial(invited, _RESPONSE_RATE))
            if n == 0:
                continue
            adults = float(city._pop[i, yi, 3:].sum())
            v = m.vulnerability[i]
            # Common trend: -0.15 points a year everywhere (additive, so controls and hotspots share
            # it in points), plus the programme effect from the effect year on.
            p = m.unsafe_base[i] - 0.0015 * (year - 2009)
            ty = int(m.treat_year[i])
            if ty and year >= ty:
                eff = (
                    city.truth.effect_unsafe_points
                    if ty == 2011
                    else city.truth.late_effect_unsafe_points
                )
                p += eff / 100.0
            p = min(max(p, 0.01), 0.9)
            unsafe = rng.random(n) < p
            safe_answer = rng.choice([1, 2, 3, 4], size=n, p=[0.42, 0.28, 0.14, 0.16])
            unsafe_answer = rng.choice([5, 6, 7], size=n, p=[0.55, 0.30, 0.15])
            items["safety"].append(np.where(unsafe, unsafe_answer, safe_answer))
            items["unsafe_evening"].append(
                (rng.random(n) < np.where(unsafe, 0.85, 0.12 + 0.25 * v)).astype(np.int64)
            )
            for code, offset in (
                ("problem_vandalism", 0.0),
                ("problem_drugs", -0.3),
                ("problem_harassment", -0.5),
            ):
                latent = 1.3 + 1.6 * v + 0.9 * unsafe + offset + rng.normal(0, 0.6, n)
                items[code].append(np.clip(np.round(latent), 1, 4).astype(np.int64))
            cols["respondent"].append(np.array([f"S{year}-{serial + k:06d}" for k in range(n)]))
            serial += n
            cols["year"].append(np.full(n, year, dtype=np.int64))
            cols["area"].append(np.full(n, m.codes[i]))
            cols["weight"].append(np.full(n, adults / n))
    out = {k: np.concatenate(v) for k, v in cols.items()}
    out.update({k: np.concatenate(v).astype(np.int64) for k, v in items.items()})
    return out


# --------------------------------------------------------------------------------------------------
# registers


def registers(city: City) -> dict[str, np.ndarray]:
    """Register indicators per sub-area (estates and rode alike) and year, for the statutory criteria.

    Percentages are ``100 * numerator / denominator`` with binomial numerators on the population's
    denominators (outside labour market/education: 18-64, counting a fifth of the 60+ band as
    60-64; convicted: 18+; primary education only: 30-59; non-Western: all residents). Income is the
    mean gross income relative to the region in per cent, with numerator and denominator NaN.
    Values follow the latent vulnerability plus an area-specific slope over time, so estates near
    the thresholds of METHODS.md §4 cross them in some years.

    Returns
    -------
    dict of numpy arrays
        ``area``, ``year``, ``indicator`` (code from :data:`REGISTER_INDICATORS`), ``value``,
        ``numerator``, ``denominator``.
    """
    m = city._model
    rows: dict[str, list] = {
        k: [] for k in ("area", "year", "indicator", "value", "numerator", "denominator")
    }
    for i in range(len(m.codes)):
        rng = _rng(city.seed, city.variant, "registers", i)
        v = m.vulnerability[i]
        s = m.register_slopes[i]
        for yi, year in enumerate(YEARS):
            t = (year - 2016) / 8.0  # -1 in 2008, +1 in 2024
            pb = city._pop[i, yi]
            den = {
                "outside_labour_education": float(pb[3:6].sum() + round(0.2 * pb[6].sum())),
                "convicted": float(pb[3:].sum()),
                "primary_education_only": float(pb[5].sum()),
                "non_western": float(pb.sum()),
            }
            # Business cycle: unemployment peaked 2010-2012 in Denmark.
            cycle = 2.0 * math.exp(-0.5 * ((year - 2011) / 2.0) ** 2)
            share = {
                "outside_labour_education": 10.0 + 42.0 * v + cycle - 3.0 * t + 5.0 * s[0] * t,
                "convicted": NATIONAL_CONVICTED_SHARE[year] * (0.3 + 3.6 * v**1.5 + 0.8 * s[1] * t),
                "primary_education_only": 18.0 + 56.0 * v - 2.0 * t + 6.0 * s[2] * t,
                "non_western": 6.0 + 62.0 * v + 2.0 * t + 2.0 * s[3] * t,
            }
            for code, _, _, _, _ in REGISTER_INDICATORS:
                rows["area"].append(m.codes[i])
                rows["year"].append(year)
                rows["indicator"].append(code)
                if code == "income_relative_region":
                    val = 100.0 - 58.0 * v + 1.5 * t + 5.0 * s[3] * t + rng.normal(0, 1.0)
                    rows["value"].append(round(val, 2))
                    rows["numerator"].append(np.nan)
                    rows["denominator"].append(np.nan)
                    continue
                pshare = min(max(share[code], 0.1), 99.0) / 100.0
                d = den[code]
                num = float(rng.binomial(int(d), pshare)) if d > 0 else 0.0
                rows["value"].append(round(100.0 * num / d, 3) if d > 0 else np.nan)
                rows["numerator"].append(num)
                rows["denominator"].append(d)
    return {
        "area": np.array(rows["area"]),
        "year": np.array(rows["year"], dtype=np.int64),
        "indicator": np.array(rows["indicator"]),
        "value": np.array(rows["value"], dtype=float),
        "numerator": np.array(rows["numerator"], dtype=float),
        "denominator": np.array(rows["denominator"], dtype=float),
    }


# --------------------------------------------------------------------------------------------------
# files


def _fmt(v) -> str:
    return "" if isinstance(v, float) and math.isnan(v) else str(v)


def write_csv(city: City, directory: str | pathlib.Path) -> dict[str, pathlib.Path]:
    """Write the city in the import formats; reports are streamed, so scale 4 fits in memory.

    Files: ``areas.geojson`` (FeatureCollection in EPSG:25832 with a legacy ``crs`` member),
    ``population.csv``, ``reports.csv`` (id, occurred_at ISO 8601 local time, offence, x, y, crs),
    ``charges.csv``, ``survey.csv``, ``registers.csv`` (empty cell = not applicable). UTF-8, comma,
    header row.

    Returns
    -------
    dict
        File stem ("areas", "population", ...) -> path.
    """
    d = pathlib.Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = {}
    feats = [
        {
            "type": "Feature",
            "properties": {
                "code": a.code,
                "name": a.name,
                "kind": a.kind,
                "parent": a.parent,
                "municipality": city.municipality_code,
                "valid_from": a.valid_from.isoformat() if a.valid_from else None,
                "valid_to": a.valid_to.isoformat() if a.valid_to else None,
            },
            "geometry": mapping(a.polygon),
        }
        for a in city.areas
    ]
    gj = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
        "features": feats,
    }
    paths["areas"] = d / "areas.geojson"
    paths["areas"].write_text(json.dumps(gj, ensure_ascii=False), encoding="utf-8")

    def table(name, header, columns):
        path = d / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(zip(*columns))
        paths[name] = path

    pop = city.population
    table("population", list(pop), [pop[k].tolist() for k in pop])
    path = d / "reports.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "occurred_at", "offence", "x", "y", "crs"])
        for ch in iter_reports(city):
            w.writerows(
                zip(
                    ch["id"].tolist(),
                    np.datetime_as_string(ch["occurred_at"], unit="s").tolist(),
                    ch["offence"].tolist(),
                    [f"{v:.2f}" for v in ch["x"].tolist()],
                    [f"{v:.2f}" for v in ch["y"].tolist()],
                    [CRS] * len(ch["id"]),
                )
            )
    paths["reports"] = path
    c = charges(city)
    table(
        "charges",
        ["id", "person", "charged_on", "offence", "age", "area"],
        [
            c["id"].tolist(),
            c["person"].tolist(),
            np.datetime_as_string(c["charged_on"], unit="D").tolist(),
            c["offence"].tolist(),
            c["age"].tolist(),
            c["area"].tolist(),
        ],
    )
    s = survey(city)
    table(
        "survey",
        list(s),
        [[f"{w:.4f}" for w in s[k].tolist()] if k == "weight" else s[k].tolist() for k in s],
    )
    r = registers(city)
    table("registers", list(r), [[_fmt(v) for v in r[k].tolist()] for k in r])
    return paths


def main(argv: list[str] | None = None) -> None:
    """``python -m democity --out DIR [--seed 1] [--scale 1] [--variant demo]``."""
    ap = argparse.ArgumentParser(description="Write the synthetic demo city as import files.")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--variant", choices=sorted(_PARAMS), default="demo")
    a = ap.parse_args(argv)
    paths = write_csv(generate_city(seed=a.seed, scale=a.scale, variant=a.variant), a.out)
    for name, path in paths.items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
