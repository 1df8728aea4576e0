"""Write the sample files of docs/getting-started.md: Eksempelkøbing, a made-up municipality.

    python docs/examples/make_examples.py            # rewrites the files beside this script
    python docs/examples/make_examples.py --out DIR  # or into DIR

Deterministic (numpy's generator with a fixed seed): the same files every time, so the committed ones
can be checked and rebuilt. Needs numpy only; nothing of the platform (and never the demo city).

Eksempelkøbing (code 990) is a 4 × 3 km rectangle in EPSG:25832 (ETRS89 / UTM 32N, metres) with two
districts, Vestbyen and Østbyen, each cut into a police rode to the north, a housing area in the
middle and a rode to the south: six areas that tile it. The housing area Kløverparken is built to meet
three of the four § 61 a criteria (a vulnerable housing area, udsat boligområde, under the 2018 rules)
and Hybenhaven to be a prevention area (§ 61 b); the roder meet none. Every file covers 2023–2025 (national values 2022–2025, since the
criteria average two years) and uses the Danish column names a municipality's own files would have:

======================  ===================================================================
areas.geojson           the municipality, 2 districts and 6 tiling areas (kode, navn, type, del af)
reports.csv             crime reports with coordinates, DST offence codes (level 3)
charges.csv             charges with a pseudonymous person key, counted where the person lives
population.csv          residents on 1 January by area, year, age band and sex
survey.csv              safety survey answers, 24 respondents per area and year
registers.csv           the five register indicators of the statutory criteria, with their unit
national.csv            the national share of convicted residents (the criteria compare with it)
======================  ===================================================================

The catalogue entries the survey and register files need (``SURVEY_ITEMS``, ``INDICATORS``) are
listed in docs/getting-started.md, which says how to create them on the catalogue pages.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

SEED = 990
CODE = "990"
NAME = "Eksempelkøbing"
YEARS = (2023, 2024, 2025)
NATIONAL_YEARS = (2022, 2023, 2024, 2025)
CRS = "urn:ogc:def:crs:EPSG::25832"
X0, Y0 = 585_000, 6_133_000  # the south-west corner (Funen, in a made-up place)

#: (code, name, kind, parent, x0, y0, x1, y1) in metres
AREAS = (
    ("EKS", NAME, "municipality", "", X0, Y0, X0 + 4000, Y0 + 3000),
    ("D1", "Vestbyen", "district", "EKS", X0, Y0, X0 + 2000, Y0 + 3000),
    ("D2", "Østbyen", "district", "EKS", X0 + 2000, Y0, X0 + 4000, Y0 + 3000),
    ("R1", "Vestbyen Nord", "rode", "D1", X0, Y0 + 2000, X0 + 2000, Y0 + 3000),
    ("B1", "Kløverparken", "housing", "D1", X0, Y0 + 1000, X0 + 2000, Y0 + 2000),
    ("R2", "Vestbyen Syd", "rode", "D1", X0, Y0, X0 + 2000, Y0 + 1000),
    ("R3", "Østbyen Nord", "rode", "D2", X0 + 2000, Y0 + 2000, X0 + 4000, Y0 + 3000),
    ("B2", "Hybenhaven", "housing", "D2", X0 + 2000, Y0 + 1000, X0 + 4000, Y0 + 2000),
    ("R4", "Østbyen Syd", "rode", "D2", X0 + 2000, Y0, X0 + 4000, Y0 + 1000),
)
TILING = ("R1", "B1", "R2", "R3", "B2", "R4")

#: Per tiling area: residents in 2023, crime reports and charges per 1,000 residents a year, the share
#: of respondents who feel unsafe, and the register values (outside work or education %, convicted %
#: of adults, primary school only %, income % of the region, non-Western %).
PROFILE = {
    "R1": (2500, 5.0, 1.2, 0.12, (14.0, 0.9, 16.0, 104.0, 9.0)),
    "B1": (1800, 14.0, 4.5, 0.32, (45.0, 5.0, 52.0, 52.0, 45.0)),
    "R2": (3000, 4.5, 1.0, 0.10, (12.0, 0.8, 15.0, 109.0, 8.0)),
    "R3": (2800, 6.0, 1.4, 0.14, (16.0, 1.1, 19.0, 98.0, 12.0)),
    "B2": (1300, 11.0, 3.5, 0.24, (34.0, 3.2, 47.0, 62.0, 36.0)),
    "R4": (2200, 5.5, 1.1, 0.12, (15.0, 1.0, 18.0, 101.0, 10.0)),
}
AGE_BANDS = ("0-9", "10-14", "15-17", "18-24", "25-29", "30-59", "60+")
AGE_SHARES = np.array([0.11, 0.06, 0.035, 0.09, 0.07, 0.40, 0.235])
#: DST offence codes (level 3 of the default offence catalogue) and their shares of the reports
OFFENCES = (
    ("1225", 0.15),  # simpel vold
    ("1260", 0.08),  # trusler
    ("1310", 0.12),  # indbrud i beboelser
    ("1320", 0.14),  # tyveri fra butik
    ("1325", 0.18),  # tyveri af cykel
    ("1330", 0.10),  # tyveri af og fra køretøjer
    ("1350", 0.04),  # røveri
    ("1360", 0.13),  # hærværk
    ("3210", 0.06),  # besiddelse af euforiserende stoffer
)
CHARGE_OFFENCES = ("1225", "1260", "1310", "1320", "1350", "1360", "3210")

#: The survey items the survey file's answer columns name: (code, question in Danish, in English,
#: lowest answer, highest answer). The index reads these codes (hotspot/indicators/measures.py).
SURVEY_ITEMS = (
    ("safety", "Hvor tryg eller utryg føler du dig i dit nabolag? (1 = meget tryg, 7 = meget utryg)",
     "How safe or unsafe do you feel in your neighbourhood? (1 = very safe, 7 = very unsafe)", 1, 7),
    ("unsafe_evening", "Føler du dig utryg, når du går alene i dit nabolag om aftenen? (0 = nej, 1 = ja)",
     "Do you feel unsafe walking alone in your neighbourhood in the evening? (0 = no, 1 = yes)", 0, 1),
    ("problem_vandalism", "Hvor stort et problem er hærværk i dit nabolag? (1 = intet, 4 = stort)",
     "How big a problem is vandalism in your neighbourhood? (1 = none, 4 = big)", 1, 4),
    ("problem_drugs", "Hvor stort et problem er salg og brug af narkotika i dit nabolag? (1-4)",
     "How big a problem is drug dealing and use in your neighbourhood? (1-4)", 1, 4),
    ("problem_harassment", "Hvor stort et problem er chikane og trusler i dit nabolag? (1-4)",
     "How big a problem are harassment and threats in your neighbourhood? (1-4)", 1, 4),
)  # fmt: skip
#: The register indicators the register file names: (code, name in Danish, in English, unit,
#: direction). The statutory criteria read these codes (hotspot/indices/inputs.py CRITERIA_FIELDS).
INDICATORS = (
    ("outside_labour_education", "Uden for arbejdsmarked eller uddannelse (18-64 år)",
     "Outside labour market or education (18-64)", "%", "higher is worse"),
    ("convicted", "Dømte for overtrædelse af straffeloven, våbenloven eller lov om euforiserende "
     "stoffer (18+ år)", "Convicted of penal code, weapons or narcotics offences (18+)", "%",
     "higher is worse"),
    ("primary_education_only", "Kun grundskoleuddannelse (30-59 år)",
     "Primary education only (30-59)", "%", "higher is worse"),
    ("income_relative_region", "Gennemsnitlig bruttoindkomst (15-64 år) i procent af regionens",
     "Mean gross income (15-64) as a percentage of the region's", "%", "higher is better"),
    ("non_western", "Indvandrere og efterkommere fra ikke-vestlige lande",
     "Non-Western immigrants and descendants", "%", "context only"),
)  # fmt: skip
#: The national share (%) of residents 18+ convicted: made-up values of a plausible size.
NATIONAL_CONVICTED = {2022: 1.55, 2023: 1.52, 2024: 1.50, 2025: 1.48}


def _num(value: float, digits: int = 2) -> str:
    """A number as a Danish spreadsheet writes it: decimal comma, no thousands separator."""
    return f"{value:.{digits}f}".replace(".", ",")


def _csv(path: Path, header, rows) -> int:
    lines = [";".join(header)] + [";".join(str(c) for c in r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


def _box(code):
    return next(a[4:] for a in AREAS if a[0] == code)


def areas_geojson() -> dict:
    features = []
    for code, name, kind, parent, x0, y0, x1, y1 in AREAS:
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        properties = {"kode": code, "navn": name, "type": kind}
        if parent:
            properties["del af"] = parent
        features.append(
            {
                "type": "Feature",
                "properties": properties,
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {
        "type": "FeatureCollection",
        "name": f"{NAME} (eksempel, opdigtet)",
        "crs": {"type": "name", "properties": {"name": CRS}},
        "features": features,
    }


def _geojson_text(geo: dict) -> str:
    """The collection with one feature a line: small enough to read, and to diff."""
    head = {k: v for k, v in geo.items() if k != "features"}
    lines = ["{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}"
                             for k, v in head.items()) + ', "features": [']  # fmt: skip
    features = [json.dumps(f, ensure_ascii=False) for f in geo["features"]]
    return "\n".join(lines + [",\n".join(features), "]}"]) + "\n"


def population(rng) -> tuple[list, dict]:
    """Rows, and the residents per (area, year) and adults (18+) per (area, year)."""
    rows, residents, adults = [], {}, {}
    for code in TILING:
        base = PROFILE[code][0]
        young = 1.25 if code.startswith("B") else 1.0  # housing areas have more children
        shares = AGE_SHARES * np.array([young, young, young, 1, 1, 1, 1 / young])
        shares = shares / shares.sum()
        for k, year in enumerate(YEARS):
            total = base * (1 + 0.01 * k)
            counts = rng.multinomial(int(round(total)), shares)
            for band, n in zip(AGE_BANDS, counts):
                women = int(rng.binomial(n, 0.5))
                rows.append((code, year, band, "K", women))
                rows.append((code, year, band, "M", int(n) - women))
            residents[code, year] = int(counts.sum())
            adults[code, year] = int(counts[3:].sum())
    return rows, {"residents": residents, "adults": adults}


def _moment(rng, year):
    """A random local time in ``year``, as 'dd.mm.yyyy HH:MM' (a Danish spreadsheet's way)."""
    day = int(rng.integers(0, 365))
    date = np.datetime64(f"{year}-01-01") + np.timedelta64(day, "D")
    hour, minute = int(rng.integers(0, 24)), int(rng.integers(0, 60))
    y, m, d = str(date).split("-")
    return f"{d}.{m}.{y} {hour:02d}:{minute:02d}", f"{d}-{m}-{y}"


def reports(rng, sizes) -> list:
    codes = [c for c, _share in OFFENCES]
    shares = np.array([s for _c, s in OFFENCES])
    rows = []
    for year in YEARS:
        for code in TILING:
            n = int(rng.poisson(PROFILE[code][1] * sizes["residents"][code, year] / 1000))
            x0, y0, x1, y1 = _box(code)
            for _ in range(n):
                when, _day = _moment(rng, year)
                offence = codes[int(rng.choice(len(codes), p=shares))]
                x = rng.uniform(x0 + 5, x1 - 5)
                y = rng.uniform(y0 + 5, y1 - 5)
                rows.append([when, offence, _num(x), _num(y), year])
    rows.sort(key=lambda r: (r[-1], r[0][6:10], r[0][3:5], r[0][:2], r[0][11:]))
    return [
        (f"EKS-{k:05d}", when, offence, x, y)
        for k, (when, offence, x, y, year) in enumerate(rows, start=1)
    ]


def charges(rng, sizes) -> list:
    rows, persons = [], {}
    for year in YEARS:
        for code in TILING:
            n = int(rng.poisson(PROFILE[code][2] * sizes["residents"][code, year] / 1000))
            for _ in range(n):
                _when, day = _moment(rng, year)
                youth = rng.random() < 0.45
                age = int(rng.integers(12, 18) if youth else rng.integers(18, 60))
                # a few persons are charged more than once: same key, same area
                known = [p for p, (a, area) in persons.items() if area == code and a <= age]
                if known and rng.random() < 0.25:
                    person = known[int(rng.integers(0, len(known)))]
                else:
                    person = f"P-{len(persons) + 1:04d}"
                    persons[person] = (age, code)
                offence = CHARGE_OFFENCES[int(rng.integers(0, len(CHARGE_OFFENCES)))]
                rows.append([day, person, offence, age, code, year])
    rows.sort(key=lambda r: (r[-1], r[0][3:5], r[0][:2]))
    return [
        (f"S-{year}-{k:04d}", person, day, offence, age, code)
        for k, (day, person, offence, age, code, year) in enumerate(rows, start=1)
    ]


def survey(rng) -> list:
    rows = []
    for year in YEARS:
        for code in TILING:
            unsafe = PROFILE[code][3] * (1 - 0.05 * (year - YEARS[0]))
            problem = 0.15 + unsafe
            for k in range(24):
                feels_unsafe = rng.random() < unsafe
                safety = int(rng.integers(5, 8) if feels_unsafe else rng.integers(1, 5))
                evening = int(rng.random() < min(0.9, unsafe * 1.6))
                problems = [
                    "" if rng.random() < 0.04 else int(rng.integers(3, 5) if rng.random() < problem
                                                       else rng.integers(1, 3))
                    for _ in range(3)
                ]  # fmt: skip
                weight = _num(rng.uniform(0.7, 1.4))
                rows.append(
                    (f"{code}-{year}-{k + 1:02d}", year, code, weight, safety, evening, *problems)
                )
    return rows


def registers(rng, sizes) -> list:
    codes = [c for c, *_rest in INDICATORS]
    rows = []
    for code in TILING:
        for k, year in enumerate(YEARS):
            for ind, level in zip(codes, PROFILE[code][4]):
                drift = 1 + 0.01 * (k - 1) * (1 if ind != "income_relative_region" else -1)
                value = level * drift + rng.normal(0, 0.3)
                if ind == "convicted":  # as a count of adults: the value is 100 × tæller / nævner
                    adults = sizes["adults"][code, year]
                    convicted = int(round(adults * value / 100))
                    rows.append((code, year, ind, "", convicted, adults, "%"))
                else:
                    rows.append((code, year, ind, _num(value, 1), "", "", "%"))
    return rows


def write(out: Path) -> dict[str, int]:
    """Write every file into ``out`` -> {file name: rows}."""
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    geo = areas_geojson()
    (out / "areas.geojson").write_text(_geojson_text(geo), encoding="utf-8")
    counts["areas.geojson"] = len(geo["features"])
    pop, sizes = population(rng)
    counts["population.csv"] = _csv(
        out / "population.csv", ("område", "år", "aldersgruppe", "køn", "antal"), pop
    )
    counts["reports.csv"] = _csv(
        out / "reports.csv",
        ("anmeldelses-id", "gerningstidspunkt", "gerningskode", "x-koordinat", "y-koordinat"),
        reports(rng, sizes),
    )
    counts["charges.csv"] = _csv(
        out / "charges.csv",
        ("sigtelses-id", "personnøgle", "sigtelsesdato", "gerningskode", "alder", "område"),
        charges(rng, sizes),
    )
    items = [code for code, *_rest in SURVEY_ITEMS]
    counts["survey.csv"] = _csv(
        out / "survey.csv", ("respondent-id", "år", "område", "vægt", *items), survey(rng)
    )
    counts["registers.csv"] = _csv(
        out / "registers.csv",
        ("område", "år", "indikatorkode", "værdi", "tæller", "nævner", "enhed"),
        registers(rng, sizes),
    )
    counts["national.csv"] = _csv(
        out / "national.csv",
        ("indikatorkode", "år", "værdi", "kilde"),
        [
            ("convicted", year, _num(value), "Eksempel: opdigtet landsandel")
            for year, value in NATIONAL_CONVICTED.items()
        ],
    )
    return counts


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    for name, n in write(args.out).items():
        print(f"{args.out / name}: {n} rows")


if __name__ == "__main__":
    main()
