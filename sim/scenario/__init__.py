"""The scenario layer: what a planner writes, read and validated once.

A scenario is a frozen pydantic model (:class:`Scenario`, in :mod:`sim.scenario.schema`) with
one sub-model per concept: the horizon and calendar, procedures, behaviour, staff, booking
channels, bots and countermeasures, the probe and the courts. :mod:`sim.scenario.files` reads
YAML and ``extends:``; :mod:`sim.scenario.loader` is the one door (``load``, ``validate``,
``variant``) that turns a mapping into a scenario or a
:class:`~sim.scenario.errors.ScenarioError`.

This layer imports nothing else of ``sim``: the engine, the analysis, the experiments and the
faces build on it (see docs/architecture.md). The schema's public names are re-exported here,
so that ``from sim.scenario import Scenario`` reads as it always has.
"""

from sim.scenario.behaviour import Behaviour, Help, Holding, SeekerClass
from sim.scenario.channels import (
    Channel,
    DeskChannel,
    LotteryChannel,
    OnlineChannel,
    RaceChannel,
    ReleaseSchedule,
    SlotChannelBase,
    WaitlistChannel,
)
from sim.scenario.countermeasures import BotOperator, Countermeasures, ResaleDemand
from sim.scenario.distributions import DistributionSpec
from sim.scenario.horizon import CalendarSpec, Horizon
from sim.scenario.observers import Courts, Probe
from sim.scenario.procedures import Procedure
from sim.scenario.schema import Scenario, route
from sim.scenario.staff import Reinforcement, SeasonalStaff, Staff

__all__ = [
    "Behaviour", "BotOperator", "CalendarSpec", "Channel", "Countermeasures", "Courts",
    "DeskChannel",
    "DistributionSpec", "Help", "Holding", "Horizon", "LotteryChannel", "OnlineChannel",
    "Probe", "Procedure", "RaceChannel",
    "Reinforcement", "ReleaseSchedule", "ResaleDemand", "Scenario", "SeasonalStaff",
    "SeekerClass", "SlotChannelBase", "Staff", "WaitlistChannel", "route",
]
