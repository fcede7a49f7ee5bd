"""From the event log to tidy tables: applicants, days, slots (KPIs: :mod:`sim.analysis.kpis`).

Three grains, built once at the end of a replication, each row carrying the scenario name,
the seed and the replication:

* **applicants**: one row per applicant. People still waiting at the horizon are kept, with
  ``censored = True`` and a wait counted up to the horizon; people who gave up are censored
  at the moment they left.
* **daily**: one row per day and procedure (plus ``all``): arrivals, first appointments,
  abandonments, the backlog at the end of the day, and for ``all`` the counter minutes offered
  and used, whence utilisation.
* **kpis**: one row per KPI and procedure (``all`` for the total), computed on applicants
  whose need appeared after the warm-up.

Waits run from the need appearing to the first appointment date (people who then missed it,
``no_show``, waited as long as those who came). ``wait_days_mean`` is the mean over people
whose appointment date came. ``wait_days_p50`` and ``wait_days_p90`` come from a
Kaplan-Meier estimate (:func:`scipy.stats.ecdf`) in which people still waiting at the horizon
and people who gave up or cancelled count as right-censored: it estimates the wait a person
would face if they kept looking, without dropping the longest waits (which simply ignoring
the still-waiting would do). When a percentile is never reached (too much censoring) it is
reported as NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.intervals import km_quantile, summarise
from sim.analysis.kpis import KPI_NAMES, SEGMENT_KPIS, kpi_table
from sim.engine import casework, deadlines
from sim.engine.model import SimOutput
from sim.engine.records import ABANDONED, CANCELLED, NO_SHOW, OUTCOMES, SERVED

__all__ = [  # the tables here; KPIs and interval statistics re-exported from their modules
    "KPI_NAMES", "SEGMENT_KPIS", "SLOT_FATES", "applicants_table", "daily_table",
    "km_quantile", "kpi_table", "slots_table", "summarise",
]

SLOT_FATES = ("unreleased", "free", "booked", "expired", "prebooked")


def run_applicants(out: SimOutput) -> np.ndarray:
    """Indices of the run's own applicants: those whose need appeared from the horizon's
    start to its end, not the burn-in's nor the follow-up's (:mod:`sim.engine.frame`)."""
    arrival, frame = out.population.arrival, out.frame
    keep = np.ones(arrival.size, dtype=bool)
    if frame.offset > 0:
        keep &= arrival >= frame.offset
    if frame.stop > frame.measure_to:
        keep &= arrival < frame.measure_to
    return np.flatnonzero(keep)


def applicants_table(
    out: SimOutput, cw: casework.CaseworkOutcome | None = None
) -> pd.DataFrame:
    """One row per applicant of the run, censored ones included; ``cw`` is computed if not
    given. Times are days since the horizon's start; people still open at the run's stop
    (the horizon's end, or the end of the follow-up) are censored there."""
    pop, rec, frame = out.population, out.records, out.frame
    cw = casework.after_deposit(out) if cw is None else cw
    dated = (rec.outcome == SERVED) | (rec.outcome == NO_SHOW)
    left = (rec.outcome == ABANDONED) | (rec.outcome == CANCELLED)
    kinds = np.array([deadlines.kind_of(out.scenario.procedures[p]) for p in pop.procedures])
    end = np.select([dated, left], [rec.appointment_at, rec.left_at], default=frame.stop)
    k = run_applicants(out)
    shift = frame.offset
    return pd.DataFrame(
        {
            "scenario": out.scenario.name,
            "seed": out.seed,
            "replication": out.replication,
            "applicant": k,
            "procedure": pd.Categorical.from_codes(pop.procedure[k], pop.procedures),
            "channel": pd.Categorical.from_codes(rec.channel[k], out.channels),
            "digital": pop.digital[k],
            "arrival_day": pop.arrival[k] - shift,
            "outcome": pd.Categorical.from_codes(rec.outcome[k], OUTCOMES),
            "booked_at": rec.booked_at[k] - shift,
            "appointment_at": rec.appointment_at[k] - shift,
            "left_at": rec.left_at[k] - shift,
            "wait_days": (end - pop.arrival)[k],
            "censored": ~dated[k],
            "missed": rec.missed[k],
            "attempts": rec.attempts[k],
            "night_attempts": rec.night_attempts[k],
            "paid_eur": rec.paid_eur[k],
            "deadline_kind": pd.Categorical.from_codes(kinds[pop.procedure[k]], deadlines.KINDS),
            "deadline_at": pop.deadline[k] - shift,
            # positive: deposited with that many days to spare; negative: too late
            "deadline_margin_days": np.where(rec.outcome == SERVED,
                                             pop.deadline - rec.appointment_at, np.nan)[k],
            "decision_at": cw.decision_at[k] - shift,
            "title_at": cw.title_at[k] - shift,
            "time_to_title_days": (cw.title_at - pop.arrival)[k],
            "after_warmup": pop.arrival[k] >= frame.measure_from,
            # court cases (NaN: never eligible, no case); court_ordered: a court gave the date
            "eligible_at": rec.eligible_at[k] - shift,
            "court_at": rec.court_at[k] - shift,
            "court_ordered": rec.court_slot[k] >= 0,
        }
    )


def _per_day(day: np.ndarray, code: np.ndarray, n_codes: int, n_days: int,
             weights: np.ndarray | None = None) -> np.ndarray:
    """Counts (or sums of ``weights``) per (code, day) for finite days inside the horizon."""
    ok = np.isfinite(day) & (day < n_days)
    flat = code[ok] * n_days + np.floor(day[ok]).astype(np.int64)
    w = None if weights is None else weights[ok]
    return np.bincount(flat, w, minlength=n_codes * n_days).reshape(n_codes, n_days)


def daily_table(out: SimOutput, cw: casework.CaseworkOutcome | None = None) -> pd.DataFrame:
    """One row per day and procedure, plus ``all``; ``cw`` is computed if not given."""
    pop, rec, cal = out.population, out.records, out.calendar
    cw = casework.after_deposit(out) if cw is None else cw
    n_days, n_codes = cal.n_days, len(pop.procedures)
    def when(outcome: int, times: np.ndarray) -> np.ndarray:
        return _per_day(np.where(rec.outcome == outcome, times, np.nan), pop.procedure,
                        n_codes, n_days)

    arrivals = _per_day(pop.arrival, pop.procedure, n_codes, n_days)
    served = when(SERVED, rec.appointment_at)
    abandoned = when(ABANDONED, rec.left_at)
    missed = when(NO_SHOW, rec.appointment_at)
    cancelled = when(CANCELLED, rec.left_at)
    # the backlog: people whose need appeared and who have neither had an appointment date
    # come (served or missed) nor left (gave up or cancelled)
    backlog = np.cumsum(arrivals - served - abandoned - missed - cancelled, axis=1)
    # files deposited (served) and not yet decided by the back office
    decided = _per_day(cw.decision_at, pop.procedure, n_codes, n_days)
    instruction_backlog = np.cumsum(served - decided, axis=1)
    # ... of which not yet worked on by an agent (the rest wait for documents, consultations)
    worked = _per_day(cw.worked_at, pop.procedure, n_codes, n_days)
    instruction_queue = np.cumsum(served - worked, axis=1)
    # the run's own days: the burn-in and the follow-up are not reported (sim.engine.frame)
    days = slice(int(out.frame.offset), int(out.frame.measure_to))
    used = out.used_minutes.sum(axis=0)[days]
    offered = out.capacity_minutes.sum(axis=0)[days]
    hours_offered, hours_used = cw.hours_offered[days], cw.hours_used[days]
    n_days = days.stop - days.start
    frames = []
    labels = [*pop.procedures, "all"]
    stack = [np.vstack([m, m.sum(axis=0)])[:, days]
             for m in (arrivals, served, abandoned, backlog, missed, cancelled,
                       instruction_backlog, instruction_queue)]
    for k, label in enumerate(labels):
        is_all = label == "all"
        frames.append(
            pd.DataFrame(
                {
                    "day": np.arange(n_days),
                    "date": cal.dates[days],
                    "procedure": label,
                    "arrivals": stack[0][k].astype(np.int64),
                    "served": stack[1][k].astype(np.int64),
                    "abandoned": stack[2][k].astype(np.int64),
                    "no_shows": stack[4][k].astype(np.int64),
                    "cancelled": stack[5][k].astype(np.int64),
                    "backlog_end": stack[3][k].astype(np.int64),
                    "counter_minutes_offered": offered if is_all else np.nan,
                    "counter_minutes_used": used if is_all else np.nan,
                    "instruction_backlog": stack[6][k].astype(np.int64),
                    "instruction_queue": stack[7][k].astype(np.int64),
                    "back_office_hours_offered": hours_offered if is_all else np.nan,
                    "back_office_hours_used": hours_used if is_all else np.nan,
                }
            )
        )
    daily = pd.concat(frames, ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        daily["utilisation"] = daily["counter_minutes_used"] / daily["counter_minutes_offered"]
    daily.insert(0, "replication", out.replication)
    daily.insert(0, "seed", out.seed)
    daily.insert(0, "scenario", out.scenario.name)
    daily["procedure"] = pd.Categorical(daily["procedure"], labels)
    return daily


def slots_table(out: SimOutput) -> pd.DataFrame:
    """One row per slot of every dated channel: when it took place, opened, and its fate.

    ``fate`` is the slot's final state (``booked`` slots may still have been missed: see
    ``attended``); ``holder`` is the applicant who held it at the end (-1: nobody).
    """
    frames = []
    for channel, book in out.books.items():
        attended = book.attended(out.records.outcome)
        frames.append(pd.DataFrame({
            "channel": channel,
            "slot": np.arange(book.size),
            "procedure": pd.Categorical.from_codes(book.procedure, out.population.procedures),
            "time": book.time - out.frame.offset,
            "release": book.release - out.frame.offset,
            "minutes": book.minutes,
            "fate": pd.Categorical.from_codes(book.state, SLOT_FATES),
            "holder": book.holder,
            "attended": attended,
        }))
    if not frames:
        return pd.DataFrame(columns=["channel", "slot", "procedure", "time", "release",
                                     "minutes", "fate", "holder", "attended"])
    table = pd.concat(frames, ignore_index=True)
    table.insert(0, "replication", out.replication)
    table.insert(0, "seed", out.seed)
    table.insert(0, "scenario", out.scenario.name)
    return table


