"""Words for what the library returns as English text or codes: preset band labels and descriptions,
themes, aggregation and missing-data methods, and the statutory criteria (classification, criterion,
reason). The library keeps its English (it never imports Django); pages show these translations,
looked up when they render, so a definition or score stored with the library's words reads in Danish.

A label a user typed (own band labels, an own note) is not in these tables and is shown as typed.
"""

import re
from dataclasses import replace

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from hotspot.incidents.models import OffenceGroup
from safetystats import index as sx

#: the presets' band labels (safetystats/index.py: _ROTTERDAM_BANDS, _WIJKPROFIEL_BANDS, _COPENHAGEN_BANDS)
BAND_LABELS = {
    "marked effort": _("marked effort"),
    "intensified effort": _("intensified effort"),
    "ordinary effort": _("ordinary effort"),
    "unsafe": _("unsafe"),
    "problem": _("problem area"),
    "threatened": _("threatened"),
    "attention": _("needs attention"),
    "safe": _("safe"),
    "very unfavourable": _("very unfavourable"),
    "unfavourable": _("unfavourable"),
    "average": _("average"),
    "favourable": _("favourable"),
    "very favourable": _("very favourable"),
}

#: the presets' descriptions, by preset name (the library's ``note``)
PRESET_NOTES = {
    "rotterdam-2002": _(
        "Rotterdam Veiligheidsindex 2002 as published: z-scores, objective 1/3, subjective 2/3, grade "
        "1–10, bands unsafe < 3.9 ≤ problem area < 5 ≤ threatened < 6 ≤ needs attention < 7.1 ≤ safe. Not "
        "published: the conversion from z-score to grade; ours is 5.5 + 1.5·z̄ clipped to 1–10 (the "
        "reference mean gives 5.5, ±3 standard deviations the ends of the scale)."
    ),
    "wijkprofiel-2014": _(
        "Rotterdam Wijkprofiel 2014 as published: a theme is the mean of its indicators, the index weighs "
        "objective and subjective 50/50, 100 = the city mean in the base year, bands 70/90/110/130. Not "
        "published: how an indicator is scored; ours is 100 + 10·z against the base year (the labels "
        "above 110 by symmetry)."
    ),
    "copenhagen": _(
        "Our reading, not a published method: the 2008 framework builds the T-score from police "
        "statistics, felt safety and socio-economic data, so the three pillars weigh 1/3 each; "
        "100 + 10·z̄ against the reference year. The Tryghedsindeks labels “marked” and “intensified” "
        "effort are verified; their cut-offs (85, 95) and order are ours."
    ),
}

THEME_LABELS = {
    **{str(value): label for value, label in OffenceGroup.choices},
    "citizen_directed": _("Citizen-directed crime"),
    "serious": _("Serious crime"),
    "youth": _("Youth crime"),
    "felt_safety": _("Felt safety"),
    "problems": _("Problems in the neighbourhood"),
    "registers": _("Registers"),
}

AGGREGATION_LABELS = {
    "linear": _("linear (weighted mean)"),
    "geometric": _("geometric (weighted product)"),
}
MISSING_LABELS = {
    "reweight": _("their weight goes to the other indicators of the theme"),
    "strict": _("no score for the area that year"),
}


def band_text(label):
    """A band label in the reader's language (a preset's label), or the user's own label as typed."""
    if not label:
        return label
    return str(BAND_LABELS.get(label, label))


def preset_note(spec: dict) -> str:
    """The description of a definition: the preset's, translated, while the note is the library's own
    text; a note the user wrote is shown as written."""
    name = spec.get("preset", "")
    note = spec.get("note", "")
    library = sx.PRESETS.get(name, {}).get("note") if name else None
    if name in PRESET_NOTES and (not note or note == library):
        return str(PRESET_NOTES[name])
    return note


def theme_label(code: str) -> str:
    return str(THEME_LABELS.get(code, code))


def aggregation_label(code: str) -> str:
    return str(AGGREGATION_LABELS.get(code, code))


