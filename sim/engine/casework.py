"""Casework: what happens after the deposit, up to the title in the applicant's hands.

At the deposit appointment the agent takes the file and hands a receipt (récépissé), which
covers the person's stay while the file is examined: the receipt is given at the deposit time
itself, so there is nothing more to compute for it. The file then joins the back office's
instruction queue. An agent examines it; the file may then wait for the applicant's missing
documents and for the opinions of other services (consultations) before the decision. A
refused file ends there; otherwise the title is produced (fabrication) and the applicant comes
back to collect it, unless the procedure has moved online (ANEF) with a single visit, in which
case no second appointment is needed. Time to title runs from the need appearing to the title
in hand.

Assumptions
-----------
* The instruction queue (:mod:`sim.engine.instruction`): agents take the oldest file of the
  highest priority class (``casework.priority``, 1 first) that has one; within a class, files
  in deposit order (ties by applicant order). Only *served* applicants deposit: people still
  looking, who gave up, cancelled or missed their appointment have no file.
* Capacity ``H(d) = ETP_back(d) * (1 - absence) * hours_per_etp_year * productive_share /
  open_days_in_year(d)`` hours on open days, 0 otherwise (the counter-minutes formula of
  :mod:`sim.engine.staff` for the back office), times a closure's ``back_office_share`` on
  the days the calendar closes the counters (:mod:`sim.engine.calendar`). It accrues
  uniformly over the opening hours (over the 24 hours in a continuous calendar). Absence is
  an average, not a daily draw.
* After the agent's work, waits that take no agent time: with probability
  ``incomplete_share`` the file lacks documents and waits ``reply_delay_days`` for the
  applicant's reply; then it waits ``external_delay_days`` for consultations of other
  services. The agent's hours of a file include its second look once the documents are in:
  the queue is passed once. With probability ``refusal_share`` the decision is a refusal: no
  title (appeals are not modelled).
* The visits after the deposit are not simulated one by one: their counter time is set aside
  from the booking channels (:func:`sim.engine.staff.later_visit_minutes`).
* The title is ready ``fabrication_days`` after the decision. When the procedure needs more
  than one visit per title at that date (``casework.visits_per_title``, or
  ``anef.visits_per_title`` from the ANEF date on), it is collected ``pickup_wait_days``
  after it is ready; with a single visit (the deposit) it is handed or sent at once.
* Anything after the run's stop is censored: ``decision_at`` and ``title_at`` are NaN then.
  Files deposited during a burn-in (:mod:`sim.engine.frame`) load the back office like the others:
  the measured period starts with files already in instruction.

Randomness: every applicant draws their file at arrival, deposited or not, per demand segment
(:func:`sim.engine.frame.segments`) and procedure, each mechanism from its own stream:
``casework.<procedure>`` (hours, gamma with mean ``back_office_hours_per_file`` and cv
``hours_cv``), ``refusal.<procedure>``, ``incomplete.<procedure>``, ``reply.<procedure>`` and
``consultation.<procedure>``. The same person brings the same file to every scenario (common
random numbers), and changing one procedure's parameters moves no other procedure's draws.

Parameters (defaults and sources in :mod:`sim.scenario.procedures`): hours (2.5 h, *estimate*),
``priority`` (1), delays and shares (none by default; sourced figures and estimates in the
baseline), ``fabrication_days`` (21, Rhône 2025), ``pickup_wait_days`` (14, *estimate*),
``anef``; back-office staff in :class:`sim.scenario.Staff` (``office: back``).

Validation: with a continuous calendar, constant capacity, Poisson deposits and exponential
work, one class is an M/M/1 queue in capacity time; ``tests/test_casework.py`` checks
that the instruction delay has the M/M/1 sojourn's mean ``1 / (mu - lam)`` and tail, and the
utilisation ``lam / mu``. Hand-computed traces pin the calendar handling and the priorities.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sim.engine.calendar import Calendar
from sim.engine.frame import frame_of, segments
from sim.engine.instruction import capacity_at, capacity_curve, priority_queue, work_done
from sim.engine.records import SERVED
from sim.engine.sampling import sample
from sim.engine.staff import etp_series
from sim.engine.streams import stream
from sim.scenario import Scenario, Staff
from sim.scenario.procedures import Casework

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
    refused: np.ndarray  # bool per applicant: their file would be refused (drawn for all)
    worked_at: np.ndarray  # the agents' work on the file done; NaN: no deposit, or after the stop


def back_office_hours(staff: Staff, calendar: Calendar) -> np.ndarray:
    """Instruction hours available on each day (0 on days the service never opens).

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
        back office; times the closure's ``back_office_share`` on the days a closure shuts.
    """
    per_etp = (1.0 - staff.absence_rate) * staff.hours_per_etp_year * staff.productive_share
    hours = etp_series(staff, calendar, "back") * per_etp / calendar.working_days_in_year
    return np.where(calendar.is_open, hours, hours * calendar.closure_share)


Draw = Callable[[Casework, int, Callable[[], np.random.Generator]], np.ndarray | None]


def _per_file(scenario: Scenario, population: Population, seed: int, replication: int,
              mechanism: str, draw: Draw) -> np.ndarray:
    """One value per applicant, drawn for all the procedure's applicants of a demand segment
    (:func:`sim.engine.frame.segments`) in applicant order from the stream
    ``<segment><mechanism>.<procedure>``; ``draw(casework, n, rng)`` returns None (zeros)
    when the procedure has nothing to draw (its stream is then never touched)."""
    values = np.zeros(population.size)
    cuts = segments(frame_of(scenario.horizon))
    for k, (prefix, first, end) in enumerate(cuts):
        inside = ((population.arrival >= first) | (k == 0)) & (
            (population.arrival < end) | (k == len(cuts) - 1))
        for code, name in enumerate(population.procedures):
            mine = inside & (population.procedure == code)
            got = draw(scenario.procedures[name].casework, int(mine.sum()),
                       partial(stream, seed, replication, f"{prefix}{mechanism}.{name}"))
            if got is not None:
                values[mine] = got
    return values


def draw_work(scenario: Scenario, population: Population, seed: int,
              replication: int) -> np.ndarray:
    """Instruction hours of every applicant's file (deposited or not).

    Gamma draws with mean ``back_office_hours_per_file`` and cv ``hours_cv`` from stream
    ``<segment>casework.<procedure>``: the same person brings the same file whatever the
    capacity, the booking policy, the burn-in or the follow-up.
    """
    return _per_file(scenario, population, seed, replication, "casework",
                     lambda cw, n, rng: sample(rng(), "gamma", cw.back_office_hours_per_file,
                                               cw.hours_cv, n))


class FileDraws(NamedTuple):
    """What each applicant's file would meet in the back office (drawn for all)."""

    work: np.ndarray  # agent hours
    refused: np.ndarray  # bool: the decision is a refusal
    waits: np.ndarray  # days without agent time after the work: documents, consultations


