"""Errors with a stable code, so a caller (the Django layer) can translate them.

Every input check in :mod:`safetystats` raises :class:`SafetystatsError`, a ``ValueError``
subclass: ``str(exc)`` stays the English sentence naming what was expected and what was given,
``exc.code`` is a stable dotted identifier (it never changes when the English wording does) and
``exc.params`` holds the values the sentence names (numbers, names, short lists), so a translated
text can be formatted from them. Catching ``ValueError`` keeps working.

The catalogue of codes is :data:`CODES` (code → what it means); a test checks
that every code raised in the library is listed here.
"""

from __future__ import annotations

__all__ = ["CODES", "SafetystatsError"]


class SafetystatsError(ValueError):
    """A refused input: ``code`` (stable), ``params`` (dict) and the English message."""

    def __init__(self, code: str, message: str, **params):
        if code not in CODES:  # a programming error, not a user error
            raise KeyError(f"unknown safetystats error code {code!r}")
        super().__init__(message)
        self.code = code
        self.params = params

    def __reduce__(self):  # picklable for task queues
        return (_rebuild, (self.code, str(self), self.params))


def _rebuild(code, message, params):
    return SafetystatsError(code, message, **params)


#: code → what it means (English summary; the Danish texts live in the Django layer's catalogue).
CODES: dict[str, str] = {
    # generic argument checks (params: name = the argument, expected, given, count)
    "input.not_numbers": "an argument is not numeric",
    "input.shape": "an array has the wrong shape",
    "input.length": "an array has the wrong length (one value per row expected)",
    "input.not_finite": "NaN or infinite values where finite numbers are required",
    "input.not_integer": "a non-integer (2.7) where an integer is required; never truncated",
    "input.out_of_range": "a number outside its allowed range",
    "input.choice": "an option outside its allowed values",
    "input.labels_missing": "missing (NaN/None) area, period or cluster labels",
    "input.level": "a confidence level outside (0, 1)",
    "input.empty": "no observations",
    "input.duplicates": "duplicated row indices",
    # panels and designs
    "panel.duplicated_rows": "more than one row per area and period",
    "panel.too_few_clusters": "fewer than 2 clusters",
    "panel.no_controls": "no control (never-treated) areas",
    "panel.no_treated": "no treated area or observation",
    "panel.no_pre_period": "treated areas never observed before their start (params: areas, more)",
    "panel.first_treated_varies": "an area has several start periods",
    "panel.first_treated_off_grid": "start periods not on the period grid",
    "panel.clusters_split_areas": "an area split over several clusters",
    "outcome.constant": "the outcome is the same in every row",
    "outcome.negative_counts": "negative counts",
    "outcome.all_zero": "every count is zero",
    "population.not_positive": "zero or negative population in some rows (params: count)",
    "weights.not_positive": "zero or negative observation weights (params: count)",
    "design.treatment_absorbed": "the treatment is fully explained by the area and period effects",
    "design.treatment_collinear": "the treatment is a combination of the other regressors and effects",
    "design.degenerate_se": "the standard error is 0 (degenerate design)",
    "poisson.separation": "the counts cannot identify the effect (separation; params: name)",
    "poisson.no_convergence": "the Poisson fit did not converge (params: max_iter, change, tol)",
    "event_study.no_cells": "no treated observations to estimate event-time effects from",
    "did.zero_count": "a zero count in a cell of the 2×2 comparison (params: counts)",
    "did.population": "a zero population in a cell of the 2×2 comparison (params: populations)",
    "inference.pool_too_small": "fewer placebo areas than treated areas (params: treated, pool)",
    "inference.no_placebos": "no placebo assignment could be estimated",
    "inference.degenerate_bootstrap": "every bootstrap draw was degenerate",
    "synth.treated_in_donors": "the treated area is also in the donor pool (params: treated)",
    "synth.too_few_donors": "fewer than 2 donors for placebos",
    "synth.weights_without_predictors": "predictor weights without predictors",
    "matching.treated_in_pool": "treated areas in the candidate pool (params: rows)",
    "matching.too_few_candidates": "too few candidates to match without replacement",
    "matching.no_variation": "the matching features do not vary",
    "wdq.counts": "negative counts for the displacement quotient (params: name, given)",
    "wdq.control_zero": "a zero count in the control area (params: given)",
    "wdq.no_change": "no change relative to the control area: the WDQ is undefined",
    # rates and surveys
    "survey.share_out_of_range": "a share outside [0, 1] (a count passed as a share?; params: given)",
    "rates.per": "the rate unit 'per' is not a positive finite number",
    "rates.negative": "negative counts or residents",
    "rates.count": "counts of the wrong shape",
    "rates.count_and_denominator": "counts and residents of different shapes",
    "rates.bands": "no age bands, or overlapping age bands",
    "rates.band_bounds": "an age band with invalid bounds",
    "rates.unknown_labels": "labels outside the given list",
    "rates.area_year_person": "area, year and person arrays of different lengths",
    "rates.area_year_person_age": "area, year, person and age arrays of different lengths",
    "rates.population": "a population array of the wrong shape",
    "rates.values": "values without a year axis",
    "rates.base": "the baseline year outside the series",
    "rates.method": "an unknown pooling method",
    "survey.answers": "survey answers of the wrong shape or with unknown codes",
    "survey.category": "an unknown answer category",
    "survey.weights": "invalid survey weights",
    "survey.by": "no grouping for grouped shares",
    "survey.by_length": "a grouping of the wrong length",
    "survey.level": "a confidence level outside (0, 1)",
    # indices
    "index.indicators": "no or invalid indicators",
    "index.indicator_direction": "an indicator direction other than good/bad",
    "index.indicator_constant": "an indicator constant in the reference year and areas",
    "index.indicator_reference_mean": "an indicator with a non-positive reference mean (ratio)",
    "index.directions": "directions that do not match the indicators",
    "index.weights_invalid": "negative or non-finite weights",
    "index.weights_sum": "weights that do not sum to 1",
    "index.pillar_weights": "a weighted pillar without indicators",
    "index.theme_weights": "theme weights for unknown themes",
    "index.theme_weights_partial": "weights on some but not all indicators of a theme",
    "index.aggregation": "an unknown aggregation",
    "index.missing": "an unknown missing-data method",
    "index.normalisation": "an unknown normalisation",
    "index.normalisations": "an unknown normalisation in the sensitivity analysis",
    "index.normalisation_unsuitable": (
        "a preset's scale (defined on z-scores) with another normalisation "
        "(params: preset, normalisation, reason)"
    ),
    "index.bands": "band cuts and labels that do not match",
    "index.reference_year": "the reference year outside the data",
    "index.reference_year_no_data": "no data for an indicator in the reference year and areas",
    "index.reference_areas": "invalid reference areas",
    "index.values": "indicator values of the wrong shape",
    "index.year": "the analysed year outside the data",
    "index.interval": "invalid sensitivity percentiles",
    "index.concentration": "a non-positive Dirichlet concentration",
    "index.geometric_not_positive": "geometric aggregation with non-positive normalised values",
    # spatial weights and hot spots
    "spatial.empty": "no cells: an empty grid, or no polygons or points (params: name)",
    "spatial.one_cell": "a single cell: it can have no neighbours (params: name)",
    "spatial.grid_shape": "a grid shape that is not two positive integers (params: given)",
    "spatial.geometry": "a geometry that is not a non-empty polygon (params: index, given)",
    "spatial.points": "point coordinates that are not an (n, 2) array of finite numbers",
    "spatial.knn_k": "k nearest neighbours with k < 1 or k >= the number of points (params: k, n)",
    "spatial.threshold": "a distance band that is not a positive finite number (params: given)",
    "spatial.weights": "not a Weights object of safetystats.spatial (params: given)",
    "spatial.length": "values whose length does not match the weights (params: expected, given)",
    "spatial.missing_values": "NaN or infinite values (params: count, first)",
    "spatial.constant": "the same value in every cell: z-scores are undefined (params: value)",
    "spatial.no_neighbours": "every cell is an island: no cell has a neighbour (params: n)",
    "spatial.permutations": "permutations < 1 or above the maximum (params: given, maximum)",
    "spatial.p_values": "p-values outside [0, 1] or missing (params: count)",
    "spatial.alpha": "a significance level outside (0, 1) (params: given)",
    # space-time hot spots, near repeat and concentration
    "spatial.cell_size": "a cell size or time step that is not a positive number (params: name, given)",
    "spatial.bounds": "bounds or an origin that are not (xmin, ymin, xmax, ymax) / (x0, y0, t0)",
    "spatial.times": "missing or non-date times (params: count, first)",
    "spatial.too_many_cells": (
        "a space-time cube with more cells than the maximum (params: cells, maximum, slices, rows, cols)"
    ),
    "spatial.cube": "a cube that is not slices × rows × cols with at least 3 slices (params: given)",
    "spatial.too_few_events": "too few events or time points (params: n)",
    "spatial.bandwidth": "a bandwidth rule with one point or all points at the same place (params: rule, n)",
    "spatial.bands": "distance or time bands that are not increasing edges (params: name, given)",
    "concentration.counts": "negative, NaN or infinite counts per place (params: count, first)",
    # statutory criteria
    "criteria.rules": "an unknown rule set",
    "criteria.history": "the area history is not a mapping year → values",
    "criteria.history_fields": "unknown fields in the area history",
    "criteria.history_record": "an area-year record of the wrong type",
    "criteria.not_a_number": "a criterion value that is not a number",
    "criteria.operator": "an unknown comparison operator",
}
