"""Effect evaluation for hotspot programmes: does crime fall more in the hotspot than elsewhere?

One module per method family, all re-exported here:

- :mod:`~safetystats.evaluation.did` — 2×2 DiD on rates (:func:`did_rates`), event study
  (:func:`event_study`), staggered-robust Sun–Abraham (:func:`sun_abraham`);
- :mod:`~safetystats.evaluation.fixest` — two-way fixed effects OLS (:func:`twfe`) and Poisson with
  a population offset (:func:`poisson_fe`), cluster-robust CR1 errors as fixest;
- :mod:`~safetystats.evaluation.inference` — :func:`wild_cluster_bootstrap`,
  :func:`randomization_inference`;
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
    randomization_inference,
    wild_cluster_bootstrap,
)
from .matching import BalanceTable, MatchResult, balance_table, match_controls
from .synth import SynthResult, simplex_least_squares, synth_in_time_placebo, synthetic_control

#: Stored with every result so a published figure can be traced to the method version.
METHOD_VERSION = "2"  # 2: Poisson IRLS fixed (issue 12), weights, collinear covariates dropped

__all__ = [
    "METHOD_VERSION",
    "BalanceTable",
    "BootstrapResult",
    "DidResult",
    "EventStudyResult",
    "FeResult",
    "MatchResult",
    "RandomizationResult",
    "StaggeredResult",
    "SynthResult",
    "WdqResult",
    "balance_table",
    "did_rates",
    "event_study",
    "match_controls",
    "poisson_fe",
    "randomization_inference",
    "simplex_least_squares",
    "sun_abraham",
    "synth_in_time_placebo",
    "synthetic_control",
    "twfe",
    "wdq",
    "wild_cluster_bootstrap",
]
