"""Evaluation pages: the context of every page, the panel export's table, and the words they show.

Page functions take model objects, the municipality, the user and plain values (the posted form, a
step name) and return what the template shows. They never see the request, so a test calls them
without the client; the views (``views.py``) fetch through the access helpers, call these and render.

Words: a study stores numbers and keys (``figures``); the sentences are made when a page shows them,
in the reader's language. The result sentence's certainty, the caveats and the recommendation's
reasons are tables of gettext templates, each with the function that takes its figures to the
template's parameters.
"""

from dataclasses import dataclass

import numpy as np
from django.db.models import Min
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from hotspot import disclosure
from hotspot.accounts.roles import Capability
from hotspot.areas.inputs import disclosure_plan, latest_year
from hotspot.areas.models import Area, AreaKind, tiling_map_for
from hotspot.evaluations.forms import StudyEditForm, StudyForm
from hotspot.evaluations.inputs import (
    PanelArea,
    StudyInputError,
    build_panel,
    control_pool,
    first_treated_year,
    matching_features,
    study_panel,
    tilings,
)
from hotspot.evaluations.models import (
    COUNT_OUTCOMES,
    SCORE_OUTCOMES,
    Design,
    Inference,
    Outcome,
    Study,
    StudyResult,
)
from hotspot.evaluations.recommend import Recommendation, Shape, panel_shape, recommend
from hotspot.incidents.models import ReportCount
from hotspot.indicators.library_messages import (
    failure_message,
    library_message,
    stored_message,
    warning_messages,
)
from hotspot.indices.models import SafetyIndexVersion, Status
from hotspot.programmes.models import Programme
from hotspot.reports.charts import event_study_chart, study_trend_chart
from safetystats.evaluation import match_controls

#: Who creates and runs studies: the roles that work with data (analysts, coordinators; README: "data,
#: imports, indices, evaluations"). Everyone with aggregates reads the results.
CREATE = Capability.IMPORT_DATA


def can_create(membership) -> bool:
    return membership is not None and membership.can(CREATE)


# ------------------------------------------------------------------------------------------------
# Words: the result sentence and the caveats (numbers are stored, words are made when shown)


def _n(x, digits=0):
    return number_format(round(float(x), digits), digits)


def _pct(x, digits=0):
    return _n(abs(100 * x), digits)


def _p(p):
    return _n(p, 3) if p >= 0.001 else "< " + _n(0.001, 3)


def _fill(template, params: dict | None) -> str:
    """The template in the active language, with its parameters (a template without any is shown as
    it is: a translation may hold a bare %)."""
    return str(template) if params is None else template % params


OUTCOME_NOUN = {
    Outcome.REPORTS: lambda: _("Crime reports"),
    Outcome.REPORTS_CITIZEN: lambda: _("Citizen-directed crime reports"),
    Outcome.REPORTS_SERIOUS: lambda: _("Serious crime reports"),
    Outcome.YOUTH_CHARGES: lambda: _("Charged youths"),
    Outcome.SURVEY_UNSAFE: lambda: _("The share who feel unsafe"),
    Outcome.SAFETY_INDEX: lambda: _("The safety index score"),
}


def _unit(outcome):
    if outcome == Outcome.SURVEY_UNSAFE:
        return _("percentage points")
    if outcome == Outcome.SAFETY_INDEX:
        return _("index points")
    if outcome == Outcome.YOUTH_CHARGES:
        return _("per 1,000 residents aged 10–17")
    return _("per 1,000 residents")


#: What was found: (relative scale?, a fall?, statistically certain?) -> template. A relative effect is
#: in per cent, an absolute one in the outcome's unit. "Certain" is p < CERTAIN_BELOW by the study's
#: own inference; otherwise the sentence says at once that the difference may be chance.
FOUND = {
    (True, True, True): gettext_lazy("%(what)s fell %(x)s %% more than in comparable areas"),
    (True, False, True): gettext_lazy("%(what)s rose %(x)s %% more than in comparable areas"),
    (False, True, True): gettext_lazy(
        "%(what)s fell by %(x)s %(unit)s more than in comparable areas"
    ),
    (False, False, True): gettext_lazy(
        "%(what)s rose by %(x)s %(unit)s more than in comparable areas"
    ),
    (True, True, False): gettext_lazy(
        "No statistically certain effect: %(what)s fell %(x)s %% more than in comparable areas, "
        "but a difference this size may be chance"
    ),
    (True, False, False): gettext_lazy(
        "No statistically certain effect: %(what)s rose %(x)s %% more than in comparable areas, "
        "but a difference this size may be chance"
    ),
    (False, True, False): gettext_lazy(
        "No statistically certain effect: %(what)s fell by %(x)s %(unit)s more than in "
        "comparable areas, but a difference this size may be chance"
    ),
    (False, False, False): gettext_lazy(
        "No statistically certain effect: %(what)s rose by %(x)s %(unit)s more than in "
        "comparable areas, but a difference this size may be chance"
    ),
}
#: the conventional 5 % level: a p-value at or above it is not called a finding
CERTAIN_BELOW = 0.05


def _p_params(main, ri):
    p = main.get("p_value")
    return None if p is None else {"p": _p(p)}


def _placebo_params(main, ri):
    return {"k": ri["extreme"] + 1, "n": ri["n"] + 1} if "n" in ri else None


