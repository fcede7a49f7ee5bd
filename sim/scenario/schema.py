"""Scenario schema: everything a run needs, validated once.

A planner describes a prefecture in a YAML file: which procedures (démarches) people come
for and how many a year, how many staff (ETP) work at the counters and on the files, which
channels people use to get an appointment, and how long they are willing to wait. This module
turns that file into a frozen, fully validated :class:`Scenario`.

Every field carries its unit in its name or its description, and its bounds as
``Field(ge=..., le=...)`` so that a bad value is reported with the field path and the allowed
range. Variants (``--set`` overrides, sweep points, dashboard edits) never mutate a scenario:
they merge into ``model_dump()`` and validate again through :func:`sim.scenario.loader.validate`.

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

from pydantic import Field, model_validator

from sim.scenario.behaviour import Behaviour
from sim.scenario.channels import Channel, DeskChannel, PhoneChannel, SlotChannelBase
from sim.scenario.countermeasures import BotOperator, Countermeasures
from sim.scenario.frozen import Frozen
from sim.scenario.horizon import CalendarSpec, Horizon
from sim.scenario.observers import Courts, Probe
from sim.scenario.procedures import Procedure
from sim.scenario.staff import Staff


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
        "(in file order, those marked route_first before the others) whose audience and "
        "procedures match.",
    )
    bots: dict[str, BotOperator] = Field(
        default_factory=dict, description="Bot operators keyed by name; none by default."
    )
    countermeasures: Countermeasures = Field(default_factory=Countermeasures)
    probe: Probe | None = Field(
        None, description="An observer reading each race channel's page as the associations' "
        "robot did (five bins); None: no probe."
    )
    courts: Courts | None = Field(
        None, description="Court cases (référé mesures utiles) that order appointments in "
        "race channels; None: nobody goes to court."
    )

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
        self._phone_hours()
        total = sum(ch.counter_share for ch in self.channels.values() if _uses_staff(ch))
        if total > 1 + 1e-9:
            raise ValueError(
                f"channels: counter_share values sum to {total:g}; they must sum to at most 1"
            )
        if self.staff.counter_time.rule == "follow_demand" and abs(total - 1) > 1e-6:
            raise ValueError(
                f"staff.counter_time.rule = follow_demand shares all counter time between the "
                f"channels: their counter_share values must sum to 1, got {total:g}")
        for proc in self.procedures:
            for digital in (True, False):
                if route(self, proc, digital) is None:
                    who = "digital" if digital else "non_digital"
                    raise ValueError(
                        f"channels: no channel serves {who} applicants of procedure "
                        f"'{proc}' at all dates (add one without active_from/active_until)"
                    )
        return self


    def _phone_hours(self) -> None:
        """A phone line open for no time at all never answers: surely a mistake."""
        if self.calendar.continuous:
            return  # open around the clock; the line's hours are ignored
        for name, ch in self.channels.items():
            if not isinstance(ch, PhoneChannel):
                continue
            opens = self.calendar.open_hour if ch.open_hour is None else ch.open_hour
            closes = self.calendar.close_hour if ch.close_hour is None else ch.close_hour
            if closes <= opens:
                raise ValueError(
                    f"channels.{name}.close_hour ({closes:g}) must be greater than open_hour "
                    f"({opens:g}): the line has no opening hours"
                )

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
    """Name of the first channel (:func:`routing_order`) serving this kind of applicant (on
    ``day``), or None.

    With ``day=None``, only channels open at all dates count: every applicant must have one.

    >>> from sim.scenario.loader import validate
    >>> s = validate({"procedures": {"renewal": {"annual_volume": 100}},
    ...               "staff": {"front_office_etp": 2},
    ...               "channels": {"desk": {"kind": "desk", "audience": "non_digital",
    ...                                     "counter_share": 0.2},
    ...                            "online": {"kind": "waitlist", "counter_share": 0.8}}})
    >>> route(s, "renewal", digital=False), route(s, "renewal", digital=True)
    ('desk', 'online')
    """
    for name, ch in routing_order(scenario):
        if ch.procedures is not None and procedure not in ch.procedures:
            continue
        if not (ch.audience == "all" or (ch.audience == "digital") == digital):
            continue
        dated = ch.active_from is not None or ch.active_until is not None
        if (day is None and not dated) or (day is not None and ch.active_on(day)):
            return name
    return None


def routing_order(scenario: Scenario) -> list[tuple[str, Channel]]:
    """Channels in the order applicants try them: those marked ``route_first`` first, then
    the others, each group in file order."""
    channels = list(scenario.channels.items())
    return sorted(channels, key=lambda item: not item[1].route_first)
