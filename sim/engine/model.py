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
from sim.engine.booking.courts import attach_courts
from sim.engine.booking.interface import Channel, Context
from sim.engine.booking.slotting import slot_counts
from sim.engine.calendar import Calendar
from sim.engine.counter_time import daily_shares
from sim.engine.demand import Population, generate
from sim.engine.frame import Frame, frame_of, run_calendar
from sim.engine.records import Records
from sim.engine.slots import SlotBook
from sim.engine.staff import counter_minutes, later_visit_minutes
from sim.engine.streams import Streams
from sim.scenario import PhoneChannel, Scenario, WaitlistChannel, routing_order


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
    frame: Frame  # the run's timeline: burn-in, measured window, follow-up (internal days)


def routing(scenario: Scenario, population: Population, names: list[str],
            start: np.datetime64) -> np.ndarray:
    """Channel index of every applicant: the first channel (in routing order: ``route_first``
    ones, then file order) that serves their procedure and access on the day their need
    appears."""
    chosen = np.full(population.size, -1, dtype=np.int64)
    day = start + np.floor(population.arrival).astype("timedelta64[D]")
    for name, ch in routing_order(scenario):
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
        chosen[todo] = names.index(name)
    assert (chosen >= 0).all()  # the schema guarantees a channel for everyone, always
    return chosen


def simulate(scenario: Scenario, seed: int, replication: int = 0) -> SimOutput:
    """Run one replication of ``scenario`` and return its event log."""
    streams = Streams(seed, replication)
    calendar = run_calendar(scenario)
    return simulate_population(
        scenario, calendar, generate(scenario, calendar, streams), streams
    )


def simulate_population(
    scenario: Scenario, calendar: Calendar, population: Population, streams: Streams
) -> SimOutput:
    """Run the channels over a given population (tests build tiny ones by hand).

    ``calendar`` covers the run's timeline (:func:`sim.engine.frame.run_calendar`); times are
    internal days (:mod:`sim.engine.frame`)."""
    frame = frame_of(scenario.horizon)
    records = Records(population.size)
    env = simpy.Environment()
    names = list(scenario.channels)
    chosen = routing(scenario, population, names, calendar.dates[0])
    records.channel[:] = chosen
    delay = np.array([ch.admission_delay_days for ch in scenario.channels.values()])
    helped = np.array([needs_help(ch) for ch in scenario.channels.values()])
    entry = population.arrival + delay[chosen] + np.where(
        helped[chosen], population.help_delay, 0.0)
    slot_calendar = appointment_calendar(scenario, population.procedure[entry < frame.stop],
                                         chosen[entry < frame.stop])
    slot_minutes = booking_minutes(scenario, slot_calendar)
    ctx = Context(
        env, scenario, calendar, population, records, streams,
        booking_minutes(scenario, calendar), frame.stop,
        slot_calendar, slot_minutes, frame,
        daily_shares(scenario, slot_calendar, slot_minutes),
    )
    channels: list[Channel] = [build(ctx, name, k) for k, name in enumerate(names)]
    courts = attach_courts(ctx, channels, entry)  # before any slot opens
    for channel in channels:
        channel.start()
    if courts is not None:
        courts.start()
    _Arrivals(env, entry, chosen, channels)
    env.run(until=frame.stop)
    for channel in channels:
        channel.close()
    if courts is not None:
        courts.close()  # eligibility, read off the closed search logs
    return SimOutput(
        scenario, streams.seed, streams.replication, calendar, population, records,
        tuple(names),
        np.array([ch.capacity_minutes() for ch in channels]),
        np.array([ch.used_minutes() for ch in channels]),
        {ch.name: ch.queue_area for ch in channels if hasattr(ch, "queue_area")},
        {ch.name: ch.book for ch in channels if hasattr(ch, "book")},
        next(env._eid),  # SimPy's event counter: number of events scheduled in this run
        frame,
    )


ONLINE_KINDS = ("race", "waitlist", "lottery", "online")
"""Channels used through a website. The desk and the phone line are not: people without
digital access walk in or call themselves."""


def needs_help(channel: object) -> bool:
    """Does a person without digital access need help to use this channel? Yes for the
    online channels, unless the channel reaches them itself (``assisted``) or is theirs
    (audience ``non_digital``); never for the desk or the phone, which they use themselves.

    >>> from sim.scenario import DeskChannel, PhoneChannel, RaceChannel
    >>> [needs_help(c) for c in (RaceChannel(), DeskChannel(), PhoneChannel(agents=1))]
    [True, False, False]
    """
    return (getattr(channel, "kind", "") in ONLINE_KINDS
            and getattr(channel, "audience", "all") != "non_digital"
            and not getattr(channel, "assisted", False))


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
    """Days of appointment calendar needed past the run's stop by the channels that release
    slots on a schedule (the longest booking horizon), and by a phone line that dates its
    callers at once (a week past its minimum lead, so that its last callers get a date too,
    after the stop)."""
    releases = (getattr(ch, "release", None) for ch in scenario.channels.values())
    ahead = [r.horizon_days for r in releases if r is not None]
    ahead += [ch.min_lead_days + 7.0 for ch in scenario.channels.values()
              if isinstance(ch, PhoneChannel) and ch.release is None]
    return int(np.ceil(max(ahead, default=0.0)))


MAX_CALENDAR_YEARS = 10
"""A register dates requests at most this many years past the run's stop."""


def appointment_calendar(scenario: Scenario, procedure: np.ndarray,
                         chosen: np.ndarray) -> Calendar:
    """The calendar of future counter time: past the run's stop by the longest booking
    horizon, and further, by doubling, until every channel that dates requests at once
    (a waitlist without release schedule, a phone line) has a slot for each of its
    applicants (with room for rebookings), up to :data:`MAX_CALENDAR_YEARS` past the stop.

    It is a calendar of counter time, not of the run: a request registered on the last day
    gets the earliest free date, however far.
    """
    return extended_calendar(scenario, _registrations(scenario, procedure, chosen))


def extended_calendar(scenario: Scenario, wanted: dict[str, np.ndarray]) -> Calendar:
    """The calendar of :func:`appointment_calendar` for the slots ``wanted`` per procedure
    by each register (also what :mod:`sim.engine.workload` expects before a run)."""
    extra = beyond(scenario)
    limit = 365 * MAX_CALENDAR_YEARS
    while True:
        slot_calendar = run_calendar(scenario, extra)
        if not wanted or extra >= limit:
            return slot_calendar
        minutes = booking_minutes(scenario, slot_calendar)
        shares = daily_shares(scenario, slot_calendar, minutes)
        short = any(
            (slot_counts(scenario, name, slot_calendar, minutes, shares.get(name)) < need).any()
            for name, need in wanted.items())
        if not short:
            return slot_calendar
        extra = min(2 * extra + 365, limit)


def _registrations(scenario: Scenario, procedure: np.ndarray,
                   chosen: np.ndarray) -> dict[str, np.ndarray]:
    """Per channel that dates every request at once (a waitlist without release schedule, a
    phone line), the slots wanted per procedure: the applicants entering it (``procedure``
    and ``chosen`` channel of each), with a quarter more for rebookings and give-backs."""
    wanted = {}
    n_procs = len(scenario.procedures)
    for k, (name, ch) in enumerate(scenario.channels.items()):
        if isinstance(ch, PhoneChannel) or (isinstance(ch, WaitlistChannel)
                                            and ch.release is None):
            counts = np.bincount(procedure[chosen == k], minlength=n_procs)
            wanted[name] = np.ceil(1.25 * counts)
    return wanted


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