#: How sure we are: the main row's p_kind -> (template, (main row, randomization figures) -> its
#: parameters, or None when the figures lack them: then the default's, then nothing).
SURE = {
    "randomization": (
        gettext_lazy("an effect this large arose by chance in %(k)s of %(n)s placebo assignments"),
        _placebo_params,
    ),
    "wild_bootstrap": (
        gettext_lazy(
            "the wild cluster bootstrap puts the chance of an effect this large at p = %(p)s"
        ),
        _p_params,
    ),
    "score_bootstrap": (
        gettext_lazy(
            "the score bootstrap of the Poisson model (a wild bootstrap) puts the chance of an "
            "effect this large at p = %(p)s"
        ),
        _p_params,
    ),
    "cr3": (
        gettext_lazy(
            "p = %(p)s by cluster-robust standard errors from the jackknife, leaving out one area "
            "at a time (CR3)"
        ),
        _p_params,
    ),
    "synth_placebo": (gettext_lazy("compared with placebo areas, p = %(p)s"), _p_params),
}
SURE_DEFAULT = (
    gettext_lazy("p = %(p)s by cluster-robust standard errors (too optimistic with few hotspots)"),
    _p_params,
)
#: added to the certainty when the interval comes from the same method: p_kind -> (ci_kind, words)
SURE_INTERVAL_TOO = {
    "wild_bootstrap": ("wild_bootstrap", gettext_lazy("(the interval is the bootstrap's too)")),
}


#: The interval's words: (does it span zero?, is it the regression's while the certainty comes from
#: placebo areas?) -> template. With few hotspots the regression's interval is too narrow, so the
#: sentence calls it that instead of presenting it as the result's range.
INTERVAL = {
    (False, False): gettext_lazy("(95 %% interval %(lo)s–%(hi)s%(unit)s)"),
    (True, False): gettext_lazy(
        "(95 %% interval from a fall of %(lo)s%(unit)s to a rise of %(hi)s%(unit)s, so no "
        "change is also possible)"
    ),
    (False, True): gettext_lazy(
        "(the regression's 95 %% interval, %(lo)s–%(hi)s%(unit)s, is too narrow with this few "
        "hotspots)"
    ),
    (True, True): gettext_lazy(
        "(the regression's 95 %% interval, from a fall of %(lo)s%(unit)s to a rise of "
        "%(hi)s%(unit)s, is too narrow with this few hotspots)"
    ),
}
#: certainty kinds that do not come from the regression's standard errors
PLACEBO_KINDS = ("randomization", "synth_placebo")


def _interval_text(lo, hi, fmt, unit, *, too_narrow: bool = False) -> str:
    spans = lo < 0 < hi
    a, b = (lo, hi) if spans else sorted([abs(lo), abs(hi)])
    return INTERVAL[(spans, too_narrow)] % {"lo": fmt(a), "hi": fmt(b), "unit": unit and " %"}


def _too_narrow(figures: dict) -> bool:
    """The interval is the regression's while the study itself says that, with few treated areas,
    the certainty must come from placebo areas."""
    main = figures["main"]
    few = any(c.get("key") == "few_treated" for c in figures.get("caveats", []))
    return few and main.get("p_kind") in PLACEBO_KINDS and not main.get("ci_kind")


#: added when the placebo count is the smallest the design allows and that is not below 5 %
SMALLEST_POSSIBLE = gettext_lazy(
    "which is the smallest chance %(n)s placebo assignments can show, so this design cannot give a "
    "certain answer"
)


def _smallest_possible(main: dict, ri: dict) -> str | None:
    if main.get("p_kind") != "randomization" or "n" not in ri or ri.get("extreme", 1) != 0:
        return None
    if 1 / (ri["n"] + 1) < CERTAIN_BELOW:
        return None
    return _fill(SMALLEST_POSSIBLE, {"n": ri["n"]})


def _sure_text(main: dict, ri: dict) -> str | None:
    kind = main.get("p_kind")
    template, params_of = SURE.get(kind, SURE_DEFAULT)
    params = params_of(main, ri)
    if params is None:
        kind = None  # the kind's own words do not apply
        template, params_of = SURE_DEFAULT
        params = params_of(main, ri)
        if params is None:
            return None
    sure = _fill(template, params)
    if kind in SURE_INTERVAL_TOO and main.get("ci_kind") == SURE_INTERVAL_TOO[kind][0]:
        sure += " " + str(SURE_INTERVAL_TOO[kind][1])
    return sure


def result_sentence(figures: dict) -> str:
    """One sentence a council member understands: what was found and how sure we are — and, when the
    study's own p-value is 5 % or more, first of all that the difference may be chance."""
    main = figures["main"]
    outcome = figures["outcome"]
    what = OUTCOME_NOUN.get(outcome, lambda: _("The outcome"))()
    est, lo, hi = main["estimate"], main["ci_low"], main["ci_high"]
    if est is None:
        return _("The study gave no estimate.")
    ri = figures.get("randomization") or {}
    sure = _sure_text(main, ri)
    p = main.get("p_value")
    certain = sure is None or p is None or p < CERTAIN_BELOW
    relative = main["scale"] == "relative"
    if relative:
        size = {"what": what, "x": _pct(est)}
        fmt, unit = _pct, "%"
    else:
        size = {"what": what, "x": _n(abs(est), 1), "unit": _unit(outcome)}
        fmt, unit = (lambda v: _n(abs(v), 1)), ""
    if not certain:
        size["what"] = what[:1].lower() + what[1:]
    found = _fill(FOUND[(relative, est < 0, certain)], size)
    if lo is not None and hi is not None:
        found += " " + _interval_text(lo, hi, fmt, unit, too_narrow=_too_narrow(figures))
    if sure is None:
        return found + "."
    smallest = _smallest_possible(main, ri)
    if smallest:
        sure += ", " + smallest
    return f"{found}; {sure}."


def _smallest(c):
    return {"min": c["min"] if isinstance(c["min"], disclosure.Suppressed) else _n(c["min"])}


def _missing_cells(c):
    return {
        "n": c["n"],
        "cells": ", ".join(c["cells"]) + (" …" if c["n"] > len(c["cells"]) else ""),
    }


