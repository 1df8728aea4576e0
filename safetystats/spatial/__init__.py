"""Spatial weights and local hot spots (METHODS.md §6; ``docs/methods/spatial.md``).

- :mod:`~safetystats.spatial.weights`: sparse weights from a grid (rook/queen), polygons
  (contiguity), a distance band or k nearest neighbours, with islands reported;
- :mod:`~safetystats.spatial.hotspots`: Getis–Ord Gi* (analytic z, box sums on grids,
  conditional-permutation p), local Moran's I with quadrants, Benjamini–Hochberg FDR and the
  ArcGIS confidence bins.

Uses numpy, scipy and shapely only.
"""

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
from .weights import (
    Weights,
    distance_band_weights,
    grid_weights,
    knn_weights,
    polygon_weights,
    weights_from_sparse,
)

__all__ = [
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
