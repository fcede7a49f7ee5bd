"""Who works: front-office (counter) and back-office (instruction) staff, in ETP.

A baseline of full-time equivalents (ETP) changes over time through dated reinforcements
(permanent, with a ramp-up while new staff train) and seasonal contract staff (vacataires)
present between two dates. The engine turns this into counter minutes and instruction hours
per day (:mod:`sim.engine.staff`, :mod:`sim.engine.casework`); ``counter_time`` says how the
counter minutes are shared between the booking channels (:mod:`sim.engine.counter_time`).

Defaults and their sources
--------------------------
* ``hours_per_etp_year = 1607``: annual working time of a full-time civil servant (décret
  n°2000-815 du 25 août 2000).
* ``productive_share = 0.6``: share of paid hours spent at the counter or on files, net of
  training, meetings and support work. *Estimate*, to be calibrated.
* ``cost_per_etp_year_eur = 45000``: loaded annual cost of a category B/C agent. *Estimate*.

Bounds: at most 5,000 ETP in any office, in any reinforcement or seasonal period. All the
prefectures' séjour services together count about 2,000 ETP (2021: 2,000 ETP x 1,607 h for
950,000 titles, :mod:`sim.scenario.procedures`); 5,000 leaves room for a national what-if and
refuses a typing error such as 10,000, which would cut millions of slots a day.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from sim.scenario.frozen import Frozen

MAX_ETP = 5000
"""Staff of one office, reinforcement or seasonal period: see the module's bounds."""


class Reinforcement(Frozen):
    """A dated staff increment (permanent), reaching full strength after a ramp-up."""

    start: dt.date = Field(description="Date the new staff arrive.")
    etp: float = Field(ge=-MAX_ETP, le=MAX_ETP, description="ETP added (negative: removed).")
    ramp_up_days: float = Field(
        0.0, ge=0, le=730, description="Days of linear ramp-up while new staff train."
    )
    office: Literal["front", "back"] = Field("front", description="Front or back office.")


class SeasonalStaff(Frozen):
    """Contract staff (vacataires) present between two dates."""

    start: dt.date = Field(description="First day present.")
    end: dt.date = Field(description="First day no longer present.")
    etp: float = Field(ge=0, le=MAX_ETP, description="ETP present.")
    office: Literal["front", "back"] = Field("front", description="Front or back office.")

    @model_validator(mode="after")
    def _order(self) -> SeasonalStaff:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class CounterTime(Frozen):
    """How counter time is shared between the booking channels."""

    rule: Literal["fixed", "follow_demand"] = Field(
        "fixed",
        description="fixed: each channel gets its `counter_share` every day. follow_demand: "
        "each week, the counter time a channel's expected demand does not need (expected "
        "arrivals routed to it x minutes per visit, with `headroom`) goes to the channels whose "
        "expected demand exceeds their share, in proportion to their shortfall (a manager "
        "moving freed counters at once); the shares must then sum to 1.",
    )
    headroom: float = Field(
        0.1, ge=0, le=1,
        description="follow_demand: a channel keeps its expected demand times (1 + headroom) "
        "before giving any away, and is short below it (a queue at utilisation 1 would grow "
        "without bound). *Estimate*: 0.1 (low 0.05, high 0.25).",
    )


class Staff(Frozen):
    """Front-office (counters) and back-office (instruction) staff as time series."""

    front_office_etp: float = Field(ge=0, le=MAX_ETP, description="Baseline counter ETP.")
    back_office_etp: float = Field(0.0, ge=0, le=MAX_ETP,
                                   description="Baseline back-office ETP.")
    hours_per_etp_year: float = Field(
        1607.0, gt=0, le=2500, description="Annual hours per ETP (décret n°2000-815)."
    )
    productive_share: float = Field(
        0.6,
        gt=0,
        le=1,
        description="Share of hours spent at the counter / on files. *Estimate*.",
    )
    absence_rate: float = Field(
        0.05, ge=0, lt=1, description="Share of staff absent on an average day. *Estimate*."
    )
    cost_per_etp_year_eur: float = Field(
        45000.0, ge=0, le=1e6, description="Loaded annual cost of one ETP (EUR). *Estimate*."
    )
    reinforcements: tuple[Reinforcement, ...] = Field((), description="Dated increments.")
    seasonal: tuple[SeasonalStaff, ...] = Field((), description="Contract staff periods.")
    counter_time: CounterTime = Field(
        default_factory=CounterTime,
        description="How counter time is shared between channels (fixed or following demand).",
    )
