"""Scenario schema of a dated appointment: when slots open, who misses them, reminders.

Every channel that hands out dated slots (:mod:`sim.scenario.channels`) shares these terms.

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
  again (:mod:`sim.engine.booking.life`).
* Reminders: a meta-analysis of 12 studies finds a risk ratio of 0.77 for no-shows after a
  reminder (``Confirmation.no_show_reduction`` 0.23).
* Booking horizon 60 days: order of magnitude seen on prefecture booking modules. *Estimate*.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.scenario.frozen import Frozen


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
