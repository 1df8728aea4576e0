"""Spatial weights and local hot spots (METHODS.md §6; ``docs/methods/spatial.md``).

- :mod:`~safetystats.spatial.weights`: sparse weights from a grid (rook/queen), polygons
  (contiguity), a distance band or k nearest neighbours, with islands reported;
- :mod:`~safetystats.spatial.hotspots`: Getis–Ord Gi* (analytic z, box sums on grids,
  conditional-permutation p), local Moran's I with quadrants, Benjamini–Hochberg FDR and the
  ArcGIS confidence bins;
- :mod:`~safetystats.spatial.spacetime`: space-time cube, Mann-Kendall trend, emerging hot spots
  (the ArcGIS categories) and the Knox near-repeat test;
- :mod:`~safetystats.spatial.concentration`: Lorenz curve, Gini, generalized Gini and the share
  of crime in the top places, with bootstrap intervals;
- :mod:`~safetystats.spatial.density`: Gaussian kernel density of points on the cube's grid
  (events per km², Scott/Silverman or fixed bandwidth; exact, or binned and convolved).

Uses numpy, scipy and shapely only.
"""

from .concentration import (
    ConcentrationResult,
    concentration,
    generalized_gini,
    gini,
    lorenz_curve,
    top_share,
)
from .density import DensityResult, bandwidth, kernel_density
from .hotspots import (
    QUADRANTS,
    FdrResult,
    GiStarResult,
    LocalMoranResult,
    confidence_bins,
    fdr,
    gi_star,
    gi_star_grid,
    local_moran,
)
from .spacetime import (
    CATEGORIES,
    EmergingResult,
    KnoxResult,
    MannKendallResult,
    SpaceTimeCube,
    emerging_hotspots,
    knox,
    mann_kendall,
    space_time_cube,
)
from .weights import (
    Weights,
    distance_band_weights,
    grid_weights,
    knn_weights,
    polygon_weights,
    weights_from_sparse,
)

__all__ = [
    "CATEGORIES",
    "ConcentrationResult",
    "DensityResult",
    "EmergingResult",
    "KnoxResult",
    "MannKendallResult",
    "SpaceTimeCube",
    "bandwidth",
    "concentration",
    "emerging_hotspots",
    "generalized_gini",
    "gini",
    "kernel_density",
    "knox",
    "lorenz_curve",
    "mann_kendall",
    "space_time_cube",
    "top_share",
    "QUADRANTS",
    "FdrResult",
    "GiStarResult",
    "LocalMoranResult",
    "Weights",
    "confidence_bins",
    "distance_band_weights",
    "fdr",
    "gi_star",
    "gi_star_grid",
    "grid_weights",
    "knn_weights",
    "local_moran",
    "polygon_weights",
    "weights_from_sparse",
]
