"""Demand: when needs appear, for which procedure, and who the applicants are.

A need (a title to renew, a first request, a naturalisation file...) appears at a random
moment, independently of everybody else: arrivals of each procedure form a non-homogeneous
Poisson process with rate

    lambda(t) = annual_volume / 365 * seasonality[month(t)] * (1 + trend) ** (day(t) / 365)
                * product of the demand steps in force (e.g. multi-year titles: fewer renewals)

held constant within each day, so that drawing a Poisson count per day and placing the
arrivals uniformly within that day is exact. Needs appear at any hour, opening hours or not.

Each applicant's own attributes (digital access, patience, counter time, checking habit,
willingness to pay a reseller, and uniforms for their later coin flips: no-show,
cancellation, attempts) are drawn at
arrival, in vectorised batches, from streams named after the mechanism and the procedure
(``demand.<procedure>``, ``behaviour.<procedure>``, ``service.<procedure>``,
``polling.<procedure>``, ``market.<procedure>``, ``luck.<procedure>``), so that a change
of capacity or of policy never reshuffles who gets what (common random numbers), and adding a
procedure shifts no other procedure's draws.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np

from sim.engine import deadlines
from sim.engine.calendar import Calendar
from sim.engine.frame import frame_of, segments
from sim.engine.sampling import sample
from sim.engine.streams import Streams
from sim.scenario import Procedure, Scenario

# Columns of ``Population.luck``: one uniform per later random decision, drawn at arrival
# from the applicant's own stream, so the decision does not depend on the order of events.
LUCK_ATTEMPTS, LUCK_NIGHT, LUCK_NO_SHOW, LUCK_CANCEL, LUCK_CANCEL_TIME = range(5)
LUCK_HOLD_CANCEL = 5  # drawn from its own stream (holding.<procedure>)
N_LUCK = 6


class Population(NamedTuple):
    """Every applicant of one replication, as columns sorted by arrival time."""

    arrival: np.ndarray  # float, days since start
    procedure: np.ndarray  # int, index into ``procedures``
    digital: np.ndarray  # bool, can book online
    patience: np.ndarray  # float, days before giving up (inf: never)
    service_minutes: np.ndarray  # float, counter time of the first visit
    seeker_class: np.ndarray  # int, index into behaviour.seekers
    willing_to_pay: np.ndarray  # bool, would buy a slot from a reseller
    deadline: np.ndarray  # float, absolute day of the applicant's deadline (inf: none)
    luck: np.ndarray  # float (n, N_LUCK) uniforms for the applicant's later coin flips
    procedures: tuple[str, ...]
    holding: np.ndarray  # float, days a held date keeps being needed (inf: always)
    help_delay: np.ndarray  # float, days to find help to book online (0: digital access)

    @property
    def size(self) -> int:
        return len(self.arrival)


def daily_rate(proc: Procedure, calendar: Calendar) -> np.ndarray:
    """Expected arrivals on each day of the horizon.

    >>> import datetime as dt
    >>> from sim.engine.calendar import build_calendar
    >>> from sim.scenario import CalendarSpec, Horizon
    >>> cal = build_calendar(CalendarSpec(), Horizon(start=dt.date(2021, 1, 1), days=365))
    >>> round(float(daily_rate(Procedure(annual_volume=3650), cal).sum()))
    3650
    """
    season = np.asarray(proc.seasonality)[calendar.month_index()]
    days = np.arange(calendar.n_days) - calendar.origin  # the trend counts from the start
    trend = (1.0 + proc.trend_per_year) ** ((days + 0.5) / 365.0)
    steps = np.ones(calendar.n_days)
    for step in proc.demand_steps:
        steps[calendar.dates >= np.datetime64(step.from_date, "D")] *= step.factor
    return proc.annual_volume / 365.0 * season * trend * steps


def arrival_times(rate: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sorted arrival times of a Poisson process with piecewise-constant daily ``rate``."""
    counts = rng.poisson(rate)
    days = np.repeat(np.arange(len(rate)), counts)
    return np.sort(days + rng.random(days.size))


def generate(scenario: Scenario, calendar: Calendar, streams: Streams) -> Population:
    """Draw the whole population of applicants of one replication, over the run's timeline
    (burn-in, measured window, follow-up: :mod:`sim.engine.frame`), each segment from its own
    streams so that the measured window's applicants do not depend on the others."""
    names = tuple(scenario.procedures)
    rates = {name: daily_rate(scenario.procedures[name], calendar) for name in names}
    columns: list[tuple[np.ndarray, ...]] = []
    for prefix, first, end in segments(frame_of(scenario.horizon)):
        for code, name in enumerate(names):
            columns.append(_cohort(scenario, code, name, rates[name][first:end], first,
                                   calendar.dates[0], streams, prefix))
    merged = [np.concatenate(col) for col in zip(*columns, strict=True)]
    order = np.argsort(merged[0], kind="stable")
    arrival, proc, digital, patience, service, cls, pays, due, luck, holding, help_delay = (
        col[order] for col in merged)
    return Population(arrival, proc, digital, patience, service, cls, pays, due, luck, names,
                      holding, help_delay)


