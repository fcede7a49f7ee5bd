"""What a run will cost, known before it starts: applicants, events, slots, memory and time.

A planner who types ``staff.front_office_etp=10000`` or ``counter_minutes_per_visit=0.001``
means no harm, yet a slot channel would cut millions of slots a day from that counter time,
and ``annual_volume=5e6`` draws five million applicants a year: minutes of work and gigabytes
of memory, for a run that looks like any other. :func:`estimate` reads the resolved scenario
and says, without simulating, what one replication will hold:

* **applicants**: the expected arrivals of every procedure (annual volume, seasonality, trend
  and demand steps, :func:`sim.engine.demand.daily_rate`) over the internal timeline (burn-in,
  horizon, follow-up: :mod:`sim.engine.frame`), plus four standard deviations of their
  Poisson count; about twenty columns each in the population and the event log, and one row
  of the tables;
* **slots**: each slot channel's share of counter minutes cut into slots of each procedure's
  ``counter_minutes_per_visit`` (counted by :func:`sim.engine.booking.slotting.slot_counts`,
  never laid out), over the days its book covers: the run and the booking horizon after it,
  or for a waitlist without release schedule the calendar of future counter time it extends
  until every expected registration has a date, up to ten years past the stop
  (:func:`sim.engine.model.extended_calendar`);
* **events**: about two per applicant, one per release moment (per slot when each slot is
  released on its own), a fifth of the slots for the bookings of a race or a lottery, two
  per open day of a desk, and the calls of a phone line: a caller calls again every
  ``retrial_mean_hours`` of the line's opening time until answered or their need is gone,
  so each caller makes at most one call plus one per retrial delay in the opening hours of
  their patience's mean (or of the run), and an answered call ends with one more event;
* **memory** and **CPU time**: linear in the above and in the scenario's shape (slot channels
  times applicants, procedures times days, bot operators times applicants and days), with
  constants measured on the bundled scenarios and scaled variants of them
  (``benchmarks/bench_workload.py`` measures the peak resident memory of a fresh process and
  its CPU time, and prints them against the estimate), rounded up so that the estimate stays
  above what runs take.

The estimate is cheap (a few calendars of days, no slot, no applicant) and conservative;
:mod:`sim.experiments.budget` compares it with a budget before anything runs.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from sim.engine.booking.slotting import last_slot_day, slot_counts
from sim.engine.demand import daily_rate
from sim.engine.frame import frame_of, run_calendar
from sim.engine.model import MAX_CALENDAR_YEARS, booking_minutes, extended_calendar
from sim.scenario import DeskChannel, PhoneChannel, Scenario, SlotChannelBase, WaitlistChannel

# Constants fitted on benchmarks/bench_workload.py (peak resident memory above the imports,
# CPU time of one replication; bundled scenarios and variants scaled up to 1,000,000 applicants
# and 2,400,000 slots): least squares gave about 40 MB + 1,140 bytes per applicant + 210 bytes
# per slot, and 0.7 s + 11 microseconds per event + 1.7 per slot; each is rounded up so that
# the estimate stays above every measured case (docs/model.md). The time per applicant covers
# the dearest case found: a race with bots whose backlog grows over twenty years (about 38
# microseconds each, against 7 to 16 in a year of a waitlist).
BASE_BYTES = 100e6
"""Memory of a replication of nothing: calendars, streams, the tables' fixed parts."""
APPLICANT_BYTES = 1_600.0
"""Per applicant simulated: population and event-log columns, the policies' lists, tables."""
SLOT_BYTES = 300.0
"""Per slot of a book: its arrays, the lists and heaps of free slots, the cutting."""
TABLE_BYTES = 250.0
"""Per applicant of the horizon, kept after the replication (the applicants table)."""
BASE_SECONDS = 1.0
APPLICANT_SECONDS = 40e-6
SLOT_SECONDS = 4e-6
RELEASE_SECONDS = 25e-6
"""Per release event: a slot released on its own (``continuous``) costs one."""
# The scenario's shape counts too (measured on scenarios of hundreds of procedures, channels,
# bot operators or seeker classes, which the parser's limits allow): each slot channel keeps
# its own lists over the whole population; each procedure has its streams, daily series, slot
# cutting and table rows; each bot operator looks at every applicant and every day.
CHANNEL_APPLICANT_BYTES = 350.0
CHANNEL_APPLICANT_SECONDS = 0.5e-6
PROCEDURE_DAY_BYTES = 300.0
PROCEDURE_SECONDS = 15e-3
PROCEDURE_DAY_SECONDS = 1e-6
PROCEDURE_CHANNEL_SECONDS = 100e-6
BOT_APPLICANT_SECONDS = 2e-6
BOT_DAY_SECONDS = 25e-6
CLASS_APPLICANT_SECONDS = 0.2e-6
"""Per seeker class and applicant: a race chooses the class of each check among all."""
CALL_SECONDS = 12e-6
"""Per phone call (a first call or a retrial, and the end of an answered one): about 9
microseconds measured on ``what-ifs/phone.yaml``, rounded up."""


