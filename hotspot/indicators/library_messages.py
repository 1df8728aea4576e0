"""Danish (translated) texts for the refusals and warnings of the ``safetystats`` library.

The library raises :class:`safetystats.errors.SafetystatsError` (a ``ValueError``) with a stable ``code``
and ``params`` next to its English ``str(exc)``; its results carry ``warnings``, English sentences without
codes. Neither may reach a page in English. One home for both, used by evaluations and indices:

- :func:`library_message` turns an exception into a translated sentence (never English: an unknown code
  or a bare ``ValueError`` gives a generic sentence);
- :func:`error_details` / :func:`error_fields` are what a stored result keeps (the code and params), so a
  page translates at render time with :func:`stored_message` (a result stored before codes existed, with
  the English sentence, still shows a Danish sentence);
- :func:`warning_message` translates one library warning (a table of the known texts, matched by pattern,
  with a generic sentence for unknown ones).
"""

import math
import re

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from safetystats.errors import SafetystatsError

#: code -> translated text (params by name, as the library gives them)
LIBRARY_MESSAGES = {
    "input.not_numbers": _("The values in %(name)s must be numbers."),
    "input.shape": _("%(name)s has the wrong shape."),
    "input.length": _("%(name)s must have %(expected)s values (one per row), but has %(given)s."),
    "input.not_finite": _("%(name)s contains %(count)s missing or infinite values."),
    "input.not_integer": _("%(name)s must be a whole number, but is %(given)s."),
    "input.out_of_range": _("%(name)s must lie in %(expected)s, but is %(given)s."),
    "input.choice": _("%(name)s has an invalid value: %(given)s."),
    "input.labels_missing": _("Some rows have no value in %(name)s."),
    "input.level": _("The confidence level must lie between 0 and 1."),
    "input.empty": _("There are no observations."),
    "input.duplicates": _("%(name)s contains the same row more than once."),
    "panel.duplicated_rows": _(
        "There is more than one row for the same area and year; aggregate the data by "
        "area and year first."
    ),
    "panel.too_few_clusters": _("There must be at least two areas (clusters)."),
    "panel.no_controls": _(
        "There are no control areas: at least one area must be without an effort for the "
        "whole period."
    ),
    "panel.no_treated": _("There are no effort areas (or no years with an effort) in the period."),
    "panel.no_pre_period": _(
        "Effort areas without years before the effort: %(areas)s. Every effort area needs "
        "at least one year before the start."
    ),
    "panel.first_treated_varies": _("An area has several start years for the effort."),
    "panel.first_treated_off_grid": _(
        "The start year of the effort is not among the years of the period."
    ),
    "panel.clusters_split_areas": _("An area is split between several clusters."),
    "outcome.constant": _(
        "The outcome is the same (%(value)s) in all areas and years; there is nothing to compare."
    ),
    "outcome.negative_counts": _("Counts cannot be negative (smallest value: %(minimum)s)."),
    "outcome.all_zero": _("All counts are 0 in the period; the effect cannot be computed."),
    "population.not_positive": _(
        "%(count)s rows have no population (0 or negative); a rate needs a population."
    ),
    "weights.not_positive": _(
        "%(count)s rows have a weight of 0 or less; all weights must be positive."
    ),
    "design.treatment_absorbed": _(
        "The effort cannot be told apart from the differences between areas and years; "
        "the effect cannot be computed."
    ),
    "design.treatment_collinear": _(
        "The effort (%(name)s) cannot be told apart from the other explanatory variables; "
        "the effect cannot be computed."
    ),
    "design.degenerate_se": _(
        "The uncertainty cannot be computed with this design (the standard error is 0)."
    ),
    "poisson.separation": _(
        "The effect cannot be computed with Poisson regression: the counts are 0 exactly "
        "where %(name)s is switched on (or can be predicted exactly), so the effect would "
        "be infinitely large. Use more years or areas, or another design."
    ),
    "poisson.no_convergence": _(
        "The Poisson regression found no solution within %(max_iter)s iterations."
    ),
    "event_study.no_cells": _(
        "There are no years with an effort to compute an effect per year for."
    ),
    "did.zero_count": _(
        "One of the four cells (before/after, effort/control) has 0 incidents; pool more "
        "years or areas."
    ),
    "did.population": _("One of the four cells (before/after, effort/control) has no population."),
    "inference.pool_too_small": _(
        "There are too few control areas (%(pool)s) for the placebo test with %(treated)s "
        "effort areas."
    ),
    "inference.no_placebos": _("No placebo assignment could be computed."),
    "inference.degenerate_bootstrap": _(
        "The bootstrap test could not be computed with these data."
    ),
    "synth.treated_in_donors": _("The effort area is also among the control areas."),
    "synth.too_few_donors": _("At least two control areas are needed for the placebo tests."),
    "synth.weights_without_predictors": _("Weights were given without explanatory variables."),
    "matching.treated_in_pool": _("Some effort areas are also among the possible control areas."),
    "matching.too_few_candidates": _(
        "There are too few possible control areas (%(given)s; %(expected)s are needed)."
    ),
    "matching.no_variation": _("The characteristics matched on are the same for all areas."),
    "wdq.counts": _("The counts before and after must not be negative."),
    "wdq.control_zero": _("The control area must have incidents both before and after."),
    "wdq.no_change": _(
        "The effort area has not changed relative to the control area; the weighted "
        "displacement quotient (WDQ) cannot be computed."
    ),
    "survey.share_out_of_range": _("A share must lie between 0 and 1 (got %(given)s)."),
    "rates.per": _("The unit of the rate must be a positive number."),
    "rates.negative": _("Counts and populations cannot be negative."),
    "rates.count": _("The counts have the wrong shape."),
    "rates.count_and_denominator": _("Counts and populations do not match."),
    "rates.bands": _("The age bands are missing or overlap."),
    "rates.band_bounds": _("An age band has invalid bounds."),
    "rates.unknown_labels": _("Some values are not in the list."),
    "rates.area_year_person": _("Area, year and person have different lengths."),
    "rates.area_year_person_age": _("Area, year, person and age have different lengths."),
    "rates.population": _("The populations have the wrong shape."),
    "rates.values": _("The values lack a year axis."),
    "rates.base": _("The base year lies outside the period."),
    "rates.method": _("Unknown method for pooling years."),
    "survey.answers": _("The answers have the wrong shape or unknown answer codes."),
    "survey.category": _("Unknown answer category."),
    "survey.weights": _("The survey weights are invalid (must be numbers ≥ 0, one per answer)."),
    "survey.by": _("There is no grouping."),
    "survey.by_length": _("The grouping has the wrong number of values."),
    "survey.level": _("The confidence level must lie between 0 and 1."),
    "index.indicators": _("The index has no indicators, or an indicator is invalid."),
    "index.indicator_direction": _("An indicator's direction must be “good” or “bad”."),
    "index.indicator_constant": _(
        "An indicator has the same value in all reference areas in the reference year."
    ),
    "index.indicator_reference_mean": _(
        "An indicator has no positive mean in the reference year (required by ratio normalisation)."
    ),
    "index.directions": _("The directions do not match the indicators."),
    "index.weights_invalid": _("The weights must be numbers ≥ 0."),
    "index.weights_sum": _("The weights must sum to 1."),
    "index.pillar_weights": _("A pillar has a weight but no indicators."),
    "index.theme_weights": _("There are weights for themes that do not exist."),
    "index.theme_weights_partial": _("A theme has weights on some but not all of its indicators."),
    "index.aggregation": _("Unknown aggregation method."),
    "index.missing": _("Unknown method for missing data."),
    "index.normalisation": _("Unknown normalisation."),
    "index.normalisations": _("Unknown normalisation in the sensitivity analysis."),
    "index.normalisation_unsuitable": _(
        "The scale of the preset %(preset)s is defined on z-scores; the normalisation "
        "“%(normalisation)s” needs its own scale (otherwise every area gets the same "
        "grade)."
    ),
    "index.bands": _("The number of cuts and labels in the bands do not match."),
    "index.reference_year": _("The reference year lies outside the period."),
    "index.reference_year_no_data": _(
        "An indicator has no data in the reference year for the reference areas; choose "
        "another reference year or other areas."
    ),
    "index.reference_areas": _("The reference areas are invalid."),
    "index.values": _("The indicator values have the wrong shape."),
    "index.year": _("The year lies outside the period."),
    "index.interval": _("The percentiles of the sensitivity analysis are invalid."),
    "index.concentration": _("The concentration must be a positive number."),
    "index.geometric_not_positive": _(
        "Geometric aggregation needs positive normalised values; choose linear "
        "aggregation or another normalisation."
    ),
    "criteria.rules": _("Unknown rule set."),
    "criteria.history": _("The area's history must be given year by year."),
    "criteria.history_fields": _("The area's history contains unknown fields."),
    "criteria.history_record": _("A year in the area's history has the wrong type."),
    "criteria.not_a_number": _("A criterion value is not a number."),
    "criteria.operator": _("Unknown comparison."),
    # spatial weights and hot spots
    "spatial.empty": _("There are no cells to analyse (an empty grid, or no areas or points)."),
    "spatial.one_cell": _(
        "There is only one cell; a hot spot analysis needs at least two cells that can be "
        "neighbours."
    ),
    "spatial.grid_shape": _("The grid must be given as a number of rows and a number of columns."),
    "spatial.geometry": _(
        "The geometry at position %(index)s (counting from 0) is not an area with a boundary."
    ),
    "spatial.points": _("The points must be given as pairs of coordinates (x, y) without gaps."),
    "spatial.knn_k": _(
        "The number of nearest neighbours must be at least 1 and smaller than the number of "
        "points (%(n)s)."
    ),
    "spatial.threshold": _("The neighbour distance must be a positive distance."),
    "spatial.weights": _("The definition of neighbours is invalid."),
    "spatial.length": _(
        "There are %(given)s values, but the definition of neighbours has %(expected)s cells."
    ),
    "spatial.missing_values": _(
        "%(count)s cells have no value (missing or infinite); the first is cell number "
        "%(first)s (counting from 0). Cells without events must have the value 0."
    ),
    "spatial.constant": _(
        "Every cell has the same value (%(value)s), so there are no hot or cold spots to find."
    ),
    "spatial.no_neighbours": _(
        "None of the %(n)s cells has a neighbour; choose a larger neighbour distance or "
        "neighbours by shared borders."
    ),
    "spatial.permutations": _(
        "The number of permutations must be a whole number from 1 to %(maximum)s."
    ),
    "spatial.p_values": _("%(count)s p-values are missing or lie outside 0 to 1."),
    "spatial.alpha": _("The significance level must lie between 0 and 1."),
    "spatial.cell_size": _("The cell size and the time step must be positive numbers."),
    "spatial.bounds": _("The study area must be given as the smallest and largest x and y."),
    "spatial.times": _(
        "%(count)s events have no date; the first is event number %(first)s (counting from 0)."
    ),
    "spatial.too_many_cells": _(
        "The chosen cell size and time step give %(cells)s cells (%(slices)s periods of "
        "%(rows)s × %(cols)s cells), more than the maximum of %(maximum)s. Choose larger cells or "
        "longer periods."
    ),
    "spatial.cube": _("A trend over time needs at least three periods."),
    "spatial.too_few_events": _("There are too few events or periods (%(n)s) for this analysis."),
    "spatial.bandwidth": _(
        "The bandwidth can only be chosen by a rule (%(rule)s) when the points lie in different "
        "places; here there are %(n)s point(s), all at the same place. Give a fixed bandwidth in "
        "metres instead."
    ),
    "spatial.bands": _(
        "The distance and time bands must be given as increasing limits from 0 or more."
    ),
    "concentration.counts": _(
        "%(count)s places have a negative or missing count; the first is place number "
        "%(first)s (counting from 0)."
    ),
}

