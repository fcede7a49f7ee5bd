"""The scenario layer: what a planner writes, read and validated once.

A scenario is a frozen pydantic model (:class:`Scenario`, in :mod:`sim.scenario.schema`) with
one sub-model per concept: the horizon and calendar, procedures, behaviour, staff, booking
channels, bots and countermeasures, the probe and the courts. :mod:`sim.scenario.files` reads
YAML and ``extends:``; :mod:`sim.scenario.loader` is the one door (``load``, ``validate``,
``variant``) that turns a mapping into a scenario or a
:class:`~sim.scenario.errors.ScenarioError`.

This layer imports nothing else of ``sim``: the engine, the analysis, the experiments and the
faces build on it (see docs/architecture.md). The schema's public names are re-exported here,
so that ``from sim.scenario import Scenario`` reads as it always has; they are imported on
first use (PEP 562), so that ``import sim.scenario.errors`` does not load pydantic and
``prefsim --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.scenario.behaviour import Behaviour, Help, Holding, SeekerClass
    from sim.scenario.channels import (
        Channel,
        DeskChannel,
        LotteryChannel,
        OnlineChannel,
        PhoneChannel,
        RaceChannel,
        ReleaseSchedule,
        SlotChannelBase,
        WaitlistChannel,
    )
    from sim.scenario.countermeasures import BotOperator, Countermeasures, ResaleDemand
    from sim.scenario.distributions import DistributionSpec
    from sim.scenario.horizon import CalendarSpec, Closure, Horizon
    from sim.scenario.observers import Courts, Probe
    from sim.scenario.procedures import Procedure
    from sim.scenario.schema import Scenario, route, routing_order
    from sim.scenario.staff import Reinforcement, SeasonalStaff, Staff

_HOME = {  # public name -> the module of the schema that defines it
    **dict.fromkeys(("Behaviour", "Help", "Holding", "SeekerClass"), "behaviour"),
    **dict.fromkeys(("Channel", "DeskChannel", "LotteryChannel", "OnlineChannel", "PhoneChannel",
                     "RaceChannel", "ReleaseSchedule", "SlotChannelBase", "WaitlistChannel"),
                    "channels"),
    **dict.fromkeys(("BotOperator", "Countermeasures", "ResaleDemand"), "countermeasures"),
    "DistributionSpec": "distributions", "CalendarSpec": "horizon", "Closure": "horizon",
    "Horizon": "horizon", "Courts": "observers", "Probe": "observers",
    "Procedure": "procedures", "Scenario": "schema", "route": "schema",
    "routing_order": "schema",
    **dict.fromkeys(("Reinforcement", "SeasonalStaff", "Staff"), "staff"),
}

__all__ = [
    "Behaviour", "BotOperator", "CalendarSpec", "Channel", "Closure", "Countermeasures", "Courts",
    "DeskChannel",
    "DistributionSpec", "Help", "Holding", "Horizon", "LotteryChannel", "OnlineChannel",
    "PhoneChannel", "Probe", "Procedure", "RaceChannel",
    "Reinforcement", "ReleaseSchedule", "ResaleDemand", "Scenario", "SeasonalStaff",
    "SeekerClass", "SlotChannelBase", "Staff", "WaitlistChannel", "route", "routing_order",
]


def __getattr__(name: str) -> Any:
    """The schema's models, imported from their module when first asked for."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'sim.scenario' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"sim.scenario.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