#: The caveats a study stores (tasks.py): key -> (template, the stored caveat -> its parameters;
#: None for a template without any). A key not in the table is not shown.
CAVEATS = {
    "few_treated": (
        gettext_lazy(
            "Few treated areas (%(n)s): ordinary standard errors are too small, so the "
            "certainty comes from placebo areas; intervals from the regression are too narrow."
        ),
        lambda c: {"n": c["n"]},
    ),
    "pretrend": (
        gettext_lazy(
            "Before the start, the hotspots' trend differed from the controls' (p = %(p)s): "
            "the controls may not show what would have happened without the effort."
        ),
        lambda c: {"p": _p(c["p"])},
    ),
    "small_counts": (
        gettext_lazy(
            "Small counts: some hotspot years have fewer than 10 cases (smallest %(min)s), so "
            "single years move a lot by chance."
        ),
        _smallest,
    ),
    "staggered": (
        gettext_lazy(
            "The hotspots started in different years: the Callaway–Sant'Anna and "
            "Sun–Abraham rows of the robustness table are the estimates that are robust to "
            "that."
        ),
        None,
    ),
    "no_cr3": (
        gettext_lazy(
            "With a single hotspot the jackknife cannot leave it out, so the cluster-robust "
            "standard errors are the ordinary ones (CR1), which are far too small: judge "
            "the certainty by placebo areas instead."
        ),
        None,
    ),
    "few_placebos": (
        gettext_lazy(
            "Only %(n)s placebo assignments: the smallest possible chance is 1 in %(m)s. "
            "More control areas would allow a sharper answer."
        ),
        lambda c: {"n": c["n"], "m": c["n"] + 1},
    ),
    "synth_fit": (
        gettext_lazy(
            "The synthetic control does not fit %(area)s well before the start (the area is "
            "outside the range of the controls): do not rely on its synthetic-control row."
        ),
        lambda c: {"area": c["area"]},
    ),
    "missing_scores": (
        gettext_lazy(
            "The index has no score for %(n)s area-years (%(cells)s): they are left out, "
            "not counted as zero."
        ),
        _missing_cells,
    ),
    "overdispersed": (
        gettext_lazy(
            "The counts vary more than a Poisson model allows (dispersion %(d)s): its estimate "
            "and cluster-robust interval stay valid, and the negative binomial row of the "
            "robustness table is the more efficient estimate to compare with."
        ),
        lambda c: {"d": _n(c["dispersion"], 1)},
    ),
    "dropped": (
        gettext_lazy("Areas with no cases at all were left out of the Poisson model: %(areas)s"),
        lambda c: {"areas": ", ".join(c["areas"])},
    ),
}


def caveat_texts(figures: dict) -> list[str]:
    out = []
    for c in figures.get("caveats", []):
        if c["key"] in CAVEATS:
            template, params_of = CAVEATS[c["key"]]
            out.append(_fill(template, params_of(c) if params_of else None))
    return out


DESIGN_LABEL = {
    "poisson_fe": lambda: _("Poisson regression, area and year effects"),
    "negbin_fe": lambda: _("Negative binomial regression, area and year effects"),
    "twfe": lambda: _("Linear two-way fixed effects on rates"),
    "did_2x2": lambda: _("2×2 difference-in-differences on rates"),
    "event_study": lambda: _("Event study: average of the years after the start"),
    "sun_abraham": lambda: _("Sun–Abraham (robust to different start years)"),
    "callaway_santanna": lambda: _("Callaway–Sant'Anna (not-yet-treated areas as controls)"),
    "synth": lambda: _("Synthetic control"),
}
P_KIND_LABEL = {
    "cluster": lambda: _("cluster-robust"),
    "cr3": lambda: _("cluster-robust, jackknife (CR3)"),
    "score_bootstrap": lambda: _("score bootstrap"),
    "poisson": lambda: _("Poisson (ignores clustering)"),
    "randomization": lambda: _("placebo areas"),
    "wild_bootstrap": lambda: _("wild cluster bootstrap"),
    "synth_placebo": lambda: _("placebo areas (synthetic control)"),
}
#: a robustness row's further p-values: the key in its extra figures -> its p_kind
EXTRA_P = (
    ("p_randomization", "randomization"),
    ("p_wild_bootstrap", "wild_bootstrap"),
    ("p_score_bootstrap", "score_bootstrap"),
)


def _effect_text(value, scale):
    if value is None:
        return "–"
    if scale == "relative":
        return ("+" if value > 0 else "−") + _pct(value, 1) + " %"
    return ("+" if value > 0 else "−") + _n(abs(value), 2)


def _robustness_note(r: dict) -> str:
    """The row's note; where several apply, the last of these."""
    extra = r["extra"]
    note = ""
    if extra.get("wild_bootstrap_ci"):
        lo, hi = extra["wild_bootstrap_ci"]
        note = _("wild cluster bootstrap interval: %(lo)s … %(hi)s") % {
            "lo": _effect_text(lo, r["scale"]),
            "hi": _effect_text(hi, r["scale"]),
        }
    if r["key"] in ("event_study", "callaway_santanna") and extra.get("pretrend_p") is not None:
        note = _("pre-trend test p = %(p)s") % {"p": _p(extra["pretrend_p"])}
    if r["key"] == "synth" and extra.get("in_time_placebo") is not None:
        note = _("fake start two years early: %(x)s") % {
            "x": _effect_text(extra["in_time_placebo"], "relative")
        }
    if r["key"] == "did_2x2" and extra.get("change_treated") is not None:
        change_scale = extra.get("change_scale", "relative")
        note = _("hotspots %(t)s, controls %(c)s") % {
            "t": _effect_text(extra["change_treated"], change_scale),
            "c": _effect_text(extra["change_control"], change_scale),
        }
    return note