#: refusals of the hotspot layer's own calculations, worded the same way (raised as StudyRefusal)
LIBRARY_MESSAGES.update(
    {
        "study.did_staggered": _(
            "The 2×2 comparison needs one common start year, but the effort areas start in different "
            "years; use Sun-Abraham for staggered starts."
        ),
    }
)


class StudyRefusal(ValueError):
    """A refusal of a calculation in the hotspot layer, with a ``code`` of :data:`LIBRARY_MESSAGES` and
    ``params`` like :class:`safetystats.errors.SafetystatsError` (``str(exc)`` is English, for logs)."""

    def __init__(self, code: str, message: str, **params):
        if code not in LIBRARY_MESSAGES:
            raise KeyError(f"unknown refusal code {code!r}")
        super().__init__(message)
        self.code = code
        self.params = params


#: the library's argument names that appear in %(name)s, as words a reader understands
ARGUMENT_NAMES = {
    "treatment": _("the effort"),
    "population": _("the population"),
    "weights": _("the weights"),
    "y": _("the outcome"),
    "values": _("the values"),
    "counts": _("the counts"),
    "area": _("the area"),
    "period": _("the year"),
    "cluster": _("the clusters"),
    "first_treated": _("the start year"),
    "level": _("the confidence level"),
    "draws": _("the number of draws"),
}

