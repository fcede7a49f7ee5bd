"""Bot operators against the countermeasures: what gets through, what is blocked, and where.

An operator sends ``requests_per_day`` to the booking pages. Filtering blocks a share; with a
CAPTCHA only ``captcha_pass_rate`` of the rest pass, and solving costs time, so an operator
with ``identities`` accounts sends at most ``identities * 86400 / captcha_solve_seconds``
solved requests a day. What is left is its *effective rate*, split evenly over the (channel,
procedure) pairs it targets; what is identified and foiled is its *blocked rate* (the KPI
``blocked_requests_per_day``). A per-e-mail cap limits the bookings an operator holds at once
to ``identities * per_email_cap``. What operators then do with the slots they capture is
:mod:`sim.engine.bots`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

from sim.scenario.channels import SlotChannelBase
from sim.scenario.countermeasures import BotOperator, Countermeasures

if TYPE_CHECKING:
    from sim.engine.booking.interface import SlotMarket


def effective_rate(op: BotOperator, measures: Countermeasures) -> float:
    """Requests per day that reach the booking pages and pass the CAPTCHA.

    >>> from sim.scenario.countermeasures import BotOperator, Countermeasures
    >>> op = BotOperator(requests_per_day=1e6, identities=100)
    >>> effective_rate(op, Countermeasures())
    1000000.0
    >>> m = Countermeasures(captcha=True, captcha_pass_rate=0.5, captcha_solve_seconds=10,
    ...                     filtered_share=0.5)
    >>> effective_rate(op, m)  # half filtered, half of the rest fails the CAPTCHA
    250000.0
    >>> effective_rate(BotOperator(requests_per_day=1e6, identities=5), m)  # solving is slow
    21600.0
    """
    rate = op.requests_per_day * (1.0 - measures.filtered_share)
    if measures.captcha:
        solved = op.identities * 86400.0 / max(measures.captcha_solve_seconds, 1e-9)
        rate = min(rate, solved) * measures.captcha_pass_rate
    return rate


def blocked_rate(op: BotOperator, measures: Countermeasures) -> float:
    """Requests per day identified and foiled (filtered, or failing the CAPTCHA)."""
    reaching = op.requests_per_day * (1.0 - measures.filtered_share)
    passed = effective_rate(op, measures)
    solved = reaching
    if measures.captcha:
        solved = min(reaching, op.identities * 86400.0 / max(measures.captcha_solve_seconds,
                                                              1e-9))
    return op.requests_per_day - passed - (reaching - solved)


class Operator(NamedTuple):
    name: str
    spec: BotOperator
    rate: float  # effective requests per day on each target of this channel
    cap: float  # bookings held at once (inf: no cap)
    targets: frozenset[int]


def operators_of(channel: SlotMarket) -> list[Operator]:
    """The operators targeting some of ``channel``'s procedures, with their effective rate
    per target and their cap of bookings held at once."""
    scenario, served = channel.ctx.scenario, set(channel.served_codes)
    names = list(scenario.procedures)
    measures = scenario.countermeasures
    found = []
    for name, op in scenario.bots.items():
        wanted = {names.index(p) for p in (op.procedures or names)}
        targets = frozenset(wanted & served)
        if not targets:
            continue
        n_targets = _n_targets(scenario, wanted)
        cap = math.inf if measures.per_email_cap is None else (
            op.identities * measures.per_email_cap)
        found.append(Operator(name, op, effective_rate(op, measures) / n_targets, cap,
                              targets))
    return found


def _n_targets(scenario: object, wanted: set[int]) -> int:
    """(channel, procedure) pairs an operator spreads its requests over."""
    names = list(scenario.procedures)  # type: ignore[attr-defined]
    count = 0
    for ch in scenario.channels.values():  # type: ignore[attr-defined]
        if isinstance(ch, SlotChannelBase):
            served = {names.index(p) for p in (ch.procedures or names)}
            count += len(served & wanted)
    return max(count, 1)
