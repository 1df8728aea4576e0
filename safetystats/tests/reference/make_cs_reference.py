"""Reference values for :func:`callaway_santanna` from the PyPI package ``differences`` (0.3.0).

``differences.ATTgt`` implements Callaway & Sant'Anna (2021) after the R package ``did``
(unconditional: formula ``"y"``, ``est_method="reg"``; analytic influence-function standard
errors with ``boot_iterations=0``). This script runs it on

- ``mpdta`` (``mpdta.csv``, the R package's minimum-wage panel: 500 counties × 5 years), in
  the variants of :data:`VARIANTS` (control group, base period, anticipation, weights, without
  the 2004 cohort for anticipation 1, without never-treated counties);
- a hotspot-sized panel (:func:`hotspot_panel`: 30 areas × 10 years, 4 treated areas starting in
  two years, Poisson counts with mean ≈ 2 and many zeros), and the same panel with one treated
  area;

and writes ``cs_reference.csv`` (ATT(g,t), the four aggregations and their overall values,
estimate and analytic SE, and the Wald pre-test that ``differences`` rounds to 6 decimals),
``cs_bootstrap.csv`` (multiplier-bootstrap SEs and sup-t critical values with
``boot_iterations=BOOT_DRAWS, random_state=BOOT_SEED, n_jobs=1``, whose Rademacher draws
:func:`differences_draws` reproduces) and ``cs_cluster.csv`` (standard errors clustered by
state: the cluster sums of ``differences``' own influence functions).

Run ``python -m safetystats.tests.reference.make_cs_reference`` (``differences`` installed).
"""

from __future__ import annotations

import csv
import pathlib
import warnings

import numpy as np

HERE = pathlib.Path(__file__).parent
MPDTA = HERE / "mpdta.csv"
REFERENCE = HERE / "cs_reference.csv"
BOOTSTRAP = HERE / "cs_bootstrap.csv"
CLUSTER = HERE / "cs_cluster.csv"
BOOT_DRAWS = 999
BOOT_SEED = 20260101

#: name → (dataset, control, base, anticipation, weights column or None)
VARIANTS = {
    "mpdta-never-varying": ("mpdta", "never", "varying", 0, None),
    "mpdta-notyet-varying": ("mpdta", "not_yet", "varying", 0, None),
    "mpdta-never-universal": ("mpdta", "never", "universal", 0, None),
    "mpdta-notyet-universal": ("mpdta", "not_yet", "universal", 0, None),
    "mpdta-never-varying-w": ("mpdta", "never", "varying", 0, "pop"),
    "mpdta-notyet-universal-w": ("mpdta", "not_yet", "universal", 0, "pop"),
    "mpdta-no2004-never-varying-a1": ("mpdta-no2004", "never", "varying", 1, None),
    "mpdta-no2004-notyet-universal-a1": ("mpdta-no2004", "not_yet", "universal", 1, None),
    "mpdta-nonever-notyet-varying": ("mpdta-nonever", "not_yet", "varying", 0, None),
    "hotspot-never-varying": ("hotspot", "never", "varying", 0, None),
    "hotspot-notyet-varying": ("hotspot", "not_yet", "varying", 0, None),
    "hotspot-never-universal": ("hotspot", "never", "universal", 0, None),
    "hotspot-notyet-universal": ("hotspot", "not_yet", "universal", 0, None),
    "hotspot-never-varying-a1": ("hotspot", "never", "varying", 1, None),
    "hotspot-never-varying-w": ("hotspot", "never", "varying", 0, "pop"),
    "hotspot1-never-varying": ("hotspot1", "never", "varying", 0, None),
}
BOOT_VARIANTS = ("mpdta-never-varying", "hotspot-never-varying", "hotspot-notyet-varying")
CLUSTER_VARIANTS = ("mpdta-never-varying", "mpdta-notyet-universal")
#: differences' aggregation names → ours
AGGREGATIONS = {"event": "dynamic", "cohort": "group", "time": "calendar"}


