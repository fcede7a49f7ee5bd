"""Each prefecture's own inputs to the national picture: demand, staff, booking policy, bots.

France is a hundred and one prefectures, and they differ: Seine-Saint-Denis has a third of its
residents born abroad, the Cantal one in forty; the Rhône and the Gironde convoke applicants
after an online request while Seine-Saint-Denis runs the race for slots; resellers and alert
services poll the Île-de-France modules hardest. A national run
(:mod:`sim.experiments.national`) builds every prefecture from one template (the
Val-de-Marne baseline) and these inputs, one row per département (:func:`prefecture_inputs`,
shipped as ``data/prefectures.csv`` by ``prefsim data-derive``):

* **demand weight**: the département's share of the immigrants living in France, its
  immigrant share (INSEE 2020-21, ``data/immigrant_shares.csv``) times its population (INSEE
  2017, ``data/departements.csv``). Immigrants are not permit holders (naturalised people and
  EU citizens count too), but no count of foreign nationals by département could be read.
  The population weights (:func:`~sim.experiments.data.departements.departement_weights`)
  are the alternative;
* **staff weight**: no prefecture publishes its séjour staff, and the ministry's own rule is
  agents per inhabitant with historical balances kept "sans rapport avec l'évolution de la
  population ou de l'activité" (Cour des comptes, 2022). So staff follows population, within
  Île-de-France and within the rest of France (the population weights): the national 2,000
  séjour ETP and the template's staff are kept, and prefectures with many immigrants are
  short of staff for their demand;
* **booking policy**: ``data/booking_policies.csv``, one sourced row per prefecture whose
  mode of booking in 2020-21 could be read: procedures moved from the template's race to a
  convocation after an online request, or from its convocation to the race. Others keep the
  template's (the race for first requests, renewals convoked);
* **bot pressure**: ``data/bot_pressure.csv``, per group: Île-de-France, Lyon and Marseille,
  the rest (one vendor's polling intervals, 30, 60 and an assumed 180 seconds).

The method, its anchors and its limits are in ``docs/data.md``.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from sim.experiments.data.departements import departement_weights, normalise_code
from sim.experiments.data.sources import DATA_DIR, DataError

DEMAND_BAND = 1.7  # the published anchors lie within this factor of the demand weights
PROCEDURE_LIST = ";"  # separator of procedure names in data/booking_policies.csv


def _read(name: str) -> pd.DataFrame:
    """A data file whose rows are each sourced (a title) or marked ESTIMATE in their note."""
    path = DATA_DIR / name
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    bad = [f"{path}: row {k + 2}: no source and no ESTIMATE mark" for k, row in table.iterrows()
           if not row["source_title"].strip() and "ESTIMATE" not in row["note"]]
    if bad:
        raise DataError(bad)
    return table


@functools.cache
def immigrant_shares() -> pd.DataFrame:
    """Share of immigrants in each département's population, with its source (101 rows)."""
    table = _read("immigrant_shares.csv")
    table["code"] = table["code"].map(normalise_code)
    table["immigrant_share_pct"] = table["immigrant_share_pct"].astype(float)
    missing = set(departement_weights()["code"]) - set(table["code"])
    if missing:
        raise DataError([f"immigrant_shares.csv: no row for {sorted(missing)}"])
    return table


@functools.cache
def booking_policies() -> pd.DataFrame:
    """The prefectures whose booking mode is documented, with the procedures it moves."""
    table = _read("booking_policies.csv")
    table["code"] = table["code"].map(normalise_code)
    return table


@functools.cache
def bot_pressure() -> pd.DataFrame:
    """Bot pressure per group of prefectures: check interval and pressure relative to
    Île-de-France (one row, ``other``, for every prefecture not listed)."""
    table = _read("bot_pressure.csv")
    for col in ("check_interval_seconds", "relative_pressure"):
        table[col] = table[col].astype(float)
    return table


def procedures(text: str) -> tuple[str, ...]:
    """Procedure names of a policy cell: ``'first_title;aes'`` -> ``('first_title', 'aes')``.

    >>> procedures("first_title;aes"), procedures("")
    (('first_title', 'aes'), ())
    """
    return tuple(p.strip() for p in text.split(PROCEDURE_LIST) if p.strip())


def _bot_groups(codes: pd.Series) -> pd.DataFrame:
    groups = bot_pressure().copy()
    listed = {c: g for g, cs in zip(groups["group"], groups["departements"], strict=True)
              for c in procedures(cs)}
    other = groups.loc[groups["departements"] == "", "group"]
    if len(other) != 1:
        raise DataError(["bot_pressure.csv: exactly one group must list no département"])
    group = codes.map(lambda c: listed.get(c, other.iloc[0]))
    pressure = group.map(groups.set_index("group")["relative_pressure"])
    return pd.DataFrame({"bot_group": group, "bot_pressure": pressure})


def bot_weights(demand: pd.Series, pressure: pd.Series) -> pd.Series:
    """Each prefecture's share of the national bot requests: demand times pressure, to 1.

    >>> bot_weights(pd.Series([0.5, 0.5]), pd.Series([1.0, 0.5])).round(3).tolist()
    [0.667, 0.333]
    """
    raw = demand * pressure
    return raw / raw.sum()


@functools.cache
def prefecture_inputs() -> pd.DataFrame:
    """One row per département: its demand, staff and bot weights, policy and sources."""
    table = departement_weights()[["code", "name", "population", "group", "weight"]].rename(
        columns={"weight": "population_weight", "group": "staff_group"})
    shares = immigrant_shares().set_index("code")
    table["immigrant_share_pct"] = table["code"].map(shares["immigrant_share_pct"])
    immigrants = table["population"].astype(float) * table["immigrant_share_pct"] / 100.0
    table["demand_weight"] = immigrants / immigrants.sum()
    w, pop = table["demand_weight"], table["population_weight"]
    table["demand_weight_low"] = np.minimum(w / DEMAND_BAND, pop)
    table["demand_weight_high"] = np.maximum(w * DEMAND_BAND, pop)
    table["staff_weight"] = pop
    table = pd.concat([table, _bot_groups(table["code"])], axis=1)
    table["bot_weight"] = bot_weights(w, table["bot_pressure"])
    policies = booking_policies().set_index("code")
    known = policies.reindex(table["code"])
    table["policy"] = known["policy"].fillna("template").to_numpy()
    table["to_convocation"] = known["to_convocation"].fillna("").to_numpy()
    table["to_race"] = known["to_race"].fillna("").to_numpy()
    table["policy_source"] = known["source_url"].fillna("").to_numpy()
    table["demand_source"] = table["code"].map(shares["source_url"])
    return table


def prefectures_table() -> pd.DataFrame:
    """The prefectures' inputs as shipped in ``data/prefectures.csv`` (weights rounded)."""
    table = prefecture_inputs().copy()
    weights = [c for c in table.columns if "weight" in c or c == "bot_pressure"]
    table[weights] = table[weights].round(6)
    return table


def prefecture(code: object) -> pd.Series:
    """One département's inputs (a row of :func:`prefecture_inputs`)."""
    table = prefecture_inputs().set_index("code")
    key = normalise_code(code)
    if key not in table.index:
        raise DataError([f"unknown département {code!r}"])
    return table.loc[key]


def largest_for_half(column: str = "demand_weight") -> int:
    """How many of the largest weights make half of the national total."""
    w = prefecture_inputs()[column].sort_values(ascending=False).cumsum()
    return int((w < 0.5).sum()) + 1