def robustness_rows(figures: dict) -> list[dict]:
    rows = []
    for r in figures.get("robustness", []):
        label = DESIGN_LABEL[r["key"]]() if r["key"] in DESIGN_LABEL else r["key"]
        if r["key"] == "synth":
            label += f" · {r['extra'].get('area', '')}"
        ps = []
        if r["p_value"] is not None:
            ps.append(f"{_p(r['p_value'])} ({P_KIND_LABEL.get(r['p_kind'], lambda: '')()})")
        for key, kind in EXTRA_P:
            if r["extra"].get(key) is not None:
                ps.append(f"{_p(r['extra'][key])} ({P_KIND_LABEL[kind]()})")
        interval = "–"
        if r["ci_low"] is not None and r["ci_high"] is not None:
            interval = f"{_effect_text(r['ci_low'], r['scale'])} … {_effect_text(r['ci_high'], r['scale'])}"
        rows.append(
            {
                "key": r["key"],
                "label": label,
                "effect": _effect_text(r["estimate"], r["scale"]),
                "scale": r["scale"],
                "interval": interval,
                "p": "; ".join(ps) or "–",
                "note": _robustness_note(r),
                "error": stored_message(r["error"], r.get("error_params")) if r["error"] else "",
            }
        )
    return rows


# ------------------------------------------------------------------------------------------------
# The recommendation: which design and inference suit the study's shape, in one or two sentences

DESIGN_NAME = {
    Design.POISSON_FE: lambda: _("Poisson regression with area and year effects"),
    Design.TWFE: lambda: _("linear two-way fixed effects"),
    Design.DID_2X2: lambda: _("the 2×2 difference-in-differences"),
    Design.EVENT_STUDY: lambda: _("the event study"),
    Design.SUN_ABRAHAM: lambda: _("Sun–Abraham"),
    Design.CALLAWAY_SANTANNA: lambda: _(
        "Callaway–Sant'Anna with the areas not yet started as controls"
    ),
    Design.SYNTH: lambda: _("a synthetic control"),
}
INFERENCE_NAME = {
    Inference.RANDOMIZATION: lambda: _("placebo areas from the control pool"),
    Inference.WILD_BOOTSTRAP: lambda: _("the wild cluster bootstrap"),
    Inference.CLUSTER: lambda: _("cluster-robust standard errors"),
}


def _mean_count(shape: Shape) -> dict:
    return {"mean": "–" if shape.mean_count is None else _n(shape.mean_count, 1)}


#: Why the platform recommends what it does (recommend.py's reason keys): key -> (template, the
#: shape -> its parameters; None for a template without any). A key not in the table says nothing.
REASONS = {
    "one_treated_long_pre": (
        gettext_lazy(
            "one hotspot with %(years)s years before the start, enough to rebuild it as a weighted "
            "mix of the control areas"
        ),
        lambda shape: {"years": shape.pre_years},
    ),
    "staggered": (
        gettext_lazy(
            "the hotspots start in different years (%(starts)s), which a single regression with "
            "area and year effects mixes up"
        ),
        lambda shape: {"starts": ", ".join(str(y) for y in shape.starts)},
    ),
    "low_counts_staggered": (
        gettext_lazy(
            "there are few cases per area and year (%(mean)s on average, under 10), which the "
            "Poisson version of Sun–Abraham handles"
        ),
        _mean_count,
    ),
    "low_counts": (
        gettext_lazy(
            "there are few cases per area and year (%(mean)s on average, under 10), which a "
            "Poisson model handles better than rates do"
        ),
        _mean_count,
    ),
    "counts": (
        gettext_lazy(
            "the outcome is a number of cases, which a Poisson model of the rate describes"
        ),
        None,
    ),
    "not_counts": (
        gettext_lazy(
            "the outcome is a score or a share, not a number of cases, so a linear model fits"
        ),
        None,
    ),
    "few_treated": (
        ngettext_lazy(
            "there is only %(n)s hotspot (under 5), so the certainty must come from placebo areas, "
            "and cluster-robust standard errors leave out one area at a time (CR3), never plain CR1",
            "there are only %(n)s hotspots (under 5), so the certainty must come from placebo "
            "areas, and cluster-robust standard errors leave out one area at a time (CR3), never "
            "plain CR1",
            "n",
        ),
        lambda shape: {"n": shape.n_treated},
    ),
}


def _reason_text(key: str, shape: Shape) -> str:
    if key not in REASONS:
        return ""
    template, params_of = REASONS[key]
    return _fill(template, params_of(shape) if params_of else None)


def recommendation_text(rec: Recommendation, shape: Shape) -> str:
    """What the platform recommends for this shape and why (two sentences)."""
    design = DESIGN_NAME[rec.design]()
    if rec.design == Design.SYNTH:
        first = _(
            "For this study the platform recommends %(design)s, judged against placebo areas."
        ) % {"design": design}
    else:
        first = _(
            "For this study the platform recommends %(design)s, with the certainty judged by "
            "%(inference)s."
        ) % {"design": design, "inference": INFERENCE_NAME[rec.inference]()}
    reasons = "; ".join(t for t in (_reason_text(k, shape) for k in rec.reasons) if t)
    why = _("Why: %(reasons)s.") % {"reasons": reasons}
    return f"{first} {why}"


def choice_text(design: str, inference: str) -> str:
    if design == Design.SYNTH:
        return DESIGN_NAME[design]()
    return _("%(design)s with %(inference)s") % {
        "design": DESIGN_NAME[design](),
        "inference": INFERENCE_NAME[inference](),
    }


def study_shape(study, result=None) -> Shape | None:
    """The study's shape: stored with its latest result, else read from its panel (None when the
    panel cannot be built: the study page then says why when it is run)."""
    if result is not None and isinstance(result.figures, dict) and result.figures.get("shape"):
        return Shape.from_dict(result.figures["shape"])
    try:
        return panel_shape(study_panel(study))
    except (StudyInputError, ValueError):
        return None