def hotspot_panel(seed: int = 20260417) -> dict:
    """30 areas × 2010–2019, areas 0–1 start in 2014 and 2–3 in 2016; Poisson counts, mean ≈ 2.

    Area effects are log-normal (sd 0.5), a common trend of −2 % a year, the effect −30 % from
    the start on (−40 % from the second year on); populations 800–6,000 (used as weights).
    """
    rng = np.random.default_rng(seed)
    n_areas, years = 30, np.arange(2010, 2020)
    area = np.repeat(np.arange(n_areas), years.size)
    year = np.tile(years, n_areas)
    start = np.full(n_areas, np.nan)
    start[:2], start[2:4] = 2014.0, 2016.0
    ft = start[area]
    since = np.where(np.isnan(ft), -1.0, year - np.nan_to_num(ft))
    effect = np.where(since >= 1, np.log(0.6), np.where(since == 0, np.log(0.7), 0.0))
    pop = rng.integers(800, 6000, n_areas).astype(float)
    area_fe = rng.normal(0, 0.5, n_areas) - 0.125
    mu = 2.0 * np.exp(area_fe[area] - 0.02 * (year - 2010) + effect)
    y = rng.poisson(mu).astype(float)
    return dict(y=y, area=area, year=year, first_treated=ft, pop=pop[area])


def load(dataset: str) -> dict:
    """The data of a variant as numpy arrays: y, area, year, first_treated (NaN never), pop."""
    if dataset.startswith("hotspot"):
        d = hotspot_panel()
        if dataset == "hotspot1":
            d["first_treated"] = np.where(d["area"] == 0, d["first_treated"], np.nan)
        return d
    with MPDTA.open() as fh:
        rows = list(csv.DictReader(fh))
    d = dict(
        y=np.array([float(r["lemp"]) for r in rows]),
        area=np.array([int(r["countyreal"]) for r in rows]),
        year=np.array([int(r["year"]) for r in rows]),
        first_treated=np.array([float(r["first.treat"]) or np.nan for r in rows]),
        pop=np.exp(np.array([float(r["lpop"]) for r in rows])),
    )
    keep = np.ones(d["y"].size, dtype=bool)
    if dataset == "mpdta-no2004":
        keep = d["first_treated"] != 2004
    elif dataset == "mpdta-nonever":
        keep = ~np.isnan(d["first_treated"])
    return {k: v[keep] for k, v in d.items()}


def differences_draws(n: int, draws: int = BOOT_DRAWS, seed: int = BOOT_SEED) -> np.ndarray:
    """The Rademacher multipliers of ``differences``' ``mboot`` with ``n_jobs=1``: draws × units.

    Its ``multiplier_bootstrap_joblib`` seeds one job with ``default_rng(seed).integers(0,
    2**31 − 1)``, which draws ``rng.choice([1, −1], size=(n, 1))`` once per iteration; the
    columns follow the order of first appearance of the units in the data.
    """
    job_seed = np.random.default_rng(seed).integers(0, np.iinfo(np.int32).max, size=1)[0]
    gen = np.random.default_rng(job_seed)
    return np.vstack([gen.choice([1, -1], size=(n, 1))[:, 0] for _ in range(draws)]).astype(float)


def fit_differences(variant: str, *, boot: bool = False):
    """The fitted ``differences.ATTgt`` of a variant (with bootstrap SEs if ``boot``)."""
    import pandas as pd
    from differences import ATTgt

    dataset, control, base, anticipation, wname = VARIANTS[variant]
    d = load(dataset)
    df = pd.DataFrame(
        {
            "y": d["y"],
            "area": d["area"],
            "year": d["year"],
            "g": d["first_treated"],
            "pop": d["pop"],
        }
    ).set_index(["area", "year"])
    att = ATTgt(data=df, cohort_column="g", base_period=base, anticipation=anticipation)
    kw = dict(boot_iterations=BOOT_DRAWS, random_state=BOOT_SEED, n_jobs=1) if boot else {}
    att.fit(
        formula="y",
        control_group={"never": "never_treated", "not_yet": "not_yet_treated"}[control],
        weights_column=wname,
        progress_bar=False,
        **kw,
    )
    return att, kw