GENERIC = _("The calculation could not be made with these data.")
#: a shortened list: the library names the first few items and counts the rest in ``more``
LIST_AND_MORE = _("%(items)s and %(more)s more")
GENERIC_WARNING = _("The statistics library noted a reservation about this calculation.")


def _param(key, value):
    if key == "name" and isinstance(value, str):
        return str(ARGUMENT_NAMES.get(value, value))
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "–"
        return number_format(round(value, 4))
    return value


def _and_more(items: str, more) -> str:
    """``items`` followed by "and N more" when the library cut the list (``more`` > 0)."""
    try:
        count = int(more)
    except (TypeError, ValueError):
        return items
    if count <= 0:
        return items
    return str(LIST_AND_MORE) % {"items": items, "more": number_format(count)}


def _params(params: dict) -> dict:
    """The params as text; a ``more`` count goes onto the list it belongs to (the library sends
    at most one list with it, e.g. ``areas``), so a cut list never reads as complete."""
    out = {k: _param(k, v) for k, v in params.items()}
    if "more" in params:
        for key, value in params.items():
            if isinstance(value, (list, tuple)):
                out[key] = _and_more(out[key], params["more"])
    return out


def message_for(code: str, params: dict | None = None) -> str:
    """The translated text of a library code, or the generic sentence (never English)."""
    text = LIBRARY_MESSAGES.get(code or "")
    if text is None:
        return str(GENERIC)
    try:
        return str(text) % _params(params or {})
    except (KeyError, TypeError, ValueError):
        return str(GENERIC)


