"""Build the synthetic demo city (democity) into the database, with one user per role."""

import dataclasses
import datetime as dt
import time

import numpy as np
from django.db import transaction

import democity
from hotspot.accounts.models import Membership, Municipality, User
from hotspot.accounts.roles import Role
from hotspot.areas.inputs import disclosure_plan
from hotspot.areas.models import Area, Population
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.demo.models import DemoCity
from hotspot.demo.programmes import HOUSING_COMPANY
from hotspot.imports.engine import local_to_utc
from hotspot.incidents.actions import refresh_report_counts
from hotspot.incidents.models import Charge, CrimeReport, Offence
from hotspot.indicators import actions as indicator_actions
from hotspot.indicators.models import Direction, Indicator, IndicatorValue, NationalValue
from hotspot.surveys import actions as survey_actions
from hotspot.surveys.actions import refresh_tallies
from hotspot.surveys.models import SurveyItem, SurveyResponse, SurveyWave

BATCH = 5000
DIRECTIONS = {
    "higher_is_better": Direction.HIGHER_IS_BETTER,
    "higher_is_worse": Direction.HIGHER_IS_WORSE,
    "neutral": Direction.NEUTRAL,
}
# Demo users: one per role in Demokommune, and an outsider who coordinates in the small municipality.
# Passwords are fixed and printed by `make demo`: this is synthetic data on a local machine.
DEMO_PASSWORD = "{username}-hotspot-demo"
OUTSIDER = "outsider"


@dataclasses.dataclass
class BuildReport:
    municipality: Municipality
    built: bool
    seconds: float
    sizes: dict


def demo_users() -> list[tuple[str, str, str]]:
    """(user name, password, role) of every demo user; the outsider belongs to the small municipality."""
    users = [(role.value, DEMO_PASSWORD.format(username=role.value), role.value) for role in Role]
    users.append((OUTSIDER, DEMO_PASSWORD.format(username=OUTSIDER), Role.COORDINATOR.value))
    return users


def _seed_catalogues() -> dict[str, Offence]:
    offences = {}
    for spec in democity.OFFENCES:
        offences[spec.code], _ = Offence.objects.update_or_create(
            code=spec.code,
            defaults={
                "name_da": spec.name_da,
                "name_en": spec.name_en,
                "group": spec.group,
                "citizen_directed": spec.citizen_directed,
                "serious": spec.serious,
            },
        )
    # Survey items and register indicators through the catalogue's own actions, as an analyst creates
    # them on a fresh install (audited, purpose "demo"); an entry that exists is changed to match.
    for code, text_da, text_en, lo, hi in democity.SURVEY_ITEMS:
        data = {
            "code": code,
            "text_da": text_da,
            "text_en": text_en,
            "scale_min": lo,
            "scale_max": hi,
        }
        item = SurveyItem.objects.filter(code=code).first()
        if item is None:
            survey_actions.create_item(data, user=None, purpose=Purpose.DEMO)
        else:
            survey_actions.update_item(item, data, user=None, purpose=Purpose.DEMO)
    for code, name_da, name_en, unit, direction in democity.REGISTER_INDICATORS:
        data = {
            "code": code,
            "name_da": name_da,
            "name_en": name_en,
            "unit": unit,
            "direction": DIRECTIONS[direction],
            # The stored text names the generator's old module: kept, so the demo data stay the same.
            "source": "Demo: syntetiske registerdata (democity)",
            "licence": "CC0 (synthetic)",
        }
        indicator = Indicator.objects.filter(code=code).first()
        if indicator is None:
            indicator_actions.create_indicator(data, user=None, purpose=Purpose.DEMO)
        else:
            indicator_actions.update_indicator(indicator, data, user=None, purpose=Purpose.DEMO)
    return offences


