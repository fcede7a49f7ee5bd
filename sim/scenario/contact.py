"""Scenario schema of the channels people reach in person or by phone: the walk-in desk and
the phone line.

The walk-in desk is a queue at the counters, in one of two modes. ``queue`` is the textbook
first-in, first-out queue whose tickets are honoured across closings: in continuous mode it
is exactly the M/M/c+M queue that the theory checks use. ``daily_tickets`` is the desk as
people live it: at opening the desk hands out as many tickets as the day's counter time
allows, to the people present (in random order); the others are turned away and come back
another day, until they give up.

The phone line (``kind: phone``) answers calls with agents during its opening hours; an
answered caller gets the earliest free date of the line's own slots (its ``counter_share``
of counter time): however far ahead, like a waitlist without release schedule, or within a
booking horizon if the line has a ``release`` schedule. Callers who find the line busy, hang
up on hold or are told that no date is open call again later, until their need is gone.
People without digital access use both without outside help.

Defaults and their sources
--------------------------
Figures quoted from press reports and the associations' and OFII's own counts, gathered in the
project's research notes on digital access (desk and phone sections):

* ``retrial_mean_days = 0.72`` (desk): people turned away come back the next open day with
  probability ``1 - exp(-1 / 0.72) = 0.75``. *Estimate* (low 0.43: 90 % the next day; high
  1.44: 50 %). Testimonies describe people coming day after day: "il faudra revenir le
  lendemain" (Évry, tickets handed out at 7:45), "C'est ma quatrième tentative" (Nanterre,
  BFMTV 13 July 2017), "Ça fait trois jours que je viens" (Nanterre, TV5Monde 2019),
  "11 fois ces trois derniers mois" (Évry, 2017). Tickets ran out daily: 700 received of
  1,200 queuing at Nanterre (BFMTV 2017), 100-140 tickets for 200-300 people at Évry
  (Senef, c. 2019).
* ``handling_minutes = 3`` (phone): the OFII's Île-de-France asylum booking line reports an
  average conversation of "trois minutes" (2018, La Cimade) and "2,7 mn" (week 8 of 2021).
* ``hold_patience_minutes = 30``: *estimate* (low 10, high 60). Answered callers of the OFII
  line had waited 24 minutes (2018) and 30.2 minutes (2021) on average, so people who need
  an appointment hold for that long; nothing is published on how long they hold before
  hanging up.
* ``retrial_mean_hours = 7``: callers try again after one opening day on average (7 hours
  of a line open 9h-16h), as people turned away at a desk come back the next day.
  *Estimate* (low 1, high 35: a week of opening). Nothing is published on how soon callers
  redial; the OFII line handled 61,957 of 571,115 calls in eight months of 2018 (10.8 %,
  La Cimade 2019): callers redial many times.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.scenario.appointments import ReleaseSchedule
from sim.scenario.channel_base import ChannelBase, SlotChannelBase


class DeskChannel(ChannelBase):
    """Walk-in desk: a queue at counters; seekers leave when their patience runs out."""

    kind: Literal["desk"] = "desk"
    counters: int | None = Field(
        None,
        ge=1,
        le=10000,
        description="Fixed number of counters; None derives it daily from the staff's "
        "counter minutes times counter_share, divided by the opening minutes.",
    )
    mode: Literal["queue", "daily_tickets"] = Field(
        "queue",
        description="queue: one first-in, first-out queue whose tickets are honoured across "
        "closings (the M/M/c+M queue of the theory checks). daily_tickets: each open day at "
        "opening the desk hands out tickets up to the day's counter time (counters x opening "
        "minutes / mean minutes per visit) to the people present, in random order; ticket "
        "holders are served that day, the others come back another day.",
    )
    retrial_mean_days: float = Field(
        0.72,
        gt=0,
        le=365,
        description="daily_tickets: mean of the exponential delay (days) after which a person "
        "turned away comes back; they come on the first desk day opening after it. *Estimate*: "
        "0.72, 75 % back the next open day (low 0.43: 90 %, high 1.44: 50 %).",
    )


class PhoneChannel(SlotChannelBase):
    """Phone line: agents answer calls in opening hours; an answered call books the earliest
    free date of the line's own slots. Callers who find the line busy, hang up on hold or
    find no date open call again later, until their need is gone."""

    kind: Literal["phone"] = "phone"
    agents: int | None = Field(
        None,
        ge=1,
        le=10000,
        description="Fixed number of agents on the line every open day (no staff cost, like a "
        "desk's fixed counters); None: derived from agent_etp.",
    )
    agent_etp: float | None = Field(
        None,
        gt=0,
        le=10000,
        description="Call agents in ETP, added to the staff (counted in staff_cost_eur): their "
        "yearly hours (staff.hours_per_etp_year x productive_share x (1 - absence_rate)) "
        "spread over the open days, divided by the line's opening minutes, give the agents of "
        "each day (whole agents, fractions carried over to the next days).",
    )
    open_hour: float | None = Field(
        None, ge=0, le=24, description="The line opens at this hour; None: the calendar's."
    )
    close_hour: float | None = Field(
        None, ge=0, le=24, description="The line closes at this hour; None: the calendar's. "
        "Callers still on hold then are cut off (they call again another day).",
    )
    handling_minutes: float = Field(
        3.0,
        gt=0,
        le=600,
        description="Mean handling time of an answered call. Sourced: 3 minutes (OFII asylum "
        "line, 2018), 2.7 (2021).",
    )
    handling_kind: Literal["exponential", "deterministic", "lognormal", "gamma"] = Field(
        "exponential",
        description="Distribution of handling times: exponential (the theory checks), or "
        "lognormal, as measured in call centres (Brown et al. 2005, JASA 100:36-50).",
    )
    handling_cv: float = Field(
        1.0, ge=0, le=10, description="Coefficient of variation of handling times."
    )
    hold_patience_minutes: float | None = Field(
        30.0,
        gt=0,
        le=1440,
        description="Mean time a caller holds before hanging up (exponential); None: they hold "
        "until answered or until the line closes. *Estimate* (low 10, high 60): answered "
        "callers of the OFII line had waited 24-30 minutes on average.",
    )
    lines: int | None = Field(
        None,
        ge=0,
        le=100000,
        description="Calls that can wait on hold; a call finding every agent busy and every "
        "line taken gets the busy tone. None: unlimited.",
    )
    retrial_mean_hours: float | None = Field(
        7.0,
        gt=0,
        le=8760,
        description="Mean delay, in hours of the line's opening time, before a caller who found "
        "the line busy, hung up or was told no date is open calls again (exponential); they "
        "stop when their need is gone (behaviour.patience). None: no retrial, they give up. "
        "*Estimate*: 7, one opening day (low 1, high 35: a week).",
    )
    min_lead_days: float = Field(
        1.0, ge=0, le=365, description="A date is offered at least this many days ahead."
    )
    release: ReleaseSchedule | None = Field(
        None,
        description="None: the line sees every date however far ahead (a register): every "
        "answered caller gets one. A schedule: dates open on it, at most horizon_days ahead, "
        "as on the booking site; a caller for whom no date is open is told to call again "
        "(after a retrial delay) and gives up when their need is gone.",
    )

    @model_validator(mode="after")
    def _someone_answers(self) -> PhoneChannel:
        if self.agents is None and self.agent_etp is None:
            raise ValueError(
                "agents or agent_etp: a phone line needs someone to answer: set agents (>= 1) "
                "or agent_etp (> 0)"
            )
        if self.agents is not None and self.agent_etp is not None:
            raise ValueError(
                f"agents ({self.agents}) and agent_etp ({self.agent_etp:g}): set one of them, "
                "not both"
            )
        return self