def library_message(exc: BaseException) -> str:
    """The translated sentence for a refusal of the library (or any ``ValueError`` without a code)."""
    if isinstance(exc, (SafetystatsError, StudyRefusal)):
        return message_for(exc.code, exc.params)
    return str(GENERIC)


def user_message(exc: BaseException) -> str:
    """What a page says for a refused action: a library refusal translated; the hotspot layer's own
    ``ValueError`` messages (already translated where they are raised) as they are."""
    if isinstance(exc, (SafetystatsError, StudyRefusal)):
        return library_message(exc)
    return str(exc)


def _jsonable(value):
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return number if math.isfinite(number) else None


def error_details(exc: BaseException) -> dict:
    """What a stored result keeps of a refusal: ``{"code": …, "params": …}`` (JSON-safe), translated when
    shown by :func:`stored_message`. Not a library refusal: code ``""``."""
    if isinstance(exc, (SafetystatsError, StudyRefusal)):
        return {"code": exc.code, "params": {k: _jsonable(v) for k, v in exc.params.items()}}
    return {"code": "", "params": {}}


def error_fields(exc: BaseException) -> dict:
    """The ``error`` and ``error_params`` of a stored figure row: the code (``"unknown"`` when there is
    none, so the row still reads as failed) and its params."""
    details = error_details(exc)
    return {"error": details["code"] or "unknown", "error_params": details["params"]}


def stored_message(code, params=None) -> str:
    """The translated sentence for a stored code and params. A result stored before the library had
    codes kept the English sentence instead; it gets the generic sentence."""
    if isinstance(code, dict):  # error_details
        code, params = code.get("code", ""), code.get("params")
    return message_for(code if isinstance(code, str) else "", params)


