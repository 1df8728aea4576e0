"""CR2 (Bell–McCaffrey) covariance and ``vcov=`` in the event study and Sun–Abraham.

References:

- CR2 has no implementation in pyfixest 0.60 (its ``vcov`` offers CRV1, CRV3 and HC1–3, the
  latter not with fixed effects), so it is checked against an independent dense computation
  written here: the full design with explicit area and year dummies, its hat matrix ``H``, per
  cluster ``A_g = (I − H_gg)^(+1/2)`` by an eigendecomposition (Moore–Penrose, as R
  clubSandwich), the sandwich with the pseudo-inverse of the full Gram matrix, and the
  Bell–McCaffrey df ``(tr Γ)² / tr(Γ²)`` with ``Γ = QᵀQ``, ``Q`` the columns
  ``(I − H)_{·g} A_g Z_g (ZᵀZ)⁺ c``. Poisson: the same on the IRLS regression at statsmodels'
  GLM maximum (all dummies).
- With one cluster per row CR2 is HC2: ``twfe(vcov="CR2", cluster=<row id>)``, unweighted and
  weighted, against statsmodels OLS/WLS ``cov_type="HC2"`` on the full dummy regression of the
  Grunfeld investment panel (real data, bundled with statsmodels).
- ``event_study(vcov="CR1"/"HC1"/"CR3")`` against pyfixest ``feols("y ~ i(rel, ref=-1) | area +
  year", vcov=...)`` on the same binned event-time variable.

Data: small panels as users have them — 8–12 clusters, 2–4 treated, unbalanced (rows missing at
random), unequal weights.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from safetystats.errors import SafetystatsError
from safetystats.evaluation import event_study, poisson_fe, sun_abraham, twfe
from safetystats.tests.references import reference

#: CR2 and its df against the dense computation (the same algebra in another order):
#: measured up to 2e-14.
CR2_TOL = 1e-10
#: Poisson CR2 against the dense computation at statsmodels' MLE (two IRLS solvers stopping at
#: 1e-13): measured up to 6e-11.
CR2_POISSON_TOL = 1e-8
#: CR2 with one cluster per row against statsmodels OLS/WLS ``cov_type="HC2"`` on Grunfeld (full
#: dummy regression, 220 rows): measured 2e-13 unweighted, 1.4e-11 weighted.
HC2_TOL = 1e-9
#: Event study against pyfixest (pyfixest demeans iteratively; fixef_tol=1e-12): measured 1e-13.
PYFIXEST_TOL = 1e-10
#: Moore–Penrose cut-off of the dense reference (eigenvalues of I − H_gg in [0, 1]).
EIG_CUT = 1e-10


def psqrt(m):
    val, vec = np.linalg.eigh((m + m.T) / 2)
    f = np.where(val > EIG_CUT, 1 / np.sqrt(np.maximum(val, EIG_CUT)), 0.0)
    return (vec * f) @ vec.T


def dense_cr2(y, x, area, period, cl, w=None, contrasts=None):
    """Coefficients of x, their CR2 covariance and the BM df of each contrast (rows)."""
    n = y.size
    w = np.ones(n) if w is None else np.asarray(w, float)
    dummies_a = (area[:, None] == np.unique(area)[None, :]).astype(float)
    dummies_p = (period[:, None] == np.unique(period)[None, 1:]).astype(float)
    z = np.hstack([x, dummies_a, dummies_p])
    k = x.shape[1]
    sw = np.sqrt(w)
    zs, ys = z * sw[:, None], y * sw
    ginv = np.linalg.pinv(zs.T @ zs)
    b = ginv @ zs.T @ ys
    e = ys - zs @ b
    m = np.eye(n) - zs @ ginv @ zs.T
    contrasts = np.eye(k) if contrasts is None else np.atleast_2d(contrasts)
    pc = ginv[:, :k] @ contrasts.T  # (ZᵀZ)⁺ c for each contrast
    meat = np.zeros((z.shape[1], z.shape[1]))
    cols = []
    for g in np.unique(cl):
        r = cl == g
        a_g = psqrt(m[np.ix_(r, r)])
        s = zs[r].T @ a_g @ e[r]
        meat += np.outer(s, s)
        cols.append(m[:, r] @ a_g @ zs[r] @ pc)  # n × contrasts
    v = (ginv @ meat @ ginv)[:k, :k]
    q = np.stack(cols, axis=1)  # n × G × contrasts
    dfs = []
    for j in range(pc.shape[1]):
        gamma = q[:, :, j].T @ q[:, :, j]
        dfs.append(np.trace(gamma) ** 2 / np.sum(gamma * gamma))
    return b[:k], v, np.array(dfs)


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def small_panel(seed, n_areas=10, n_years=8, n_treated=3, start=None, drop=0.15):
    rng = np.random.default_rng(seed)
    area = np.repeat(np.arange(n_areas), n_years)
    year = np.tile(np.arange(2010, 2010 + n_years), n_areas)
    first = np.full(n_areas, np.nan)
    first[:n_treated] = 2014 if start is None else start
    keep = rng.random(area.size) > drop
    keep[year == 2010] = True  # every area observed before its start
    area, year = area[keep], year[keep]
    ft = first[area]
    d = (year >= ft).astype(float)
    x1 = rng.normal(size=area.size)
    # heteroskedastic across areas, an area-level shock: what CR2 is for
    y = (
        0.3 * area
        + 0.1 * (year - 2010)
        - 0.8 * d
        + 0.3 * x1
        + rng.normal(size=n_areas)[area]
        + rng.normal(size=area.size) * (1 + area / 4)
    )
    w = rng.uniform(0.5, 3.0, area.size)
    return dict(y=y, d=d, x1=x1, area=area, year=year, ft=ft, w=w)


CLUSTERINGS = ("area", "district", "year")


def clusters(p, how):
    return {"area": p["area"], "district": p["area"] // 3, "year": p["year"]}[how]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("how", CLUSTERINGS)
@pytest.mark.parametrize("weighted", [False, True])
def test_twfe_cr2_matches_dense_dummy_computation(seed, how, weighted):
    p = small_panel(seed, n_areas=8 + 2 * seed, n_treated=2 + seed)
    cl = clusters(p, how)
    w = p["w"] if weighted else None
    res = twfe(
        p["y"],
        p["d"],
        area=p["area"],
        period=p["year"],
        covariates=p["x1"][:, None],
        cluster=None if how == "area" else cl,
        vcov="CR2",
        weights=w,
    )
    b, v, df = dense_cr2(p["y"], np.column_stack([p["d"], p["x1"]]), p["area"], p["year"], cl, w)
    assert res.vcov_type == "CR2"
    assert rel(res.coef, b) < CR2_TOL
    assert rel(res.vcov, v) < CR2_TOL
    assert res.df_t == pytest.approx(df[0], rel=CR2_TOL)
    assert res.n_clusters == np.unique(cl).size
    crit = stats.t.ppf(0.975, df[0])
    assert res.ci_high == pytest.approx(b[0] + crit * np.sqrt(v[0, 0]), rel=1e-9)
    assert res.p_value == pytest.approx(2 * stats.t.sf(abs(b[0]) / np.sqrt(v[0, 0]), df[0]))


def test_cr2_with_few_treated_clusters_has_few_degrees_of_freedom():
    # 10 clusters, 2 treated: the BM df is far below G − 1 = 9 and the interval wider than CR1's
    p = small_panel(5, n_areas=10, n_treated=2)
    kw = dict(area=p["area"], period=p["year"])
    cr1 = twfe(p["y"], p["d"], **kw)
    cr2 = twfe(p["y"], p["d"], vcov="CR2", **kw)
    assert cr2.df_t < 4 < cr1.df_t == 9
    assert cr2.ci_high - cr2.ci_low > cr1.ci_high - cr1.ci_low


def grunfeld():
    """The Grunfeld investment panel bundled with statsmodels (11 firms × 20 years, real data),
    with the made-up staggered treatment of five firms of ``test_evaluation_weights``."""
    sm = reference("statsmodels.api")
    df = sm.datasets.grunfeld.load_pandas().data.copy()
    df["year"] = df.year.astype(int)
    firms = sorted(df.firm.unique())
    start = {firms[0]: 1945, firms[3]: 1945, firms[5]: 1948, firms[7]: 1948, firms[9]: 1950}
    df["d"] = (df.year >= df.firm.map(start).astype(float)).astype(float)
    return df.reset_index(drop=True)


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
@pytest.mark.parametrize("weighted", [False, True])
def test_cr2_with_one_cluster_per_row_is_statsmodels_hc2_on_grunfeld(weighted):
    # one row per cluster: A_g = (1 − h_ii)^(−1/2) and CR2 is HC2 of the full dummy regression
    sm = reference("statsmodels.api")
    df = grunfeld()
    w = df.value.to_numpy() if weighted else None  # market value: genuinely unequal weights
    res = twfe(
        df.invest,
        df.d,
        area=df.firm,
        period=df.year,
        covariates=df[["capital"]],
        cluster=np.arange(len(df)),
        vcov="CR2",
        weights=w,
    )
    x = pd.get_dummies(df[["firm", "year"]].astype(str), drop_first=True).astype(float)
    x.insert(0, "capital", df.capital)
    x.insert(0, "d", df.d)
    x = sm.add_constant(x)
    model = sm.WLS(df.invest, x, weights=w) if weighted else sm.OLS(df.invest, x)
    ref = model.fit(cov_type="HC2")
    names = ["d", "capital"]
    assert res.vcov_type == "CR2" and res.n_clusters == len(df) == 220
    assert rel(res.coef, ref.params[names]) < HC2_TOL
    assert rel(res.std_errors, ref.bse[names]) < HC2_TOL
    assert rel(res.vcov, ref.cov_params().loc[names, names]) < HC2_TOL
    # and not HC1 in disguise: the two differ here by far more than the tolerance
    hc1 = model.fit(cov_type="HC1").bse[names]
    assert rel(res.std_errors, hc1) > 1e3 * HC2_TOL


def poisson_panel(seed):
    p = small_panel(seed, n_areas=12, n_treated=3)
    rng = np.random.default_rng(100 + seed)
    pop = rng.integers(800, 5000, 12)[p["area"]].astype(float)
    mu = pop / 1000 * np.exp(0.5 + 0.05 * p["area"] - 0.3 * p["d"] + 0.2 * p["x1"])
    p["counts"] = rng.negative_binomial(2, 2 / (2 + mu)).astype(float)
    p["pop"] = pop
    return p


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("weighted", [False, True])
def test_poisson_cr2_matches_dense_computation_at_statsmodels_mle(seed, weighted):
    sm = reference("statsmodels.api")
    p = poisson_panel(seed)
    w = p["w"] if weighted else None
    res = poisson_fe(
        p["counts"],
        p["d"],
        area=p["area"],
        period=p["year"],
        population=p["pop"],
        covariates=p["x1"][:, None],
        vcov="CR2",
        weights=w,
        tol=1e-13,
    )
    assert res.n_obs == p["counts"].size  # nothing dropped: the dense reference uses all rows
    dummies_a = (p["area"][:, None] == np.unique(p["area"])[None, :]).astype(float)
    dummies_p = (p["year"][:, None] == np.unique(p["year"])[None, 1:]).astype(float)
    z = np.hstack([p["d"][:, None], p["x1"][:, None], dummies_a, dummies_p])
    glm = sm.GLM(
        p["counts"],
        z,
        family=sm.families.Poisson(),
        offset=np.log(p["pop"]),
        var_weights=w,
    ).fit(tol=1e-13, maxiter=200)
    mu = glm.fittedvalues
    omega = (np.ones(mu.size) if w is None else w) * mu
    eta = z @ glm.params
    work = eta + (p["counts"] - mu) / mu  # the IRLS working response at the MLE
    b, v, _ = dense_cr2(work, z[:, :2], p["area"], p["year"], p["area"], omega)
    assert rel(res.coef, glm.params[:2]) < CR2_POISSON_TOL
    assert rel(b, glm.params[:2]) < CR2_POISSON_TOL
    assert rel(res.std_errors, np.sqrt(np.diag(v))) < CR2_POISSON_TOL
    assert res.df_t is None  # normal intervals, as the other Poisson choices
    z975 = stats.norm.ppf(0.975)
    assert res.ci_low == pytest.approx(res.estimate - z975 * res.se, rel=1e-12)


def event_frame(p, leads, lags):
    rel_t = np.where(np.isnan(p["ft"]), -1, p["year"] - np.nan_to_num(p["ft"]))
    rel_b = np.clip(rel_t, -leads, lags).astype(int)
    return pd.DataFrame(dict(y=p["y"], area=p["area"], year=p["year"], w=p["w"], rel=rel_b))


def staggered_panel(seed, drop=0.1):
    p = small_panel(seed, n_areas=12, n_treated=4, drop=drop)
    ft = np.where(p["area"] < 2, 2014.0, np.where(p["area"] < 4, 2016.0, np.nan))
    p["ft"] = ft
    p["d"] = (p["year"] >= ft).astype(float)
    p["y"] = p["y"] - 0.5 * p["d"]
    return p


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("weighted", [False, True])
def test_event_study_cr2_matches_dense_computation(seed, weighted):
    leads, lags = 3, 3
    p = staggered_panel(seed)
    w = p["w"] if weighted else None
    es = event_study(
        p["y"],
        area=p["area"],
        period=p["year"],
        first_treated=p["ft"],
        leads=leads,
        lags=lags,
        vcov="CR2",
        weights=w,
    )
    df = event_frame(p, leads, lags)
    x = np.column_stack([(df.rel == e).to_numpy(float) for e in es.rel_time])
    x[np.isnan(p["ft"])] = 0.0
    b, v, dfs = dense_cr2(p["y"], x, p["area"], p["year"], p["area"], w)
    assert es.vcov_type == "CR2"
    assert rel(es.coef, b) < CR2_TOL
    assert rel(es.se, np.sqrt(np.diag(v))) < CR2_TOL
    assert rel(es.df_t, dfs) < CR2_TOL
    crit = stats.t.ppf(0.975, dfs)
    assert rel(es.ci_high, b + crit * np.sqrt(np.diag(v))) < 1e-9
    # the joint pre-trend test: F with G − 1 denominator df
    pre = es.rel_time <= -2
    wald = b[pre] @ np.linalg.solve(v[np.ix_(pre, pre)], b[pre]) / pre.sum()
    g = np.unique(p["area"]).size
    assert es.pretrend_p == pytest.approx(stats.f.sf(wald, pre.sum(), g - 1), rel=1e-8)


def test_sun_abraham_cr2_att_uses_the_contrast_df():
    p = staggered_panel(3)
    sa = sun_abraham(p["y"], area=p["area"], period=p["year"], first_treated=p["ft"], vcov="CR2")
    cells = [(g, e) for g, e in sa.cells]
    x = np.column_stack(
        [((p["ft"] == g) & (p["year"] - p["ft"] == e)).astype(float) for g, e in cells]
    )
    counts = x.sum(axis=0)
    a = np.where(sa.cells[:, 1] >= 0, counts, 0.0)
    a /= a.sum()
    b, v, dfs = dense_cr2(p["y"], x, p["area"], p["year"], p["area"], contrasts=a)
    assert sa.vcov_type == "CR2"
    assert sa.estimate == pytest.approx(a @ b, rel=CR2_TOL)
    assert sa.se == pytest.approx(np.sqrt(a @ v @ a), rel=CR2_TOL)
    assert sa.df_t == pytest.approx(dfs[0], rel=CR2_TOL)
    assert sa.ci_low == pytest.approx(sa.estimate - stats.t.ppf(0.975, dfs[0]) * sa.se, rel=1e-9)


PYFIXEST_VCOV = {"CR1": {"CRV1": "area"}, "HC1": "HC1", "CR3": {"CRV3": "area"}}


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
@pytest.mark.parametrize("vcov", ["CR1", "HC1", "CR3"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_event_study_vcov_matches_pyfixest(vcov, weighted, seed):
    pyfixest = reference("pyfixest")
    leads, lags = 3, 3
    p = staggered_panel(seed)
    es = event_study(
        p["y"],
        area=p["area"],
        period=p["year"],
        first_treated=p["ft"],
        leads=leads,
        lags=lags,
        vcov=vcov,
        weights=p["w"] if weighted else None,
    )
    df = event_frame(p, leads, lags)
    kwargs = dict(vcov=PYFIXEST_VCOV[vcov], weights="w" if weighted else None, fixef_tol=1e-12)
    if vcov == "CR3":  # pyfixest's CRV3 carries its CR1 factor: turn it off, apply (G−1)/G
        kwargs["ssc"] = pyfixest.ssc(k_adj=False, G_adj=False)
    m = pyfixest.feols("y ~ i(rel, ref=-1) | area + year", df, **kwargs)
    names = [f"rel::{e}" for e in es.rel_time]
    coef = m.coef()[names].to_numpy()
    se = m.se()[names].to_numpy()
    g = np.unique(p["area"]).size
    if vcov == "CR3":
        se = se * np.sqrt((g - 1) / g)
    assert es.vcov_type == vcov
    assert rel(es.coef, coef) < PYFIXEST_TOL
    assert rel(es.se, se) < PYFIXEST_TOL
    df_t = m._df_t if vcov == "HC1" else g - 1
    assert rel(es.df_t, np.full(coef.size, df_t)) == 0
    assert rel(es.p_value, 2 * stats.t.sf(np.abs(coef / se), df_t)) < PYFIXEST_TOL
    if vcov != "CR3":
        assert rel(es.p_value, m.pvalue()[names].to_numpy()) < PYFIXEST_TOL


def test_sun_abraham_vcov_is_the_delta_method_of_the_chosen_covariance():
    # balanced: the CR3 refits without one area keep every cohort × period cell
    p = staggered_panel(4, drop=0.0)
    kw = dict(area=p["area"], period=p["year"], first_treated=p["ft"])
    ses = {}
    for vcov in ("CR1", "HC1", "CR3", "CR2"):
        sa = sun_abraham(p["y"], vcov=vcov, **kw)
        counts = np.array(
            [np.sum((p["ft"] == g) & (p["year"] - p["ft"] == e)) for g, e in sa.cells], float
        )
        a = np.where(sa.cells[:, 1] >= 0, counts, 0.0) / counts[sa.cells[:, 1] >= 0].sum()
        assert sa.vcov_type == vcov and sa.df_t is not None
        assert sa.se == pytest.approx(np.sqrt(a @ sa.vcov @ a), rel=1e-12)
        ses[vcov] = sa.se
    assert len(set(ses.values())) == 4  # the choice reaches the fit


@pytest.mark.parametrize(
    "call",
    [
        lambda p: twfe(
            p["y"], p["d"], area=p["area"], period=p["year"], cluster2=p["year"], vcov="CR2"
        ),
        lambda p: event_study(
            p["y"], area=p["area"], period=p["year"], first_treated=p["ft"], vcov="CR4"
        ),
        lambda p: sun_abraham(
            p["y"],
            area=p["area"],
            period=p["year"],
            first_treated=p["ft"],
            vcov="HC1",
            cluster=p["area"],
        ),
        lambda p: event_study(
            p["y"], area=p["area"], period=p["year"], first_treated=p["ft"], vcov=None
        ),
    ],
)
def test_vcov_is_validated_everywhere(call):
    p = staggered_panel(0)
    with pytest.raises(SafetystatsError) as exc:
        call(p)
    assert exc.value.code == "input.choice" and "vcov" in str(exc.value)


@pytest.mark.parametrize("vcov", ["CR1", "CR2", "CR3", "HC1"])
def test_randomization_inference_studentizes_with_the_chosen_vcov(vcov):
    # exact enumeration over the controls: every placebo t is the twfe t of that assignment
    from itertools import combinations

    from safetystats.evaluation import randomization_inference

    p = small_panel(6, n_areas=10, n_treated=2, drop=0.0)
    kw = dict(area=p["area"], period=p["year"], first_treated=p["ft"])
    res = randomization_inference(p["y"], statistic="t", vcov=vcov, draws=999, **kw)
    real = twfe(p["y"], p["d"], area=p["area"], period=p["year"], vcov=vcov)
    assert res.exact and res.statistic == pytest.approx(real.statistic, rel=1e-10)
    controls = np.unique(p["area"][np.isnan(p["ft"])])
    rows = np.isin(p["area"], controls)
    expected = []
    for pair in combinations(controls, 2):
        d = (np.isin(p["area"], pair) & (p["year"] >= 2014)).astype(float)[rows]
        t = twfe(p["y"][rows], d, area=p["area"][rows], period=p["year"][rows], vcov=vcov)
        expected.append(t.statistic)
    assert res.n_assignments == len(expected)
    assert rel(np.sort(res.placebo), np.sort(expected)) < 1e-9


def test_bootstrap_and_coefficient_ri_refuse_an_unused_vcov():
    from safetystats.evaluation import randomization_inference, wild_cluster_bootstrap

    p = small_panel(6)
    with pytest.raises(SafetystatsError, match="vcov: expected 'CR1' for the wild") as exc:
        wild_cluster_bootstrap(p["y"], p["d"], area=p["area"], period=p["year"], vcov="CR2")
    assert exc.value.code == "input.choice"
    with pytest.raises(SafetystatsError, match="vcov: expected one of"):
        wild_cluster_bootstrap(p["y"], p["d"], area=p["area"], period=p["year"], vcov="CR9")
    with pytest.raises(SafetystatsError, match="statistic='coef'"):
        randomization_inference(
            p["y"], area=p["area"], period=p["year"], first_treated=p["ft"], vcov="HC1"
        )


def test_cr2_refuses_clusters_too_large_for_its_adjustment_matrices(monkeypatch):
    from safetystats.evaluation import fixest

    p = small_panel(0)
    monkeypatch.setattr(fixest, "CR2_MAX_BLOCK", 10)
    with pytest.raises(SafetystatsError) as exc:
        twfe(p["y"], p["d"], area=p["area"], period=p["year"], vcov="CR2")
    assert exc.value.code == "input.choice" and exc.value.params["given"] == "'CR2'"
