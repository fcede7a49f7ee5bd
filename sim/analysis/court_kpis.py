"""KPIs of the court cases (référés mesures utiles) and of the probe.

Court cases (:mod:`sim.engine.booking.courts`), when the scenario has ``courts``:

* ``court_cases_per_year``: cases decided in the measured window, per 365 days, per
  procedure and ``all``; what a court counts (cases judged in a year), whoever filed them;
* ``court_eligible_share``: share of the cohort's applicants in race channels who became
  eligible (failed attempts in enough different weeks while still on their first search);
* ``court_slot_share``: share of the bookings of race slots dated in the measured window
  made by a court order (a slot booked, given up and booked again counts twice, as for
  ``bot_slot_share``);
* ``court_order_late_share``: share of the orders executed in the window whose appointment
  falls after the ordered deadline;
* ``court_cost_eur``: cases decided in the window times the court's and the prefecture's
  cost per case;
* waits by segment, ``wait_days_{mean,p50,p90}.court.yes`` (people in race channels who
  went to court), ``.court.no`` (those who did not) and ``.court.eligible_no`` (eligible,
  and did not go).

The probe (:mod:`sim.analysis.probe`), when the scenario has one: ``probe_offer_share``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from sim.analysis.probe import offer_shares
from sim.engine.model import SimOutput

KPIS = ("probe_offer_share", "court_cases_per_year", "court_eligible_share",
        "court_slot_share", "court_order_late_share", "court_cost_eur")

Row = tuple[str, str, float]


def kpis(out: SimOutput, window: pd.DataFrame) -> list[Row]:
    """Rows (kpi, procedure, value) of the probe and the courts, if the scenario has them."""
    rows = [("probe_offer_share", p, v) for p, v in offer_shares(out).items()]
    spec = out.scenario.courts
    if spec is None:
        return rows
    rec, pop, frame = out.records, out.population, out.frame
    names = list(pop.procedures)
    lo, hi = frame.measure_from, frame.measure_to
    years = (hi - lo) / 365.0
    decided = (rec.court_at >= lo) & (rec.court_at < hi)
    race = window[window["channel"].isin(_races(out))]
    for proc in [*names, "all"]:
        mine = decided if proc == "all" else decided & (pop.procedure == names.index(proc))
        group = race if proc == "all" else race[race["procedure"] == proc]
        rows += [("court_cases_per_year", proc, float(mine.sum() / years) if years else np.nan),
                 ("court_eligible_share", proc, _share(group["eligible_at"].notna(),
                                                       len(group)))]
    executed = decided & (rec.court_slot >= 0)
    late = 0
    for name, book in out.books.items():
        k = out.channels.index(name)
        mine = np.flatnonzero(executed & (rec.channel == k))
        late += int((book.time[rec.court_slot[mine]] > rec.court_at[mine]
                     + spec.deadline_days).sum())
    cost = spec.court_cost_per_case_eur + spec.prefecture_cost_per_case_eur
    rows += [("court_slot_share", "all", _court_slot_share(out)),
             ("court_order_late_share", "all", _share(late, executed.sum())),
             ("court_cost_eur", "all", float(decided.sum() * cost))]
    return rows


def segments(out: SimOutput, window: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    """(name, rows) of the people in race channels who went to court or not."""
    if out.scenario.courts is None:
        return
    race = window[window["channel"].isin(_races(out))]
    went = race["court_at"].notna().to_numpy()
    yield "court.yes", race[went]
    yield "court.no", race[~went]
    yield "court.eligible_no", race[~went & race["eligible_at"].notna().to_numpy()]


def _races(out: SimOutput) -> list[str]:
    return [n for n, ch in out.scenario.channels.items() if ch.kind == "race"]


def _share(count: object, n: float) -> float:
    total = float(np.sum(count))  # type: ignore[call-overload]
    return total / n if n else np.nan


def _court_slot_share(out: SimOutput) -> float:
    """Share of bookings of race slots dated in the measured window made by court orders."""
    rec, lo, hi = out.records, out.frame.measure_from, out.frame.measure_to
    total = by_court = 0
    for name in _races(out):
        book = out.books[name]
        slots = np.asarray(book.log_slot, dtype=np.int64)
        who = np.asarray(book.log_applicant, dtype=np.int64)
        dated = (book.time[slots] >= lo) & (book.time[slots] < hi)
        person = who >= 0
        court = np.zeros(slots.size, dtype=bool)
        court[person] = rec.court_slot[who[person]] == slots[person]
        total += int(dated.sum())
        by_court += int((dated & court).sum())
    return by_court / total if total else np.nan
