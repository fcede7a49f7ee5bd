"""Bots and resellers: who captures released slots, and who pays for them.

Each operator competes in the race with its effective intensity on each page it targets
(:mod:`sim.engine.operators`, :mod:`sim.engine.timing`): bots win by timing, polling every
second when slots are released while people check a few times a day. Like people, bots
never cost an event per request, so run time does not depend on the request volume.

*Speculative* operators book under invented names and sell to the buyers of the resale
market (:mod:`sim.engine.resale`: applicants willing to pay who have looked for
``buy_after_days``), oldest booking first, at the operator's lognormal ``price``. A slot still
unsold ``unsold_release_days`` before its date is given up: not honoured (wasted) with
probability ``unsold_no_show_share``, otherwise cancelled and released again. An operator
therefore books only slots dated more than ``unsold_release_days`` ahead, which it could
still sell, unless a buyer is waiting in the market: then it books any slot and sells it at
once (so a slot given back may be sniped again, for a buyer). An operator holds at most
``identities * per_email_cap`` bookings at once (a booking stops counting
``unsold_release_days`` before its date). Operators go through their bookings and their
clients once a day, at midnight: they give up what they can no longer sell, then sell what
is in stock to the buyers who entered the market; a buyer left without a slot gets the next
one a bot books. One event a day, however many slots they hold and clients they serve.

Speculation costs money and pays only when the slot sells: an operator stocks a slot only
while that pays (:mod:`sim.engine.speculation`). *For-hire* operators book only for a
paying applicant, with their real details: nothing is wasted, but payers jump the queue;
the cap does not bind (the client's own e-mail is used).

Countermeasures: name-bound bookings checked at the counter stop speculative booking (a slot
under an invented name cannot be resold); the AGDREF check stops it for renewals; prepayment
makes unsold slots costly, so a speculative operator books only for a buyer already found.
In registration channels speed buys nothing: a waitlist gives its slots to the registered
requests first and operators only top up their stock with what is left; in the lottery each
identity below the cap holds one ticket per draw; for-hire operators have no edge there.
"""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from sim.engine.operators import Operator, operators_of
from sim.engine.resale import Market
from sim.engine.slots import SlotBook
from sim.engine.speculation import stock_pays
from sim.engine.streams import Uniforms

if TYPE_CHECKING:
    from sim.engine.booking.interface import SlotMarket


