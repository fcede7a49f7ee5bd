"""Scenario schema of the booking channels (one sub-model per policy, chosen by ``kind``).

A channel is a way to obtain a first appointment. The walk-in desk is a queue at the
counters and the phone line a queue of calls (:mod:`sim.scenario.contact`); the other
channels hand out dated *slots* cut from counter time (see :mod:`sim.engine.slots`) and
differ in who gets a released slot:

* ``race`` (today's system): whoever asks first after the release;
* ``waitlist``: each request is registered once and given the earliest free date;
* ``lottery``: released slots are drawn at random among registered requests;
* ``phone``: an answered call gets the earliest free date of the line's own slots;
* ``online``: the deposit is made online (ANEF), no slot at all.

Reserved quotas and priority lanes are expressed with the same pieces: ``allocation`` splits a
channel's slots between procedures, and a channel restricted to some procedures or audience
with its own ``counter_share`` is a lane (list it first, or mark it ``route_first``:
applicants use the first channel that matches them). What every channel shares is in
:mod:`sim.scenario.channel_base`; the terms of a dated appointment (release schedules,
no-shows, reminders) and their sources are in :mod:`sim.scenario.appointments`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.scenario.appointments import Confirmation, NoShow, ReleaseSchedule
from sim.scenario.channel_base import Audience, ChannelBase, SlotChannelBase
from sim.scenario.contact import DeskChannel, PhoneChannel

__all__ = [
    "Audience", "Channel", "ChannelBase", "Confirmation", "DeskChannel", "LotteryChannel",
    "NoShow", "OnlineChannel", "PhoneChannel", "RaceChannel", "ReleaseSchedule",
    "SlotChannel", "SlotChannelBase", "WaitlistChannel", "WEB_KINDS", "on_the_web",
]


class RaceChannel(SlotChannelBase):
    """Today's system: a released slot goes to whoever asks first; others come back."""

    kind: Literal["race"] = "race"
    release: ReleaseSchedule = Field(default_factory=ReleaseSchedule)


class WaitlistChannel(SlotChannelBase):
    """Waitlist: each request is registered once and given a date without reconnecting."""

    kind: Literal["waitlist"] = "waitlist"
    min_lead_days: float = Field(
        1.0, ge=0, le=365, description="A slot is offered at least this many days ahead."
    )
    release: ReleaseSchedule | None = Field(
        None,
        description="None: the register sees every slot, however far ahead, and gives the "
        "earliest free one at once. A schedule: slots open on it and go to registered "
        "requests in `order`.",
    )
    order: Literal["fifo", "earliest_deadline_first"] = Field(
        "fifo",
        description="Who gets an opening slot first: the oldest request, or the one whose "
        "deadline (title expiry, protection order) comes first (then the oldest).",
    )

    @model_validator(mode="after")
    def _priority_needs_releases(self) -> WaitlistChannel:
        if self.order == "earliest_deadline_first" and self.release is None:
            raise ValueError(
                "order earliest_deadline_first needs a release schedule (release: {...}): "
                "without one every request gets the earliest free date at once"
            )
        return self


class OnlineChannel(ChannelBase):
    """Online deposit (ANEF téléservice): the file is deposited online when the need
    appears; no counter slot is needed for this first step."""

    kind: Literal["online"] = "online"
    counter_share: float = Field(
        0.0, ge=0, le=0, description="An online deposit uses no counter time."
    )


class LotteryChannel(SlotChannelBase):
    """Requests registered; each release is drawn at random among them."""

    kind: Literal["lottery"] = "lottery"
    release: ReleaseSchedule = Field(default_factory=ReleaseSchedule)


SlotChannel = RaceChannel | WaitlistChannel | LotteryChannel | PhoneChannel
Channel = Annotated[
    DeskChannel | RaceChannel | WaitlistChannel | LotteryChannel | PhoneChannel | OnlineChannel,
    Field(discriminator="kind"),
]

WEB_KINDS = ("race", "waitlist", "lottery")
"""Slot channels booked on a website: the pages bots poll (a phone line is not one)."""


def on_the_web(channel: object) -> bool:
    """Is ``channel`` a slot channel booked on a website, whose pages bots can poll?

    >>> on_the_web(RaceChannel()), on_the_web(PhoneChannel(agents=2))
    (True, False)
    """
    return getattr(channel, "kind", "") in WEB_KINDS