def displacement_rows(figures: dict) -> list[dict]:
    rows = []
    for d in figures.get("displacement", []):
        words = {
            "diffusion of benefits into the buffer": _("diffusion of benefits into the ring"),
            "displacement larger than the direct effect": _(
                "displacement larger than the direct effect"
            ),
            "some displacement into the buffer, smaller than the direct effect": _(
                "some displacement into the ring, smaller than the direct effect"
            ),
            "no success in the target; no displacement reading": _(
                "no fall in the hotspot, so no displacement reading"
            ),
            "no change in the buffer": _("no change in the ring"),
        }
        rows.append(
            {
                **d,
                "reading": words.get(d.get("interpretation", ""), d.get("interpretation", "")),
                "error": stored_message(d["error"], d.get("error_params"))
                if d.get("error")
                else "",
                "wdq_text": "–" if d.get("wdq") is None else _n(d["wdq"], 2),
                "net_text": "–" if d.get("total_net") is None else _n(d["total_net"], 0),
            }
        )
    return rows


# ------------------------------------------------------------------------------------------------
# The list of studies


def study_list(studies, *, can_create: bool) -> dict:
    """The studies (with their results prefetched), each with its latest result's sentence."""
    rows = []
    for s in studies:
        result = s.latest_result()
        sentence = ""
        if result and result.status == StudyResult.Status.DONE:
            sentence = result_sentence(result.figures)
        rows.append({"study": s, "result": result, "sentence": sentence})
    return {"rows": rows, "can_create": can_create}


# ------------------------------------------------------------------------------------------------
# The new-study form: suggested controls, the recommendation, a programme's pre-fill


def _balance_rows(bt) -> list[dict]:
    return [
        {
            "name": bt.names[j],
            "treated": _n(bt.mean_treated[j], 2),
            "pool": _n(bt.mean_control_before[j], 2),
            "matched": _n(bt.mean_control_after[j], 2),
            "smd_before": _n(bt.smd_before[j], 2),
            "smd_after": _n(bt.smd_after[j], 2),
            "poor": abs(bt.smd_after[j]) > 0.25,
        }
        for j in range(len(bt.names))
    ]


