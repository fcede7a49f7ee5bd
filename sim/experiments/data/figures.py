"""Every figure by key and year: the sourced ones and those derived from them.

A derived figure names its inputs, its method and its uncertainty, marked ``estimate`` when
an assumption enters (:data:`DERIVED`); it is computed on first use. :func:`figure` and
:func:`value` find any figure, sourced or derived, by key and year; ``prefsim data-derive``
writes the derived ones and the département weights to ``data/`` (:func:`derived_table`,
:func:`weights_table`). The weights' anchors (:func:`weight_anchors`) compare them with the
few départements whose share of national titles the figures give.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import NamedTuple

import pandas as pd

from sim.experiments.data import court_figures
from sim.experiments.data.departements import departement_weights, weight
from sim.experiments.data.sources import DataError, Figure, lookup, numeric, sourced_figures


def figure(key: str, year: int | None = None) -> Figure:
    """The figure ``key`` of ``year`` (sourced or derived); ``year`` may be left out when
    the key has a single year.

    >>> figure("op_max_duration", 2014).value
    6.0
    >>> figure("no_such_key")
    Traceback (most recent call last):
    sim.experiments.data.sources.DataError: unknown data key 'no_such_key' (see docs/data.md)
    """
    return lookup(all_figures(), key, year)


def value(key: str, year: int | None = None) -> float:
    """The numeric value of a figure."""
    return numeric(figure(key, year))


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
    *(Derivation(*row) for row in court_figures.derivations(V, weight)),
)


@functools.cache
def all_figures() -> dict[tuple[str, int], Figure]:
    """Sourced and derived figures by ``(key, year)``; derived ones are computed lazily."""
    return _Table(sourced_figures())


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
