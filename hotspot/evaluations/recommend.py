"""Which design and inference suit a study's shape: the platform's recommendation.

``recommend(shape)`` is a pure function of a few numbers (how many hotspots, how many start years,
how many years before the first start, how many events per area and year), so the form and the study
page give the same advice and the rules are tested one by one. Words are made where it is shown
(``views.recommendation_text``); here there are only choices and reason keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hotspot.evaluations.models import COUNT_OUTCOMES, Design, Inference

#: Fewer treated areas than this: placebo areas, never plain CR1 (cluster-robust errors and even
#: the wild bootstrap mislead with so few treated clusters; MacKinnon & Webb 2017).
FEW_TREATED = 5
#: Mean events per area and year below this: the counts are small, a Poisson model suits them.
LOW_COUNT = 10.0
#: Years before the start that a synthetic control needs to be fitted on (Abadie 2021: a long
#: pre-period is what makes a good pre-period fit informative).
LONG_PRE = 5


@dataclass(frozen=True)
class Shape:
    """What the recommendation looks at. ``mean_count`` is None for outcomes that are not counts."""

    n_treated: int
    starts: tuple[int, ...]
    pre_years: int
    mean_count: float | None = None
    counts_outcome: bool = True

    def as_dict(self) -> dict:
        return {
            "n_treated": self.n_treated,
            "starts": list(self.starts),
            "pre_years": self.pre_years,
            "mean_count": self.mean_count,
            "counts_outcome": self.counts_outcome,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Shape:
        return cls(
            n_treated=int(d["n_treated"]),
            starts=tuple(int(s) for s in d["starts"]),
            pre_years=int(d["pre_years"]),
            mean_count=None if d.get("mean_count") is None else float(d["mean_count"]),
            counts_outcome=bool(d.get("counts_outcome", True)),
        )


@dataclass(frozen=True)
class Recommendation:
    """The pre-selected design and inference, the others that fit as well, and why (reason keys)."""

    design: str
    inference: str
    reasons: tuple[str, ...]
    designs: frozenset = frozenset()
    inferences: frozenset = frozenset()

    def accepts(self, design: str, inference: str) -> bool:
        """Whether a study's choice is one the recommendation covers (the synthetic control judges
        certainty by its own placebos, so any inference goes with it)."""
        if design not in self.designs:
            return False
        return design == Design.SYNTH or inference in self.inferences


def recommend(shape: Shape) -> Recommendation:
    """The recommended design and inference for a study of this shape.

    - one hotspot with a long pre-period (``LONG_PRE`` years): synthetic control;
    - several start years: Callaway–Sant'Anna (or Sun–Abraham, which is also accepted); with low
      counts Sun–Abraham, which has a Poisson version;
    - otherwise a count outcome: Poisson regression (with low counts the only one accepted; with
      more events the linear designs on rates too); a score or a share: linear two-way fixed
      effects (or the 2×2 comparison);
    - inference: placebo areas; with at least ``FEW_TREATED`` hotspots the wild bootstrap too.
    """
    reasons = []
    low = shape.counts_outcome and shape.mean_count is not None and shape.mean_count < LOW_COUNT
    staggered = len(set(shape.starts)) > 1
    if shape.n_treated == 1 and shape.pre_years >= LONG_PRE:
        design, designs = Design.SYNTH, {Design.SYNTH}
        reasons.append("one_treated_long_pre")
    elif staggered:
        reasons.append("staggered")
        designs = {Design.CALLAWAY_SANTANNA, Design.SUN_ABRAHAM}
        if low:
            # Callaway–Sant'Anna is linear on rates; Sun–Abraham's Poisson version suits both rules
            design, designs = Design.SUN_ABRAHAM, {Design.SUN_ABRAHAM}
            reasons.append("low_counts_staggered")
        else:
            design = Design.CALLAWAY_SANTANNA
    elif shape.counts_outcome and low:
        design, designs = Design.POISSON_FE, {Design.POISSON_FE}
        reasons.append("low_counts")
    elif shape.counts_outcome:
        # enough events that a linear model on rates is fine too; Poisson stays the first choice
        design, designs = Design.POISSON_FE, {Design.POISSON_FE, Design.TWFE, Design.DID_2X2}
        reasons.append("counts")
    else:
        design, designs = Design.TWFE, {Design.TWFE, Design.DID_2X2}
        reasons.append("not_counts")
    inferences = {Inference.RANDOMIZATION}
    if shape.n_treated < FEW_TREATED:
        reasons.append("few_treated")
    else:
        inferences.add(Inference.WILD_BOOTSTRAP)
    return Recommendation(
        design=design,
        inference=Inference.RANDOMIZATION,
        reasons=tuple(reasons),
        designs=frozenset(designs),
        inferences=frozenset(inferences),
    )


def panel_shape(panel) -> Shape:
    """The shape of a study panel (``inputs.Panel``): the counts' mean over the cells with data."""
    starts = tuple(sorted({a.first_treated for a in panel.areas if a.treated and a.first_treated}))
    counts_outcome = panel.outcome in COUNT_OUTCOMES
    mean = None
    if counts_outcome and panel.present.any():
        mean = float(np.mean(panel.counts[panel.present]))
    return Shape(
        n_treated=int(panel.treated_mask.sum()),
        starts=starts,
        pre_years=(min(starts) - panel.years[0]) if starts else 0,
        mean_count=mean,
        counts_outcome=counts_outcome,
    )
