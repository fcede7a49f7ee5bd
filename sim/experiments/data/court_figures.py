"""Figures derived for the courts: appointment cases scaled to Val-de-Marne, legal-aid fees.

No court publishes its count of appointment cases (référés mesures utiles) for
Val-de-Marne. Two published counts bracket it, each scaled by the demand weights of
``data/departement_weights.csv``:

* the tribunal administratif of Melun judges Val-de-Marne and Seine-et-Marne: its urgent
  cases of 2023 (every référé, on any subject) times Val-de-Marne's share of the two
  départements' demand. An upper bound on its appointment cases of 2023, a year after the
  peak (Montreuil's appointment cases fell "depuis l'été 2022");
* the tribunal administratif of Montreuil judges Seine-Saint-Denis alone, where appointment
  cases drove the référés up in 2021-2022: its référés of 2021 times the ratio of
  Val-de-Marne's weight to Seine-Saint-Denis's. The weights split Île-de-France by
  population, and Seine-Saint-Denis has a larger foreign population than its population
  says, so this scaling overstates Val-de-Marne: a high end.

The baseline's target is their geometric middle, an *estimate* (as for the wait, a point
inside a published range). Legal-aid fees follow from the units of value (UV): 571.20 EUR
with VAT for the 14 UV of a foreigners' case (CAA Paris 2021) gives the UV; a référé counts
8 UV (the scale's référé line; the count for the référé mesures utiles was not found).
"""

from __future__ import annotations

import math
from collections.abc import Callable

Value = Callable[[str, int], float]
Row = tuple[str, int, str, str, Callable[[], float], str, str, str]
VAT = 1.2


def derivations(value: Value, weight: Callable[[str], float]) -> list[Row]:
    """The derived figures, as the fields of :class:`sim.experiments.data.figures.Derivation`,
    computed with ``value(key, year)`` and the département ``weight(code)``."""
    vdm = "Val-de-Marne"

    def melun_share() -> float:
        return weight("94") / (weight("94") + weight("77"))

    def mid() -> float:
        return math.sqrt(value("vdm_court_cases_melun_scaled", 2023)
                         * value("vdm_court_cases_montreuil_scaled", 2021))

    def uv() -> float:
        return value("legal_aid_min_award_foreigners_ta", 2021) / VAT / value(
            "legal_aid_uv_foreigners_cases", 2019)

    return [
        ("vdm_share_ta_melun", 2021, "share", vdm, melun_share, "estimate",
         "weight of 94 / (weights of 94 and 77): Val-de-Marne's share of TA Melun's demand",
         "departement_weights.csv"),
        ("vdm_court_cases_melun_scaled", 2023, "cases/year", vdm,
         lambda: value("ta_melun_urgent_cases", 2023) * melun_share(), "estimate",
         "TA Melun's urgent cases x Val-de-Marne's share (every référé: an upper bound on "
         "appointment cases)", "ta_melun_urgent_cases@2023; vdm_share_ta_melun@2021"),
        ("vdm_court_cases_montreuil_scaled", 2021, "cases/year", vdm,
         lambda: value("ta_montreuil_referes_judged", 2021) * weight("94") / weight("93"),
         "estimate", "TA Montreuil's référés (Seine-Saint-Denis) x weight of 94 / weight of 93 "
         "(overstates Val-de-Marne: a high end)",
         "ta_montreuil_referes_judged@2021; departement_weights.csv"),
        ("vdm_court_cases_mid", 2021, "cases/year", vdm, mid, "estimate",
         "geometric middle of the Melun and Montreuil scalings (a point target inside the range)",
         "vdm_court_cases_melun_scaled@2023; vdm_court_cases_montreuil_scaled@2021"),
        ("legal_aid_uv_eur", 2021, "EUR", "France", uv, "derived",
         "571.20 EUR with VAT / 1.2 / 14 UV",
         "legal_aid_min_award_foreigners_ta@2021; legal_aid_uv_foreigners_cases@2019"),
        ("legal_aid_refere_fee_eur", 2021, "EUR", "France",
         lambda: value("legal_aid_uv_refere", 2005) * uv(), "derived", "8 UV x the UV",
         "legal_aid_uv_refere@2005; legal_aid_uv_eur@2021"),
        ("legal_aid_foreigners_fee_eur", 2021, "EUR", "France",
         lambda: value("legal_aid_uv_foreigners_cases", 2019) * uv(), "derived",
         "14 UV x the UV", "legal_aid_uv_foreigners_cases@2019; legal_aid_uv_eur@2021"),
    ]
