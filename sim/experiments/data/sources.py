"""The sourced figures: one row of ``data/public_figures.csv`` per key and year, with its source.

Every figure names its source title and address; a row without a source must say ESTIMATE.
``data/public_figures.csv`` is a byte copy of the collectors' shared file; figures the
project sources itself live in ``data/additional_figures/*.csv`` (one file per topic, the
same columns), read with it by :func:`sourced_figures` (a key and year in both is an error).
:func:`lookup` finds a figure by key and year in a table of figures, with one-line errors
that name similar keys; :mod:`sim.experiments.data.figures` adds the derived figures.
"""

from __future__ import annotations

import csv
import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from sim.scenario.errors import ScenarioError

DATA_DIR = Path(os.environ.get("PREFSIM_DATA", Path(__file__).resolve().parents[3] / "data"))


class DataError(ScenarioError):
    """An unknown data key, year or département; one line per problem."""


class Figure(NamedTuple):
    """One figure: sourced (a public document) or derived (from other figures)."""

    key: str
    year: int
    value: float | str
    unit: str
    scope: str
    source: str  # source title, or the method of a derived figure
    url: str  # source address, or the inputs of a derived figure
    note: str
    status: str  # sourced, derived (arithmetic of sourced figures) or estimate


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text  # dates such as 2020-11-10


@functools.cache
def public_figures(path: str | None = None) -> dict[tuple[str, int], Figure]:
    """The sourced figures by ``(key, year)``; a row without a source must say ESTIMATE."""
    path = path or str(DATA_DIR / "public_figures.csv")
    figures: dict[tuple[str, int], Figure] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            estimate = "ESTIMATE" in row["note"] or row["key"].endswith("_estimate")
            if not row["source_url"].strip() and not estimate:
                raise DataError([f"{path}: {row['key']}@{row['year']}: no source and no "
                                 "ESTIMATE mark"])
            fig = Figure(row["key"], int(row["year"]), _number(row["value"]), row["unit"],
                         row["scope"], row["source_title"], row["source_url"], row["note"],
                         "estimate" if estimate else "sourced")
            figures[fig.key, fig.year] = fig
    return figures


@functools.cache
def sourced_figures() -> dict[tuple[str, int], Figure]:
    """The shared figures and the project's additional ones (``data/additional_figures/``)."""
    table = dict(public_figures())
    for path in sorted((DATA_DIR / "additional_figures").glob("*.csv")):
        for k, fig in public_figures(str(path)).items():
            if k in table:
                raise DataError([f"{path}: {k[0]}@{k[1]} is already a figure of "
                                 "public_figures.csv"])
            table[k] = fig
    return table


def lookup(table: Mapping[tuple[str, int], Figure], key: str, year: int | None = None) -> Figure:
    """The figure ``key`` of ``year`` in ``table``; ``year`` may be left out when the key has a
    single year. Unknown keys and years are one-line :class:`DataError` s."""
    years = sorted(y for (k, y) in table if k == key)
    if not years:
        close = sorted({k for k, _ in table if k.startswith(key.split("_")[0] + "_")})[:5]
        hint = f"; similar: {', '.join(close)}" if close else ""
        raise DataError([f"unknown data key {key!r} (see docs/data.md){hint}"])
    if year is None:
        if len(years) > 1:
            raise DataError([f"data key {key!r} has several years ({', '.join(map(str, years))})"
                             f": write {key}@YEAR"])
        year = years[0]
    if (key, year) not in table:
        raise DataError([f"data key {key!r} has no figure for {year} (years: "
                         f"{', '.join(map(str, years))})"])
    return table[key, year]


def numeric(fig: Figure) -> float:
    """The value of a numeric figure; a date or a text is a :class:`DataError`."""
    if not isinstance(fig.value, float):
        raise DataError([f"data key {fig.key!r}@{fig.year} is not a number ({fig.value!r})"])
    return fig.value


def sourced_value(key: str, year: int | None = None) -> float:
    """The numeric value of a sourced figure (not a derived one)."""
    return numeric(lookup(sourced_figures(), key, year))
