"""A speculative operator's arithmetic: is one more slot in stock worth booking?

Speculation costs money (``cost_per_booking_eur``: CAPTCHA solves, proxies, identities) and
pays only when the slot sells. An operator therefore books a slot for stock only while the
chance of selling it before it must be given up (``unsold_release_days`` before its date),
times the mean price, exceeds that cost. It judges its market by the buyers that came to it
per day, averaged over ``market_memory_days`` (:meth:`sim.engine.resale.Market.rate`); sales
go oldest booking first, so the new slot sells if more buyers than the stock already held
come before its give-up date: a Poisson tail (normal approximation, an operator's rule of
thumb). Abundant capacity leaves few people failing long enough to pay, so the market, and
the stock, shrink instead of the waste growing. A booking that costs nothing always pays:
the operator then stocks whatever it can take (costless speculation).

The defaults are *estimates*: CAPTCHA solving sells at 0.5-3 USD per 1,000 solves, residential
proxies at 1-5 USD per GB, e-mail identities are unpriced (``docs/policies.md``).
"""

from __future__ import annotations

import math

from sim.scenario.countermeasures import BotOperator


def stock_pays(op: BotOperator, buyers_per_day: float, window_days: float, stock: int) -> bool:
    """Does one more slot pay, with ``stock`` slots already held, buyers coming at
    ``buyers_per_day`` and ``window_days`` left to sell it?

    >>> op = BotOperator(requests_per_day=1, price={"mean_eur": 100}, cost_per_booking_eur=1)
    >>> stock_pays(op, 2.0, 10.0, 15), stock_pays(op, 2.0, 10.0, 40), stock_pays(op, 0, 10, 0)
    (True, False, False)
    """
    if op.cost_per_booking_eur <= 0.0:
        return True
    if buyers_per_day <= 0.0 or window_days <= 0.0:
        return False
    chance = poisson_tail(buyers_per_day * window_days, stock + 1)
    return chance * op.price.mean_eur > op.cost_per_booking_eur


def poisson_tail(mean: float, k: int) -> float:
    """P(N >= k) for N Poisson of mean ``mean`` (normal approximation with a continuity
    correction).

    >>> round(poisson_tail(100.0, 100), 2), poisson_tail(0.0, 1)
    (0.52, 0.0)
    """
    if mean <= 0.0:
        return 0.0 if k > 0 else 1.0
    return 0.5 * math.erfc((k - 0.5 - mean) / math.sqrt(2.0 * mean))
