"""The demo city's evaluation studies: created once and run, so they can be checked against its hidden truth.

``make_demo_studies`` (the command) runs it, and ``make_demo_city`` runs that.
"""

import datetime as dt

from hotspot.areas.models import Area
from hotspot.demo.models import DemoCity
from hotspot.evaluations.actions import create_study, start_run
from hotspot.evaluations.models import Design, Inference, Outcome, Study, StudyResult


def demo_study_specs(truth: dict) -> list[dict]:
    """The 2010 hotspots against the demo's controls (reports, charged youths) and all three (staggered)."""
    early = [(f"HS-{code}", truth["hotspot_start"]) for code in truth["hotspots"]]
    late = [(f"HS-{truth['late_hotspot']}", truth["late_start"])]
    controls = [f"KO-{code}" for code in truth["controls"]]
    return [
        {
            "name": "Hotspots 2010: borgervendte anmeldelser",
            "outcome": Outcome.REPORTS_CITIZEN,
            "treated": early,
            "controls": controls,
            "first_year": 2008,
            "last_year": 2016,
            "design": Design.POISSON_FE,
        },
        {
            "name": "Hotspots 2010: sigtede unge 10-17 år",
            "outcome": Outcome.YOUTH_CHARGES,
            "treated": early,
            "controls": controls,
            "first_year": 2008,
            "last_year": 2016,
            "design": Design.POISSON_FE,
        },
        {
            "name": "Alle tre hotspots (forskudt start): borgervendte anmeldelser",
            "outcome": Outcome.REPORTS_CITIZEN,
            "treated": early + late,
            "controls": controls,
            "first_year": 2008,
            "last_year": 2018,
            "design": Design.SUN_ABRAHAM,
        },
    ]


def make_demo_studies(*, log=lambda m: None) -> list[Study]:
    studies = []
    for demo in DemoCity.objects.select_related("municipality"):
        truth = demo.truth or {}
        if not truth.get("hotspots"):
            continue
        municipality = demo.municipality
        by_code = {a.code: a for a in Area.objects.filter(municipality=municipality)}
        for spec in demo_study_specs(truth):
            study = Study.objects.filter(municipality=municipality, name=spec["name"]).first()
            if study is None:
                study = create_study(
                    municipality=municipality,
                    user=None,
                    name=spec["name"],
                    outcome=spec["outcome"],
                    treated=[(by_code[c], dt.date.fromisoformat(s)) for c, s in spec["treated"]],
                    controls=[by_code[c] for c in spec["controls"]],
                    first_year=spec["first_year"],
                    last_year=spec["last_year"],
                    design=spec["design"],
                    inference=Inference.RANDOMIZATION,
                )
                log(f"Created study {study.name}")
            done = study.results.filter(status=StudyResult.Status.DONE).exists()
            if not done:
                result = start_run(study, user=None, inline=True)
                log(f"  ran it: {result.status} in {result.seconds:.1f} s")
            studies.append(study)
    return studies
