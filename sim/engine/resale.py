"""The resale market: applicants who turn to resellers, when, and what they pay.

Intermediaries sell the slots their bots capture ("des officines ... préempter les créneaux
de rendez-vous pour les revendre", AN question écrite n°36475, 2021). An applicant able and
willing to pay (``behaviour.resale.pay_share``, drawn at arrival) turns to them after
failing for ``buy_after_days`` (an *estimate*), at the operators' first daily round
(midnight) after that: from then on they are *in the market*, longest-waiting first, until
they buy, book by themselves, or run out of patience. A sale hands a slot to the buyer at a
price drawn from the selling operator's lognormal ``price`` (mean 120 EUR: Bobigny 2019;
100-200 EUR: AN QE 23368; ``cv`` 0.4 an estimate spanning that range).

:mod:`sim.engine.bots` decides which slots are for sale and when; this module only keeps the
queue of buyers and makes the sales.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from sim.engine.streams import Uniforms
from sim.scenario.countermeasures import BotOperator

if TYPE_CHECKING:
    from sim.engine.booking.interface import SlotMarket


class Market:
    """The buyers of one slot channel, by procedure, and the sales made to them."""

    def __init__(self, channel: SlotMarket, operators: list[BotOperator], u: Uniforms):
        self.channel, self.u = channel, u
        pop = channel.ctx.population
        buy_after = channel.ctx.scenario.behaviour.resale.buy_after_days
        self.buyers: dict[int, deque[int]] = {p: deque() for p in channel.served_codes}
        # a buyer enters the market at the operators' first round after buy_after days
        self._turn = np.ceil(pop.arrival + buy_after).tolist()
        self._deadline = (pop.arrival + pop.patience).tolist()
        self._proc = pop.procedure.tolist()
        self._willing = pop.willing_to_pay
        self._lognormal = [(op.price.mean_eur, math.sqrt(math.log1p(op.price.cv ** 2)))
                           for op in operators]
        # buyers coming to the market, counted at each daily round: what the operators
        # see of their demand (averaged over market_memory_days)
        self._coming: dict[int, list[int]] = {p: [] for p in channel.served_codes}
        self._seen = bytearray(pop.size)
        self._counted = dict.fromkeys(channel.served_codes, 0)
        self._memory = min((op.market_memory_days for op in operators), default=30.0)
        self._rate = dict.fromkeys(channel.served_codes, 0.0)

    def admit(self, i: int) -> None:
        """A seeker who would pay joins the queue of potential buyers (once: a person who
        missed an appointment and looks again keeps their place)."""
        if self._willing[i] and not self._seen[i]:
            self._seen[i] = 1
            p = self._proc[i]
            self.buyers[p].append(i)
            self._coming[p].append(i)

    def count_entries(self, now: float) -> None:
        """At the daily round: the buyers whose turn has come since the last round and who
        are still looking update each procedure's rate of buyers (an exponentially
        weighted average over ``market_memory_days``)."""
        turn, keep = self._turn, 1.0 / self._memory
        for p, coming in self._coming.items():
            k, n = self._counted[p], 0
            while k < len(coming) and turn[coming[k]] <= now:
                i = coming[k]
                if self._deadline[i] > now and self.channel.is_seeking(i):
                    n += 1
                k += 1
            self._counted[p] = k
            self._rate[p] += keep * (n - self._rate[p])

    def rate(self, p: int) -> float:
        """Buyers of ``p`` coming to the market per day, as the operators see it."""
        return self._rate[p]

    def buyer(self, p: int, now: float) -> int | None:
        """The longest-waiting seeker of ``p`` in the market at ``now`` (still seeking, and
        whose turn came at a midnight no later than ``now``), if any."""
        queue, turn = self.buyers[p], self._turn
        while queue:
            i = queue[0]
            if turn[i] > now:
                return None  # the queue is in arrival order: nobody's turn has come
            if self._deadline[i] > now and self.channel.is_seeking(i):
                return i
            queue.popleft()  # booked, or gave up (the pool may not have purged them yet)
        return None

    def price(self, k: int) -> float:
        """A price from operator ``k``'s lognormal (mean ``mean_eur``, ``cv``)."""
        mean, sigma = self._lognormal[k]
        if sigma == 0:
            return mean
        z = _normal(self.u(), self.u())
        return mean * math.exp(z * sigma - sigma * sigma / 2)

    def sell(self, k: int, s: int, buyer: int, now: float) -> None:
        """Operator ``k`` sells slot ``s`` to ``buyer``, who stops looking."""
        channel = self.channel
        channel.withdraw(buyer)
        price = self.price(k)
        channel.book.transfer(s, buyer, now, price)
        channel.ctx.records.paid_eur[buyer] = price
        channel.settle(buyer, s, now)


def _normal(u1: float, u2: float) -> float:
    """A standard normal draw from two uniforms (Box-Muller)."""
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