class Bots:
    """The operators active on one slot channel, and the resale market around it."""

    def __init__(self, channel: SlotMarket):
        self.channel = channel
        ctx = channel.ctx
        scenario = ctx.scenario
        self.measures = scenario.countermeasures
        self.operators = operators_of(channel)
        self._any = bool(self.operators)
        self._way = self._ways()
        # speculative operators book only slots they could still sell (see module doc)
        self._tier = [channel.book.add_lead(op.spec.unsold_release_days)
                      if op.spec.mode == "speculative" else 0 for op in self.operators]
        self._sole = {p: (ways[0][0], self._tier[ways[0][0]]) for p, ways in self._way.items()
                      if len(ways) == 1 and ways[0][1] == "spec"
                      and self.operators[ways[0][0]].cap == math.inf and self._tier[ways[0][0]]}
        self.held = dict.fromkeys(range(len(self.operators)), 0)
        # unsold slots in stock per operator and procedure
        self.stock = [dict.fromkeys(channel.served_codes, 0) for _ in self.operators]
        # unsold slots per procedure, oldest booking first: slot -> operator
        # (an OrderedDict: popping the oldest stays O(1) after many deletions)
        self.inventory: dict[int, OrderedDict[int, int]] = {
            p: OrderedDict() for p in channel.served_codes}
        self.u = Uniforms(ctx.streams[f"bots.{channel.name}"])
        self.market = Market(channel, [op.spec for op in self.operators], self.u)
        self.admit, self.buyer = self.market.admit, self.market.buyer
        self._give_up_rng = ctx.streams[f"bots.give_up.{channel.name}"]
        # bookings counted against a cap, until unsold_release_days before their date
        self._due: list[tuple[float, int]] = []  # (time it stops counting, operator)
        # unsold bookings are found by date at each round: slots in time order, the
        # operator that booked each one, and per operator how far its rounds have looked
        book = channel.book
        self._by_time = np.argsort(book.time, kind="stable")
        self._times = book.time[self._by_time]
        self._op_of = np.full(book.size, -1, dtype=np.int64)
        self._looked = [0] * len(self.operators)

    def __bool__(self) -> bool:
        return self._any

    # -- who may book now ---------------------------------------------------------------
    def _speculates(self, op: Operator, p: int) -> bool:
        """May this operator book ``p`` under invented names right now?"""
        m = self.measures
        if op.spec.mode != "speculative" or m.name_bound or m.prepayment_eur > 0:
            return False
        checked = m.agdref_check and self.channel.procedure_names[p] in m.agdref_procedures
        return not checked

    def _ways(self) -> dict[int, list[tuple[int, str]]]:
        """Per procedure, the operators targeting it and how they book it (the measures are
        fixed for the run): ``spec`` under invented names, ``order`` for a buyer, or none."""
        m = self.measures
        to_order = m.prepayment_eur > 0 and not m.name_bound
        ways: dict[int, list[tuple[int, str]]] = {p: [] for p in self.channel.served_codes}
        for k, op in enumerate(self.operators):
            for p in op.targets:
                if self._speculates(op, p):
                    ways[p].append((k, "spec"))
                elif op.spec.mode == "for_hire" or to_order:
                    ways[p].append((k, "order"))
        return ways

    def _how(self, k: int, way: str, p: int, now: float) -> tuple[int, int | None] | None:
        """How operator ``k`` could book ``p`` now: the slot tier it books from and the
        buyer in the market (or None), or None if it cannot book. A speculative operator
        books any slot while a buyer waits (it is sold at once), else only slots it could
        still sell, and only while stocking one more pays (:meth:`worth_stocking`); one
        booking for a client needs a client."""
        buyer = self.buyer(p, now)
        if way == "spec":
            if self.held[k] >= self.operators[k].cap:
                return None
            if buyer is not None:
                return (0, buyer) if self.channel.book.has_free(p, now, 0) else None
            tier = self._tier[k]
            if not self.channel.book.has_free(p, now, tier):
                return None
            return (tier, None) if self.worth_stocking(k, p, now) else None
        return None if buyer is None else (0, buyer)

    def worth_stocking(self, k: int, p: int, now: float) -> bool:
        """Does one more slot of ``p`` in operator ``k``'s stock pay? It must sell, to
        buyers coming at the rate its market has seen, before it is given up
        (:func:`sim.engine.speculation.stock_pays`)."""
        op = self.operators[k].spec
        if op.cost_per_booking_eur <= 0.0:
            return True  # costless speculation: no need to look at the market
        window = self.channel.book.earliest(p, now, self._tier[k]) - now
        return stock_pays(op, self.market.rate(p), window - op.unsold_release_days,
                          self.stock[k][p])

    def identities_free(self, k: int) -> int:
        """Identities operator ``k`` may still book with (a batch release gives one slot
        to each identity that asked)."""
        op = self.operators[k]
        return int(min(op.spec.identities, op.cap - self.held[k]))

    def competing(self, p: int, now: float) -> list[tuple[int, list[float]]]:
        """The operators able to book ``p`` now, with their intensities (per bin)."""
        return [(k, self.operators[k].intensity) for k, way in self._way[p]
                if self._how(k, way, p, now) is not None]

    # -- bookings -----------------------------------------------------------------------
    def win(self, k: int, p: int, now: float | None = None) -> None:
        """A request of operator ``k`` came first on ``p`` at ``now`` (default: the clock's
        time; the race resolves bursts ahead of the clock). If it cannot book any more (its
        slots came too close since the check was drawn), the request fails."""
        now = self.channel.ctx.env.now if now is None else now
        for kk, way in self._way[p]:
            if kk == k:
                how = self._how(k, way, p, now)
                if how is not None:
                    self._book(k, p, now, way, *how)
                return

    def _book(self, k: int, p: int, now: float, way: str, tier: int,
              buyer: int | None) -> None:
        """Operator ``k`` books the earliest free slot of ``p`` in ``tier`` or above: under
        an invented name (``way`` "spec"), or for the buyer in the market."""
        channel, op = self.channel, self.operators[k]
        book = channel.book
        if way == "spec":
            s = book.take(p, SlotBook.BOT, now, tier=tier)
            self._op_of[s] = k
            if buyer is None:
                self.inventory[p][s] = k
                self.stock[k][p] += 1
            else:  # booked for the buyer in the market: this very slot is sold at once
                self.market.sell(k, s, buyer, now)
                channel.changed(p)
            due = book.time_list[s] - op.spec.unsold_release_days
            if op.cap < math.inf and due > now:  # counts against the cap until then
                self.held[k] += 1
                heapq.heappush(self._due, (due, k))
                if self.held[k] == op.cap:
                    self._changed(k)  # the operator just reached its cap
            return
        assert buyer is not None
        channel.withdraw(buyer)
        s = book.take(p, buyer, now, by_bot=True)
        channel.ctx.records.paid_eur[buyer] = self.market.price(k)
        channel.settle(buyer, s, now)

    def captured(self, k: int, p: int, s: int) -> None:
        """Operator ``k`` booked slot ``s`` of ``p`` under an invented name: in stock."""
        self._op_of[s] = k
        self.inventory[p][s] = k
        self.stock[k][p] += 1

    def sole_speculator(self, p: int) -> tuple[int, int]:
        """(operator, tier) when ``p``'s only bot competition is one speculative operator
        without a cap that books only slots a lead ahead, else (-1, 0): then, while no
        buyer is in the market, its captures change nothing but the slots (see
        :meth:`sim.engine.booking.race.Race._captures`)."""
        return self._sole.get(p, (-1, 0))

    def top_up(self, p: int) -> None:
        """Registration channels: speculative operators book free slots up to their cap."""
        now = self.channel.ctx.env.now
        for k, op in enumerate(self.operators):
            if p not in op.targets or not self._speculates(op, p):
                continue
            while (how := self._how(k, "spec", p, now)) is not None:
                self._book(k, p, now, "spec", *how)

    def entries(self, p: int) -> list[tuple[int, int]]:
        """Lottery tickets held by speculative operators: (operator, tickets)."""
        out = []
        now = self.channel.ctx.env.now
        for k, op in enumerate(self.operators):
            if (p in op.targets and self._speculates(op, p)
                    and self._how(k, "spec", p, now) is not None):
                out.append((k, int(min(op.spec.identities, op.cap - self.held[k]))))
        return out

    def sell(self, p: int, now: float | None = None) -> None:
        """Sell held slots of ``p``, oldest booking first, to the buyers in the market; the
        competition for ``p`` changed."""
        channel = self.channel
        now = channel.ctx.env.now if now is None else now
        stock = self.inventory[p]
        while stock:
            buyer = self.buyer(p, now)
            if buyer is None:
                break
            s, k = stock.popitem(last=False)
            self.stock[k][p] -= 1
            self.market.sell(k, s, buyer, now)
        channel.changed(p)

    def start(self) -> None:
        """Operators go through their bookings and their clients once a day, at midnight."""
        if self.operators:
            self.channel.ctx.env.process(self._daily_round())

    def _daily_round(self):  # type: ignore[no-untyped-def]
        env = self.channel.ctx.env
        while True:
            now = env.now
            self.market.count_entries(now)
            self._give_up(now)
            for p in self.channel.served_codes:
                if self.buyer(p, now) is not None:  # buyers in the market: sell, compete
                    self.sell(p, now)
            yield env.timeout(1.0)

    def _give_up(self, now: float) -> None:
        """Bookings within ``unsold_release_days`` of their date stop counting against the
        cap; unsold ones are given up: not honoured, or cancelled and released again."""
        while self._due and self._due[0][0] <= now:
            _, k = heapq.heappop(self._due)
            self.held[k] -= 1
            if self.held[k] == self.operators[k].cap - 1:
                self._changed(k)  # back under the cap
        book, freed = self.channel.book, []
        for k, op in enumerate(self.operators):
            if op.spec.mode != "speculative":
                continue
            start = self._looked[k]
            stop = int(np.searchsorted(self._times, now + op.spec.unsold_release_days,
                                       side="right"))
            self._looked[k] = stop
            if stop == start:
                continue
            slots = self._by_time[start:stop]
            unsold = slots[(book.holder[slots] == SlotBook.BOT) & (self._op_of[slots] == k)]
            if not unsold.size:
                continue
            for s, p in zip(unsold.tolist(), book.procedure[unsold].tolist(), strict=True):
                del self.inventory[p][s]
                self.stock[k][p] -= 1
            kept = self._give_up_rng.random(unsold.size) < op.spec.unsold_no_show_share
            freed.extend(unsold[~kept].tolist())  # the others are simply not honoured
        if freed:  # released again together: one resolution per procedure
            self.channel.on_release(book.cancel(freed))

    def _changed(self, k: int) -> None:
        """Operator ``k``'s holdings changed: its competition on every target changed."""
        for p in self.operators[k].targets:
            self.channel.changed(p)