def missing_label(code: str) -> str:
    return str(MISSING_LABELS.get(code, code))


# -- statutory criteria (safetystats/criteria.py) ----------------------------------------------------
CLASSIFICATION_LABELS = {
    "transformation": _("transformation area"),
    "parallel_society": _("parallel society"),
    "vulnerable": _("vulnerable housing area"),
    "prevention": _("prevention area"),
    "none": _("not on a list"),
    "not_assessed": _("not assessed"),
    "not_assessable": _("cannot be assessed"),
}
#: criterion key -> (long label, short label)
CRITERION_LABELS = {
    "outside": (
        _("Residents 18–64 outside the labour market or education"),
        _("outside work or education"),
    ),
    "convicted": (
        _("Residents 18+ convicted (penal code, weapons act, narcotics act)"),
        _("convicted"),
    ),
    "primary_only": (
        _("Residents 30–59 with only primary education"),
        _("only primary school"),
    ),
    "income": (
        _("Mean gross income of taxpayers 15–64 excl. students, as a percentage of the region"),
        _("income"),
    ),
    "non_western": (_("Non-Western immigrants and descendants"), _("non-Western")),
}
FIELD_LABELS = {
    "residents": _("residents"),
    "outside_share": _("share outside work or education"),
    "convicted_share": _("share convicted"),
    "primary_only_share": _("share with only primary school"),
    "income_ratio": _("income ratio"),
    "non_western_share": _("share of non-Western origin"),
    "national_convicted_share": _("national share convicted"),
}


def classification_label(code: str) -> str:
    return str(CLASSIFICATION_LABELS.get(code, code))


def criterion_label(key: str, *, short: bool = False) -> str:
    labels = CRITERION_LABELS.get(key)
    return str(labels[1 if short else 0]) if labels else key


def _int(text: str) -> str:
    return number_format(int(float(text.replace(",", ""))), 0, force_grouping=True)


def criteria_reason(text: str) -> str:
    """A criteria ``reason`` in the reader's language. The known sentences are translated with their
    numbers; any other reason (the library's 'undecided' combinations) gets a general sentence."""
    if not text:
        return ""
    m = re.fullmatch(r"([\d.e+]+) residents on 1 January (\d+): fewer than ([\d,]+)", text)
    if m:
        return str(_("%(n)s residents on 1 January %(year)s: fewer than %(min)s.")) % {
            "n": _int(m[1]),
            "year": m[2],
            "min": _int(m[3]),
        }
    m = re.fullmatch(r"no data for (\d+)", text)
    if m:
        return str(_("No data for %(year)s.")) % {"year": m[1]}
    m = re.fullmatch(r"(\w+) missing for (\d+)", text)
    if m:
        return str(_("%(what)s missing for %(year)s.")) % {
            "what": str(FIELD_LABELS.get(m[1], m[1])).capitalize(),
            "year": m[2],
        }
    return str(_("Some of the data needed are missing, so it cannot be decided."))


def assessment_words(assessment, criteria):
    """``(assessment, criteria, classification label)`` with the criteria's labels and reasons and the
    assessment's reason in the reader's language (copies: the library's results are frozen)."""
    if assessment is None:
        return None, criteria, ""

    def _criteria(results):
        return tuple(
            replace(c, label=criterion_label(c.key), reason=criteria_reason(c.reason))
            for c in results
        )

    assessment = replace(
        assessment,
        reason=criteria_reason(assessment.reason),
        criteria=_criteria(assessment.criteria),
    )
    if criteria is not None:
        criteria = replace(criteria, criteria=_criteria(criteria.criteria))
    return assessment, criteria, classification_label(assessment.classification)


def met_criteria(criteria) -> list[dict]:
    """The criteria that are met, with a short label, for the dossier's comparison table."""
    if criteria is None:
        return []
    return [
        {
            "label": criterion_label(c.key, short=True),
            "value": c.value,
            "op": c.op,
            "threshold": c.threshold,
        }
        for c in criteria.criteria
        if c.met
    ]
