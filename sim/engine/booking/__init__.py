"""Booking channels: the ways an applicant obtains a first appointment.

Every channel implements the :class:`~sim.engine.booking.interface.Channel` protocol and is
built by :func:`build` from its scenario section (a discriminated union on ``kind``). The engine
knows nothing else of them: it hands each applicant to their channel when their need appears
(:meth:`Channel.admit`), lets channels schedule their own events on the shared SimPy
environment, and asks them to settle the people still inside at the horizon
(:meth:`Channel.close`). New policies (race, lottery, quotas, the phone line) are new
modules here and a new ``kind`` in the schema; the engine does not change. A desk's ``mode``
chooses between the first-in, first-out queue (:mod:`sim.engine.booking.desk`) and the daily
tickets (:mod:`sim.engine.booking.tickets`).
"""

from __future__ import annotations

from sim.engine.booking.desk import Desk
from sim.engine.booking.interface import Channel, Context
from sim.engine.booking.lottery import Lottery
from sim.engine.booking.online import Online
from sim.engine.booking.phone import Phone
from sim.engine.booking.race import Race
from sim.engine.booking.tickets import TicketDesk
from sim.engine.booking.waitlist import Waitlist


def build(ctx: Context, name: str, index: int) -> Channel:
    """Instantiate the channel ``name`` of the scenario."""
    spec = ctx.scenario.channels[name]
    kinds: dict[str, type] = {"desk": Desk, "race": Race, "waitlist": Waitlist,
                              "lottery": Lottery, "phone": Phone, "online": Online}
    kind = kinds[spec.kind]
    if getattr(spec, "mode", "queue") == "daily_tickets":
        kind = TicketDesk
    return kind(ctx, name, index, spec)  # type: ignore[no-any-return]