def _cohort(scenario: Scenario, code: int, name: str, rate: np.ndarray, first: int,
            day0: np.datetime64, streams: Streams, prefix: str) -> tuple[np.ndarray, ...]:
    """The applicants of procedure ``name`` whose need appears in one segment, with their
    attributes, from the streams ``<prefix><mechanism>.<name>``."""
    proc, behaviour_spec = scenario.procedures[name], scenario.behaviour
    patience = behaviour_spec.patience
    shares = np.array([c.share for c in behaviour_spec.seekers])
    shares = shares / shares.sum()
    arrival = first + arrival_times(rate, streams[f"{prefix}demand.{name}"])
    n = arrival.size
    behaviour = streams[f"{prefix}behaviour.{name}"]
    digital = behaviour.random(n) < behaviour_spec.digital_access_share
    wait_limit = (
        sample(behaviour, patience.kind, patience.mean, patience.cv, n)
        if patience is not None
        else np.full(n, np.inf)
    )
    service = sample(
        streams[f"{prefix}service.{name}"], proc.service_kind,
        proc.counter_minutes_per_visit, proc.service_cv, n,
    )
    seeker_class = streams[f"{prefix}polling.{name}"].choice(len(shares), size=n, p=shares)
    holding_rng = streams[f"{prefix}holding.{name}"]
    luck = np.column_stack([streams[f"{prefix}luck.{name}"].random((n, LUCK_HOLD_CANCEL)),
                            holding_rng.random(n)])
    pays = streams[f"{prefix}market.{name}"].random(n) < behaviour_spec.resale.pay_share
    due = deadlines.draw(proc, arrival, day0, streams[f"{prefix}deadline.{name}"])
    if deadlines.kind_of(proc) == deadlines.RENEWAL:
        due = deadlines.extend(due, _extensions(scenario, day0))
    hold = behaviour_spec.holding.patience
    holding = (sample(holding_rng, hold.kind, hold.mean, hold.cv, n) if hold is not None
               else np.full(n, np.inf))
    help_delay = np.zeros(n)
    help_spec = behaviour_spec.help
    if help_spec is not None and help_spec.delay is not None:
        d = help_spec.delay
        help_delay = np.where(digital, 0.0, sample(streams[f"{prefix}help.{name}"], d.kind,
                                                   d.mean, d.cv, n))
    return (arrival, np.full(n, code), digital, wait_limit, service, seeker_class, pays,
            due, luck, holding, help_delay)


def _extensions(scenario: Scenario, day0: np.datetime64) -> list[tuple[float, float, float]]:
    """Closures that extend renewal deadlines: (start, end, days) in the run's days."""
    def day(date: dt.date) -> float:
        return float((np.datetime64(date, "D") - day0).astype(int))
    return [(day(c.start), day(c.end), c.deadline_extension_days)
            for c in scenario.calendar.closures if c.deadline_extension_days > 0]


def make_population(
    arrival: np.ndarray, procedures: tuple[str, ...], *, procedure: np.ndarray | None = None,
    digital: np.ndarray | None = None, patience: np.ndarray | None = None,
    service_minutes: np.ndarray | None = None, seeker_class: np.ndarray | None = None,
    willing_to_pay: np.ndarray | None = None, deadline: np.ndarray | None = None,
    luck: np.ndarray | None = None, holding: np.ndarray | None = None,
    help_delay: np.ndarray | None = None,
) -> Population:
    """A population given column by column (hand-made cases in tests and examples).

    Missing columns default to: first procedure, no digital access, infinite patience,
    30-minute visits, first seeker class, unwilling to pay, no deadline, luck 0.5 (nobody
    cancels or misses), held dates always kept, no delay to find help.
    """
    arrival = np.asarray(arrival, dtype=float)
    n = arrival.size

    def column(value: np.ndarray | None, default: float, dtype: type) -> np.ndarray:
        return np.full(n, default, dtype) if value is None else np.asarray(value, dtype)

    return Population(
        arrival, column(procedure, 0, np.int64), column(digital, False, bool),
        column(patience, np.inf, float), column(service_minutes, 30.0, float),
        column(seeker_class, 0, np.int64), column(willing_to_pay, False, bool),
        column(deadline, np.inf, float),
        np.full((n, N_LUCK), 0.5) if luck is None else np.asarray(luck, float), procedures,
        column(holding, np.inf, float), column(help_delay, 0.0, float),
    )
