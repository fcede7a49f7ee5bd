"""What the engine, a booking channel, and the bots around it know of each other.

The engine hands every channel a :class:`Context` (the clock, the applicants, the event log,
counter capacity, randomness) and knows the channel only as a :class:`Channel`: it admits
applicants, lets the channel schedule its own events, and asks it to settle the people still
inside at the run's end. Slot channels (race, waitlist, lottery) share a dated slot book; the
bots that capture slots and the resale market that sells them know such a channel only as a
:class:`SlotMarket`, the few attributes and calls they use, so that they do not depend on the
channels' implementation (:mod:`sim.engine.booking.base`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import simpy

from sim.engine.calendar import Calendar
from sim.engine.demand import Population
from sim.engine.frame import Frame
from sim.engine.intensity import Grid
from sim.engine.records import Records
from sim.engine.slots import SlotBook
from sim.engine.streams import Streams
from sim.scenario import Scenario, SlotChannelBase


@dataclass(frozen=True)
class Context:
    """What a channel may use: the clock, the applicants, the log, capacity, randomness."""

    env: simpy.Environment
    scenario: Scenario
    calendar: Calendar
    population: Population
    records: Records
    streams: Streams
    counter_minutes: np.ndarray  # front-office counter minutes per day (all channels)
    stop: float  # the run ends here (internal days, see sim.engine.frame)
    # the calendar of future counter time runs past the stop: by the longest booking
    # horizon, so that slots keep opening until the end, and as far as a register needs to
    # date every request (bookings dated after the stop stay "waiting")
    slot_calendar: Calendar
    slot_counter_minutes: np.ndarray
    frame: Frame
    # per channel, its share of the counter minutes on each day of the slot calendar when
    # the counter time follows demand (sim.engine.counter_time); absent: its counter_share
    shares: Mapping[str, np.ndarray] = field(default_factory=dict)
    # the applicants' columns as plain lists, built once for every channel that reads them
    # one applicant at a time (see :meth:`column`)
    _lists: dict[str, list] = field(default_factory=dict)  # type: ignore[type-arg]

    def column(self, key: str, make: Callable[[], np.ndarray]) -> list:  # type: ignore[type-arg]
        """The per-applicant column ``key`` (``make()``) as a list, made on first use."""
        lists = self._lists
        if key not in lists:
            lists[key] = make().tolist()
        return lists[key]


class Channel(Protocol):
    """A booking channel."""

    name: str
    index: int

    def start(self) -> None:
        """Schedule the channel's own processes (openings, releases...) at time 0."""

    def admit(self, i: int) -> None:
        """Applicant ``i`` starts looking for an appointment now."""

    def close(self) -> None:
        """The run's end is reached: settle everybody still inside."""

    def capacity_minutes(self) -> np.ndarray:
        """Counter minutes this channel offered on each day."""

    def used_minutes(self) -> np.ndarray:
        """Counter minutes of first appointments that took place, per day."""


class SlotMarket(Protocol):
    """What bots (:mod:`sim.engine.bots`) and the resale market (:mod:`sim.engine.resale`)
    use of a slot channel: its book, its procedures, and the life of a booking."""

    ctx: Context
    name: str
    spec: SlotChannelBase
    book: SlotBook
    grid: Grid  # the week's bins on which checkers' intensities are constant
    served_codes: list[int]
    procedure_names: list[str]

    def settle(self, i: int, s: int, now: float) -> None:
        """Applicant ``i`` holds slot ``s`` from ``now`` on."""

    def on_release(self, procedures: set[int]) -> None:
        """Free slots appeared for these procedures (release or cancellation)."""

    def is_seeking(self, i: int) -> bool:
        """Is applicant ``i`` still looking for a slot in this channel?"""

    def withdraw(self, i: int) -> None:
        """Applicant ``i`` stops looking (they bought a slot)."""

    def changed(self, p: int) -> None:
        """The competition for ``p`` changed (a sale, a bot giving a slot up)."""
