"""When a scenario runs: the simulated period and the service's opening calendar.

A run covers ``horizon.days`` days from ``horizon.start``; the first ``warmup_days`` are left
out of the KPIs. A ``burn_in_days`` period simulated before the start (and discarded) starts
the run from a realistic state, and ``follow_up_days`` after the end follow the measured
cohort to its fate (:mod:`sim.engine.frame`). The foreigners' service opens on
``calendar.weekdays`` from ``open_hour`` to ``close_hour``, closed on French public holidays
(national, or those of a ``subdivision`` such as Moselle or Alsace); a ``continuous``
calendar, open around the clock, serves the validation against queueing theory. Closure
periods (the 2020 lockdown) close the counters and the booking site for dates while needs keep
arising. The engine turns this into day-by-day opening times (:mod:`sim.engine.calendar`).
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator, model_validator

from sim.scenario.frozen import Frozen


class Horizon(Frozen):
    """The simulated period."""

    start: dt.date = Field(dt.date(2021, 1, 1), description="First simulated day (day 0).")
    days: int = Field(365, ge=1, le=3660, description="Number of simulated days.")
    warmup_days: float = Field(
        0.0,
        ge=0,
        description="Applicants whose need appears before this many days are simulated but "
        "left out of the KPIs: it only chooses what is measured (use `burn_in_days` to start "
        "from a realistic state).",
    )
    burn_in_days: int = Field(
        0,
        ge=0,
        le=3650,
        description="Days simulated before `start` under the scenario's own parameters (dated "
        "demand, staff and channels as they stand on those dates), then discarded: the run "
        "starts with people already looking, a calendar already booked and files already in "
        "instruction. 0: the run starts empty.",
    )
    follow_up_days: int = Field(
        0,
        ge=0,
        le=3650,
        description="Days simulated after the horizon's end so that the needs that appeared "
        "inside it are followed until they are served, give up, lapse or expire (demand goes on "
        "meanwhile, so that the late-comers still compete as they would). Waits and deadline "
        "KPIs of the measured cohort are then complete up to this cap; people still open at the "
        "cap are reported as such.",
    )

    @model_validator(mode="after")
    def _warmup_inside(self) -> Horizon:
        if self.warmup_days >= self.days:
            raise ValueError(
                f"warmup_days ({self.warmup_days}) must be smaller than days ({self.days})"
            )
        return self


class Closure(Frozen):
    """A period when the counters and the booking site are closed (a lockdown, a service
    closed to clear its stock) while needs keep arising."""

    start: dt.date = Field(description="First closed day.")
    end: dt.date = Field(description="First day open again.")
    label: str = Field("", description="What the closure was (free text).")
    back_office_share: float = Field(
        0.25, ge=0, le=1,
        description="Share of its usual hours the back office works meanwhile. *Estimate*: "
        "0.25 (low 0, high 0.5) in the 2020 lockdown (some prefectures suspended instruction, "
        "others ran continuity plans).",
    )
    deadline_extension_days: float = Field(
        0.0, ge=0, le=730,
        description="Days added to renewal deadlines (title expiries) that fall inside the "
        "closure: 180 for titles expiring from 16 March to 15 June 2020 (ordonnances "
        "n°2020-328 and n°2020-460, loi n°2020-546).",
    )

    @model_validator(mode="after")
    def _order(self) -> Closure:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
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
    closures: tuple[Closure, ...] = Field(
        (),
        description="Periods when counters and booking are closed: no counter time, no slot "
        "and no release (slots whose release falls inside open at the closure's end); needs "
        "keep arising and the back office works at its `back_office_share`.",
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
    def _closures_apart(self) -> CalendarSpec:
        spans = sorted(enumerate(self.closures), key=lambda item: item[1].start)
        for (i, a), (j, b) in zip(spans, spans[1:], strict=False):
            if b.start < a.end:
                raise ValueError(
                    f"closures.{i} ({a.start} to {a.end}) and closures.{j} ({b.start} to "
                    f"{b.end}) overlap: a closure must end (its first open day) on or before "
                    "the next one starts")
        return self

    @model_validator(mode="after")
    def _hours_order(self) -> CalendarSpec:
        if not self.continuous and self.close_hour <= self.open_hour:
            raise ValueError(
                f"close_hour ({self.close_hour}) must be after open_hour ({self.open_hour})"
            )
        return self
