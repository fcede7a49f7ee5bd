"""Scenario schema of the booking channels (one sub-model per policy, chosen by ``kind``).

A channel is a way to obtain a first appointment. The walk-in desk is a queue at the
counters; the other channels hand out dated *slots* cut from counter time (see
:mod:`sim.engine.slots`) and differ in who gets a released slot:

* ``race`` (today's system): whoever asks first after the release;
* ``waitlist``: each request is registered once and given the earliest free date;
* ``lottery``: released slots are drawn at random among registered requests;
* ``online``: the deposit is made online (ANEF), no slot at all.

Reserved quotas and priority lanes are expressed with the same pieces: ``allocation`` splits a
channel's slots between procedures, and a channel restricted to some procedures or audience
with its own ``counter_share`` is a lane (list it first: applicants use the first channel that
matches them).

Defaults and their sources
--------------------------
* No-shows grow with lead time: the odds of not showing up are multiplied by
  ``odds_ratio_per_30_days`` for every 30 days between booking and appointment. Default 2.3,
  derived from Lee et al. (2005), *BMC Health Services Research* 5:51 (odds ratio 2.38 for
  appointments booked more than 21 days ahead vs. less than 7 days, i.e. about 30 days
  apart); Marshfield Clinic data (2021, PMC11149957) report a steeper 5.45 for more than
  4 weeks vs. less than 1 day. ``base_probability`` 0.05 at zero lead is an *estimate*
  (Marshfield: 8 % overall). The curve saturates at ``max_probability``: the probability is
  ``max * logistic(logit(base / max) + lead / 30 * ln(odds_ratio))``, which starts at
  ``base``, grows like the odds model while far below the ceiling and never passes it. No
  study fits leads of several months; rates of 10-20 % of appointments not honoured at
  consulates (Ministère des Affaires étrangères, 2024) and 6-23 % in clinics (Marshfield
  2021; Dantas et al. 2018, a review: 23 % on average) bound it: ceiling 0.15 *estimate*
  (low 0.10, high 0.25). A person who misses their appointment and still needs one books
  again (:mod:`sim.engine.booking.base`).
* Reminders: a meta-analysis of 12 studies finds a risk ratio of 0.77 for no-shows after a
  reminder (``Confirmation.no_show_reduction`` 0.23).
* Booking horizon 60 days: order of magnitude seen on prefecture booking modules. *Estimate*.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

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

    def active_on(self, day: dt.date) -> bool:
        """Does this channel take applicants whose need appears on ``day``?"""
        return (self.active_from is None or day >= self.active_from) and (
            self.active_until is None or day < self.active_until)


class DeskChannel(ChannelBase):
    """Walk-in desk: a FIFO queue at counters; seekers leave when their patience runs out."""

    kind: Literal["desk"] = "desk"
    counters: int | None = Field(
        None,
        ge=1,
        le=10000,
        description="Fixed number of counters; None derives it daily from the staff's "
        "counter minutes times counter_share, divided by the opening minutes.",
    )


class ReleaseSchedule(Frozen):
    """When slots become bookable."""

    kind: Literal["daily", "weekly", "random", "continuous"] = Field(
        "daily",
        description="daily: each day at `hour`, the slots of the day `horizon_days` ahead "
        "open; weekly: every `weekday` at `hour`, all slots up to `horizon_days` ahead open; "
        "random: each day's slots open together at a random moment of the day `horizon_days` "
        "before; continuous: each slot opens on its own at a uniformly random moment of the "
        "`horizon_days` before it.",
    )
    hour: float = Field(0.0, ge=0, lt=24, description="Release hour (daily and weekly).")
    weekday: int = Field(0, ge=0, le=6, description="Release weekday, 0 = Monday (weekly).")
    horizon_days: float = Field(
        60.0, gt=0, le=730, description="Booking horizon: slots open at most this far ahead."
    )
    allocation: Literal["first_come", "batch"] = Field(
        "first_come",
        description="first_come: a released slot goes to the first request (race); batch: the "
        "requests made in the `batch_window_minutes` after a release are collected, then the "
        "released slots are drawn among the people (and bot identities) who asked, one each: "
        "speed buys nothing (a frequent batch auction, Budish, Cramton and Shim, QJE 2015). "
        "Slots left over go first come after the window.",
    )
    batch_window_minutes: float = Field(
        30.0, gt=0, le=1440, description="Collection window of a batch release (minutes)."
    )

    @model_validator(mode="after")
    def _weekly_needs_a_week(self) -> ReleaseSchedule:
        if self.kind == "weekly" and self.horizon_days < 7:
            raise ValueError(
                f"horizon_days ({self.horizon_days}) must be >= 7 for weekly releases"
            )
        return self


class NoShow(Frozen):
    """Probability that a person who still needs their appointment misses it, growing with
    lead time up to a ceiling (people forget, fall ill, cannot leave work)."""

    base_probability: float = Field(
        0.05, ge=0, lt=1, description="No-show probability for a same-day booking. *Estimate*."
    )
    odds_ratio_per_30_days: float = Field(
        2.3,
        ge=0.01,
        le=100,
        description="Odds multiplier per 30 days of lead time while far below the ceiling "
        "(Lee et al. 2005, see module).",
    )
    max_probability: float = Field(
        1.0,
        gt=0,
        le=1,
        description="Ceiling approached at long leads (the curve saturates). 1: no ceiling, "
        "the plain odds model. *Estimate*: 0.15 (low 0.10, high 0.25), from no-show rates "
        "of 10-20 % at consulates and 6-23 % in clinics whatever the lead.",
    )

    @model_validator(mode="after")
    def _ceiling_above_start(self) -> NoShow:
        if self.max_probability < self.base_probability:
            raise ValueError(
                f"max_probability ({self.max_probability:g}) must be >= base_probability "
                f"({self.base_probability:g}): the curve rises from its start to its ceiling"
            )
        return self


class Confirmation(Frozen):
    """A reminder some days before the date, asking to confirm or release it."""

    days_before: float = Field(
        7.0, ge=0, le=365,
        description="Days before the appointment the reminder is sent; people who no longer "
        "need the date release it then (the slot goes back to the channel).",
    )
    no_show_reduction: float = Field(
        0.23, ge=0, le=1,
        description="Relative reduction of the no-show probability of people who still "
        "need their date: 0.23 from a meta-analysis of reminders (risk ratio 0.77, 12 "
        "studies; single studies 0.03 to 0.5).",
    )


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


SlotChannel = RaceChannel | WaitlistChannel | LotteryChannel
Channel = Annotated[
    DeskChannel | RaceChannel | WaitlistChannel | LotteryChannel | OnlineChannel,
    Field(discriminator="kind"),
]
