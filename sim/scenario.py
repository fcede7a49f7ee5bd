"""Scenario schema: everything a run needs, validated once.

A planner describes a prefecture in a YAML file: which procedures (démarches) people come
for and how many a year, how many staff (ETP) work at the counters and on the files, which
channels people use to get an appointment, and how long they are willing to wait. This module
turns that file into a frozen, fully validated :class:`Scenario`.

Every field carries its unit in its name or its description, and its bounds as
``Field(ge=..., le=...)`` so that a bad value is reported with the field path and the allowed
range. Variants (``--set`` overrides, sweep points, dashboard edits) never mutate a scenario:
they merge into ``model_dump()`` and validate again through :func:`sim.loader.validate`.

Defaults and their sources
--------------------------
* ``hours_per_etp_year = 1607``: annual working time of a full-time civil servant (décret
  n°2000-815 du 25 août 2000).
* ``productive_share = 0.6``: share of paid hours spent at the counter or on files, net of
  training, meetings and support work. *Estimate*, to be calibrated.
* ``cost_per_etp_year_eur = 45000``: loaded annual cost of a category B/C agent. *Estimate*.
* ``counter_minutes_per_visit = 30``: order of magnitude of a deposit appointment. *Estimate*.

The model's time unit is the day; the schema speaks in dates, days, hours and minutes as named.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator, model_validator

from sim.channels import (
    Channel,
    DeskChannel,
    LotteryChannel,
    OnlineChannel,
    RaceChannel,
    ReleaseSchedule,
    SlotChannelBase,
    WaitlistChannel,
)
from sim.countermeasures import BotOperator, Countermeasures, ResaleDemand
from sim.distributions import DistributionSpec
from sim.frozen import Frozen
from sim.procedures import Procedure

__all__ = [  # the schema's public names; channel and bot models live in their modules
    "Behaviour", "BotOperator", "CalendarSpec", "Channel", "Countermeasures", "DeskChannel",
    "DistributionSpec", "Horizon", "LotteryChannel", "OnlineChannel", "Procedure", "RaceChannel",
    "Reinforcement", "ReleaseSchedule", "ResaleDemand", "Scenario", "SeasonalStaff",
    "SeekerClass", "SlotChannelBase", "Staff", "WaitlistChannel", "route",
]


class Horizon(Frozen):
    """The simulated period."""

    start: dt.date = Field(dt.date(2021, 1, 1), description="First simulated day (day 0).")
    days: int = Field(365, ge=1, le=3660, description="Number of simulated days.")
    warmup_days: float = Field(
        0.0,
        ge=0,
        description="Applicants whose need appears before this many days are simulated but "
        "left out of the KPIs (they fill the system to a realistic state).",
    )

    @model_validator(mode="after")
    def _warmup_inside(self) -> Horizon:
        if self.warmup_days >= self.days:
            raise ValueError(
                f"warmup_days ({self.warmup_days}) must be smaller than days ({self.days})"
            )
        return self


class CalendarSpec(Frozen):
    """Working days and opening hours of the foreigners' service."""

    continuous: bool = Field(
        False,
        description="Open every day around the clock, no holidays. For validation against "
        "queueing theory (the desk is then exactly an M/M/c+M queue).",
    )
    weekdays: tuple[int, ...] = Field(
        (0, 1, 2, 3, 4),
        min_length=1,
        max_length=7,
        description="Opening weekdays, 0 = Monday ... 6 = Sunday.",
    )
    open_hour: float = Field(9.0, ge=0, le=24, description="Opening hour (decimal hours).")
    close_hour: float = Field(16.0, ge=0, le=24, description="Closing hour (decimal hours).")
    public_holidays: bool = Field(
        True, description="Closed on French public holidays (from the `holidays` library)."
    )
    subdivision: str | None = Field(
        None,
        description="Code for local public holidays, as the holidays library names them: "
        "'57' (Moselle), '6AE' (Alsace: Bas-Rhin, Haut-Rhin), '971'...; None: national only.",
    )

    @field_validator("weekdays")
    @classmethod
    def _weekday_range(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        bad = [d for d in v if not 0 <= d <= 6]
        if bad:
            raise ValueError(f"weekdays must be integers 0 (Monday) to 6 (Sunday), got {bad}")
        return tuple(sorted(set(v)))

    @field_validator("subdivision")
    @classmethod
    def _known_subdivision(cls, v: str | None) -> str | None:
        if v is None:
            return v
        import holidays

        known = holidays.France.subdivisions
        if v not in known:
            raise ValueError(
                f"unknown subdivision {v!r} for French public holidays; allowed: "
                f"{', '.join(known)} (quote numeric codes, e.g. '57')"
            )
        return v

    @model_validator(mode="after")
    def _hours_order(self) -> CalendarSpec:
        if not self.continuous and self.close_hour <= self.open_hour:
            raise ValueError(
                f"close_hour ({self.close_hour}) must be after open_hour ({self.open_hour})"
            )
        return self


class SeekerClass(Frozen):
    """A kind of online seeker: how often they check the booking site, and when."""

    share: float = Field(ge=0, le=1, description="Share of online seekers in this class.")
    checks_per_day: float = Field(
        gt=0, le=1e6, description="Visits to the booking site per day while looking."
    )
    night_share: float = Field(
        0.2, ge=0, le=1, description="Share of those visits made at night (22h-6h)."
    )


DEFAULT_SEEKERS = (
    SeekerClass(share=0.5, checks_per_day=3, night_share=0.1),
    SeekerClass(share=0.4, checks_per_day=12, night_share=0.25),
    SeekerClass(share=0.1, checks_per_day=48, night_share=0.4),
)


class Behaviour(Frozen):
    """How applicants behave while they look for an appointment."""

    digital_access_share: float = Field(
        0.85,
        ge=0,
        le=1,
        description="Share of applicants able to book online by themselves. *Estimate*.",
    )
    patience: DistributionSpec | None = Field(
        None,
        description="Time (days) after which a seeker gives up; None means nobody gives up.",
    )
    resale: ResaleDemand = Field(
        default_factory=ResaleDemand, description="Who turns to resellers, and when."
    )
    seekers: tuple[SeekerClass, ...] = Field(
        DEFAULT_SEEKERS,
        min_length=1,
        description="Classes of online seekers by checking habit (shares sum to 1). Default "
        "*estimate*: testimonies describe people checking many times a day, also at night.",
    )

    @field_validator("seekers")
    @classmethod
    def _shares_sum_to_one(cls, v: tuple[SeekerClass, ...]) -> tuple[SeekerClass, ...]:
        total = sum(c.share for c in v)
        if abs(total - 1) > 1e-6:
            raise ValueError(f"seeker class shares must sum to 1, got {total:g}")
        return v


class Reinforcement(Frozen):
    """A dated staff increment (permanent), reaching full strength after a ramp-up."""

    start: dt.date = Field(description="Date the new staff arrive.")
    etp: float = Field(ge=-10000, le=10000, description="ETP added (negative: removed).")
    ramp_up_days: float = Field(
        0.0, ge=0, le=730, description="Days of linear ramp-up while new staff train."
    )
    office: Literal["front", "back"] = Field("front", description="Front or back office.")


class SeasonalStaff(Frozen):
    """Contract staff (vacataires) present between two dates."""

    start: dt.date = Field(description="First day present.")
    end: dt.date = Field(description="First day no longer present.")
    etp: float = Field(ge=0, le=10000, description="ETP present.")
    office: Literal["front", "back"] = Field("front", description="Front or back office.")

    @model_validator(mode="after")
    def _order(self) -> SeasonalStaff:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class Staff(Frozen):
    """Front-office (counters) and back-office (instruction) staff as time series."""

    front_office_etp: float = Field(ge=0, le=10000, description="Baseline counter ETP.")
    back_office_etp: float = Field(0.0, ge=0, le=10000, description="Baseline back-office ETP.")
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


class Scenario(Frozen):
    """A complete, validated description of one prefecture's foreigners' service."""

    name: str = Field("scenario", description="Short name used in outputs.")
    description: str = Field("", description="Free text.")
    horizon: Horizon = Field(default_factory=Horizon)
    calendar: CalendarSpec = Field(default_factory=CalendarSpec)
    procedures: dict[str, Procedure] = Field(
        min_length=1, description="Procedures keyed by identifier."
    )
    behaviour: Behaviour = Field(default_factory=Behaviour)
    staff: Staff
    channels: dict[str, Channel] = Field(
        min_length=1,
        description="Booking channels keyed by name; an applicant uses the first channel "
        "(in file order) whose audience and procedures match.",
    )
    bots: dict[str, BotOperator] = Field(
        default_factory=dict, description="Bot operators keyed by name; none by default."
    )
    countermeasures: Countermeasures = Field(default_factory=Countermeasures)

    @model_validator(mode="after")
    def _channels_consistent(self) -> Scenario:
        known = set(self.procedures)
        for name, ch in self.channels.items():
            unknown = sorted(set(ch.procedures or ()) - known)
            if unknown:
                raise ValueError(
                    f"channels.{name}.procedures: unknown procedure(s) {unknown}; "
                    f"known: {sorted(known)}"
                )
            if isinstance(ch, SlotChannelBase) and ch.allocation is not None:
                served = set(ch.procedures or known)
                stray = sorted(set(ch.allocation) - served)
                if stray:
                    raise ValueError(
                        f"channels.{name}.allocation: procedure(s) {stray} not served by this "
                        f"channel; served: {sorted(served)}"
                    )
        for name, bot in self.bots.items():
            unknown = sorted(set(bot.procedures or ()) - known)
            if unknown:
                raise ValueError(
                    f"bots.{name}.procedures: unknown procedure(s) {unknown}; "
                    f"known: {sorted(known)}"
                )
        self._dates_inside_horizon()
        total = sum(ch.counter_share for ch in self.channels.values() if _uses_staff(ch))
        if total > 1 + 1e-9:
            raise ValueError(
                f"channels: counter_share values sum to {total:g}; they must sum to at most 1"
            )
        for proc in self.procedures:
            for digital in (True, False):
                if route(self, proc, digital) is None:
                    who = "digital" if digital else "non_digital"
                    raise ValueError(
                        f"channels: no channel serves {who} applicants of procedure "
                        f"'{proc}' at all dates (add one without active_from/active_until)"
                    )
        return self


    def _dates_inside_horizon(self) -> None:
        """A channel or a move to ANEF dated after the horizon's end never happens: surely a
        mistake. (Staff and demand changes after the end are allowed, so that a dated plan
        can be run over a shorter horizon.)"""
        end = self.horizon.start + dt.timedelta(days=self.horizon.days)
        dated: list[tuple[str, dt.date | None]] = []
        for name, ch in self.channels.items():
            dated += [(f"channels.{name}.active_from", ch.active_from),
                      (f"channels.{name}.active_until", ch.active_until)]
        for name, proc in self.procedures.items():
            if proc.anef is not None:
                dated.append((f"procedures.{name}.anef.from_date", proc.anef.from_date))
        for path, day in dated:
            if day is not None and day >= end:
                raise ValueError(
                    f"{path} = {day}: outside the horizon (must be before {end}, the day "
                    f"after the last simulated day)"
                )


def _uses_staff(ch: object) -> bool:
    return not (isinstance(ch, DeskChannel) and ch.counters is not None)


def route(scenario: Scenario, procedure: str, digital: bool,
          day: dt.date | None = None) -> str | None:
    """Name of the first channel serving this kind of applicant (on ``day``), or None.

    With ``day=None``, only channels open at all dates count: every applicant must have one.

    >>> from sim.loader import validate
    >>> s = validate({"procedures": {"renewal": {"annual_volume": 100}},
    ...               "staff": {"front_office_etp": 2},
    ...               "channels": {"desk": {"kind": "desk", "audience": "non_digital",
    ...                                     "counter_share": 0.2},
    ...                            "online": {"kind": "waitlist", "counter_share": 0.8}}})
    >>> route(s, "renewal", digital=False), route(s, "renewal", digital=True)
    ('desk', 'online')
    """
    for name, ch in scenario.channels.items():
        if ch.procedures is not None and procedure not in ch.procedures:
            continue
        if not (ch.audience == "all" or (ch.audience == "digital") == digital):
            continue
        dated = ch.active_from is not None or ch.active_until is not None
        if (day is None and not dated) or (day is not None and ch.active_on(day)):
            return name
    return None