def draw_files(scenario: Scenario, population: Population, seed: int,
               replication: int) -> FileDraws:
    """Hours, refusal and waits of every applicant's file, each mechanism from its own
    stream (``casework``, ``refusal``, ``incomplete``, ``reply``, ``consultation``)."""
    def per_file(mechanism: str, draw: Draw) -> np.ndarray:
        return _per_file(scenario, population, seed, replication, mechanism, draw)

    def uniforms(field: str) -> Draw:
        return lambda cw, n, rng: rng().random(n) if getattr(cw, field) > 0 else None

    def delays(field: str) -> Draw:
        def draw(cw: Casework, n: int, rng: Callable[[], np.random.Generator]
                 ) -> np.ndarray | None:
            spec = getattr(cw, field)
            if spec is None or (field == "reply_delay_days" and cw.incomplete_share == 0):
                return None
            return sample(rng(), spec.kind, spec.mean, spec.cv, n)
        return draw

    def column(field: str) -> np.ndarray:  # a casework parameter, per applicant
        values = [getattr(scenario.procedures[p].casework, field) for p in population.procedures]
        return np.array(values)[population.procedure]

    refused = per_file("refusal", uniforms("refusal_share")) < column("refusal_share")
    incomplete = per_file("incomplete", uniforms("incomplete_share")) < column("incomplete_share")
    reply = np.where(incomplete, per_file("reply", delays("reply_delay_days")), 0.0)
    waits = reply + per_file("consultation", delays("external_delay_days"))
    return FileDraws(draw_work(scenario, population, seed, replication), refused, waits)


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
    draws = draw_files(scenario, pop, out.seed, out.replication)
    work = draws.work
    deposit = np.where(out.records.outcome == SERVED, out.records.appointment_at, np.nan)
    files = np.flatnonzero(deposit < stop)
    files = files[np.argsort(deposit[files], kind="stable")]
    hours = back_office_hours(scenario.staff, cal)
    priority = np.array([scenario.procedures[p].casework.priority
                         for p in pop.procedures])[pop.procedure[files]]
    classes = [files[priority == level] for level in np.unique(priority)]
    solved = priority_queue(capacity_curve(cal.open_at, cal.close_at, hours),
                            [(deposit[c], work[c]) for c in classes])
    decided, worked = np.full(pop.size, np.nan), np.full(pop.size, np.nan)
    ends = np.arange(1, cal.n_days + 1, dtype=float)
    done_by_day = np.zeros(cal.n_days)
    for k, (mine, result) in enumerate(zip(classes, solved, strict=True)):
        worked[mine] = result.decided
        decided[mine] = result.decided + draws.waits[mine]
        level = np.cumsum(hours) if k == 0 else capacity_at(result.curve, ends)
        done_by_day += work_done(level, result.done, work[mine])
    decision_at = np.where(decided < stop, decided, np.nan)
    fabrication = np.array([scenario.procedures[p].casework.fabrication_days
                            for p in pop.procedures])
    title = ready_to_title(scenario, cal, pop, decision_at + fabrication[pop.procedure])
    title = np.where(draws.refused, np.nan, title)
    backlog = (np.searchsorted(deposit[files], ends, side="left")
               - np.searchsorted(np.sort(decided[files]), ends, side="left"))
    used = np.diff(done_by_day, prepend=0.0)
    used = np.clip(used, 0.0, hours)  # rounding only: the office never works more than H(d)
    return CaseworkOutcome(work, decision_at, np.where(title < stop, title, np.nan),
                           backlog, hours, used, draws.refused,
                           np.where(worked < stop, worked, np.nan))
