"""Do prefsim's analytic race and the per-check SimPy reference tell the same story?

Both tools run the same scenario with the same seeds, hence the very same applicants and slot
calendar (common random numbers); only who checks when, and who wins, is drawn anew by each.
Each run is cut into :data:`BATCHES` time batches of the measured window: applicants by the
time their need appeared, slots by their date. A unit is one (run, batch); every KPI is a
ratio of totals pooled over all units, and the gap between the tools gets a delete-one-unit
jackknife standard error, computed on paired units (the same unit deleted from both tools),
which is much smaller than either tool's own.

The KPIs (same definitions as :mod:`sim.analysis.kpis`, on the measured window):

* share served, share abandoned (of the applicants who arrived);
* mean looking time of those who booked (need to booking, days);
* attempts per booking: every visit to the booking site over the bookings;
* night attempt share: the visits made at night (22h-6h) over all visits;
* bot share of bookings: bookings of slots dated in the window made by bots (a slot booked,
  given up and booked again counts twice);
* wasted slot share: slots dated in the window that nobody attended.

The verdict: every checked KPI's |z| below :data:`Z_BOUND`, the Bonferroni bound of a 99 %
family-wise interval over :data:`CHECKED` (a correct engine then fails on at most 1 % of
seed sets, while seven separate 2.58 bounds would fail on up to 7 %).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from scipy.stats import norm

from sim.engine.demand import Population
from sim.engine.frame import Frame
from sim.engine.model import SimOutput
from sim.engine.records import ABANDONED, SERVED, Records

BATCHES = 10  # time batches per run (36 days each over a year) for standard errors
KPI_LABELS = {
    "share_served": "share served",
    "share_abandoned": "share abandoned",
    "looking_days_of_bookers": "mean looking time of bookers (days)",
    "attempts_per_booking": "attempts / booking",
    "night_attempt_share": "night attempt share",
    "bot_share": "bot share of bookings",
    "wasted_slot_share": "wasted slot share",
    "attempts_per_booker": "mean attempts of bookers",
}
CHECKED = ("share_served", "share_abandoned", "looking_days_of_bookers",
           "attempts_per_booking", "night_attempt_share", "bot_share", "wasted_slot_share")
"""KPIs that must agree for the verdict (the others are shown)."""
FAMILY_LEVEL = 0.99
Z_BOUND = float(norm.ppf(1.0 - (1.0 - FAMILY_LEVEL) / (2 * len(CHECKED))))  # 3.19
"""|z| above this on any checked KPI: the tools do not simulate the same system."""

TOTALS = ("arrived", "served", "abandoned", "bookings", "looking_days", "attempts",
          "night_attempts", "attempts_of_bookers", "slots", "wasted", "slot_bookings",
          "bot_bookings")


class SlotOutcome(NamedTuple):
    """What became of a channel's slots: their dates, every booking in order (slot, by a
    bot or not), and whether each slot's appointment took place."""

    time: np.ndarray
    booked: np.ndarray  # slot of each booking
    by_bot: np.ndarray  # bool, per booking
    attended: np.ndarray  # bool, per slot


def prefsim_slots(out: SimOutput) -> SlotOutcome:
    """The slot outcome of prefsim's only slot channel."""
    (book,) = out.books.values()
    return SlotOutcome(book.time, np.asarray(book.log_slot, dtype=np.int64),
                       np.asarray(book.log_by_bot, dtype=bool),
                       book.attended(out.records.outcome))


def _batch(t: np.ndarray, frame: Frame) -> np.ndarray:
    """Batch of each time in the measured window (-1 outside it)."""
    start, end = frame.measure_from, frame.measure_to
    k = np.floor((t - start) / (end - start) * BATCHES).astype(np.int64)
    return np.where((t >= start) & (t < end), np.minimum(k, BATCHES - 1), -1)


def batch_totals(population: Population, records: Records, slots: SlotOutcome,
                 frame: Frame) -> np.ndarray:
    """Sums per time batch (rows: :data:`TOTALS`), the same definitions for both tools."""
    booked = ~np.isnan(records.booked_at)

    def total(batch: np.ndarray, weights: np.ndarray) -> np.ndarray:
        inside = batch >= 0
        return np.bincount(batch[inside], weights=weights[inside].astype(float),
                           minlength=BATCHES)

    who = _batch(population.arrival, frame)
    dated = _batch(slots.time, frame)
    by_booking = dated[slots.booked]
    return np.array([
        total(who, np.ones(who.size)),
        total(who, records.outcome == SERVED),
        total(who, records.outcome == ABANDONED),
        total(who, booked),
        total(who, np.where(booked, records.booked_at - population.arrival, 0.0)),
        total(who, records.attempts),
        total(who, records.night_attempts),
        total(who, np.where(booked, records.attempts, 0)),
        total(dated, np.ones(dated.size)),
        total(dated, ~slots.attended),
        total(by_booking, np.ones(by_booking.size)),
        total(by_booking, slots.by_bot),
    ])


