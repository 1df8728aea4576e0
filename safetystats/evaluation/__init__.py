"""Effect evaluation for hotspot programmes: does crime fall more in the hotspot than elsewhere?

One module per method family, all re-exported here:

- :mod:`~safetystats.evaluation.did` — 2×2 DiD on rates (:func:`did_rates`), event study
  (:func:`event_study`), staggered-robust Sun–Abraham (:func:`sun_abraham`);
- :mod:`~safetystats.evaluation.fixest` — two-way fixed effects OLS (:func:`twfe`) and Poisson with
  a population offset (:func:`poisson_fe`); CR1 (one- or two-way), CR2, CR3 and HC1 errors;
- :mod:`~safetystats.evaluation.negbin` — :func:`overdispersion` (Pearson dispersion, Cameron–Trivedi
  test) and the negative-binomial alternative :func:`negbin_fe`;
- :mod:`~safetystats.evaluation.staggered` — Callaway–Sant'Anna group-time effects
  (:func:`callaway_santanna`) with not-yet-treated controls and their aggregations;
- :mod:`~safetystats.evaluation.inference` — :func:`wild_cluster_bootstrap` (with intervals by test
  inversion), :func:`randomization_inference`, :func:`poisson_score_bootstrap`;
- :mod:`~safetystats.evaluation.synth` — :func:`synthetic_control` with placebos;
- :mod:`~safetystats.evaluation.matching` — :func:`match_controls`, :func:`balance_table`;
- :mod:`~safetystats.evaluation.displacement` — :func:`wdq`.

Every function takes arrays (pandas accepted), keyword-only options, returns a frozen dataclass
with a ``warnings`` tuple, and raises :class:`~safetystats.errors.SafetystatsError` (a
``ValueError`` with a stable ``code``) naming what was expected and what was given.
Methods, formulas and sources: ``docs/methods/evaluation.md``.
"""

from .did import DidResult, EventStudyResult, StaggeredResult, did_rates, event_study, sun_abraham
from .displacement import WdqResult, wdq
from .fixest import FeResult, poisson_fe, twfe
from .inference import (
    BootstrapResult,
    RandomizationResult,
    ScoreBootstrapResult,
    poisson_score_bootstrap,
    randomization_inference,
    wild_cluster_bootstrap,
)
from .matching import BalanceTable, MatchResult, balance_table, match_controls
from .negbin import DispersionResult, NegBinFeResult, negbin_fe, overdispersion
from .staggered import (
    CallawaySantAnnaResult,
    CsAggregation,
    CsEstimate,
    GroupTimeATT,
    callaway_santanna,
)
from .synth import SynthResult, simplex_least_squares, synth_in_time_placebo, synthetic_control

__all__ = [
    "BalanceTable",
    "BootstrapResult",
    "CallawaySantAnnaResult",
    "CsAggregation",
    "CsEstimate",
    "DidResult",
    "DispersionResult",
    "EventStudyResult",
    "FeResult",
    "GroupTimeATT",
    "MatchResult",
    "NegBinFeResult",
    "RandomizationResult",
    "ScoreBootstrapResult",
    "StaggeredResult",
    "SynthResult",
    "WdqResult",
    "balance_table",
    "callaway_santanna",
    "did_rates",
    "event_study",
    "match_controls",
    "negbin_fe",
    "overdispersion",
    "poisson_fe",
    "poisson_score_bootstrap",
    "randomization_inference",
    "simplex_least_squares",
    "sun_abraham",
    "synth_in_time_placebo",
    "synthetic_control",
    "twfe",
    "wdq",
    "wild_cluster_bootstrap",
]
