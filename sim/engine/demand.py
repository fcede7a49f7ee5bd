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

from typing import NamedTuple

import numpy as np

from sim.engine import deadlines
from sim.engine.calendar import Calendar
from sim.engine.sampling import sample
from sim.engine.streams import Streams
from sim.scenario import Procedure, Scenario

# Columns of ``Population.luck``: one uniform per later random decision, drawn at arrival
# from the applicant's own stream, so the decision does not depend on the order of events.
LUCK_ATTEMPTS, LUCK_NIGHT, LUCK_NO_SHOW, LUCK_CANCEL, LUCK_CANCEL_TIME = range(5)
N_LUCK = 5


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
    days = np.arange(calendar.n_days)
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
    """Draw the whole population of applicants of one replication."""
    names = tuple(scenario.procedures)
    patience = scenario.behaviour.patience
    shares = np.array([c.share for c in scenario.behaviour.seekers])
    shares = shares / shares.sum()
    columns: list[tuple[np.ndarray, ...]] = []
    for code, name in enumerate(names):
        proc = scenario.procedures[name]
        arrival = arrival_times(daily_rate(proc, calendar), streams[f"demand.{name}"])
        n = arrival.size
        behaviour = streams[f"behaviour.{name}"]
        digital = behaviour.random(n) < scenario.behaviour.digital_access_share
        wait_limit = (
            sample(behaviour, patience.kind, patience.mean, patience.cv, n)
            if patience is not None
            else np.full(n, np.inf)
        )
        service = sample(
            streams[f"service.{name}"], proc.service_kind,
            proc.counter_minutes_per_visit, proc.service_cv, n,
        )
        polling = streams[f"polling.{name}"]
        seeker_class = polling.choice(len(shares), size=n, p=shares)
        luck = streams[f"luck.{name}"].random((n, N_LUCK))
        pays = streams[f"market.{name}"].random(n) < scenario.behaviour.resale.pay_share
        due = deadlines.draw(proc, arrival, calendar.dates[0], streams[f"deadline.{name}"])
        columns.append(
            (arrival, np.full(n, code), digital, wait_limit, service, seeker_class, pays,
             due, luck)
        )
    merged = [np.concatenate(col) for col in zip(*columns, strict=True)]
    order = np.argsort(merged[0], kind="stable")
    return Population._make([*(col[order] for col in merged), names])


def make_population(
    arrival: np.ndarray, procedures: tuple[str, ...], *, procedure: np.ndarray | None = None,
    digital: np.ndarray | None = None, patience: np.ndarray | None = None,
    service_minutes: np.ndarray | None = None, seeker_class: np.ndarray | None = None,
    willing_to_pay: np.ndarray | None = None, deadline: np.ndarray | None = None,
    luck: np.ndarray | None = None,
) -> Population:
    """A population given column by column (hand-made cases in tests and examples).

    Missing columns default to: first procedure, no digital access, infinite patience,
    30-minute visits, first seeker class, unwilling to pay, no deadline, and luck 0.5
    (nobody cancels or misses).
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
    )