class Workload(NamedTuple):
    """The estimated size of one replication of a scenario."""

    days: int  # internal timeline: burn-in, horizon, follow-up
    applicants: float  # simulated over the timeline (a high estimate of the Poisson count)
    kept: float  # of them, applicants of the horizon (the rows of the applicants table)
    slots: dict[str, float]  # per slot channel: slots in its book
    book_days: dict[str, int]  # per slot channel: days of calendar its book covers
    events: float
    memory_bytes: float  # peak memory of one replication
    table_bytes: float  # memory of the tables a replication leaves behind
    seconds: float  # CPU time of one replication

    @property
    def n_slots(self) -> float:
        return sum(self.slots.values())


def estimate(scenario: Scenario) -> Workload:
    """The work and memory of one replication of ``scenario``, before running it.

    >>> from sim.scenario.loader import validate
    >>> s = validate({"horizon": {"days": 365}, "staff": {"front_office_etp": 10},
    ...               "procedures": {"renewal": {"annual_volume": 36500}},
    ...               "channels": {"online": {"kind": "race"}}})
    >>> w = estimate(s)
    >>> round(w.applicants, -2), round(w.n_slots, -3), w.book_days
    (37300.0, 21000.0, {'online': 425})
    """
    frame = frame_of(scenario.horizon)
    calendar = run_calendar(scenario)
    rates = {name: daily_rate(proc, calendar) for name, proc in scenario.procedures.items()}
    expected = np.array([rate.sum() for rate in rates.values()])
    applicants = _high(expected.sum())
    first, end = int(frame.offset), int(frame.measure_to)
    kept = _high(sum(float(rate[first:end].sum()) for rate in rates.values()))
    reach = _reach(scenario)
    slot_calendar = extended_calendar(scenario, _wanted(scenario, expected, reach))
    minutes = booking_minutes(scenario, slot_calendar)
    slots, book_days = {}, {}
    releases = desks = 0.0
    for name, ch in scenario.channels.items():
        if isinstance(ch, SlotChannelBase):
            last = last_slot_day(ch, frame.stop, slot_calendar.n_days)
            counts = slot_counts(scenario, name, slot_calendar, minutes, last_day=last)
            slots[name] = float(counts.sum())
            book_days[name] = last
            releases += _releases(ch, last, slots[name])
        elif isinstance(ch, DeskChannel):
            desks += 2.0 * float(calendar.is_open.sum())  # opening and closing
    calls = sum(_calls(scenario, ch, reach[name] @ expected, calendar.is_open.mean(),
                       frame.run_days)
                for name, ch in scenario.channels.items() if isinstance(ch, PhoneChannel))
    n_slots = sum(slots.values())
    return Workload(
        frame.run_days, applicants, kept, slots, book_days,
        2.0 * applicants + releases + desks + calls,
        BASE_BYTES + APPLICANT_BYTES * applicants + SLOT_BYTES * n_slots
        + _shape_bytes(scenario, applicants, len(slots), frame.run_days),
        TABLE_BYTES * kept,
        BASE_SECONDS + APPLICANT_SECONDS * applicants + SLOT_SECONDS * n_slots
        + RELEASE_SECONDS * releases + CALL_SECONDS * calls
        + _shape_seconds(scenario, applicants, len(slots), frame.run_days),
    )


def _shape_bytes(scenario: Scenario, applicants: float, n_books: int, days: int) -> float:
    """Memory that grows with the number of slot channels and procedures."""
    n_procs = len(scenario.procedures)
    return (CHANNEL_APPLICANT_BYTES * n_books * applicants
            + PROCEDURE_DAY_BYTES * n_procs * days)


def _shape_seconds(scenario: Scenario, applicants: float, n_books: int, days: int) -> float:
    """Time that grows with the number of slot channels, procedures, bots and classes."""
    n_procs, n_bots = len(scenario.procedures), len(scenario.bots) if n_books else 0
    return (CHANNEL_APPLICANT_SECONDS * n_books * applicants
            + n_procs * (PROCEDURE_SECONDS + PROCEDURE_DAY_SECONDS * days
                         + PROCEDURE_CHANNEL_SECONDS * n_books)
            + n_bots * (BOT_APPLICANT_SECONDS * applicants + BOT_DAY_SECONDS * days)
            + CLASS_APPLICANT_SECONDS * len(scenario.behaviour.seekers) * applicants)


def _high(mean: float) -> float:
    """A Poisson count with this mean, four standard deviations up."""
    return float(mean + 4.0 * math.sqrt(mean))


def _reach(scenario: Scenario) -> dict[str, np.ndarray]:
    """Per channel, the share of each procedure's applicants who may reach it: those of its
    procedures and audience not always taken by an undated channel listed before it (dated
    channels may take nobody)."""
    digital = scenario.behaviour.digital_access_share
    names = list(scenario.procedures)
    # the share of each procedure's applicants, digital and not, still free to reach a channel
    free = {True: np.full(len(names), digital), False: np.full(len(names), 1.0 - digital)}
    reach = {}
    for name, ch in scenario.channels.items():
        served = np.array([ch.procedures is None or p in ch.procedures for p in names])
        reach[name] = np.zeros(len(names))
        for access, share in free.items():
            if ch.audience == "all" or (ch.audience == "digital") == access:
                reach[name] += np.where(served, share, 0.0)
                if ch.active_from is None and ch.active_until is None:
                    share[served] = 0.0
    return reach


