"""Danish statutory area criteria (almenboligloven §§ 61 a / 61 b) as selectable, versioned rule sets.

For one area-year :func:`assess` returns which criteria are met (with the value compared and the
threshold), the classification and the number of consecutive years on the list. Missing data gives
"not assessable" with the reason, never a silent pass or a silent fail: the criteria are combined with
three-valued logic (met / not met / unknown), so "2 of 4" is decided as soon as two are met, and is
unknown while the unknown criteria could still change the outcome.

Rule sets (sources and assumptions in docs/methods/criteria.md):

``"2018"``  — §§ 61 a/61 b as in force since 1 December 2018, in the current wording (METHODS.md §4):
              vulnerable = ≥ 2 of 4; parallel society = vulnerable and non-Western > 50 %;
              transformation = parallel society in each of the last 5 years; prevention area (§ 61 b,
              first designated 1 December 2021) = non-Western > 30 % and ≥ 2 of 4 lower thresholds.
``"2013"``  — the ghetto list 2013–2017: ≥ 3 of 5 (outside > 40 %, non-Western > 50 %, convicted
              > 2.70 % of 18+, primary-only 30–59 > 50 %, income < 55 % of region); outside and
              convicted as 2-year means (Transport-, Bygnings- og Boligministeriet, 2017 list).
``"2010"``  — the first ghetto list (Oct 2010, "Ghettoen tilbage til samfundet"): ≥ 2 of 3
              (outside > 40 %, convicted > 270 per 10,000 = 2.70 % of 18+, non-Western > 50 %);
              outside and convicted as 4-year means.

All shares are percentages (0–100). Every rule set requires ≥ 1,000 residents on 1 January.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

from ._checks import as_int
from .errors import SafetystatsError

__all__ = [
    "RULE_SETS",
    "AreaYear",
    "Assessment",
    "Criterion",
    "CriterionResult",
    "RuleSet",
    "assess",
    "get_rules",
]

#: Representation error allowed in a comparison, in percentage points. Published thresholds are
#: exact ("exactly 40 % is not > 40 %"), but 3 × 0.1 = 0.30000000000000004 in binary floating point;
#: without a tolerance an area at exactly three times the national share could fail "≥ 3 ×".
COMPARE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class AreaYear:
    """Indicator values of one area in one year (percentages; None = missing).

    The year key in the history is the year whose list is computed; averaged criteria use that
    year's record and the records of the preceding years. Mapping list years to register years is
    the caller's job (the ministry uses the latest register data on 1 December).
    """

    residents: float | None = None  # residents on 1 January
    outside_share: float | None = None  # % of 18–64 outside labour market/education (FTE)
    convicted_share: float | None = None  # % of 18+ convicted (penal code, weapons, narcotics)
    national_convicted_share: float | None = None  # the same share for Denmark
    primary_only_share: float | None = None  # % of 30–59 with only primary education
    income_ratio: float | None = None  # mean gross income 15–64 excl. students, % of region
    non_western_share: float | None = None  # % non-Western immigrants and descendants


_FIELDS = tuple(f.name for f in fields(AreaYear))


@dataclass(frozen=True)
class Criterion:
    """One threshold test.

    ``value(field) op threshold`` where the value is the mean over ``window`` consecutive years;
    with ``relative_to`` the threshold is ``threshold × mean(relative_to)`` over the same years.
    """

    key: str
    label: str
    field: str
    op: str  # ">", ">=" or "<"
    threshold: float
    relative_to: str | None = None
    window: int = 1


@dataclass(frozen=True)
class RuleSet:
    """A versioned set of statutory rules."""

    name: str
    title: str
    in_force: str
    criteria: tuple[Criterion, ...]
    min_met: int
    min_residents: int = 1000
    parallel: Criterion | None = None
    transformation_years: int | None = None
    prevention_gate: Criterion | None = None
    prevention: tuple[Criterion, ...] = ()
    prevention_min_met: int = 0
    sources: tuple[str, ...] = ()
    notes: str = ""

    @property
    def categories(self) -> tuple[str, ...]:
        """Classifications this rule set defines, most specific first."""
        out = []
        if self.transformation_years:
            out.append("transformation")
        if self.parallel is not None:
            out.append("parallel_society")
        out.append("vulnerable")
        if self.prevention_gate is not None:
            out.append("prevention")
        return tuple(out)


@dataclass(frozen=True)
class CriterionResult:
    """Outcome of one criterion: ``met`` is None when not assessable (``reason`` says why)."""

    key: str
    label: str
    value: float | None  # the value compared (a multi-year mean where the rule averages)
    threshold: float | None  # the absolute threshold (e.g. 3 × the national share)
    op: str
    met: bool | None
    years: tuple[int, ...]
    reason: str = ""


@dataclass(frozen=True)
class Assessment:
    """Classification of one area-year under one rule set.

    ``classification`` is one of ``"transformation"``, ``"parallel_society"``, ``"vulnerable"``,
    ``"prevention"``, ``"none"``, ``"not_assessed"`` (fewer residents than the rule's minimum) or
    ``"not_assessable"`` (missing data decides; see ``reason``). Category flags are three-valued
    (None = unknown) and None for categories the rule set does not define (see ``categories``).
    ``years_on_list`` counts consecutive years (ending with this one) classified vulnerable or worse;
    ``years_on_list_censored`` is True when the run reaches a year that cannot be decided (missing
    data or the start of the history), so the true count may be larger.
    """

    year: int
    rules: str
    classification: str
    reason: str
    residents: float | None
    criteria: tuple[CriterionResult, ...]
    n_met: int
    vulnerable: bool | None
    parallel_society: bool | None
    transformation: bool | None
    prevention: bool | None
    prevention_criteria: tuple[CriterionResult, ...]
    parallel_criterion: CriterionResult | None
    years_on_list: int
    years_on_list_censored: bool
    years_parallel_society: int
    categories: tuple[str, ...]

    @property
    def met(self) -> tuple[str, ...]:
        """Keys of the § 61 a (list) criteria that are met."""
        return tuple(c.key for c in self.criteria if c.met)


_OUTSIDE = "Residents 18–64 outside the labour market or education"
_CONVICTED = "Residents 18+ convicted (penal code, weapons act, narcotics act)"
_PRIMARY = "Residents 30–59 with only primary education"
_INCOME = "Mean gross income of taxpayers 15–64 excl. students, % of the region"
_NONWEST = "Non-Western immigrants and descendants"

RULES_2018 = RuleSet(
    name="2018",
    title="Almenboligloven §§ 61 a/61 b, rules in force since 1 December 2018 (current wording)",
    in_force="2018-12-01",
    criteria=(
        Criterion("outside", _OUTSIDE, "outside_share", ">", 40.0, window=2),
        Criterion(
            "convicted",
            _CONVICTED,
            "convicted_share",
            ">=",
            3.0,
            relative_to="national_convicted_share",
            window=2,
        ),
        Criterion("primary_only", _PRIMARY, "primary_only_share", ">", 60.0),
        Criterion("income", _INCOME, "income_ratio", "<", 55.0),
    ),
    min_met=2,
    parallel=Criterion("non_western", _NONWEST, "non_western_share", ">", 50.0),
    transformation_years=5,
    prevention_gate=Criterion("non_western", _NONWEST, "non_western_share", ">", 30.0),
    prevention=(
        Criterion("outside", _OUTSIDE, "outside_share", ">", 30.0, window=2),
        Criterion(
            "convicted",
            _CONVICTED,
            "convicted_share",
            ">=",
            2.0,
            relative_to="national_convicted_share",
            window=2,
        ),
        Criterion("primary_only", _PRIMARY, "primary_only_share", ">", 60.0),
        Criterion("income", _INCOME, "income_ratio", "<", 65.0),
    ),
    prevention_min_met=2,
    sources=(
        "almenboligloven § 61 a and § 61 b (danskelove.dk, lovguiden); METHODS.md §4",
        "regeringen.dk 2017/2018: 'Definitionen af en ghetto' (2 of 4, 2-year means)",
        "Folketinget BOU alm. del bilag 33 (1 Dec 2020): transitional 5 years for 2018–2020",
        "bl.dk 'Forebyggelsesområder og udsatte områder': prevention areas first designated 2021",
    ),
    notes=(
        "2018–2020 names: udsat boligområde / ghettoområde / hårdt ghettoområde; from 2021: udsat "
        "boligområde / parallelsamfund / omdannelsesområde / forebyggelsesområde. The 2018 text set "
        "4 years for a hard ghetto with 5 years for the lists of 2018–2020; we use 5 years as "
        "METHODS.md and the current text do."
    ),
)

RULES_2013 = RuleSet(
    name="2013",
    title="Ghetto list criteria 2013–2017 (3 of 5)",
    in_force="2013-12-01",
    criteria=(
        Criterion("outside", _OUTSIDE, "outside_share", ">", 40.0, window=2),
        Criterion("non_western", _NONWEST, "non_western_share", ">", 50.0),
        Criterion("convicted", _CONVICTED, "convicted_share", ">", 2.70, window=2),
        Criterion("primary_only", _PRIMARY, "primary_only_share", ">", 50.0),
        Criterion("income", _INCOME, "income_ratio", "<", 55.0),
    ),
    min_met=3,
    sources=(
        "Transport-, Bygnings- og Boligministeriet, ghetto list 1 Dec 2017 (as quoted by "
        "sonderborgnyt.dk and holbaekonline.dk, 1 Dec 2017): 5 criteria, 3 of 5, 2-year means",
        "Ministeriet for By, Bolig og Landdistrikter 2013 (berlingske.dk): 3 of 5, ≥ 1,000 residents",
    ),
    notes=(
        "Primary-only counts persons with unknown education as primary-only (the ministry's text); "
        "that is the caller's input. The classification 'vulnerable' here means 'on the ghetto list'."
    ),
)

RULES_2010 = RuleSet(
    name="2010",
    title="First ghetto list, October 2010 (2 of 3)",
    in_force="2010-10-26",
    criteria=(
        Criterion("outside", _OUTSIDE, "outside_share", ">", 40.0, window=4),
        Criterion("convicted", _CONVICTED, "convicted_share", ">", 2.70, window=4),
        Criterion("non_western", _NONWEST, "non_western_share", ">", 50.0),
    ),
    min_met=2,
    sources=(
        "Regeringen, 'Ghettoen tilbage til samfundet' (26 Oct 2010), criteria as quoted by "
        "kommunist.dk '10 år med ghettolisten' (2020): 4-year means, > 270 convicted per 10,000",
        "background/domain-research.md §4 (2 of 3, convicted > 2.70 %)",
    ),
    notes="The classification 'vulnerable' here means 'on the ghetto list'.",
)

#: Rule sets by name.
RULE_SETS: Mapping[str, RuleSet] = {r.name: r for r in (RULES_2018, RULES_2013, RULES_2010)}


def get_rules(rules: str | RuleSet) -> RuleSet:
    """Return a rule set by name (``"2018"``, ``"2013"``, ``"2010"``) or pass one through."""
    if isinstance(rules, RuleSet):
        return rules
    try:
        return RULE_SETS[str(rules)]
    except KeyError:
        raise SafetystatsError(
            "criteria.rules", f"rules: expected one of {sorted(RULE_SETS)}, got {rules!r}"
        ) from None


def _record(value, year) -> AreaYear:
    if isinstance(value, AreaYear):
        return value
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(_FIELDS))
        if unknown:
            raise SafetystatsError(
                "criteria.history_fields",
                f"history[{year}]: expected keys among {list(_FIELDS)}, got unknown {unknown}",
            )
        return AreaYear(**value)
    raise SafetystatsError(
        "criteria.history_record",
        f"history[{year}]: expected an AreaYear or a mapping, got {type(value).__name__}",
    )


def _num(x) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise SafetystatsError(
            "criteria.not_a_number", f"expected a number or None, got {x!r}"
        ) from None
    return None if np.isnan(v) else v


def _mean_over(history, field, years) -> tuple[float | None, str]:
    vals = []
    for y in years:
        rec = history.get(y)
        if rec is None:
            return None, f"no data for {y}"
        v = _num(getattr(rec, field))
        if v is None:
            return None, f"{field} missing for {y}"
        vals.append(v)
    return float(np.mean(vals)), ""


def _compare(value: float, op: str, threshold: float) -> bool:
    tol = COMPARE_TOLERANCE
    if op == ">":
        return value > threshold + tol
    if op == ">=":
        return value >= threshold - tol
    if op == "<":
        return value < threshold - tol
    raise SafetystatsError("criteria.operator", f"op: expected '>', '>=' or '<', got {op!r}")


def _evaluate(c: Criterion, history, year: int) -> CriterionResult:
    years = tuple(range(year - c.window + 1, year + 1))
    value, why = _mean_over(history, c.field, years)
    threshold: float | None = c.threshold
    if c.relative_to is not None:
        ref, why_ref = _mean_over(history, c.relative_to, years)
        threshold = None if ref is None else c.threshold * ref
        why = why or why_ref
    if value is None or threshold is None:
        return CriterionResult(c.key, c.label, value, threshold, c.op, None, years, why)
    return CriterionResult(
        c.key, c.label, value, threshold, c.op, _compare(value, c.op, threshold), years
    )


def _at_least(results, k: int) -> bool | None:
    met = sum(r.met is True for r in results)
    unknown = sum(r.met is None for r in results)
    if met >= k:
        return True
    if met + unknown < k:
        return False
    return None


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _reasons(results) -> str:
    return "; ".join(f"{r.key}: {r.reason}" for r in results if r.met is None)


@dataclass(frozen=True)
class _Core:
    status: str  # "ok", "not_assessed", "not_assessable"
    reason: str
    residents: float | None
    criteria: tuple[CriterionResult, ...]
    vulnerable: bool | None
    parallel: bool | None
    parallel_result: CriterionResult | None
    prevention: bool | None
    prevention_criteria: tuple[CriterionResult, ...]


def _core(history, year: int, r: RuleSet) -> _Core:
    rec = history.get(year)
    if rec is None:
        return _Core("not_assessable", f"no data for {year}", None, (), None, None, None, None, ())
    residents = _num(rec.residents)
    if residents is None:
        return _Core(
            "not_assessable", f"residents missing for {year}", None, (), None, None, None, None, ()
        )
    if residents < r.min_residents:
        return _Core(
            "not_assessed",
            f"{residents:g} residents on 1 January {year}: fewer than {r.min_residents:,}",
            residents,
            (),
            False,
            False if r.parallel else None,
            None,
            False if r.prevention_gate else None,
            (),
        )
    crit = tuple(_evaluate(c, history, year) for c in r.criteria)
    vulnerable = _at_least(crit, r.min_met)
    parallel = None
    par_res = None
    if r.parallel is not None:
        par_res = _evaluate(r.parallel, history, year)
        parallel = _and(vulnerable, par_res.met)
    prevention = None
    prev = ()
    if r.prevention_gate is not None:
        gate = _evaluate(r.prevention_gate, history, year)
        prev = (gate, *(_evaluate(c, history, year) for c in r.prevention))
        prevention = _and(gate.met, _at_least(prev[1:], r.prevention_min_met))
    return _Core("ok", "", residents, crit, vulnerable, parallel, par_res, prevention, prev)


def _run(history, year: int, r: RuleSet, which: str) -> tuple[int, bool]:
    """Consecutive years ending at ``year`` with the flag True; censored if stopped by unknown."""
    n = 0
    y = year
    while True:
        core = _core(history, y, r)
        flag = core.vulnerable if which == "vulnerable" else core.parallel
        if flag is True:
            n += 1
            y -= 1
            continue
        return n, flag is None


def assess(history, year: int, *, rules: str | RuleSet = "2018") -> Assessment:
    """Classify one area in one year under a statutory rule set.

    Parameters
    ----------
    history : mapping year -> AreaYear or mapping of AreaYear fields
        The area's indicator values by year (percentages). Averaged criteria need the preceding
        years too (2 years, 4 for the 2010 rules); the transformation test needs the last 5 years.
    year : int
        The year to classify.
    rules : {"2018", "2013", "2010"} or RuleSet, default "2018"

    Returns
    -------
    Assessment

    Notes
    -----
    Thresholds are strict where the law says "overstiger"/"mindre end" (exactly 40 % is not > 40 %)
    and inclusive where it says "mindst" (exactly 3 × the national share is ≥ 3 ×). Precedence of
    the single label: transformation > parallel society > vulnerable > prevention > none. Years on
    the list are counted under the chosen rule set for every year; the official 2018–2020 count of
    "hard ghetto" years included years on the pre-2018 ghetto list, which this does not reproduce.

    Examples
    --------
    >>> h = {2019: dict(residents=2500, outside_share=44.0, convicted_share=2.0,
    ...                 national_convicted_share=0.7, primary_only_share=55.0,
    ...                 income_ratio=50.0, non_western_share=45.0),
    ...      2020: dict(residents=2500, outside_share=42.0, convicted_share=2.4,
    ...                 national_convicted_share=0.7, primary_only_share=58.0,
    ...                 income_ratio=52.0, non_western_share=46.0)}
    >>> a = assess(h, 2020)
    >>> a.classification, a.met, a.years_on_list, a.years_on_list_censored
    ('vulnerable', ('outside', 'convicted', 'income'), 1, True)
    >>> a.criteria[1].value, round(a.criteria[1].threshold, 2)
    (2.2, 2.1)
    """
    r = get_rules(rules)
    if not isinstance(history, Mapping):
        raise SafetystatsError(
            "criteria.history",
            f"history: expected a mapping year -> values, got {type(history).__name__}",
        )
    hist = {as_int(y, "history year"): _record(v, y) for y, v in history.items()}
    year = as_int(year, "year")
    core = _core(hist, year, r)
    cats = r.categories
    if core.status != "ok":
        return Assessment(
            year=year,
            rules=r.name,
            classification=core.status,
            reason=core.reason,
            residents=core.residents,
            criteria=(),
            n_met=0,
            vulnerable=core.vulnerable,
            parallel_society=core.parallel,
            transformation=False
            if core.status == "not_assessed" and r.transformation_years
            else None,
            prevention=core.prevention,
            prevention_criteria=(),
            parallel_criterion=None,
            years_on_list=0,
            years_on_list_censored=core.status == "not_assessable",
            years_parallel_society=0,
            categories=cats,
        )
    years_on, censored = _run(hist, year, r, "vulnerable")
    years_par, par_censored = (0, False)
    transformation = None
    if r.parallel is not None:
        years_par, par_censored = _run(hist, year, r, "parallel")
    if r.transformation_years:
        need = r.transformation_years
        if years_par >= need:
            transformation = True
        elif par_censored:
            transformation = None  # an undecidable year inside the window
        else:
            transformation = False

    # the most specific label that the data decide; undecided -> not_assessable with the reason
    reasons = _reasons(core.criteria)
    if core.vulnerable is None:
        label, reason = "not_assessable", f"vulnerable undecided: {reasons}"
    elif core.vulnerable:
        if r.parallel is None:
            label, reason = "vulnerable", ""
        elif core.parallel is None:
            label = "not_assessable"
            reason = f"parallel society undecided: non_western: {core.parallel_result.reason}"
        elif not core.parallel:
            label, reason = "vulnerable", ""
        elif r.transformation_years and transformation is None:
            label = "not_assessable"
            reason = (
                f"transformation undecided: parallel society {years_par} year(s) running, "
                f"the year before cannot be decided (need {r.transformation_years})"
            )
        elif transformation:
            label, reason = "transformation", ""
        else:
            label, reason = "parallel_society", ""
    elif r.prevention_gate is None:
        label, reason = "none", ""
    elif core.prevention is None:
        label, reason = (
            "not_assessable",
            f"prevention undecided: {_reasons(core.prevention_criteria)}",
        )
    else:
        label, reason = ("prevention" if core.prevention else "none"), ""
    return Assessment(
        year=year,
        rules=r.name,
        classification=label,
        reason=reason,
        residents=core.residents,
        criteria=core.criteria,
        n_met=sum(c.met is True for c in core.criteria),
        vulnerable=core.vulnerable,
        parallel_society=core.parallel,
        transformation=transformation,
        prevention=core.prevention,
        prevention_criteria=core.prevention_criteria,
        parallel_criterion=core.parallel_result,
        years_on_list=years_on,
        years_on_list_censored=censored,
        years_parallel_society=years_par,
        categories=cats,
    )
