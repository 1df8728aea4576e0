"""Running a study: build the panel, call ``safetystats.evaluation``, store every figure (background task).

``compute(inputs, parameters)`` is a pure function of the panel, the ring counts and the parameters:
the same inputs give the same figures, which is what ``recompute`` checks. Words are not stored, only
numbers and caveat keys; the pages translate them when they render.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _
from django_tasks import task

from hotspot.evaluations.inputs import (
    Panel,
    StudyInputError,
    check_panel,
    missing_cells,
    reports_in_geometry,
    ring_geometry,
    study_panel,
)
from hotspot.evaluations.models import (
    COUNT_OUTCOMES,
    REPORT_OUTCOMES,
    SCORE_OUTCOMES,
    Design,
    Inference,
    Outcome,
    Study,
    StudyResult,
)
from hotspot.evaluations.recommend import panel_shape
from hotspot.indicators.library_messages import (
    StudyRefusal,
    error_details,
    error_fields,
    failure_message,
)
from safetystats import evaluation as ev
from safetystats.errors import SafetystatsError

logger = logging.getLogger(__name__)
LEVEL = 0.95
DRAWS = 999
LEADS, LAGS = 4, 5
WDQ_YEARS = 3  # equal pre and post windows for the displacement quotient
#: Below this many treated areas the regressions' cluster-robust errors are the cluster jackknife
#: (CR3): CR1 over-rejects with few treated clusters (the library warns below the same number;
#: MacKinnon, Nielsen & Webb 2023). CR3 leaves one area out at a time, so it needs two treated.
CR3_BELOW = 10


@dataclass
class Inputs:
    panel: Panel
    ring: dict  # area code -> reports per panel year inside the buffer ring (report outcomes only)

    def inputs_hash(self) -> str:
        import hashlib
        import json

        ring = {k: list(map(float, v)) for k, v in sorted(self.ring.items())}
        blob = json.dumps([self.panel.inputs_hash(), ring], sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()


def poisson_refused() -> str:
    return _(
        "The safety index score is a score, not a count: Poisson regression does not apply. "
        "Choose a linear design (two-way fixed effects or the 2×2 difference-in-differences)."
    )


def study_parameters(study: Study) -> dict:
    params = {
        "outcome": study.outcome,
        "design": study.design,
        "inference": study.inference,
        "first_year": study.first_year,
        "last_year": study.last_year,
        "buffer_m": study.buffer_m,
        "seed": study.seed,
        "level": LEVEL,
        "draws": DRAWS,
        "leads": LEADS,
        "lags": LAGS,
        "wdq_years": WDQ_YEARS,
    }
    if study.outcome in SCORE_OUTCOMES:
        params["index_version"] = study.index_version_id
    return params


def load_inputs(study: Study) -> Inputs:
    panel = study_panel(study)
    check_panel(panel)
    ring = {}
    if study.outcome in REPORT_OUTCOMES and study.buffer_m > 0:
        for pa in panel.areas:
            if pa.treated:
                geom = ring_geometry(pa.area, study.buffer_m)
                if geom is not None and not geom.is_empty:
                    ring[pa.area.code] = reports_in_geometry(
                        study.municipality, geom, study.outcome, panel.years
                    )
    return Inputs(panel, ring)


# ------------------------------------------------------------------------------------------------
# The computation


def _num(x):
    """JSON-safe float: NaN and inf become None (never a silent NaN on a page)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _nums(xs):
    return [_num(x) for x in xs]


def _row(key, **kw):
    row = {
        "key": key,
        "estimate": None,
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "p_kind": "",
        "scale": "relative",
        "extra": {},
        "error": "",
        "warnings": [],
    }
    row.update(kw)
    return row


def _try(key, fn, **kw):
    try:
        return fn()
    except (ValueError, np.linalg.LinAlgError) as exc:
        return _row(key, **error_fields(exc), **kw)