def reference_rows(variant: str) -> list[dict]:
    from differences.models.attgt.utility_ntl import wald_pre_test

    att, _ = fit_differences(variant)
    rows = []
    gt = att.results()
    for (g, _b, t), r in zip(gt.index, gt.itertuples(index=False)):
        rows.append(dict(variant=variant, table="gt", key=f"{g}:{t}", estimate=r[0], se=r[1]))
    simple = att.aggregate("simple")
    rows.append(
        dict(
            variant=variant,
            table="simple",
            key="",
            estimate=simple.iloc[0, 0],
            se=simple.iloc[0, 1],
        )
    )
    for theirs, ours in AGGREGATIONS.items():
        agg = att.aggregate(theirs)
        for key, r in zip(agg.index, agg.itertuples(index=False)):
            rows.append(dict(variant=variant, table=ours, key=str(key), estimate=r[0], se=r[1]))
        ov = att.aggregate(theirs, overall=True)
        rows.append(
            dict(
                variant=variant,
                table=f"{ours}_overall",
                key="",
                estimate=ov.iloc[0, 0],
                se=ov.iloc[0, 1],
            )
        )
    wald = wald_pre_test(att._result_dict["full_sample"]["ATTgt_ntl"])
    rows.append(
        dict(variant=variant, table="pretrend", key="", estimate=wald["W"], se=wald["p_value"])
    )
    return rows


def bootstrap_rows(variant: str) -> list[dict]:
    att, kw = fit_differences(variant, boot=True)
    rows = []

    def add(table, frame):
        est, se, lo = frame.iloc[:, 0], frame.iloc[:, 1], frame.iloc[:, 2]
        crit = ((est - lo) / se).dropna()
        for key, s in zip(frame.index, se):
            key = f"{key[0]}:{key[2]}" if table == "gt" else str(key)
            rows.append(dict(variant=variant, table=table, key=key, boot_se=s, crit=crit.iloc[0]))

    add("gt", att.results())
    for theirs, ours in AGGREGATIONS.items():
        add(ours, att.aggregate(theirs, **kw))
    return rows


def cluster_rows(variant: str) -> list[dict]:
    """SEs clustered by state (county code // 1000) from ``differences``' influence functions."""
    from differences.models.attgt.utility_ntl import get_agg_attr_name

    att, _ = fit_differences(variant)
    d = load(VARIANTS[variant][0])
    entities = att._data_matrix.index.get_level_values(0).unique().to_numpy()
    state = entities // 1000
    _, codes = np.unique(state, return_inverse=True)
    n = entities.size

    def se(inf):
        inf = np.asarray(inf.toarray() if hasattr(inf, "toarray") else inf, float).ravel()
        return float(np.sqrt(np.sum(np.bincount(codes, inf) ** 2)) / n)

    rows = []
    for nt in att._result_dict["full_sample"]["ATTgt_ntl"]:
        if nt.base_period != nt.time:
            key = f"{nt.cohort}:{nt.time}"
            rows.append(dict(variant=variant, table="gt", key=key, se=se(nt.influence_func)))
    inst_names = [("simple", "simple", False)]
    for theirs, ours in AGGREGATIONS.items():
        inst_names += [(theirs, ours, False), (theirs, f"{ours}_overall", True)]
    for theirs, ours, overall in inst_names:
        att.aggregate(theirs, overall=overall)
        inst = att._result_dict["full_sample"]["aggregate_inst"]
        ntl = getattr(inst, get_agg_attr_name(type_of_aggregation=theirs, overall=overall))
        for nt in ntl:
            key = "" if overall or theirs == "simple" else str(nt[0])
            if np.any(np.asarray(nt.influence_func) != 0):
                rows.append(dict(variant=variant, table=ours, key=key, se=se(nt.influence_func)))
    assert d["area"].size == n * np.unique(d["year"]).size
    return rows


def write(path: pathlib.Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: repr(float(v)) if isinstance(v, float) else v for k, v in r.items()})
    print(f"wrote {path} ({len(rows)} rows)")


def main() -> None:
    import differences

    warnings.filterwarnings("ignore")
    assert differences.__version__ == "0.3.0", differences.__version__
    write(REFERENCE, [r for v in VARIANTS for r in reference_rows(v)])
    write(BOOTSTRAP, [r for v in BOOT_VARIANTS for r in bootstrap_rows(v)])
    write(CLUSTER, [r for v in CLUSTER_VARIANTS for r in cluster_rows(v)])


if __name__ == "__main__":
    main()