def _wanted(scenario: Scenario, expected: np.ndarray,
            reach: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Slots each register without release schedule will want, per procedure, as the engine
    counts them (:func:`sim.engine.model.appointment_calendar`), from the applicants who may
    reach it (``reach``: :func:`_reach`)."""
    wanted = {}
    for name, ch in scenario.channels.items():
        if isinstance(ch, WaitlistChannel) and ch.release is None:
            mean = reach[name] * expected
            wanted[name] = np.ceil(1.25 * (mean + 4.0 * np.sqrt(mean)))
    return wanted


def _calls(scenario: Scenario, ch: PhoneChannel, callers: float, open_share: float,
           days: int) -> float:
    """Events of a phone line's calls: ``callers`` (expected) each calling at most once
    plus once per retrial delay in the line's opening hours (``open_share`` of the days
    open) over their patience's mean, or the run's ``days``; one more per answered call."""
    if ch.retrial_mean_hours is None:
        return 2.0 * callers
    cal = scenario.calendar
    hours = 24.0 if cal.continuous else (
        (cal.close_hour if ch.close_hour is None else ch.close_hour)
        - (cal.open_hour if ch.open_hour is None else ch.open_hour))
    patience = scenario.behaviour.patience
    looking = days if patience is None else min(patience.mean, days)
    return _high(callers) * (2.0 + open_share * hours * looking / ch.retrial_mean_hours)


def _releases(ch: SlotChannelBase, days: int, slots: float) -> float:
    """Release events of a slot channel over ``days`` of its book, and the bookings they
    start (a race or a lottery: at most one per slot, most of them resolved together)."""
    release = getattr(ch, "release", None)
    if release is None:
        return 1.0
    moments = {"weekly": days / 7.0, "continuous": slots}.get(release.kind, float(days))
    return moments + (0.2 * slots if release.kind != "continuous" else 0.0)


def drivers(scenario: Scenario, work: Workload) -> str:
    """What makes a run this big, in the scenario's own fields (the larger part first).

    >>> from sim.scenario.loader import validate
    >>> s = validate({"horizon": {"days": 365}, "staff": {"front_office_etp": 100},
    ...               "procedures": {"renewal": {"annual_volume": 36500}},
    ...               "channels": {"online": {"kind": "race"}}})
    >>> print(drivers(s, estimate(s)))  # doctest: +NORMALIZE_WHITESPACE
    213,610 slots in channels.online (staff.front_office_etp = 100 x counter_share 1 in
    slots of procedures.renewal.counter_minutes_per_visit = 30, over 425 days); 37,264
    applicants (procedures.renewal.annual_volume = 36,500 over 365 days: horizon.days)
    """
    people = (APPLICANT_BYTES * work.applicants, _people(scenario, work))
    books = [(SLOT_BYTES * n, _book(scenario, work, name)) for name, n in work.slots.items()]
    parts = sorted([people, *books], key=lambda part: -part[0])
    total = sum(size for size, _ in parts)
    return "; ".join(text for size, text in parts if size >= 0.1 * total or text is parts[0][1])


def _people(scenario: Scenario, work: Workload) -> str:
    volumes = sorted(scenario.procedures.items(), key=lambda kv: -kv[1].annual_volume)
    name, top = volumes[0]
    more = f" and {len(volumes) - 1} other procedure(s)" if len(volumes) > 1 else ""
    h = scenario.horizon
    spans = [f for f, n in (("horizon.burn_in_days", h.burn_in_days), ("horizon.days", h.days),
                            ("horizon.follow_up_days", h.follow_up_days)) if n]
    return (f"{work.applicants:,.0f} applicants (procedures.{name}.annual_volume = "
            f"{top.annual_volume:,.0f}{more} over {work.days:,} days: {' + '.join(spans)})")


def _book(scenario: Scenario, work: Workload, name: str) -> str:
    ch = scenario.channels[name]
    assert isinstance(ch, SlotChannelBase)
    served = ch.procedures or tuple(scenario.procedures)
    shortest = min(served, key=lambda p: scenario.procedures[p].counter_minutes_per_visit)
    minutes = scenario.procedures[shortest].counter_minutes_per_visit
    etp = scenario.staff.front_office_etp
    days = work.book_days[name]
    ahead = ""
    if isinstance(ch, WaitlistChannel) and ch.release is None and days > work.days + 1:
        ahead = (f": a waitlist without release dates requests up to {MAX_CALENDAR_YEARS} "
                 "years ahead")
    return (f"{work.slots[name]:,.0f} slots in channels.{name} (staff.front_office_etp = "
            f"{etp:g} x counter_share {ch.counter_share:g} in slots of "
            f"procedures.{shortest}.counter_minutes_per_visit = {minutes:g}, over {days:,} "
            f"days{ahead})")
