"""safetystats: the statistics of the Danish hotspot model (safety index, rates, survey, criteria,
effect evaluation, spatial hot spots), pure Python on numpy and scipy (shapely for polygons), with
no Django and no knowledge of the platform.

Modules: ``rates``, ``survey``, ``index``, ``criteria``, ``evaluation``, ``spatial`` (spatial
weights from grids, polygons, distance bands and k nearest neighbours; Getis–Ord Gi* with box sums
on grids and conditional-permutation p, local Moran's I, Benjamini–Hochberg FDR and the ArcGIS
confidence bins; ``docs/methods/spatial.md``).

``__version__`` is stored with every computed result (index runs, sensitivity runs, study results), so
a published figure can be traced to the methods that produced it. Raise it whenever a change alters
any figure a function returns:

- 0.1: the safety index, rates, survey shares and § 61 a/b criteria; OLS and Poisson fixed effects
- 0.2: Poisson IRLS fixed at small counts, weights, collinear covariates dropped
- 0.3: separation found on large panels and by covariates (rows dropped, not refused); the synthetic
  control's inner solver converges fully; Callaway–Sant'Anna, negative binomial, exact intervals
"""

__version__ = "0.3.0"
