"""Calibration targets: published figures a simulated measure should come close to.

A run's *measures* are every KPI as a mean over replications (``kpi``, ``kpi@procedure``) plus
a few the published figures speak of (appointments per week, race waits); counts are divided
by the ``scale`` the fit ran at. A target is a figure named in :data:`PUBLISHED` (each tied to
``data/`` keys, with its published range when there is one) or ``MEASURE=VALUE``. The
distance is the sum of squared log ratios, simulated over published, so a 10 % gap weighs
the same for a wait and for a count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.analysis.metrics import km_quantile
from sim.experiments.calibration.parameters import CalibrationError
from sim.experiments.data import figures
from sim.experiments.experiment import RunResult, run
from sim.experiments.prefecture import scale_scenario
from sim.scenario import Scenario

EXTENSIVE = ("arrivals", "served", "still_waiting_end", "reseller_revenue_eur",
             "malicious_requests_per_day", "blocked_requests_per_day", "renewal_lapses",
             "undocumented_person_days", "protection_orders_expired", "staff_cost_eur",
             "appointments_per_week", "court_cases_per_year", "court_cost_eur")
PENALTY = 25.0  # squared log gap given to a measure the simulation cannot produce (NaN)


def measures(runs: Sequence[RunResult], scenario: Scenario, scale: float = 1.0
             ) -> dict[str, float]:
    """Every KPI (``kpi`` for all procedures, ``kpi@procedure``) as a mean over replications,
    plus ``appointments_per_week[.race]`` (summed over slot channels, or race channels) and
    ``wait_days_p50.race``; counts / ``scale``."""
    kpis = pd.concat([r.kpis for r in runs], ignore_index=True)
    means = kpis.groupby(["kpi", "procedure"], sort=False)["value"].mean()
    out = {(k if p == "all" else f"{k}@{p}"): float(v) for (k, p), v in means.items()}
    races = [n for n, ch in scenario.channels.items() if ch.kind == "race"]
    per_week = [k for k in out if k.startswith("appointments_per_week.channel.")]
    out["appointments_per_week"] = sum(out[k] for k in per_week)
    out["appointments_per_week.race"] = sum(out[f"appointments_per_week.channel.{n}"]
                                            for n in races)
    p50, p90 = [], []
    for r in runs:
        a = r.applicants
        mine = a[a["after_warmup"] & a["channel"].isin(races)]
        seen = ~mine["censored"].to_numpy()
        wait = mine["wait_days"].to_numpy()
        p50.append(km_quantile(wait, seen, 0.5) if len(mine) else np.nan)
        p90.append(km_quantile(wait, seen, 0.9) if len(mine) else np.nan)
    out["wait_days_p50.race"] = float(np.nanmean(p50)) if np.isfinite(p50).any() else np.nan
    out["wait_days_p90.race"] = float(np.nanmean(p90)) if np.isfinite(p90).any() else np.nan
    for key in list(out):
        if key.split("@")[0].split(".")[0] in EXTENSIVE:
            out[key] /= scale
    return out


def simulate(scenario: Scenario, seed: int, replications: int, scale: float = 1.0
             ) -> dict[str, float]:
    """Measures of ``scenario`` (scaled down by ``scale``) over ``replications``."""
    small = scale_scenario(scenario, scale)
    return measures([run(small, seed, r) for r in range(replications)], scenario, scale)


class Target(NamedTuple):
    """A published (or user-given) value a simulated measure should come close to."""

    name: str
    measure: str
    value: float
    low: float | None = None
    high: float | None = None
    weight: float = 1.0
    source: str = "given on the command line"


class Published(NamedTuple):
    """A published figure the baseline is compared with; keys refer to ``data/``."""

    name: str
    label: str
    measure: str
    key: str  # point target, KEY@YEAR
    range: tuple[str, str] | None  # published range, KEY@YEAR each
    shown: tuple[str, ...]  # other figures shown beside it
    per_94: bool  # a national figure, times Val-de-Marne's weight
    why: str  # what explains a gap, in words


PUBLISHED: tuple[Published, ...] = (
    Published(
        "race_appointments_per_week", "Séjour appointments a week, Val-de-Marne",
        "appointments_per_week.race", "val_de_marne_sejour_appointments_per_week_estimate@2019",
        None, ("val_de_marne_sejour_appointments_h1@2019",), False,
        "The race's counter share was set so that the permanent staff give this figure. "
        "The 2021 contract staff (September to December) add slots, which lifts the simulated "
        "figure; slots lost on the way (expired unbooked, bot bookings given up unsold) lower "
        "it. No-shows count, as the published figure counts appointments granted. Renewal "
        "convocations are assumed outside the published count, and 2019 is compared with "
        "2021."),
    Published(
        "appointment_wait", "Wait for an appointment (race), median",
        "wait_days_p50.race", "appointment_wait_mid_days@2019",
        ("appointment_wait_min_days@2019", "appointment_wait_max_days@2019"), (), False,
        "Associations report 2 to 6 months nationally (2019); the median is fitted to the "
        "geometric middle through latent demand. The published range mixes prefectures and "
        "procedures; the simulated median mixes first titles, AES, duplicates and protection "
        "orders of one prefecture, and counts people who gave up as censored."),
    Published(
        "first_title_delay", "Instruction delay, first titles",
        "instruction_days_mean@first_title", "first_title_delay_observed@2021", None,
        ("first_title_delay_observed@2020", "first_title_delay_observed@2022"), False,
        "National means for 2020 and 2022, interpolated for 2021. The back office works "
        "renewals and protection orders first, then the other procedures, each first in "
        "first out; its hours per file are estimates that leave it stable (utilisation about "
        "0.8, files waiting for an agent a few days at most), so the delay is mostly waiting "
        "outside the agents' hours: missing documents (35 % of files, 30 days, estimates) and "
        "consultations of other services, whose mean is fitted (`external_delay`) to this "
        "figure and the renewals' one."),
    Published(
        "renewal_delay", "Instruction delay, renewals",
        "instruction_days_mean@renewal", "renewal_delay_observed@2021", None,
        ("renewal_delay_observed@2020", "renewal_delay_observed@2022"), False,
        "National means for 2020 and 2022, interpolated for 2021. Renewals take fewer "
        "agent hours than first titles (estimates), are worked first, and wait less for "
        "consultations (fitted with the first titles' delay); missing documents as for "
        "first titles."),
    Published(
        "blocked_requests", "Malicious requests blocked a day, Val-de-Marne share",
        "blocked_requests_per_day", "vdm_blocked_requests_per_day@2021", None,
        ("illicit_connections_blocked_since_june_2020@2021",
         "blocked_requests_per_day_national@2021"), False,
        "About 170 million requests were identified and foiled nationally from June 2020 to "
        "late 2021; Val-de-Marne's share follows its demand weight. The bots' request rate is "
        "fitted so that filtering and the CAPTCHA block this many; how many pass is not "
        "published: with the estimated filtering (50 %) and CAPTCHA pass rate (10 %) only 5 % "
        "pass, too few against people's own checks to take more than a small share of slots "
        "in this model, where a bot's request is no faster than a person's."),
    Published(
        "court_cases", "Court cases (référés) for an appointment a year, Val-de-Marne",
        "court_cases_per_year", "vdm_court_cases_mid@2021",
        ("vdm_court_cases_melun_scaled@2023", "vdm_court_cases_montreuil_scaled@2021"),
        ("ta_melun_urgent_cases@2023", "ta_melun_urgent_cases@2024",
         "ta_montreuil_referes_judged@2021", "ta_montreuil_referes_judged@2022",
         "seine_saint_denis_ta_recours_jan_apr@2021", "vdm_share_ta_melun@2021"), False,
        "No court publishes its appointment cases for Val-de-Marne. Its court, Melun, also "
        "judges Seine-et-Marne and counts every urgent case together (2,848 in 2023, 3,912 in "
        "2024, any subject): Val-de-Marne's share of the two départements' demand weight "
        "(about one half) of the 2023 count is an upper bound on its appointment cases of "
        "2023, a year after the peak. Montreuil judges Seine-Saint-Denis alone, where "
        "appointment cases drove the référés up (2,995 in 2021, 3,686 in 2022, fewer after "
        "the summer of 2022); scaled by the ratio of the two départements' weights (0.86) it "
        "overstates Val-de-Marne, whose foreign population is smaller than its population "
        "weight says: a high end. The baseline's share of eligible applicants who go to "
        "court is fitted to the geometric middle. A case is counted at its decision, moot or "
        "not; one applicant is one appointment need (3.7 per first title), so a person may "
        "go to court more than once."),
)
DEFAULT_TARGETS = ("appointment_wait", "first_title_delay", "renewal_delay",
                   "blocked_requests")


def _figure(ref: str) -> float:
    key, _, year = ref.partition("@")
    return figures.value(key, int(year))


def published_target(name: str) -> Target:
    """The :class:`Target` of a published figure, values read from ``data/``."""
    pub = {p.name: p for p in PUBLISHED}.get(name)
    if pub is None:
        raise CalibrationError([f"--target {name!r}: unknown published target (known: "
                                f"{', '.join(p.name for p in PUBLISHED)}), or MEASURE=VALUE"])
    low = high = None
    if pub.range:
        low, high = (_figure(r) for r in pub.range)
    return Target(pub.name, pub.measure, _figure(pub.key), low, high, 1.0, pub.key)


def parse_target(text: str) -> Target:
    """A published target's name, or ``MEASURE=VALUE``.

    >>> parse_target("wait_days_mean@first_title=90").value
    90.0
    """
    if "=" not in text:
        return published_target(text.strip())
    measure, _, raw = text.partition("=")
    try:
        value = float(raw)
    except ValueError:
        raise CalibrationError([f"--target {text!r}: VALUE must be a number"]) from None
    if value <= 0:
        raise CalibrationError([f"--target {text!r}: VALUE must be positive (gaps are "
                                "log ratios)"])
    return Target(measure.strip(), measure.strip(), value)


def distance(sim: dict[str, float], targets: Sequence[Target]) -> float:
    """Sum of weighted squared log ratios; a missing or non-positive measure costs PENALTY."""
    total = 0.0
    for t in targets:
        x = sim.get(t.measure, np.nan)
        total += t.weight * (math.log(x / t.value) ** 2 if x > 0 else PENALTY)
    return total


def check_measures(sim: dict[str, float], targets: Sequence[Target]) -> None:
    unknown = [t.measure for t in targets if t.measure not in sim]
    if unknown:
        known = ", ".join(sorted(k for k in sim if "@" not in k)[:12])
        raise CalibrationError([f"--target: unknown measure {m!r} (e.g. {known}; add "
                                "@PROCEDURE for one procedure)" for m in unknown])