def _jsonable(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _truth_json(truth) -> dict:
    return {} if truth is None else _jsonable(dataclasses.asdict(truth))


@transaction.atomic
def build_city(
    *, seed: int = 1, scale: float = 1.0, variant: str = "demo", rebuild: bool = False, log=print
) -> BuildReport:
    started = time.perf_counter()
    city = democity.generate_city(seed=seed, scale=scale, variant=variant)
    existing = Municipality.objects.filter(code=city.municipality_code).first()
    if existing is not None:
        demo = DemoCity.objects.filter(municipality=existing).first()
        if demo and demo.seed == seed and demo.scale == scale and not rebuild:
            return BuildReport(existing, False, 0.0, demo.sizes)
        log(f"Removing the previous {existing.name} …")
        existing.delete()

    municipality = Municipality.objects.create(
        code=city.municipality_code, name=city.municipality_name
    )
    offences = _seed_catalogues()
    sizes: dict[str, int] = {}

    areas: dict[str, Area] = {}
    for spec in city.areas:
        area = Area(
            municipality=municipality,
            code=spec.code,
            name=spec.name,
            kind=spec.kind,
            parent=areas.get(spec.parent) if spec.parent else None,
            valid_from=spec.valid_from,
            valid_to=spec.valid_to,
        )
        area.set_polygon(spec.polygon)
        area.save()
        areas[spec.code] = area
    sizes["areas"] = len(areas)
    log(f"  {len(areas)} areas")

    pop = city.population
    Population.objects.bulk_create(
        (
            Population(area=areas[a], year=int(y), age_band=b, sex=s, count=int(n))
            for a, y, b, s, n in zip(
                pop["area"], pop["year"], pop["age_band"], pop["sex"], pop["count"]
            )
        ),
        batch_size=BATCH,
    )
    last_year = int(pop["year"].max())
    sizes["residents"] = int(pop["count"][pop["year"] == last_year].sum())
    log(f"  {sizes['residents']:,} residents in {last_year}")

    area_ids = {code: a.pk for code, a in areas.items()}
    offence_ids = {code: o.pk for code, o in offences.items()}
    n_reports = 0
    for chunk in democity.iter_reports(city):
        # The demo's times are local wall-clock times; stored in UTC by the importers' converter.
        times = [
            t.replace(tzinfo=dt.UTC) for t in local_to_utc(chunk["occurred_at"]).astype(dt.datetime)
        ]
        CrimeReport.objects.bulk_create(
            [
                CrimeReport(
                    municipality=municipality,
                    external_id=i,
                    occurred_at=t,
                    offence_id=offence_ids[o],
                    x=float(x),
                    y=float(y),
                    area_id=area_ids[a],
                )
                for i, t, o, x, y, a in zip(
                    chunk["id"], times, chunk["offence"], chunk["x"], chunk["y"], chunk["area"]
                )
            ],
            batch_size=BATCH,
        )
        n_reports += len(times)
    sizes["reports"] = n_reports
    log(f"  {n_reports:,} crime reports")

    ch = democity.charges(city)
    Charge.objects.bulk_create(
        (
            Charge(
                municipality=municipality,
                external_id=i,
                person_key=p,
                charged_on=d,
                offence_id=offence_ids[o],
                age=int(age),
                area_id=area_ids[a],
            )
            for i, p, d, o, age, a in zip(
                ch["id"],
                ch["person"],
                ch["charged_on"].astype(object),
                ch["offence"],
                ch["age"],
                ch["area"],
            )
        ),
        batch_size=BATCH,
    )
    sizes["charges"] = len(ch["id"])
    log(f"  {sizes['charges']:,} charges")

    sv = democity.survey(city)
    item_codes = [code for code, *_ in democity.SURVEY_ITEMS]
    waves = {
        int(y): SurveyWave.objects.create(
            municipality=municipality, year=int(y), name=f"Tryghedsundersøgelse {int(y)}"
        )
        for y in np.unique(sv["year"])
    }
    columns = [sv[c] for c in item_codes]
    SurveyResponse.objects.bulk_create(
        (
            SurveyResponse(
                wave=waves[int(sv["year"][k])],
                respondent=sv["respondent"][k],
                area_id=area_ids[sv["area"][k]],
                weight=float(sv["weight"][k]),
                answers={c: int(col[k]) for c, col in zip(item_codes, columns)},
            )
            for k in range(len(sv["respondent"]))
        ),
        batch_size=BATCH,
    )
    sizes["survey_responses"] = len(sv["respondent"])
    log(f"  {sizes['survey_responses']:,} survey responses")

    rg = democity.registers(city)
    indicators = {i.code: i for i in Indicator.objects.all()}

    def _num(v):
        return None if v is None or np.isnan(v) else float(v)

    IndicatorValue.objects.bulk_create(
        (
            IndicatorValue(
                indicator=indicators[ind],
                area_id=area_ids[a],
                year=int(y),
                value=_num(v),
                numerator=_num(n),
                denominator=_num(d),
            )
            for a, y, ind, v, n, d in zip(
                rg["area"],
                rg["year"],
                rg["indicator"],
                rg["value"],
                rg["numerator"],
                rg["denominator"],
            )
        ),
        batch_size=BATCH,
    )
    sizes["register_values"] = len(rg["area"])
    national = democity.NATIONAL_CONVICTED_SHARE
    convicted = next((code for code, *_ in democity.REGISTER_INDICATORS if "convict" in code), None)
    if convicted:
        for year, value in dict(national).items():
            data = {
                "indicator": indicators[convicted],
                "year": int(year),
                "value": float(value),
                "source": "Demo: syntetisk landsandel",
            }
            same = NationalValue.objects.filter(indicator=data["indicator"], year=data["year"])
            stored = same.first()
            if stored is None:
                indicator_actions.create_national_value(data, user=None, purpose=Purpose.DEMO)
            else:
                indicator_actions.update_national_value(
                    stored, data, user=None, purpose=Purpose.DEMO
                )
    log(f"  {sizes['register_values']:,} register values")

    refresh_report_counts(municipality.pk)
    refresh_tallies(municipality.pk)  # the survey's aggregate, as an import of answers rebuilds it
    disclosure_plan(municipality.pk)  # as the task worker does after an import
    seconds = time.perf_counter() - started
    DemoCity.objects.create(
        municipality=municipality,
        seed=seed,
        scale=scale,
        seconds=seconds,
        truth=_truth_json(city.truth),
        sizes=sizes,
    )
    record(
        Action.IMPORT,
        municipality=municipality,
        object_type="demo.democity",
        purpose=Purpose.DEMO,
        count=n_reports,
    )
    return BuildReport(municipality, True, seconds, sizes)


def ensure_demo_users(
    demo: Municipality, small: Municipality | None
) -> list[tuple[str, str, str, str]]:
    """Create (or reset) the demo users and their memberships; returns (user, password, role, municipality)."""
    rows = []
    for username, password, role in demo_users():
        municipality = small if username == OUTSIDER else demo
        if municipality is None:
            continue
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.is_staff = role == Role.ADMIN
        user.save()
        # the partner is a member for the housing company, whose tasks it reports on
        organisation = HOUSING_COMPANY if role == Role.PARTNER else "Demo"
        Membership.objects.update_or_create(
            user=user,
            municipality=municipality,
            defaults={"role": role, "organisation": organisation},
        )
        rows.append((username, password, role, municipality.name))
    return rows
