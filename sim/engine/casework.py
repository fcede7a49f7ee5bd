"""Casework: what happens after the deposit, up to the title in the applicant's hands.

At the deposit appointment the agent takes the file and hands a receipt (récépissé), which
covers the person's stay while the file is examined: the receipt is given at the deposit time
itself, so there is nothing more to compute for it. The file then joins the back office's
instruction queue. Agents examine files in the order they were deposited; once a file is
decided, the title is produced (fabrication) and the applicant comes back to collect it, unless
the procedure has moved online (ANEF) with a single visit, in which case no second appointment
is needed. Time to title runs from the need appearing to the title in hand.

Assumptions
-----------
* One FIFO instruction queue per prefecture, all procedures together, files in deposit order
  (ties by applicant order). Only *served* applicants deposit: people still looking, who gave
  up, cancelled or missed their appointment have no file.
* The back office is a fluid server: its instruction hours go to the oldest undecided file.
  With files of a few hours and queues of weeks, this is the many-agent queue up to the few
  hours of one file's work. The decision of file ``k`` comes when the cumulative capacity
  ``C(t)`` reaches ``done_k = max(C(deposit_k), done_{k-1}) + work_k`` (Lindley's recursion in
  "capacity time"), solved without a loop by :func:`fifo_done`.
* Capacity ``H(d) = ETP_back(d) * (1 - absence) * hours_per_etp_year * productive_share /
  open_days_in_year(d)`` hours on open days, 0 otherwise (the counter-minutes formula of
  :mod:`sim.engine.staff` for the back office). It accrues uniformly over the opening hours (over
  the 24 hours in a continuous calendar), so ``C`` is piecewise linear, flat at night, on week-ends
  and holidays. Absence is an average, not a daily draw.
* Every file leads to a title: requests for missing documents, refusals and appeals are not
  modelled. The visits after the deposit are not simulated one by one: their counter time is
  set aside from the booking channels (:func:`sim.engine.staff.later_visit_minutes`).
* The title is ready ``fabrication_days`` after the decision. When the procedure needs more
  than one visit per title at that date (``casework.visits_per_title``, or
  ``anef.visits_per_title`` from the ANEF date on), it is collected ``pickup_wait_days``
  after it is ready; with a single visit (the deposit) it is handed or sent at once.
* Anything after the run's stop is censored: ``decision_at`` and ``title_at`` are NaN then.
  Files deposited during a burn-in (:mod:`sim.engine.frame`) load the back office like the others:
  the measured period starts with files already in instruction.

Parameters (defaults and sources in :mod:`sim.scenario.procedures`): ``back_office_hours_per_file``
(2.5 h, *estimate*) and ``hours_cv`` (gamma draws, per applicant, in applicant order, from the
stream ``casework.<procedure>`` so that the same person brings the same file to every scenario:
common random numbers), ``fabrication_days`` (21, Rhône 2025), ``pickup_wait_days`` (14,
*estimate*), ``anef``; back-office staff in :class:`sim.scenario.Staff` (``office: back``).

Validation: with a continuous calendar, constant capacity, Poisson deposits and exponential
work, the back office is an M/M/1 queue in capacity time; ``tests/test_casework.py`` checks
that the instruction delay has the M/M/1 sojourn's mean ``1 / (mu - lam)`` and tail, and the
utilisation ``lam / mu``. A hand-computed trace pins the calendar handling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sim.engine.calendar import Calendar
from sim.engine.frame import frame_of, segments
from sim.engine.records import SERVED
from sim.engine.sampling import sample
from sim.engine.staff import etp_series
from sim.engine.streams import stream
from sim.scenario import Scenario, Staff

if TYPE_CHECKING:
    from sim.engine.demand import Population
    from sim.engine.model import SimOutput


class CaseworkOutcome(NamedTuple):
    """Per-applicant and per-day results of the back office (times in days from the start)."""

    work_hours: np.ndarray  # instruction hours each applicant's file needs (drawn for all)
    decision_at: np.ndarray  # decision time; NaN: no deposit, or decided after the stop
    title_at: np.ndarray  # title in hand; NaN: no deposit, or after the stop
    instruction_backlog_end: np.ndarray  # per day: files deposited and not decided at its end
    hours_offered: np.ndarray  # per day: instruction hours available
    hours_used: np.ndarray  # per day: instruction hours spent on files


class Curve(NamedTuple):
    """Cumulative capacity ``C(t)``: linear between knots ``(times[i], hours[i])``."""

    times: np.ndarray  # strictly increasing
    hours: np.ndarray  # non-decreasing


def back_office_hours(staff: Staff, calendar: Calendar) -> np.ndarray:
    """Instruction hours available on each day (0 on closed days).

    Parameters
    ----------
    staff : Staff
        The staff plan; only the back office (baseline, ``office: back`` reinforcements and
        seasonal staff) counts.
    calendar : Calendar
        Days of the horizon.

    Returns
    -------
    numpy.ndarray
        ``ETP(d) * (1 - absence) * hours_per_etp_year * productive_share /
        open_days_in_year(d)`` on open days: :func:`sim.engine.staff.counter_minutes` / 60 for the
        back office.
    """
    per_etp = (1.0 - staff.absence_rate) * staff.hours_per_etp_year * staff.productive_share
    hours = etp_series(staff, calendar, "back") * per_etp / calendar.working_days_in_year
    return np.where(calendar.is_open, hours, 0.0)


def capacity_curve(open_at: np.ndarray, close_at: np.ndarray, hours: np.ndarray) -> Curve:
    """The cumulative capacity, accruing ``hours[d]`` uniformly from ``open_at[d]`` to
    ``close_at[d]``.

    Two days open 9:00-16:00 with 7 hours each (one hour of work per open hour):

    >>> c = capacity_curve(np.array([0.375, 1.375]), np.array([0.667, 1.667]),
    ...                    np.array([7.0, 7.0]))
    >>> c.hours.tolist()
    [0.0, 7.0, 7.0, 14.0]
    """
    times = np.column_stack([open_at, close_at]).ravel()
    before = np.cumsum(hours) - hours
    levels = np.column_stack([before, before + hours]).ravel()
    keep = np.r_[True, np.diff(times) > 0]  # a continuous calendar closes as it reopens
    return Curve(times[keep], levels[keep])


def capacity_at(curve: Curve, t: np.ndarray) -> np.ndarray:
    """``C(t)``: hours of capacity accrued by time ``t``."""
    return np.interp(t, curve.times, curve.hours)


def time_at_capacity(curve: Curve, level: np.ndarray) -> np.ndarray:
    """The first time ``C`` reaches ``level``; ``inf`` if it never does.

    >>> c = Curve(np.array([0.0, 0.5, 1.0, 1.5]), np.array([0.0, 4.0, 4.0, 8.0]))
    >>> time_at_capacity(c, np.array([2.0, 4.0, 6.0, 9.0])).tolist()
    [0.25, 0.5, 1.25, inf]
    """
    j = np.searchsorted(curve.hours, level, side="left")
    out = np.full(level.shape, np.inf)
    inside = (j > 0) & (j < curve.hours.size)
    out[j == 0] = curve.times[0]
    lo, hi = j[inside] - 1, j[inside]
    slope = (curve.times[hi] - curve.times[lo]) / (curve.hours[hi] - curve.hours[lo])
    out[inside] = curve.times[lo] + (level[inside] - curve.hours[lo]) * slope
    return out


def fifo_done(start_capacity: np.ndarray, work: np.ndarray) -> np.ndarray:
    """Capacity levels at which FIFO files are done: Lindley's recursion, vectorised.

    ``done_k = max(a_k, done_{k-1}) + w_k`` unrolls to ``S_k + max_{j<=k}(a_j - S_{j-1})``
    with ``S`` the cumulative work, a running maximum.

    Parameters
    ----------
    start_capacity : numpy.ndarray
        ``a_k = C(deposit_k)``, capacity accrued when each file arrives, in FIFO order.
    work : numpy.ndarray
        Hours each file needs, same order.

    Returns
    -------
    numpy.ndarray
        ``done_k``, non-decreasing: file ``k`` is decided when ``C`` reaches it.

    Three files arriving when 0, 0.5 and 5 hours of capacity have accrued, needing 2, 1 and
    1 hours: the second waits for the first (done at 3), the third finds the office idle.

    >>> fifo_done(np.array([0.0, 0.5, 5.0]), np.array([2.0, 1.0, 1.0])).tolist()
    [2.0, 3.0, 6.0]
    """
    cum = np.cumsum(work)
    return cum + np.maximum.accumulate(start_capacity - (cum - work))


def draw_work(scenario: Scenario, population: Population, seed: int,
              replication: int) -> np.ndarray:
    """Instruction hours of every applicant's file (deposited or not).

    Gamma draws with mean ``back_office_hours_per_file`` and cv ``hours_cv``, for all the
    procedure's applicants of a demand segment (:func:`sim.engine.frame.segments`) in applicant
    order, from stream ``<segment>casework.<procedure>``: the same person brings the same
    file whatever the capacity, the booking policy, the burn-in or the follow-up.
    """
    work = np.zeros(population.size)
    cuts = segments(frame_of(scenario.horizon))
    for k, (prefix, first, end) in enumerate(cuts):
        inside = ((population.arrival >= first) | (k == 0)) & (
            (population.arrival < end) | (k == len(cuts) - 1))
        for code, name in enumerate(population.procedures):
            mine = inside & (population.procedure == code)
            cw = scenario.procedures[name].casework
            work[mine] = sample(stream(seed, replication, f"{prefix}casework.{name}"), "gamma",
                                cw.back_office_hours_per_file, cw.hours_cv, int(mine.sum()))
    return work


def ready_to_title(scenario: Scenario, calendar: Calendar, population: Population,
                   ready: np.ndarray) -> np.ndarray:
    """When each title is in hand, given when it is ready: after ``pickup_wait_days`` when
    the procedure needs more than one visit per title then, at once otherwise."""
    n = len(population.procedures)
    pickup, pickup_after = np.zeros(n), np.zeros(n)
    from_day = np.full(n, np.inf)
    for code, name in enumerate(population.procedures):
        proc = scenario.procedures[name]
        wait = proc.casework.pickup_wait_days
        pickup[code] = wait if proc.casework.visits_per_title > 1 else 0.0
        pickup_after[code] = pickup[code]
        if proc.anef is not None:
            start = np.datetime64(proc.anef.from_date, "D") - calendar.dates[0]
            from_day[code] = float(start.astype(int))
            pickup_after[code] = wait if proc.anef.visits_per_title > 1 else 0.0
    mine = population.procedure
    return ready + np.where(ready >= from_day[mine], pickup_after[mine], pickup[mine])


def after_deposit(out: SimOutput) -> CaseworkOutcome:
    """Instruction, decision and title of every served applicant of one replication.

    Parameters
    ----------
    out : SimOutput
        The event log: deposits are the first appointments of *served* applicants.

    Returns
    -------
    CaseworkOutcome
        Per applicant (NaN when not deposited or after the run's stop) and per day.
    """
    pop, cal, scenario = out.population, out.calendar, out.scenario
    stop = out.frame.stop
    work = draw_work(scenario, pop, out.seed, out.replication)
    deposit = np.where(out.records.outcome == SERVED, out.records.appointment_at, np.nan)
    files = np.flatnonzero(deposit < stop)
    files = files[np.argsort(deposit[files], kind="stable")]
    hours = back_office_hours(scenario.staff, cal)
    curve = capacity_curve(cal.open_at, cal.close_at, hours)
    done = fifo_done(capacity_at(curve, deposit[files]), work[files])
    decided = np.maximum(deposit[files], time_at_capacity(curve, done))
    decision_at = np.full(pop.size, np.nan)
    decision_at[files] = np.where(decided < stop, decided, np.nan)
    fabrication = np.array([scenario.procedures[p].casework.fabrication_days
                            for p in pop.procedures])
    title = ready_to_title(scenario, cal, pop, decision_at + fabrication[pop.procedure])
    ends = np.arange(1, cal.n_days + 1, dtype=float)
    backlog = (np.searchsorted(deposit[files], ends, side="left")
               - np.searchsorted(decided, ends, side="left"))
    used = np.diff(_work_done(np.cumsum(hours), done, work[files]), prepend=0.0)
    used = np.clip(used, 0.0, hours)  # rounding only: the office never works more than H(d)
    return CaseworkOutcome(work, decision_at, np.where(title < stop, title, np.nan),
                           backlog, hours, used)


def _work_done(level: np.ndarray, done: np.ndarray, work: np.ndarray) -> np.ndarray:
    """Hours of work done once ``level`` hours of capacity have accrued (busy periods are the
    disjoint intervals ``[done_k - work_k, done_k]`` of capacity time)."""
    if not work.size:
        return np.zeros_like(level)
    k = np.searchsorted(done, level, side="right")  # files finished
    current = np.minimum(k, work.size - 1)  # the file in progress, if any
    partial = np.clip(level - (done[current] - work[current]), 0.0, work[current])
    return np.r_[0.0, np.cumsum(work)][k] + np.where(k < work.size, partial, 0.0)
