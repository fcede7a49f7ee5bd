"""The engine: one SimPy environment, the applicants' arrivals, and the channels.

Data flows one way. The scenario gives a calendar, staff capacity and a population of applicants
(drawn in advance, vectorised, from named streams); a single arrival process hands each
applicant to their channel at the moment their need appears; channels schedule their own events
(counter openings, ends of service, slot releases) and write what happens to the
:class:`~sim.engine.records.Records`. Nothing here computes a statistic:
:mod:`sim.analysis.metrics` does.

The engine spends one event per applicant on arrival; channels add what they need (the desk
about one per service, the waitlist none). It never spends an event per website poll.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import simpy

from sim.engine.booking import build
from sim.engine.booking.interface import Channel, Context
from sim.engine.calendar import Calendar, build_calendar
from sim.engine.demand import Population, generate
from sim.engine.records import Records
from sim.engine.slots import SlotBook
from sim.engine.staff import counter_minutes, later_visit_minutes
from sim.engine.streams import Streams
from sim.scenario import Scenario


class SimOutput(NamedTuple):
    """Raw output of one replication, before any statistic."""

    scenario: Scenario
    seed: int
    replication: int
    calendar: Calendar
    population: Population
    records: Records
    channels: tuple[str, ...]
    capacity_minutes: np.ndarray  # (n_channels, n_days) counter minutes offered
    used_minutes: np.ndarray  # (n_channels, n_days) counter minutes of first appointments
    queue_area: dict[str, float]  # desk name -> time-integral of its queue length
    books: dict[str, SlotBook]  # slot channel name -> its slots and their fate
    n_events: int


def routing(scenario: Scenario, population: Population, names: list[str],
            start: np.datetime64) -> np.ndarray:
    """Channel index of every applicant: the first channel (in file order) that serves
    their procedure and access on the day their need appears."""
    chosen = np.full(population.size, -1, dtype=np.int64)
    day = start + np.floor(population.arrival).astype("timedelta64[D]")
    for k, (name, ch) in enumerate(scenario.channels.items()):
        todo = chosen < 0
        if ch.procedures is not None:
            codes = [population.procedures.index(p) for p in ch.procedures]
            todo &= np.isin(population.procedure, codes)
        if ch.audience != "all":
            todo &= population.digital == (ch.audience == "digital")
        if ch.active_from is not None:
            todo &= day >= np.datetime64(ch.active_from, "D")
        if ch.active_until is not None:
            todo &= day < np.datetime64(ch.active_until, "D")
        chosen[todo] = names.index(name) if name in names else k
    assert (chosen >= 0).all()  # the schema guarantees a channel for everyone, always
    return chosen


def simulate(scenario: Scenario, seed: int, replication: int = 0) -> SimOutput:
    """Run one replication of ``scenario`` and return its event log."""
    streams = Streams(seed, replication)
    calendar = build_calendar(scenario.calendar, scenario.horizon)
    return simulate_population(
        scenario, calendar, generate(scenario, calendar, streams), streams
    )


def simulate_population(
    scenario: Scenario, calendar: Calendar, population: Population, streams: Streams
) -> SimOutput:
    """Run the channels over a given population (tests build tiny ones by hand)."""
    records = Records(population.size)
    env = simpy.Environment()
    horizon = float(scenario.horizon.days)
    slot_calendar = build_calendar(scenario.calendar, scenario.horizon, beyond(scenario))
    ctx = Context(
        env, scenario, calendar, population, records, streams,
        booking_minutes(scenario, calendar), horizon,
        slot_calendar, booking_minutes(scenario, slot_calendar),
    )
    names = list(scenario.channels)
    channels: list[Channel] = [build(ctx, name, k) for k, name in enumerate(names)]
    chosen = routing(scenario, population, names, calendar.dates[0])
    records.channel[:] = chosen
    for channel in channels:
        channel.start()
    delay = np.array([ch.admission_delay_days for ch in scenario.channels.values()])
    _Arrivals(env, population.arrival + delay[chosen], chosen, channels)
    env.run(until=horizon)
    for channel in channels:
        channel.close()
    return SimOutput(
        scenario, streams.seed, streams.replication, calendar, population, records,
        tuple(names),
        np.array([ch.capacity_minutes() for ch in channels]),
        np.array([ch.used_minutes() for ch in channels]),
        {ch.name: ch.queue_area for ch in channels if hasattr(ch, "queue_area")},
        {ch.name: ch.book for ch in channels if hasattr(ch, "book")},
        next(env._eid),  # SimPy's event counter: number of events scheduled in this run
    )


def booking_minutes(scenario: Scenario, calendar: Calendar) -> np.ndarray:
    """Counter minutes left to the booking channels once later visits are served.

    Later visits follow deposits, and deposits cannot outnumber what the counters allow:
    with v visits per title on average, later visits take at most (v - 1) / v of the
    counter time, however large the demand.
    """
    total = counter_minutes(scenario.staff, calendar)
    later, visits = later_visit_minutes(scenario, calendar)
    return total - np.minimum(later, total * (1.0 - 1.0 / visits))


def beyond(scenario: Scenario) -> int:
    """Days of appointment calendar needed past the horizon: the longest booking horizon."""
    releases = (getattr(ch, "release", None) for ch in scenario.channels.values())
    ahead = [r.horizon_days for r in releases if r is not None]
    return int(np.ceil(max(ahead, default=0.0)))


class _Arrivals:
    """Hands each applicant to their channel when they enter it (at their need, or after
    the channel's admission delay): a callback chain, one event per applicant."""

    def __init__(self, env: simpy.Environment, entry: np.ndarray, chosen: np.ndarray,
                 channels: list[Channel]):
        order = np.argsort(entry, kind="stable")
        self.env, self.times, self.next = env, entry[order].tolist(), 0
        self.who = order.tolist()
        admit = [ch.admit for ch in channels]
        self.admit = [admit[k] for k in chosen[order].tolist()]
        self._schedule()

    def _schedule(self) -> None:
        if self.next < len(self.times):
            delay = self.times[self.next] - self.env.now
            self.env.timeout(delay).callbacks.append(self._arrive)

    def _arrive(self, _event: simpy.events.Event) -> None:
        k = self.next
        self.next += 1
        self.admit[k](self.who[k])
        self._schedule()