def _library_refusal(context: str, row: dict) -> StudyInputError:
    """The study fails on a library refusal: the sentence now (active language) and, in ``details``,
    the code and params, so the page words it again in the reader's language (``failure_message``)."""
    details = {"context": context, "code": row["error"], "params": row.get("error_params") or {}}
    exc = StudyInputError(failure_message(details))
    exc.details = details
    return exc


def _pooled_trend(panel: Panel) -> dict:
    t = panel.treated_mask
    out = {"years": panel.years}
    if panel.outcome in SCORE_OUTCOMES:
        # mean score of the areas with a score that year; "counts" = how many areas that is
        for name, mask in (("treated", t), ("control", ~t)):
            have = panel.present[mask]
            n = have.sum(axis=0)
            total = np.where(have, panel.counts[mask], 0.0).sum(axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[name] = _nums(np.where(n > 0, total / n, np.nan))
            out[name + "_counts"] = _nums(n)
        return out
    for name, mask in (("treated", t), ("control", ~t)):
        c = np.where(panel.present[mask], panel.counts[mask], 0).sum(axis=0)
        n = np.where(panel.present[mask], panel.population[mask], 0).sum(axis=0)
        scale = 100.0 if panel.outcome == Outcome.SURVEY_UNSAFE else 1000.0
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = _nums(np.where(n > 0, scale * c / n, np.nan))
        out[name + "_counts"] = _nums(c)
    return out


def _vcov_for(n_treated: int) -> str:
    return "CR3" if 2 <= n_treated < CR3_BELOW else "CR1"


def _fe_fit(fit, n_treated: int):
    """A regression with the cluster-robust choice for this many treated areas (CR3 when few). When
    the jackknife cannot be computed (a refit without one area fails) the fit falls back to CR1 and
    says so in the row (``extra["cr3_error"]``)."""
    vcov = _vcov_for(n_treated)
    if vcov == "CR1":
        return fit("CR1"), ""
    try:
        return fit("CR3"), ""
    except SafetystatsError as exc:
        return fit("CR1"), exc.code


def _fe_row(key, res, p_kind=None):
    if p_kind is None:
        p_kind = "cr3" if res.vcov_type == "CR3" else "cluster"
    if res.model in ("poisson", "negbin"):  # log links: the effect on the rate
        est, lo, hi, scale = res.relative, res.relative_ci_low, res.relative_ci_high, "relative"
    else:
        est, lo, hi, scale = res.estimate, res.ci_low, res.ci_high, "absolute"
    return _row(
        key,
        estimate=_num(est),
        ci_low=_num(lo),
        ci_high=_num(hi),
        p_value=_num(res.p_value),
        p_kind=p_kind,
        scale=scale,
        extra={
            "n_obs": res.n_obs,
            "n_clusters": res.n_clusters,
            "dropped": list(res.dropped_areas),
            "vcov": res.vcov_type,
        },
        warnings=list(res.warnings),
    )


#: Pearson dispersion above which the counts are called overdispersed (with the Cameron–Trivedi test
#: significant at 5 %): the negative-binomial fit is then added as a robustness row
OVERDISPERSED_ABOVE = 1.5


def _overdispersion(d, pop, lv, common):
    """The Poisson fit's overdispersion check and, when the counts are overdispersed, the
    negative-binomial (NB2) fixed-effects row: the Poisson estimate with cluster-robust errors stays
    valid (Wooldridge 1999), the NB2 estimate is its more efficient alternative."""
    try:
        disp = ev.overdispersion(d["counts"], d["treatment"], population=pop, **common)
    except (ValueError, np.linalg.LinAlgError):
        return None, None
    found = {
        "dispersion": _num(disp.dispersion),
        "ct_alpha": _num(disp.ct_alpha),
        "ct_p_value": _num(disp.ct_p_value),
    }
    if not (disp.dispersion > OVERDISPERSED_ABOVE and disp.ct_p_value < 0.05):
        return found, None
    row = _try(
        "negbin_fe",
        lambda: _fe_row(
            "negbin_fe",
            ev.negbin_fe(d["counts"], d["treatment"], population=pop, level=lv, **common),
        ),
    )
    return found, row


def _regression_row(key, fit, n_treated):
    res, cr3_error = _fe_fit(fit, n_treated)
    row = _fe_row(key, res)
    if cr3_error:
        row["extra"]["cr3_error"] = cr3_error
    return row


def _did_2x2(panel: Panel, lv):
    ft = panel.first_treated()
    starts = np.unique(ft[~np.isnan(ft)])
    if starts.size != 1:
        raise StudyRefusal(
            "study.did_staggered",
            "2x2 DiD: expected one common start year, got several (use Sun-Abraham for staggered starts)",
        )
    years = np.array(panel.years)
    post = years >= starts[0]
    t = panel.treated_mask

    def cells(mask):
        c = np.where(panel.present[mask], panel.counts[mask], 0)
        n = np.where(panel.present[mask], panel.population[mask], 0)
        return (c[:, ~post].sum(), c[:, post].sum()), (n[:, ~post].sum(), n[:, post].sum())

    (tc, tn), (cc, cn) = cells(t), cells(~t)
    res = ev.did_rates(
        treated_counts=tc,
        treated_population=tn,
        control_counts=cc,
        control_population=cn,
        level=lv,
    )
    return _row(
        "did_2x2",
        estimate=_num(res.estimate),
        ci_low=_num(res.ci_low),
        ci_high=_num(res.ci_high),
        p_value=_num(res.p_value),
        p_kind="poisson",
        extra={
            "change_treated": _num(res.change_treated),
            "change_control": _num(res.change_control),
            "rates": [_nums(r) for r in res.rates],
            "absolute": _num(res.absolute),
        },
        warnings=list(res.warnings),
    )


def _did_2x2_scores(panel: Panel, lv):
    """2×2 difference-in-differences on a score: each area's mean before and after the (common) start,
    then the linear model with area and period effects on those two means (cluster-robust by area)."""
    ft = panel.first_treated()
    starts = np.unique(ft[~np.isnan(ft)])
    if starts.size != 1:
        raise StudyRefusal(
            "study.did_staggered",
            "2x2 DiD: expected one common start year, got several (use Sun-Abraham for staggered starts)",
        )
    post = np.array(panel.years) >= starts[0]
    area, period, y, d = [], [], [], []
    means = {}
    for i, pa in enumerate(panel.areas):
        for p, cols in ((0, ~post), (1, post)):
            have = panel.present[i] & cols
            if not have.any():
                continue
            m = float(panel.counts[i, have].mean())
            means[i, p] = m
            area.append(pa.area.code)
            period.append(p)
            y.append(m)
            d.append(float(pa.treated and p == 1))
    res = ev.twfe(np.array(y), np.array(d), area=np.array(area), period=np.array(period), level=lv)

    def change(mask):
        rows = [
            means[i, 1] - means[i, 0]
            for i in np.flatnonzero(mask)
            if (i, 0) in means and (i, 1) in means
        ]
        return float(np.mean(rows)) if rows else None

    return _row(
        "did_2x2",
        estimate=_num(res.estimate),
        ci_low=_num(res.ci_low),
        ci_high=_num(res.ci_high),
        p_value=_num(res.p_value),
        p_kind="cluster",
        scale="absolute",
        extra={
            "change_treated": _num(change(panel.treated_mask)),
            "change_control": _num(change(~panel.treated_mask)),
            "change_scale": "absolute",
            "n_clusters": res.n_clusters,
        },
        warnings=list(res.warnings),
    )


def _post_average(es) -> tuple[float, float, float, float]:
    """Average of the post-start event-study coefficients with its delta-method interval."""
    from scipy import stats

    post = es.rel_time >= 0
    a = post / post.sum()
    est = float(a @ es.coef)
    se = float(np.sqrt(a @ es.vcov @ a))
    z = stats.norm.ppf(0.5 + es.level / 2)
    p = float(2 * stats.norm.sf(abs(est) / se)) if se > 0 else float("nan")
    return est, est - z * se, est + z * se, p


def _vcov_extra(res, cr3_error: str) -> dict:
    """The covariance a row's interval comes from (CR3 with few treated areas, as the regressions)."""
    extra = {"vcov": res.vcov_type}
    if cr3_error:
        extra["cr3_error"] = cr3_error
    return extra


def _event_row(es, model, cr3_error=""):
    est, lo, hi, p = _post_average(es)
    if model == "poisson":
        est, lo, hi, scale = np.expm1(est), np.expm1(lo), np.expm1(hi), "relative"
    else:
        scale = "absolute"
    return _row(
        "event_study",
        estimate=_num(est),
        ci_low=_num(lo),
        ci_high=_num(hi),
        p_value=_num(p),
        p_kind="cr3" if es.vcov_type == "CR3" else "cluster",
        scale=scale,
        extra={"pretrend_p": _num(es.pretrend_p), **_vcov_extra(es, cr3_error)},
        warnings=list(es.warnings),
    )


def _sun_abraham_row_of(fit_and_error, model):
    res, cr3_error = fit_and_error
    return _sun_abraham_row(res, model, cr3_error)


def _sun_abraham_row(res, model, cr3_error=""):
    if model == "poisson":
        est, lo, hi, scale = (
            np.expm1(res.estimate),
            np.expm1(res.ci_low),
            np.expm1(res.ci_high),
            "relative",
        )
    else:
        est, lo, hi, scale = res.estimate, res.ci_low, res.ci_high, "absolute"
    return _row(
        "sun_abraham",
        estimate=_num(est),
        ci_low=_num(lo),
        ci_high=_num(hi),
        p_value=_num(res.p_value),
        p_kind="cr3" if res.vcov_type == "CR3" else "cluster",
        scale=scale,
        extra={"cohorts": _nums(res.cohorts), **_vcov_extra(res, cr3_error)},
        warnings=list(res.warnings),
    )


def _callaway_santanna(d, lv):
    """Callaway–Sant'Anna on the rates (linear), not-yet-treated areas as controls; each ATT(g,t)
    from the year before the cohort's start (universal base), so the dynamic aggregation reads like
    the event study: every year against the year before the start, that year 0 by construction."""
    res = ev.callaway_santanna(
        d["value"],
        area=d["area"],
        period=d["year"],
        first_treated=d["first_treated"],
        control="not_yet",
        base="universal",
        level=lv,
        n_boot=0,
    )
    s = res.simple
    row = _row(
        "callaway_santanna",
        estimate=_num(s.estimate),
        ci_low=_num(s.ci_low),
        ci_high=_num(s.ci_high),
        p_value=_num(s.p_value),
        p_kind="cluster",
        scale="absolute",
        extra={
            "pretrend_p": _num(res.pretrend_p),
            "cohorts": [int(g) for g in np.unique(res.att_gt.cohort)],
            "n_clusters": res.n_clusters,
        },
        warnings=list(res.warnings),
    )
    dyn = res.dynamic
    keep = dyn.index != -1  # the reference year: 0 with no variance; the pages add it themselves
    event = {
        "rel_time": [int(e) for e in dyn.index[keep]],
        "coef": _nums(dyn.estimate[keep]),
        "ci_low": _nums(dyn.ci_low[keep]),
        "ci_high": _nums(dyn.ci_high[keep]),
        "pretrend_p": _num(res.pretrend_p),
        "scale": "absolute",
        "design": "callaway_santanna",
    }
    return row, event


def _synth(panel: Panel):
    """Synthetic control for each treated area on the outcome rate, donors = the control areas."""
    ctrl = np.flatnonzero(~panel.treated_mask)
    rows = []
    years = np.array(panel.years)
    for i in np.flatnonzero(panel.treated_mask):
        code = panel.areas[i].area.code
        keep = panel.present[i] & panel.present[ctrl].all(axis=0)
        yrs = years[keep]
        n_pre = int(np.sum(yrs < panel.areas[i].first_treated))
        sub = np.r_[i, ctrl]
        y = panel.value[np.ix_(sub, keep)]

        def fit(y=y, n_pre=n_pre, code=code, yrs=yrs):
            res = ev.synthetic_control(y, treated=0, n_pre=n_pre, donors=np.arange(1, y.shape[0]))
            extra = {
                "area": code,
                "weights": {
                    panel.areas[ctrl[j - 1]].area.code: _num(w)
                    for j, w in zip(res.donors, res.weights)
                    if w > 1e-4
                },
                "years": yrs.tolist(),
                "treated": _nums(y[0]),
                "synthetic": _nums(res.synthetic),
                "ratio": _num(res.ratio),
                "pre_rmspe": _num(res.pre_rmspe),
            }
            if n_pre >= 4:
                placebo = ev.synth_in_time_placebo(
                    y, treated=0, n_pre=n_pre, placebo_n_pre=n_pre - 2
                )
                extra["in_time_placebo"] = _num(placebo.relative)
            return _row(
                "synth",
                estimate=_num(res.relative),
                p_value=_num(res.p_value),
                p_kind="synth_placebo",
                extra=extra,
                warnings=list(res.warnings),
            )

        rows.append(_try("synth", fit, extra={"area": code}))
    return rows


def _displacement(inputs: Inputs):
    panel = inputs.panel
    years = np.array(panel.years)
    ctrl = ~panel.treated_mask
    control = panel.counts[ctrl].sum(axis=0)
    out = []
    for i in np.flatnonzero(panel.treated_mask):
        pa = panel.areas[i]
        if pa.area.code not in inputs.ring:
            continue
        ring = np.asarray(inputs.ring[pa.area.code], dtype=float)
        ft = pa.first_treated
        k = int(min(WDQ_YEARS, np.sum(years < ft), np.sum(years >= ft)))
        pre = (years < ft) & (years >= ft - k)
        post = (years >= ft) & (years < ft + k)

        def pair(v, pre=pre, post=post):
            return (float(v[pre].sum()), float(v[post].sum()))

        target, buffer, cont = pair(panel.counts[i]), pair(ring), pair(control)
        item = {
            "area": pa.area.code,
            "name": pa.area.name,
            "pre": [int(years[pre][0]), int(years[pre][-1])],
            "post": [int(years[post][0]), int(years[post][-1])],
            "target": target,
            "buffer": buffer,
            "control": cont,
            "error": "",
        }
        try:
            res = ev.wdq(target=target, buffer=buffer, control=cont)
            item.update(
                wdq=_num(res.wdq),
                success=_num(res.success_measure),
                buffer_measure=_num(res.buffer_measure),
                target_net=_num(res.target_net_effect),
                buffer_net=_num(res.buffer_net_effect),
                total_net=_num(res.total_net_effect),
                interpretation=res.interpretation,
                warnings=list(res.warnings),
            )
        except ValueError as exc:
            item.update(error_fields(exc))
        out.append(item)
    return out


def compute(inputs: Inputs, params: dict, progress=lambda pct: None) -> dict:
    """Every figure of the result page, from the inputs and the parameters alone."""
    panel = inputs.panel
    lv = float(params["level"])
    counts_outcome = panel.outcome in COUNT_OUTCOMES
    score_outcome = panel.outcome in SCORE_OUTCOMES
    if score_outcome and params["design"] == Design.POISSON_FE:
        raise StudyInputError(poisson_refused())
    model = "poisson" if counts_outcome else "ols"
    d = panel.long()
    y = d["counts"] if counts_outcome else d["value"]
    common = {"area": d["area"], "period": d["year"]}
    pop = d["population"] if counts_outcome else None
    ft = d["first_treated"]
    n_treated = int(panel.treated_mask.sum())
    starts = sorted({a.first_treated for a in panel.areas if a.treated})
    figures: dict = {
        "outcome": panel.outcome,
        "years": panel.years,
        "areas": [
            {
                "code": a.area.code,
                "name": a.area.name,
                "treated": a.treated,
                "first_treated": a.first_treated,
            }
            for a in panel.areas
        ],
        "n_treated": n_treated,
        "n_controls": len(panel.areas) - n_treated,
        "starts": starts,
        "trend": _pooled_trend(panel),
    }
    if panel.source:
        figures["source"] = panel.source
    rows = {}

    # Poisson FE (counts) and TWFE on rates: the two regression designs
    if counts_outcome:
        rows["poisson_fe"] = _try(
            "poisson_fe",
            lambda: _regression_row(
                "poisson_fe",
                lambda vcov: ev.poisson_fe(
                    d["counts"], d["treatment"], population=pop, level=lv, vcov=vcov, **common
                ),
                n_treated,
            ),
        )
    if counts_outcome:
        figures["overdispersion"], negbin = _overdispersion(d, pop, lv, common)
        if negbin is not None:
            rows["negbin_fe"] = negbin
    progress(15)
    rows["twfe"] = _try(
        "twfe",
        lambda: _regression_row(
            "twfe",
            lambda vcov: ev.twfe(d["value"], d["treatment"], level=lv, vcov=vcov, **common),
            n_treated,
        ),
        scale="absolute",
    )
    if counts_outcome:
        rows["did_2x2"] = _try("did_2x2", lambda: _did_2x2(panel, lv))
    elif score_outcome:
        rows["did_2x2"] = _try("did_2x2", lambda: _did_2x2_scores(panel, lv), scale="absolute")
    progress(25)

    # event study (leads and lags; the pre-trend plot's companion)
    event = None
    try:
        es, cr3_error = _fe_fit(
            lambda vcov: ev.event_study(
                y,
                first_treated=ft,
                leads=LEADS,
                lags=LAGS,
                model=model,
                population=pop,
                level=lv,
                vcov=vcov,
                **common,
            ),
            n_treated,
        )
        rows["event_study"] = _event_row(es, model, cr3_error)
        tr = np.expm1 if model == "poisson" else (lambda v: v)
        event = {
            "rel_time": es.rel_time.tolist(),
            "coef": _nums(tr(es.coef)),
            "ci_low": _nums(tr(es.ci_low)),
            "ci_high": _nums(tr(es.ci_high)),
            "pretrend_p": _num(es.pretrend_p),
            "scale": "relative" if model == "poisson" else "absolute",
            "leads": LEADS,
            "lags": LAGS,
        }
    except (ValueError, np.linalg.LinAlgError) as exc:
        rows["event_study"] = _row("event_study", **error_fields(exc))
    figures["event_study"] = event
    progress(40)

    rows["sun_abraham"] = _try(
        "sun_abraham",
        lambda: _sun_abraham_row_of(
            _fe_fit(
                lambda vcov: ev.sun_abraham(
                    y,
                    first_treated=ft,
                    model=model,
                    population=pop,
                    level=lv,
                    vcov=vcov,
                    **common,
                ),
                n_treated,
            ),
            model,
        ),
    )
    cs_event = None
    try:
        rows["callaway_santanna"], cs_event = _callaway_santanna(d, lv)
    except (ValueError, np.linalg.LinAlgError) as exc:
        rows["callaway_santanna"] = _row("callaway_santanna", scale="absolute", **error_fields(exc))
    if params["design"] == Design.CALLAWAY_SANTANNA:
        # the design's own effect per year since the start replaces the event study's
        figures["event_study"] = event = cs_event
    progress(50)
    synth_rows = _synth(panel)
    progress(60)

    # few-cluster inference: placebo areas from the control pool, and the wild cluster bootstrap
    rng = np.random.default_rng(int(params["seed"]))
    ri = None
    try:
        r = ev.randomization_inference(
            y,
            first_treated=ft,
            pool="controls",
            model=model,
            population=pop,
            draws=int(params["draws"]),
            rng=rng,
            **common,
        )
        ri = {
            "p_value": _num(r.p_value),
            "n": r.n_assignments,
            "extreme": r.n_extreme,
            "exact": r.exact,
            "model": model,
            "warnings": list(r.warnings),
        }
    except (ValueError, np.linalg.LinAlgError) as exc:
        ri = error_fields(exc)
    figures["randomization"] = ri
    progress(80)
    wcb = None
    try:
        n_clusters = len(panel.areas)
        b = ev.wild_cluster_bootstrap(
            d["value"],
            d["treatment"],
            draws=int(params["draws"]),
            weights="webb" if n_clusters < 12 else "rademacher",
            level=lv,
            rng=np.random.default_rng(int(params["seed"])),
            **common,
        )
        wcb = {
            "p_value": _num(b.p_value),
            "ci_low": _num(b.ci_lower),
            "ci_high": _num(b.ci_upper),
            "draws": b.draws,
            "weights": b.weights,
            "warnings": list(b.warnings),
        }
    except (ValueError, np.linalg.LinAlgError) as exc:
        wcb = error_fields(exc)
    figures["wild_bootstrap"] = wcb
    progress(85)
    # the wild bootstrap of the Poisson model: the score bootstrap (Kline & Santos 2012), which
    # imposes the null and refits nothing, so it stays defined with small counts
    score = None
    if counts_outcome:
        try:
            sb = ev.poisson_score_bootstrap(
                d["counts"],
                d["treatment"],
                population=pop,
                draws=int(params["draws"]),
                weights="webb" if len(panel.areas) < 12 else "rademacher",
                rng=np.random.default_rng(int(params["seed"])),
                **common,
            )
            score = {"p_value": _num(sb.p_value), "draws": sb.draws, "warnings": list(sb.warnings)}
        except (ValueError, np.linalg.LinAlgError) as exc:
            score = error_fields(exc)
        figures["score_bootstrap"] = score
    progress(90)

    # the robustness table: designs side by side (regression rows carry the few-cluster p-values too)
    table = []
    for key in (
        "poisson_fe",
        "twfe",
        "did_2x2",
        "event_study",
        "sun_abraham",
        "callaway_santanna",
    ):
        if key in rows:
            table.append(rows[key])
    table.extend(synth_rows)
    if ri and "p_value" in ri:
        regression = "poisson_fe" if counts_outcome else "twfe"
        rows[regression]["extra"]["p_randomization"] = ri["p_value"]
    if wcb and "p_value" in wcb:
        rows["twfe"]["extra"]["p_wild_bootstrap"] = wcb["p_value"]
        if wcb["ci_low"] is not None and wcb["ci_high"] is not None:
            rows["twfe"]["extra"]["wild_bootstrap_ci"] = [wcb["ci_low"], wcb["ci_high"]]
    if score and "p_value" in score and "poisson_fe" in rows:
        rows["poisson_fe"]["extra"]["p_score_bootstrap"] = score["p_value"]
    figures["robustness"] = table

    # the headline: the chosen design with the chosen inference
    design = params["design"]
    if design == Design.SYNTH:
        ok = [r for r in synth_rows if not r["error"]]
        if not ok:
            failed = synth_rows[0] if synth_rows else {"error": "unknown", "error_params": {}}
            raise _library_refusal("synth", failed)
        main = _row(
            "synth",
            estimate=float(np.mean([r["estimate"] for r in ok])),
            p_value=max((r["p_value"] or 0.0) for r in ok),
            p_kind="synth_placebo",
        )
    else:
        if design not in rows:
            raise StudyInputError(
                _("The design %(design)s does not fit this outcome.")
                % {"design": Design(design).label}
            )
        main = dict(rows[design])
        if main["error"]:
            raise _library_refusal("design", main)
        inference = params["inference"]
        if inference == Inference.RANDOMIZATION and ri and "p_value" in ri:
            main.update(p_value=ri["p_value"], p_kind="randomization")
        elif inference == Inference.WILD_BOOTSTRAP:
            if design == Design.POISSON_FE and score and "p_value" in score:
                main.update(p_value=score["p_value"], p_kind="score_bootstrap")
            elif wcb and "p_value" in wcb:
                main.update(p_value=wcb["p_value"], p_kind="wild_bootstrap")
                if design == Design.TWFE and "wild_bootstrap_ci" in main["extra"]:
                    # the bootstrap's own interval (test inversion), on the TWFE coefficient
                    lo, hi = main["extra"]["wild_bootstrap_ci"]
                    main.update(ci_low=lo, ci_high=hi, ci_kind="wild_bootstrap")
    figures["main"] = main

    # displacement into the buffer ring
    figures["displacement"] = _displacement(inputs) if inputs.ring else []

    # caveats that apply (keys and numbers; the page words them)
    caveats = []
    if n_treated < 10:
        caveats.append({"key": "few_treated", "n": n_treated})
    if event and event["pretrend_p"] is not None and event["pretrend_p"] < 0.10:
        caveats.append({"key": "pretrend", "p": event["pretrend_p"]})
    if counts_outcome:
        t = panel.treated_mask
        smallest = float(panel.counts[t].min()) if t.any() else 0.0
        if smallest < 10:
            caveats.append({"key": "small_counts", "min": smallest})
    if len(starts) > 1 and design in (Design.POISSON_FE, Design.TWFE, Design.EVENT_STUDY):
        caveats.append({"key": "staggered"})
    if n_treated == 1 and params["inference"] == Inference.CLUSTER and design != Design.SYNTH:
        caveats.append({"key": "no_cr3"})
    if ri and "n" in ri and ri["n"] < 19:
        caveats.append({"key": "few_placebos", "n": ri["n"]})
    for r in synth_rows:
        if any("poor pre-period fit" in w for w in r["warnings"]):
            caveats.append({"key": "synth_fit", "area": r["extra"].get("area", "")})
    dropped = rows.get("poisson_fe", {}).get("extra", {}).get("dropped") or []
    if dropped:
        caveats.append({"key": "dropped", "areas": dropped})
    if score_outcome:
        missing = missing_cells(panel)
        if missing:
            caveats.append({"key": "missing_scores", "n": len(missing), "cells": missing[:12]})
    over = figures.get("overdispersion")
    if over and over["dispersion"] is not None and "negbin_fe" in rows:
        caveats.append({"key": "overdispersed", "dispersion": over["dispersion"]})
    figures["caveats"] = caveats
    figures["shape"] = panel_shape(panel).as_dict()
    progress(100)
    return figures


# ------------------------------------------------------------------------------------------------
# The task


@task()
def run_study_task(result_id: int) -> str:
    """Background task (``manage.py db_worker``): compute a queued study result and store it."""
    from hotspot.computations import set_progress, start
    from hotspot.evaluations.actions import fail_result, finish_result

    result = StudyResult.objects.select_related("study", "study__municipality").get(pk=result_id)
    study = result.study
    started = time.perf_counter()
    start(result, progress=5)
    try:
        inputs = load_inputs(study)
        figures = compute(inputs, result.parameters, progress=lambda p: set_progress(result, p))
    except StudyInputError as exc:
        fail_result(
            result,
            str(exc),
            seconds=time.perf_counter() - started,
            details=getattr(exc, "details", None),
        )
        return "failed"
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        # A problem the checks above did not foresee: say so plainly instead of a stack trace.
        logger.exception("study result %s failed", result_id)
        details = {"context": "", **error_details(exc)}
        fail_result(
            result,
            failure_message(details),
            seconds=time.perf_counter() - started,
            details=details,
        )
        return "failed"
    finish_result(
        result,
        figures=figures,
        inputs_hash=inputs.inputs_hash(),
        seconds=time.perf_counter() - started,
    )
    return "done"


def recompute(result: StudyResult) -> tuple[bool, bool]:
    """Rebuild the inputs from the database and rerun with the stored parameters.

    Returns (same inputs hash, identical figures): a published figure can be traced and reproduced.
    """
    inputs = load_inputs(result.study)
    figures = compute(inputs, result.parameters)
    import json

    same = json.loads(json.dumps(figures)) == result.figures
    return inputs.inputs_hash() == result.inputs_hash, same
