"""Scenario schema shared by every booking channel: who uses it, when, with how much counter
time; and, for the channels that hand out dated slots, how those slots are cut and kept.

A channel restricted to some procedures or audience with its own ``counter_share`` is a
lane; applicants use the first channel (in file order, ``route_first`` ones before the
others) whose audience, procedures and dates match them.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator

from sim.scenario.appointments import Confirmation, NoShow
from sim.scenario.frozen import Frozen

Audience = Literal["all", "digital", "non_digital"]


class ChannelBase(Frozen):
    """What every channel shares: who uses it and how much counter time it gets."""

    audience: Audience = Field(
        "all", description="Who uses this channel: all, digital or non_digital applicants."
    )
    procedures: tuple[str, ...] | None = Field(
        None, description="Procedures served by this channel; None means all."
    )
    counter_share: float = Field(
        1.0,
        ge=0,
        le=1,
        description="Share of the front office's counter time given to this channel.",
    )
    active_from: dt.date | None = Field(
        None, description="Applicants whose need appears before this date do not use it."
    )
    active_until: dt.date | None = Field(
        None, description="Applicants whose need appears on or after this date do not use it."
    )
    assisted: bool = Field(
        False,
        description="The channel itself reaches people without digital access (a "
        "convocation letter, staff who register them): they need no outside help to use it "
        "(see behaviour.help).",
    )
    admission_delay_days: float = Field(
        0.0,
        ge=0,
        le=365,
        description="Days between the need appearing and entering this channel (e.g. the "
        "time for an association to refer a person); the wait still counts from the need.",
    )
    route_first: bool = Field(
        False,
        description="Route applicants to this channel before the channels without this flag, "
        "as if it were listed first (a file that extends another adds its new channels after "
        "the parent's and cannot reorder them).",
    )

    def active_on(self, day: dt.date) -> bool:
        """Does this channel take applicants whose need appears on ``day``?"""
        return (self.active_from is None or day >= self.active_from) and (
            self.active_until is None or day < self.active_until)


class SlotChannelBase(ChannelBase):
    """Channels that hand out dated slots cut from counter time."""

    allocation: dict[str, float] | None = Field(
        None,
        description="Share of the channel's slots per procedure (must sum to 1); None "
        "allocates in proportion to the counter time each procedure demands.",
    )
    min_lead_days: float = Field(
        0.0, ge=0, le=365, description="A slot can be booked at most until this long before it."
    )
    no_show: NoShow | None = Field(None, description="No-show model; None: everybody comes.")
    confirmation: Confirmation | None = Field(
        None,
        description="Reminders before the date (a policy lever): people whose need went away "
        "release their slot, the others miss less often. None: no reminder.",
    )
    cancellation_probability: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Probability that a booking is cancelled (at a uniformly random moment "
        "before the appointment); the slot is released again and the applicant leaves.",
    )
    overbooking_share: float = Field(
        0.0, ge=0, le=1, description="Extra slots booked beyond capacity, as a share of it."
    )
    prebooked_days: float = Field(
        0.0,
        ge=0,
        le=730,
        description="Slots of the first this-many days are already held by applicants who "
        "came before the start (a congested office is never empty); they count as used. "
        "Use the same value across channels and policies you compare.",
    )

    @field_validator("allocation")
    @classmethod
    def _shares_sum_to_one(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        bad = {k: s for k, s in v.items() if not 0 <= s <= 1}
        if bad:
            raise ValueError(f"allocation shares must lie in [0, 1], got {bad}")
        total = sum(v.values())
        if abs(total - 1) > 1e-6:
            raise ValueError(f"allocation shares must sum to 1, got {total:g}")
        return v