#: how a failed study words the refusal that stopped it (``details["context"]``)
STUDY_FAILURE = {
    "": _("The study could not be computed: %(reason)s"),
    "design": _("The chosen design could not be estimated: %(reason)s"),
    "synth": _("The synthetic control could not be fitted: %(reason)s"),
}


def failure_message(details: dict) -> str:
    """The sentence for a failed study result from its stored details (context, code, params)."""
    prefix = STUDY_FAILURE.get(details.get("context", ""), STUDY_FAILURE[""])
    return str(prefix) % {"reason": stored_message(details.get("code", ""), details.get("params"))}


# ------------------------------------------------------------------------------------------------
# Warnings: the library's English sentences (safetystats/evaluation/*.py), matched by pattern


def _num(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return number_format(value, 0 if value == int(value) else 2)


def _names(text: str) -> str:
    return ", ".join(n.strip(" '\"") for n in text.strip("[]").split(",") if n.strip(" '\""))


_WARNINGS = [
    # safetystats.evaluation.staggered (Callaway–Sant'Anna)
    (
        r"only (?P<n>\d+) (?:treated area\(s\)|cluster\(s\) with treated areas) "
        r"\(< (?P<limit>\d+)\): the influence-function",
        _(
            "Only %(n)s effort areas (fewer than %(limit)s): the standard errors, bands, p-values and "
            "the pre-trend test of the Callaway–Sant'Anna design rest on how the effort areas spread "
            "around their cohort's mean, which so few areas cannot estimate; read the intervals as too "
            "narrow and use the placebo test for the p-value."
        ),
    ),
    (
        r"cohort\(s\) \[(?P<names>[^\]]*)\] have a single treated area",
        _(
            "Start year(s) %(names)s have a single effort area: their standard errors count only the "
            "control areas' variation."
        ),
    ),
    (
        r"(?P<n>\d+) ATT\(g,t\) with fewer than 2 control areas",
        _(
            "%(n)s group-year effects have fewer than 2 control areas: their standard errors leave "
            "out the control areas' variation."
        ),
    ),
    (
        r"(?P<n>\d+) area\(s\) not observed in every period were left out",
        _(
            "%(n)s areas without figures for every year were left out (the design needs every year)."
        ),
    ),
    (
        r"(?P<n>\d+) area\(s\) start after the last period",
        _("%(n)s areas start after the last year and count as areas without an effort here."),
    ),
    (
        r"no never-treated areas: the last cohort \((?P<names>[\d.]+)\) serves",
        _(
            "No areas without an effort: the areas starting last (%(names)s) serve as the comparison, "
            "and only the years before they start are used."
        ),
    ),
    (
        r"no pre-trend test: the covariance of the pre-period ATT\(g,t\) is singular",
        _("No test of the years before the start: their effects vary too little to test."),
    ),
    (
        r"only (?P<n>\d+) treated \w+ \(< (?P<limit>\d+)\): cluster-robust",
        _(
            "Only %(n)s effort areas (fewer than %(limit)s): cluster-robust standard errors and their "
            "p-values reject too often when few areas have an effort; prefer the placebo test or the wild "
            "cluster bootstrap, and with fewer than about 5 effort areas even the bootstrap is unreliable."
        ),
    ),
    (
        r"small counts \(minimum (?P<minimum>\d+)\): the normal approximation",
        _(
            "Small counts (smallest %(minimum)s): the normal approximation on the log scale is rough."
        ),
    ),
    (
        r"the target got worse relative to the control",
        _(
            "The effort area got worse relative to the control area (success measure above 0): the "
            "quotient's reading of displacement does not apply."
        ),
    ),
    (
        r"small counts \(< 20 in some cell\)",
        _("Small counts (under 20 in a cell): the quotient is very uncertain."),
    ),
    (
        r"dropped (?P<n>\d+) regressor\(s\) collinear .*: (?P<names>\[.*\])",
        _(
            "%(n)s explanatory variables were left out because they cannot be told apart from the fixed "
            "effects or the other variables: %(names)s."
        ),
    ),
    (
        r"HC1 standard errors treat every area-period row as independent",
        _(
            "HC1 standard errors treat every area-year as independent, but an area's counts and rates "
            "are correlated over the years, so in a panel they are usually too small (Bertrand, Duflo "
            "& Mullainathan 2004); prefer the default, cluster-robust standard errors by area (CR1)."
        ),
    ),
    (
        r"dropped (?P<n>\d+) area\(s\) whose counts are all zero.*?: (?P<names>\[[^\]]*\])"
        r"(?: and (?P<more>\d+) more)?",
        _(
            "%(n)s areas were left out because all their counts are 0 (their fixed effect cannot be "
            "estimated in a Poisson model): %(names)s."
        ),
    ),
    (
        r"dropped (?P<n>\d+) period\(s\) whose counts are all zero.*?: (?P<names>\[[^\]]*\])",
        _(
            "%(n)s years were left out because all counts are 0 in every area that year (their fixed "
            "effect cannot be estimated in a Poisson model): %(names)s."
        ),
    ),
    (
        r"dropped (?P<n>\d+) zero count\(s\) separated",
        _(
            "%(n)s counts of 0 were left out because the explanatory variables and fixed effects predict "
            "them exactly (separation)."
        ),
    ),
    (
        r"(?P<n>\d+) zero count\(s\) fitted with an expected count near 0",
        _(
            "%(n)s counts of 0 have an expected value close to 0: possible separation; the coefficients "
            "involved are not reliable."
        ),
    ),
    (
        r"no overdispersion: the NB2 dispersion alpha is 0",
        _(
            "The counts vary no more than a Poisson model expects (the dispersion of the negative "
            "binomial model is 0), so the negative binomial estimate is the Poisson estimate."
        ),
    ),
    (
        r"no residual degrees of freedom: the Pearson dispersion is undefined",
        _(
            "There are as many parameters as observations, so the overdispersion of the counts "
            "cannot be measured."
        ),
    ),
    (
        r"the wild cluster bootstrap with the null imposed",
        _(
            "With few effort areas the wild cluster bootstrap is conservative with the null hypothesis "
            "imposed and liberal without it."
        ),
    ),
    (
        r"(?P<n>\d+) placebo assignment\(s\) were not estimable",
        _(
            "%(n)s placebo assignments could not be computed (for example placebo areas without years "
            "before the start) and were left out."
        ),
    ),
    (
        r"only (?P<n>\d+) treated area\(s\): randomization inference",
        _(
            "Only %(n)s effort areas: the placebo test is valid when the areas are comparable, but its "
            "smallest possible p-value is 1/(assignments + 1), and it is sensitive to effort areas of "
            "unusual size or variation."
        ),
    ),
    (
        r"poor balance after matching \(\|SMD\| > 0\.25\) on (?P<names>\[.*\])",
        _(
            "Poor balance after matching (|SMD| above 0.25) on %(names)s: the control areas differ from "
            "the effort areas; widen the pool or match on fewer variables."
        ),
    ),
    (
        r"poor pre-period fit \(RMSPE (?P<rmspe>[^,]+), (?P<pct>\d+) %",
        _(
            "Poor fit before the effort (RMSPE %(rmspe)s, %(pct)s %% of the outcome's size): the effort "
            "area may lie outside the range of the control areas; the estimate is not credible."
        ),
    ),
    (
        r"only (?P<n>\d+) donors: the smallest attainable placebo p-value is 1/(?P<m>\d+) = "
        r"(?P<p>[\d.]+)",
        _(
            "Only %(n)s control areas: the smallest possible p-value of the placebo test is 1/%(m)s = %(p)s."
        ),
    ),
]
_WARNING_PATTERNS = [(re.compile(pattern), text) for pattern, text in _WARNINGS]


def warning_message(text: str) -> str:
    """One library warning in the active language; an unknown one gets a generic sentence."""
    for pattern, translated in _WARNING_PATTERNS:
        match = pattern.match(text or "")
        if match:
            found = match.groupdict()
            more = found.pop("more", None)
            params = {
                key: _names(value) if key == "names" else _num(value)
                for key, value in found.items()
            }
            if more is not None:
                params["names"] = _and_more(params["names"], more)
            return str(translated) % params
    return str(GENERIC_WARNING)


def warning_messages(texts) -> list[str]:
    """The translated warnings, each once, in a stable order."""
    return sorted({warning_message(t) for t in texts})
