"""Write poisson_exact_intervals.csv: exact Poisson intervals from statsmodels, the reference.

statsmodels ``confint_poisson(count, exposure, method="exact-c")`` (the central, Garwood 1936
interval) for counts 0–60 and a few large ones, several levels and exposures, including the
exposures of small hotspot areas. Run from the repository root:

    .venv/bin/python safetystats/tests/reference/make_poisson_exact_intervals.py
"""

import csv
import pathlib

import statsmodels
from statsmodels.stats.rates import confint_poisson

OUT = pathlib.Path(__file__).with_name("poisson_exact_intervals.csv")
COUNTS = list(range(61)) + [100, 250, 1000, 5000]
LEVELS = [0.8, 0.9, 0.95, 0.99]
EXPOSURES = [1.0, 850.0, 4321.0]


def main():
    with OUT.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["count", "exposure", "level", "low", "high"])
        for level in LEVELS:
            for exposure in EXPOSURES:
                for count in COUNTS:
                    low, high = confint_poisson(count, exposure, method="exact-c", alpha=1 - level)
                    out.writerow([count, exposure, level, repr(float(low)), repr(float(high))])
    print(f"wrote {OUT} with statsmodels {statsmodels.__version__}")


if __name__ == "__main__":
    main()
