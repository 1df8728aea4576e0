"""Write ``mpdta.csv``: the minimum-wage panel of the R package ``did`` (Callaway & Sant'Anna).

Source: ``did::mpdta`` (R package ``did``, Callaway & Sant'Anna; documented in its ``data.R``):
500 US counties × 2003–2007, ``lemp`` the log of teen employment, ``lpop`` the log of county
population, ``first.treat`` the year the state first raised its minimum wage (2004, 2006, 2007;
0 for never), ``treat`` whether the county is ever treated. Derived from the county-level data
of Callaway & Sant'Anna (2021), J. Econometrics 225(2), 200–230, section 6. The copy used was the
one that the PyPI package ``moderndid`` (0.2.0) ships as ``moderndid/core/datasets/
mpdta_long.pkl.gz`` (a pandas pickle of the R data frame, full double precision); the first rows
agree with the 15-digit CSV of the ``csdid`` project (``data/mpdta.csv``) to all printed digits.

Run ``python -m safetystats.tests.reference.make_mpdta PATH`` with PATH that pickle (or a CSV
copy with the same columns) to rewrite ``mpdta.csv``; floats are written with ``repr`` so they
round-trip exactly. The script checks the shape and the published cohort sizes.
"""

from __future__ import annotations

import gzip
import pathlib
import pickle
import sys

CSV = pathlib.Path(__file__).with_name("mpdta.csv")
COLUMNS = ["year", "countyreal", "lpop", "lemp", "first.treat", "treat"]
#: counties per first.treat value in did::mpdta
COHORT_SIZES = {0: 309, 2004: 20, 2006: 40, 2007: 131}


def read_source(path: pathlib.Path):
    import pandas as pd

    if path.suffix == ".gz" or path.suffix == ".pkl":
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            return pickle.load(fh)  # noqa: S301 - a local file the maintainer chose
    return pd.read_csv(path)


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit(__doc__)
    df = read_source(pathlib.Path(argv[0]))[COLUMNS]
    assert df.shape == (2500, 6), df.shape
    sizes = df.drop_duplicates("countyreal")["first.treat"].value_counts().to_dict()
    assert sizes == COHORT_SIZES, sizes
    with CSV.open("w") as fh:
        fh.write(",".join(COLUMNS) + "\n")
        for row in df.itertuples(index=False):
            year, county, lpop, lemp, ft, treat = row
            values = [int(year), int(county), float(lpop), float(lemp), int(ft), int(treat)]
            fh.write(",".join(map(repr, values)) + "\n")
    print(f"wrote {CSV} ({len(df)} rows)")


if __name__ == "__main__":
    main(sys.argv[1:])
