"""What the per-poll reference of the race (``naive_race.py``) takes from prefsim.

Both tools must model the same system; only the way the race is resolved may differ. The
reference therefore takes from prefsim everything but the race itself, for a given
(scenario, seed, replication):

* the applicants: :func:`sim.engine.demand.generate` with the same streams (the very same
  people, arriving at the same times, with the same patience, class and access), and when
  each starts checking (the channel's admission delay, and the delay to find help for those
  without digital access);
* the slot calendar: dates, procedures, release times and the slots pre-booked before the
  start, as prefsim's :class:`sim.engine.booking.base.SlotChannel` cuts them;
* the intensities, per bin of the week: :func:`sim.engine.timing.checker_profiles` for each
  class of checkers (seeker classes, then the helpers of people without digital access) and
  :func:`sim.engine.timing.bot_profiles` for each bot operator on each target page (what
  passes filtering and the CAPTCHA). The reference reads them as numbers, a
  :class:`WeeklyRate`, and draws from them on its own.

It also holds the scenarios the reference runs (``scenarios/race_year.yaml`` with one class
at a constant rate, ``scenarios/race_timing.yaml``), scaled in volume, and refuses what the
reference does not simulate.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from pathlib import Path
from typing import NamedTuple

import numpy as np
import simpy

from sim.engine.booking.base import SlotChannel
from sim.engine.booking.interface import Context
from sim.engine.demand import Population, generate
from sim.engine.frame import Frame, frame_of, run_calendar
from sim.engine.intensity import Profile
from sim.engine.model import appointment_calendar, booking_minutes, needs_help
from sim.engine.records import Records
from sim.engine.slots import SlotBook
from sim.engine.streams import Streams
from sim.engine.timing import bot_profiles, checker_profiles
from sim.scenario import Scenario
from sim.scenario.channels import RaceChannel
from sim.scenario.countermeasures import BotOperator
from sim.scenario.loader import load, validate

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "scenarios" / "race_year.yaml"
TIMING = HERE / "scenarios" / "race_timing.yaml"
WEEK = 7.0


# -- scenarios ----------------------------------------------------------------------------------
def scaled(scn: Scenario, scale: float) -> Scenario:
    """``scn`` with every procedure's ``annual_volume`` and the counter staff multiplied by
    ``scale``: a smaller prefecture with the same congestion, calendar and behaviour (the
    bots' polling does not scale: they compete with fewer people)."""
    if scale == 1.0:
        return scn
    data = scn.model_dump()
    for proc in data["procedures"].values():
        proc["annual_volume"] *= scale
    data["staff"]["front_office_etp"] *= scale
    return validate(data)


FLAT_NIGHT_SHARE = 8.0 / 24.0  # the night's share of the day: a flat intensity


def race_scenario(checks_per_day: float, scale: float = 1.0, path: Path = SCENARIO) -> Scenario:
    """The benchmark's prefecture-year, its volume scaled by ``scale``, with one class of
    seekers visiting ``checks_per_day`` times a day at a constant rate (a third of the visits
    in the eight night hours, no extra visits after releases): the constant-rate special
    case of the weekly intensities."""
    seekers = (f"behaviour.seekers=[{{share: 1.0, checks_per_day: {checks_per_day:g}, "
               f"night_share: {FLAT_NIGHT_SHARE!r}, release_checks: 0}}]")
    return scaled(load(path, overrides=[seekers]), scale)


def timing_scenario(scale: float = 1.0, overrides: tuple[str, ...] = (),
                    path: Path = TIMING) -> Scenario:
    """The reference scenario where timing decides (weekly release at a known hour, a bot
    polling every few seconds around it), its volume scaled by ``scale``."""
    return scaled(load(path, overrides=list(overrides)), scale)


def race_channel(scenario: Scenario) -> tuple[str, RaceChannel]:
    """The scenario's only channel, which must be a race this model can simulate."""
    if len(scenario.channels) != 1:
        raise ValueError("the naive model handles exactly one channel")
    name, spec = next(iter(scenario.channels.items()))
    if not isinstance(spec, RaceChannel):
        raise ValueError(f"channel {name!r} is a {spec.kind}, not a race")
    if (spec.procedures is not None or spec.audience != "all"
            or spec.release.allocation != "first_come"):
        raise ValueError("the naive model's race serves everybody, first come first served")
    if spec.cancellation_probability > 0 or spec.no_show is not None:
        raise ValueError("the naive model has no cancellations and no no-shows")
    if scenario.behaviour.holding.patience is not None:
        raise ValueError("the naive model has nobody giving up a date they hold")
    m = scenario.countermeasures
    if scenario.bots and (m.per_email_cap is not None or m.name_bound or m.prepayment_eur > 0
                          or m.agdref_check or scenario.behaviour.resale.pay_share > 0):
        raise ValueError("the naive model's bots have no cap and no buyers, and speculate")
    for op in scenario.bots.values():
        if op.mode != "speculative" or op.cost_per_booking_eur > 0:
            raise ValueError("the naive model's bots speculate at no cost")
    return name, spec


# -- intensities --------------------------------------------------------------------------------
class WeeklyRate:
    """A weekly piecewise-constant intensity (events per day), read off a prefsim profile:
    the week's bin edges (days since Monday 0:00), one rate per bin, and the week time of
    run time 0 (``phase``)."""

    def __init__(self, profile: Profile, factor: float = 1.0):
        self.edges = list(profile.grid.edges)
        self.rates = [v * factor for v in profile.values]
        self.phase = profile.grid.phase
        self.flat = self.rates[0] if len(set(self.rates)) == 1 else None

    def at(self, t: float) -> float:
        """The intensity at run time ``t``."""
        return self.rates[bisect_right(self.edges, (t + self.phase) % WEEK) - 1]

    def next_after(self, t: float, rng: random.Random) -> float:
        """The next event after ``t``: in each bin an exponential wait at the bin's rate; a
        wait past the bin's end restarts from there (memoryless, hence exact)."""
        if self.flat is not None:
            return t + rng.expovariate(self.flat) if self.flat > 0 else math.inf
        if max(self.rates) <= 0.0:
            return math.inf
        edges, rates = self.edges, self.rates
        while True:
            x = (t + self.phase) % WEEK
            j = bisect_right(edges, x) - 1
            end = max(t + (edges[j + 1] - x), math.nextafter(t, math.inf))
            if rates[j] > 0.0:
                s = t + rng.expovariate(rates[j])
                if s < end:
                    return s
            t = end


# -- prefsim's inputs ---------------------------------------------------------------------------
class Operator(NamedTuple):
    spec: BotOperator
    lead: float  # books only slots dated at least this far ahead
    polls: dict[int, WeeklyRate]  # procedure -> its effective intensity on that page


class Inputs(NamedTuple):
    """What the reference takes from prefsim: applicants, calendar and intensities."""

    population: Population
    frame: Frame
    entry: np.ndarray  # when each applicant starts checking (need, plus help's delay)
    classes: list[int]  # checker class of each applicant (index into ``people``)
    book: SlotBook  # the slot calendar as prefsim builds it (read, never used to book)
    people: list[WeeklyRate]  # per checker class
    operators: list[Operator]
    phase: float  # week time of run time 0


def prefsim_inputs(scenario: Scenario, seed: int, replication: int = 0,
                   bot_factor: float = 1.0) -> Inputs:
    """prefsim's population, slot calendar and intensities for this seed, the bots'
    intensities multiplied by ``bot_factor`` (1: the same system as prefsim's)."""
    name, spec = race_channel(scenario)
    streams = Streams(seed, replication)
    calendar = run_calendar(scenario)
    pop = generate(scenario, calendar, streams)
    frame = frame_of(scenario.horizon)
    help_delay = pop.help_delay if needs_help(spec) else np.zeros(pop.size)
    entry = pop.arrival + spec.admission_delay_days + help_delay
    soon = entry < frame.stop
    slot_calendar = appointment_calendar(scenario, pop.procedure[soon],
                                         np.zeros(int(soon.sum()), dtype=np.int64))
    ctx = Context(
        simpy.Environment(), scenario, calendar, pop, Records(pop.size), streams,
        booking_minutes(scenario, calendar), frame.stop,
        slot_calendar, booking_minutes(scenario, slot_calendar), frame,
    )
    channel = SlotChannel(ctx, name, 0, spec)
    grid, behaviour = channel.grid, scenario.behaviour
    people = [WeeklyRate(p) for p in checker_profiles(behaviour, grid, spec.release)]
    helped = behaviour.help is not None
    classes = np.where(helped & ~pop.digital, len(behaviour.seekers), pop.seeker_class)
    served = set(channel.served_codes)
    names = list(scenario.procedures)
    operators = []
    for op in scenario.bots.values():
        targets = sorted(served & {names.index(p) for p in (op.procedures or names)})
        if targets:
            _, passing, _ = bot_profiles(op, scenario.countermeasures, grid, spec.release,
                                         len(targets))
            rate = WeeklyRate(passing, bot_factor)
            operators.append(Operator(op, max(op.unsold_release_days, spec.min_lead_days),
                                      dict.fromkeys(targets, rate)))
    return Inputs(pop, frame, entry, classes.tolist(), channel.book, people, operators,
                  grid.phase)