def suggest_controls(municipality, form_data, pool):
    """Nearest-neighbour controls on pre-period rates and register criteria, with the balance table."""
    treated = list(form_data["treated"])
    start = form_data.get("start")
    starts = [first_treated_year(start or a.valid_from) for a in treated]
    pre_until = min(starts)
    tiles_of = tilings([*treated, *pool])
    areas = [PanelArea(a, True, start or a.valid_from, tiles_of[a.pk]) for a in treated]
    areas += [PanelArea(a, False, None, tiles_of[a.pk]) for a in pool]
    panel = build_panel(
        areas,
        form_data["outcome"],
        form_data["first_year"],
        pre_until - 1,
        index_version=form_data.get("index_version"),
    )
    x, names = matching_features(panel, pre_until)
    ok = np.isfinite(x).all(axis=1)
    if panel.outcome in COUNT_OUTCOMES:
        ok &= (panel.population > 0).all(axis=1)
    n_t = len(treated)
    candidates = [i for i in range(n_t, len(areas)) if ok[i]]
    if not all(ok[:n_t]):
        raise StudyInputError(
            _("The treated areas have no data before the start for this outcome.")
        )
    if not candidates:
        raise StudyInputError(_("No area without a hotspot has data for this outcome."))
    k = max(1, min(int(form_data.get("controls_per_hotspot") or 4), len(candidates) // n_t))
    res = match_controls(
        x, treated=list(range(n_t)), candidates=candidates, n_matches=k, names=names
    )
    balance = _balance_rows(res.balance)
    suggested = [areas[i].area for i in res.controls]
    poor = [b["name"] for b in balance if b["poor"]]
    notes = []
    if poor:
        notes.append(
            _(
                "Poor balance (|SMD| above 0.25) on: %(names)s. The suggested controls differ from the "
                "hotspots there; hotspots are often the most exposed areas, so read the pre-trend plot "
                "and the caveats, or pick controls by hand."
            )
            % {"names": "; ".join(poor)}
        )
    return suggested, balance, notes


def index_versions(municipality):
    """Index definition versions of the municipality that have a successful run (their scores exist)."""
    return (
        SafetyIndexVersion.objects.in_municipality(municipality)
        .filter(runs__status=Status.DONE)
        .select_related("definition")
        .distinct()
        .order_by("definition__name", "-number")
    )


def _programme_initial(programme, initial) -> list[str]:
    """Pre-fill the form from a programme: its hotspot areas, its start, its name. Returns notes."""
    hotspots = list(programme.areas.filter(kind=AreaKind.HOTSPOT).order_by("code"))
    initial.update(
        programme=programme.pk,
        name=programme.name,
        start=programme.start,
        treated=[a.pk for a in hotspots],
    )
    if not hotspots:
        return [
            _(
                "The programme %(programme)s covers no hotspot area: tick the treated areas "
                "yourself."
            )
            % {"programme": programme.name}
        ]
    return []


def _form_shape(outcome, treated, controls, start, first_year, last_year, index_version=None):
    """The shape of the study the form describes (its counts from the treated and control areas
    chosen so far), or None before any hotspot is ticked."""
    treated, controls = list(treated or []), list(controls or [])
    if not treated or not first_year or not last_year or first_year >= last_year:
        return None
    tiles_of = tilings([*treated, *controls])
    areas = [PanelArea(a, True, start or a.valid_from, tiles_of[a.pk]) for a in treated]
    areas += [PanelArea(a, False, None, tiles_of[a.pk]) for a in controls]
    try:
        return panel_shape(
            build_panel(areas, outcome, first_year, last_year, index_version=index_version)
        )
    except (StudyInputError, ValueError):
        # no data to count yet (e.g. an index without a run): the shape without the counts
        starts = tuple(sorted({a.first_treated for a in areas if a.first_treated}))
        return Shape(
            n_treated=len(treated),
            starts=starts,
            pre_years=(min(starts) - int(first_year)) if starts else 0,
            mean_count=None,
            counts_outcome=outcome in COUNT_OUTCOMES,
        )


def _form_recommendation(shape, outcome):
    if shape is None:
        # nothing ticked yet: the choice for a study of one start with few hotspots
        shape = Shape(0, (), 0, None, outcome in COUNT_OUTCOMES)
    return recommend(shape)


def _recommendation_notes(shape, rec, design, inference) -> dict:
    if shape is None or shape.n_treated == 0:
        return {}
    notes = {"recommendation": recommendation_text(rec, shape)}
    if not rec.accepts(design, inference):
        notes["recommendation_differs"] = _(
            "Your choice, %(choice)s, differs from the recommendation; it is kept."
        ) % {"choice": choice_text(design, inference)}
    return notes


@dataclass
class NewStudy:
    """What the new-study form is built from: the municipality's programmes, index versions, hotspots
    and control pool (for the hotspots ticked), and the form's defaults."""

    municipality: object
    programmes: object
    index_versions: object
    treated_qs: object
    pool: list
    initial: dict
    #: the latest complete year with population and reports (None without data): the last year's cap
    last_complete_year: int | None = None

    def form(self, data=None, **kwargs) -> StudyForm:
        return StudyForm(
            data,
            treated_qs=self.treated_qs,
            pool=self.pool,
            programmes=self.programmes,
            index_versions=self.index_versions,
            last_complete_year=self.last_complete_year,
            **kwargs,
        )


def new_study(municipality, treated_ids) -> NewStudy:
    """The new-study form's choices in ``municipality``, its control pool for the hotspots with the
    ids ``treated_ids`` (as posted), and its defaults."""
    programmes = Programme.objects.in_municipality(municipality).order_by("-start", "name")
    treated_qs = (
        Area.objects.in_municipality(municipality).filter(kind=AreaKind.HOTSPOT).order_by("code")
    )
    selected = Area.objects.in_municipality(municipality).filter(pk__in=treated_ids)
    pool = control_pool(municipality, list(selected))
    complete = latest_year(municipality)
    last = complete or timezone.localdate().year - 1  # a complete year
    first = ReportCount.objects.in_municipality(municipality).aggregate(y=Min("year"))["y"]
    initial = {
        "first_year": first or last - 10,
        "last_year": last,
        "design": Design.POISSON_FE,
        "inference": Inference.RANDOMIZATION,
        "buffer_m": 300,
        "controls_per_hotspot": 4,
        "outcome": Outcome.REPORTS_CITIZEN,
    }
    return NewStudy(
        municipality, programmes, index_versions(municipality), treated_qs, pool, initial, complete
    )


def new_study_context(
    new: NewStudy,
    form,
    choice: "StudyChoice | None" = None,
    *,
    suggested: bool = False,
    programme=None,
    programme_notes=(),
    notes: dict | None = None,
) -> dict:
    """The new-study page's context; a posted form names its own programme."""
    if hasattr(form, "cleaned_data"):
        programme = form.cleaned_data.get("programme")
    if choice is not None:
        notes = choice.notes
    return {
        "form": form,
        "balance": choice.balance if choice else None,
        "match_warnings": choice.match_warnings if choice else [],
        "suggested": suggested,
        "has_hotspots": new.treated_qs.exists(),
        "pool_ids": [a.pk for a in new.pool],
        "programmes": new.programmes,
        "programme": programme,
        "programme_notes": list(programme_notes),
        "has_index": new.index_versions.exists(),
        **(notes or {}),
    }


def blank_study_context(new: NewStudy, programme=None) -> dict:
    """The empty form, pre-filled from ``programme`` when given, with the recommendation preselected."""
    initial = dict(new.initial)
    programme_notes = _programme_initial(programme, initial) if programme is not None else []
    shape = _form_shape(
        initial["outcome"],
        new.treated_qs.filter(pk__in=initial.get("treated", [])),
        [],
        initial.get("start"),
        initial["first_year"],
        initial["last_year"],
    )
    rec = _form_recommendation(shape, initial["outcome"])
    initial.update(
        design=rec.design,
        inference=rec.inference,
        recommended_design=rec.design,
        recommended_inference=rec.inference,
    )
    notes = _recommendation_notes(shape, rec, rec.design, rec.inference)
    form = new.form(initial=initial)
    return new_study_context(
        new, form, programme=programme, programme_notes=programme_notes, notes=notes
    )


@dataclass
class StudyChoice:
    """What a valid posted form comes to: the controls (suggested, when asked), the design and
    inference (the recommendation's where left to the platform) and the notes on them."""

    controls: list
    design: str
    inference: str
    recommendation: Recommendation
    notes: dict
    balance: list | None = None
    match_warnings: list | None = None


def study_choice(new: NewStudy, form, *, suggest: bool) -> StudyChoice:
    """The choice a valid form describes; ``suggest``: with the suggested controls. Raises
    ``StudyInputError`` (a translated sentence) or the matching library's ``ValueError``."""
    data = form.cleaned_data
    controls, balance, match_warnings = list(data["controls"]), None, []
    if suggest:
        controls, balance, match_warnings = suggest_controls(new.municipality, data, new.pool)
    shape = _form_shape(
        data["outcome"],
        data["treated"],
        controls,
        data["start"],
        data["first_year"],
        data["last_year"],
        data.get("index_version"),
    )
    rec = _form_recommendation(shape, data["outcome"])
    design = rec.design if form.left_to_platform("design") else data["design"]
    inference = rec.inference if form.left_to_platform("inference") else data["inference"]
    notes = _recommendation_notes(shape, rec, design, inference)
    return StudyChoice(controls, design, inference, rec, notes, balance, match_warnings)


def suggested_form(new: NewStudy, posted, choice: StudyChoice):
    """The posted form again with the suggested controls ticked and the choice it came to."""
    post = posted.copy()
    post.setlist("controls", [str(a.pk) for a in choice.controls])
    post.update(
        {
            "design": choice.design,
            "inference": choice.inference,
            "recommended_design": choice.recommendation.design,
            "recommended_inference": choice.recommendation.inference,
        }
    )
    form = new.form(post)
    form.is_valid()
    return form


def study_arguments(form, choice: StudyChoice) -> dict:
    """What ``actions.create_study`` takes from a valid form and its choice (but who and where)."""
    data = form.cleaned_data
    return {
        "name": data["name"],
        "outcome": data["outcome"],
        "treated": [(a, data["start"] or a.valid_from) for a in data["treated"]],
        "controls": list(data["controls"]),
        "first_year": data["first_year"],
        "last_year": data["last_year"],
        "design": choice.design,
        "inference": choice.inference,
        "buffer_m": data["buffer_m"],
        "programme": data["programme"],
        "index_version": data["index_version"],
    }


def add_form_error(form, exc: ValueError) -> None:
    """A study's own refusal as it was worded; a refusal of the matching library translated."""
    if isinstance(exc, StudyInputError):
        form.add_error(None, str(exc))
    else:
        form.add_error(
            None,
            _("Controls could not be suggested: %(reason)s") % {"reason": library_message(exc)},
        )


# ------------------------------------------------------------------------------------------------
# A study's result: the page and the PDF report

_PLAN_MEASURE = {
    Outcome.REPORTS: "reports",
    Outcome.REPORTS_CITIZEN: "citizen_directed",
    Outcome.REPORTS_SERIOUS: "serious",
}


def _disclosed(figures: dict, study) -> dict:
    """The figures of a count outcome for a viewer without raw-data rights: a group's yearly count is
    hidden with its rate when it is from 1 to 4, or when one of its areas' counts is hidden on the
    other pages (the municipality's small-cell plan, ``hotspot.areas.inputs.disclosure_plan``: the
    group's sum beside those pages would give that count away); and so the smallest count."""
    trend = dict(figures["trend"])
    measure = _PLAN_MEASURE.get(figures["outcome"])
    plan = disclosure_plan(study.municipality_id) if measure else {}
    members = tiling_map_for(study.municipality_id) if measure else {}
    groups = {"treated": study.treated(), "control": study.controls()}
    for name in ("treated", "control"):
        areas = [sa.area_id for sa in groups[name]]
        cells = {(a, measure) for a in areas} | {
            (leaf, measure) for a in areas for leaf in members.get(a, ())
        }
        counts = trend[name + "_counts"]
        shown = []
        for year, n in zip(trend["years"], counts):
            hidden = plan.get(int(year), {})
            if disclosure.is_small(n):
                shown.append(disclosure.SUPPRESSED)
            elif any(c in hidden for c in cells):
                shown.append(disclosure.WITHHELD)
            else:
                shown.append(n)
        trend[name] = [disclosure.rate_of(c, v) for c, v in zip(shown, trend[name])]
        trend[name + "_counts"] = shown
    caveats = [
        {**c, "min": disclosure.count(c["min"], raw=False)} if c.get("key") == "small_counts" else c
        for c in figures.get("caveats", [])
    ]
    return {**figures, "trend": trend, "caveats": caveats}


def result_error(result) -> str:
    """A failed result's problem in the reader's language: a library refusal is worded from its stored
    code and params; the study's own problems were stored as translated sentences."""
    details = (result.figures or {}).get("error") if isinstance(result.figures, dict) else None
    return failure_message(details) if isinstance(details, dict) else result.error


def _trend_rows(trend: dict) -> list[dict]:
    return [
        {
            "year": y,
            "treated": trend["treated"][i],
            "control": trend["control"][i],
            "treated_n": trend["treated_counts"][i],
            "control_n": trend["control_counts"][i],
        }
        for i, y in enumerate(trend["years"])
    ]


def _library_warnings(f: dict) -> list:
    return warning_messages(
        [w for r in f.get("robustness", []) for w in r.get("warnings", [])]
        + [
            w
            for key in ("randomization", "wild_bootstrap", "score_bootstrap")
            for w in (f.get(key) or {}).get("warnings", [])
        ]
    )


def result_context(study, result, *, raw: bool = False) -> dict:
    ctx = {"study": study, "result": result}
    if result and result.status == StudyResult.Status.FAILED:
        ctx["result_error"] = result_error(result)
    if result and result.status == StudyResult.Status.DONE:
        f = result.figures
        if not raw and f["outcome"] in COUNT_OUTCOMES:
            f = _disclosed(f, study)
        unit = _unit(f["outcome"])
        trend = f["trend"]
        ctx.update(
            figures=f,
            sentence=result_sentence(f),
            caveats=caveat_texts(f),
            robustness=robustness_rows(f),
            displacement=displacement_rows(f),
            unit=unit,
            trend_rows=_trend_rows(trend),
            event_rows=_event_rows(f.get("event_study")),
            chart={
                "trend": {k: [disclosure.js(v) for v in vs] for k, vs in trend.items()},
                "starts": f["starts"],
                "event": f.get("event_study"),
            },
            svg_trend=study_trend_chart(trend, f["starts"], unit),
            svg_event=event_study_chart(f.get("event_study")),
            library_warnings=_library_warnings(f),
        )
    return ctx


def _event_rows(event):
    if not event:
        return []
    rows = []
    for r, c, lo, hi in sorted(
        zip(
            event["rel_time"] + [-1],
            event["coef"] + [0.0],
            event["ci_low"] + [None],
            event["ci_high"] + [None],
        )
    ):
        label = str(r)
        # the event study bins the years beyond its leads and lags; Callaway–Sant'Anna does not
        binned = event.get("design") != "callaway_santanna"
        if binned and r == event["rel_time"][0] and r < -1:
            label = f"≤ {r}"
        if binned and r == event["rel_time"][-1] and r > 0:
            label = f"≥ {r}"
        rows.append(
            {
                "rel": label,
                "coef": _effect_text(c, event["scale"]) if r != -1 else _("reference"),
                "interval": "–"
                if lo is None
                else f"{_effect_text(lo, event['scale'])} … {_effect_text(hi, event['scale'])}",
            }
        )
    return rows


def _recommendation_context(study, result) -> dict:
    shape = study_shape(study, result)
    if shape is None or shape.n_treated == 0:
        return {}
    rec = recommend(shape)
    ctx = {"recommendation": recommendation_text(rec, shape)}
    if not rec.accepts(study.design, study.inference):
        ctx["recommendation_differs"] = _(
            "This study uses %(choice)s, which differs from the recommendation."
        ) % {"choice": choice_text(study.design, study.inference)}
    return ctx


def study_detail(study, user) -> dict:
    """The study page for ``user``: its latest result (counts disclosed as the user may see them),
    the recommendation for its shape, its areas, and whether the user may run it."""
    result = study.latest_result()
    raw = disclosure.may_see_raw(user, study.municipality_id)
    ctx = result_context(study, result, raw=raw)
    ctx.update(_recommendation_context(study, result))
    ctx.update(
        programme=study.programme,
        can_create=user.membership_for(study.municipality_id).can(CREATE),
        treated=list(study.treated()),
        controls=list(study.controls()),
        running=result is not None
        and result.status in (StudyResult.Status.QUEUED, StudyResult.Status.RUNNING),
        stale=result_is_stale(study, result),
    )
    return ctx


def study_edit_form(study, data=None):
    """The edit form of ``study``, its last year capped at the latest complete year of data."""
    return StudyEditForm(data, instance=study, last_complete_year=latest_year(study.municipality))


def result_is_stale(study, result) -> bool:
    """Whether ``result`` was computed with other parameters than the study has now (it was edited)."""
    from hotspot.evaluations.tasks import study_parameters

    if result is None or not result.parameters:
        return False
    now = study_parameters(study)
    return any(result.parameters.get(k) != v for k, v in now.items() if k in result.parameters)


def study_report(study, user) -> dict:
    """The PDF report's context for ``user``."""
    raw = disclosure.may_see_raw(user, study.municipality_id)
    ctx = result_context(study, study.latest_result(), raw=raw)
    ctx.update(treated=list(study.treated()), controls=list(study.controls()))
    return ctx


# ------------------------------------------------------------------------------------------------
# The panel export


def _score_table(study, panel):
    """The index outcome's panel: one row per area and year, a missing score as an empty cell."""
    header = [
        _("area code"),
        _("area"),
        _("group"),
        _("first treated year"),
        _("year"),
        _("treated"),
        _("safety index score"),
        _("index run"),
    ]
    run = panel.source.get("index_run", "")
    rows = []
    for i, pa in enumerate(panel.areas):
        ft = pa.first_treated
        for j, year in enumerate(panel.years):
            score = round(float(panel.counts[i, j]), 4) if panel.present[i, j] else ""
            rows.append(
                [
                    pa.area.code,
                    pa.area.name,
                    _("hotspot") if pa.treated else _("control"),
                    ft or "",
                    year,
                    int(bool(ft and year >= ft)),
                    score,
                    run,
                ]
            )
    return header, rows, panel.inputs_hash()


def panel_table(study):
    """The area x year panel the study uses: header, rows and the panel's inputs hash. Raises
    ``StudyInputError`` when the panel cannot be built."""
    panel = study_panel(study)
    if study.outcome in SCORE_OUTCOMES:
        return _score_table(study, panel)
    scale_label = _("per 1,000") if study.outcome != Outcome.SURVEY_UNSAFE else "%"
    header = [
        _("area code"),
        _("area"),
        _("group"),
        _("first treated year"),
        _("year"),
        _("treated"),
        _("count") if study.outcome != Outcome.SURVEY_UNSAFE else _("unsafe (weighted)"),
        _("population") if study.outcome != Outcome.SURVEY_UNSAFE else _("answers (weighted)"),
        _("rate (%(unit)s)") % {"unit": scale_label},
    ]
    rows = []
    for i, pa in enumerate(panel.areas):
        for j, year in enumerate(panel.years):
            if not panel.present[i, j]:
                continue
            ft = pa.first_treated
            rows.append(
                [
                    pa.area.code,
                    pa.area.name,
                    _("hotspot") if pa.treated else _("control"),
                    ft or "",
                    year,
                    int(bool(ft and year >= ft)),
                    round(float(panel.counts[i, j]), 3),
                    round(float(panel.population[i, j]), 3),
                    round(float(panel.value[i, j]), 4),
                ]
            )
    return header, rows, panel.inputs_hash()


def panel_export(study):
    """The panel as rows and (header, getter) columns for ``reports.exports.export_response``."""
    header, rows, _digest = panel_table(study)
    columns = [(h, (lambda row, i=i: row[i])) for i, h in enumerate(header)]
    return rows, columns


# --- the programme report's section (registered from EvaluationsConfig.ready) -----------------------
def programme_report_studies(programme) -> dict | None:
    """The programme report's evaluation section: each study of the programme with the result sentence
    of its newest finished run (``None`` without any)."""
    rows = []
    studies = Study.objects.filter(programme=programme).order_by("name", "pk")
    for study in studies:
        result = (
            study.results.filter(status=StudyResult.Status.DONE).order_by("-created_at").first()
        )
        if result is None or not result.figures.get("main"):
            continue
        rows.append({"study": study, "result": result, "sentence": result_sentence(result.figures)})
    if not rows:
        return None
    return {"template": "evaluations/_programme_report_section.html", "rows": rows}
