"""Booking channels: the ways an applicant obtains a first appointment.

Every channel implements the :class:`Channel` protocol and is built by :func:`build` from its
scenario section (a discriminated union on ``kind``). The engine knows nothing else of them:
it hands each applicant to their channel when their need appears (:meth:`Channel.admit`),
lets channels schedule their own events on the shared SimPy environment, and asks them to
settle the people still inside at the horizon (:meth:`Channel.close`). New policies (race,
lottery, quotas) are new modules here and a new ``kind`` in the schema; the engine does not
change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import simpy

from sim.calendar import Calendar
from sim.demand import Population
from sim.records import Records
from sim.scenario import Scenario
from sim.streams import Streams


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
    horizon: float
    # the appointment calendar runs past the horizon by the longest booking horizon, so
    # that slots keep opening until the end (bookings dated after it stay "waiting")
    slot_calendar: Calendar
    slot_counter_minutes: np.ndarray


class Channel(Protocol):
    """A booking channel."""

    name: str
    index: int

    def start(self) -> None:
        """Schedule the channel's own processes (openings, releases...) at time 0."""

    def admit(self, i: int) -> None:
        """Applicant ``i`` starts looking for an appointment now."""

    def close(self) -> None:
        """The horizon is reached: settle everybody still inside."""

    def capacity_minutes(self) -> np.ndarray:
        """Counter minutes this channel offered on each day."""

    def used_minutes(self) -> np.ndarray:
        """Counter minutes of first appointments that took place, per day."""


def build(ctx: Context, name: str, index: int) -> Channel:
    """Instantiate the channel ``name`` of the scenario."""
    from sim.booking.desk import Desk
    from sim.booking.lottery import Lottery
    from sim.booking.online import Online
    from sim.booking.race import Race
    from sim.booking.waitlist import Waitlist

    spec = ctx.scenario.channels[name]
    kinds: dict[str, type] = {"desk": Desk, "race": Race, "waitlist": Waitlist,
                              "lottery": Lottery, "online": Online}
    return kinds[spec.kind](ctx, name, index, spec)  # type: ignore[no-any-return]
