"""Bot operators against the countermeasures: what gets through, what is blocked, and where.

An operator polls each page it targets (a procedure on a slot channel) every
``poll_interval_seconds`` around the clock (or spreads ``requests_per_day`` evenly over its
pages), and every ``release_poll_interval_seconds`` around the releases it knows of.
Filtering blocks a share of its requests; with a CAPTCHA it solves at most ``identities /
captcha_solve_seconds`` a second and only ``captcha_pass_rate`` of the solved requests pass.
What passes is its *effective intensity* on each page (:mod:`sim.engine.timing`); what is
identified and foiled is its *blocked* volume (the KPI ``blocked_requests_per_day``). A
per-e-mail cap limits the bookings an operator holds at once to ``identities *
per_email_cap``. What operators then do with the slots they capture is
:mod:`sim.engine.bots`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

from sim.engine.timing import bot_profiles, channel_grid
from sim.scenario import Scenario
from sim.scenario.channels import on_the_web
from sim.scenario.countermeasures import BotOperator

if TYPE_CHECKING:
    from sim.engine.booking.interface import SlotMarket


def request_volumes(scenario: Scenario) -> tuple[float, float]:
    """(requests sent, requests blocked) per day by all the operators of a scenario, over
    every page they target (a procedure on a slot channel).

    >>> from sim.scenario.loader import validate
    >>> s = validate({"procedures": {"a": {"annual_volume": 10}, "b": {"annual_volume": 10}},
    ...               "staff": {"front_office_etp": 1},
    ...               "channels": {"online": {"kind": "race"}},
    ...               "bots": {"x": {"poll_interval_seconds": 10}},
    ...               "countermeasures": {"filtered_share": 0.25}})
    >>> request_volumes(s)  # two pages polled every 10 s, a quarter filtered
    (17280.0, 4320.0)
    """
    sent = blocked = 0.0
    names = list(scenario.procedures)
    for spec in scenario.channels.values():
        if not on_the_web(spec):
            continue
        served = {names.index(p) for p in (spec.procedures or names)}
        schedule = getattr(spec, "release", None)
        grid = channel_grid(scenario.behaviour, list(scenario.bots.values()), schedule, 0.0)
        for op in scenario.bots.values():
            wanted = {names.index(p) for p in (op.procedures or names)}
            pages = len(wanted & served)
            if pages:
                out, _, stopped = bot_profiles(op, scenario.countermeasures, grid, schedule,
                                               _n_targets(scenario, wanted))
                sent += pages * out.daily_mean
                blocked += pages * stopped.daily_mean
    return sent, blocked


class Operator(NamedTuple):
    name: str
    spec: BotOperator
    intensity: list[float]  # passing requests per day on each target, per bin of the grid
    cap: float  # bookings held at once (inf: no cap)
    targets: frozenset[int]


def operators_of(channel: SlotMarket) -> list[Operator]:
    """The operators targeting some of ``channel``'s procedures, with their effective
    intensity per target (on the channel's grid) and their cap of bookings held at once."""
    scenario, served = channel.ctx.scenario, set(channel.served_codes)
    if not on_the_web(channel.spec):
        return []  # a phone line has no page to poll
    names = list(scenario.procedures)
    measures = scenario.countermeasures
    schedule = getattr(channel.spec, "release", None)
    found = []
    for name, op in scenario.bots.items():
        wanted = {names.index(p) for p in (op.procedures or names)}
        targets = frozenset(wanted & served)
        if not targets:
            continue
        _, passing, _ = bot_profiles(op, measures, channel.grid, schedule,
                                     _n_targets(scenario, wanted))
        cap = math.inf if measures.per_email_cap is None else (
            op.identities * measures.per_email_cap)
        found.append(Operator(name, op, passing.values, cap, targets))
    return found


def _n_targets(scenario: Scenario, wanted: set[int]) -> int:
    """(channel, procedure) pairs an operator spreads its requests over."""
    names = list(scenario.procedures)
    count = 0
    for ch in scenario.channels.values():
        if on_the_web(ch):
            served = {names.index(p) for p in (ch.procedures or names)}
            count += len(served & wanted)
    return max(count, 1)
