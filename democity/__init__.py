"""The synthetic demo city ("Demokommune"): a made-up municipality with a known, hidden truth.

A top-level package of its own, beside ``safetystats`` (the analysis library) and ``hotspot`` (the Django
project): pure numpy and shapely, never Django (``tests/test_architecture.py``). Only the demo app
(``hotspot/demo``), tests and benchmarks import it; production code never does. ``python -m democity --out
DIR`` writes the city as import files (docs/demo-city.md).
"""

from . import generator
from .generator import *  # noqa: F403  (the generator's public names, listed once in its __all__)

__all__ = list(generator.__all__)