def prefsim_totals(out: SimOutput) -> np.ndarray:
    return batch_totals(out.population, out.records, prefsim_slots(out), out.frame)


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def kpi_values(t: np.ndarray) -> dict[str, float]:
    """The KPIs from pooled totals (a row per name of :data:`TOTALS`)."""
    (arrived, served, abandoned, bookings, looking, attempts, night, of_bookers, slots,
     wasted, slot_bookings, bot_bookings) = t
    return {
        "share_served": _ratio(served, arrived),
        "share_abandoned": _ratio(abandoned, arrived),
        "looking_days_of_bookers": _ratio(looking, bookings),
        "attempts_per_booking": _ratio(attempts, bookings),
        "night_attempt_share": _ratio(night, attempts),
        "bot_share": _ratio(bot_bookings, slot_bookings),
        "wasted_slot_share": _ratio(wasted, slots),
        "attempts_per_booker": _ratio(of_bookers, bookings),
    }


def compare(prefsim: list[np.ndarray], naive: list[np.ndarray],
            bound: float = Z_BOUND) -> dict[str, Any]:
    """Per KPI: both tools' estimate +- standard error, and the z-score of their gap.

    Run ``k`` of both tools used the same seed (same applicants, same slot calendar): the
    gap is jackknifed on paired units, deleting the same (run, batch) from both tools.
    """
    p_units = np.concatenate(prefsim, axis=1)  # (len(TOTALS), runs x batches)
    n_units = np.concatenate(naive, axis=1)
    units = p_units.shape[1]

    def stats(units_p: np.ndarray, units_n: np.ndarray) -> dict[str, tuple[float, float]]:
        p, n = kpi_values(units_p.sum(axis=1)), kpi_values(units_n.sum(axis=1))
        return {k: (p[k], n[k]) for k in KPI_LABELS}

    full = stats(p_units, n_units)
    keep = ~np.eye(units, dtype=bool)
    loo = [stats(p_units[:, keep[u]], n_units[:, keep[u]]) for u in range(units)]

    def jack_se(values: list[float]) -> float:
        x = np.asarray(values)
        return float(math.sqrt((units - 1) / units * ((x - x.mean()) ** 2).sum()))

    out: dict[str, Any] = {}
    for k in KPI_LABELS:
        p, n = full[k]
        gap_se = jack_se([d[k][0] - d[k][1] for d in loo])
        out[k] = {
            "prefsim": {"mean": p, "se": jack_se([d[k][0] for d in loo])},
            "naive": {"mean": n, "se": jack_se([d[k][1] for d in loo])},
            "gap": {"mean": p - n, "se": gap_se},
            "z": (p - n) / gap_se if gap_se > 0 else 0.0,
            "relative_gap": p / n - 1.0 if n else 0.0,
        }
    out["bound"] = bound
    out["consistent"] = all(abs(out[k]["z"]) < bound for k in CHECKED)
    return out


def print_comparison(check: dict[str, Any], title: str) -> None:
    """One line per KPI: prefsim, naive, their gap +- its standard error, z (``*``: shown,
    not checked)."""
    print(f"{title:<38}{'prefsim':>10}{'naive':>10}{'gap +- se':>22}{'z':>8}")
    for k, label in KPI_LABELS.items():
        c = check[k]
        mark = "" if k in CHECKED else " *"
        print(f"{label:<38}{c['prefsim']['mean']:>10.4f}{c['naive']['mean']:>10.4f}"
              f"{c['gap']['mean']:>+12.4f} +- {c['gap']['se']:<6.4f}{c['z']:>+8.2f}{mark}")


def verdict(check: dict[str, Any]) -> str:
    word = "consistent" if check["consistent"] else "NOT consistent"
    return (f"verdict: {word} (|z| < {check['bound']:.2f} on every checked KPI: Bonferroni, "
            f"{FAMILY_LEVEL:.0%} over {len(CHECKED)}; z from the paired jackknife; "
            "* shown, not checked)")
