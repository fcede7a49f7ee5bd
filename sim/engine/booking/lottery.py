"""Lottery: requests are registered, and each release is drawn at random among them.

A randomised waiting room: instead of rewarding whoever reconnects most often (or runs a
bot), the booking site registers each request once; when slots are released, they are
drawn uniformly at random among the registered requests of the procedure, the earliest slot
to the first name drawn. Losers stay registered for the next draw; a registered person whose
patience runs out leaves. Each applicant makes exactly one request.

A draw happens at each release moment (and when a cancellation frees a slot); requests
registered between two releases wait for the next one, even if a slot is free.
"""

from __future__ import annotations

from sim.engine.booking.base import SlotChannel
from sim.engine.booking.interface import Context
from sim.engine.booking.seekers import SeekerPool
from sim.engine.streams import Uniforms
from sim.scenario.channels import LotteryChannel


class Lottery(SlotChannel):
    """Uniform draws among registered requests at each release."""

    def __init__(self, ctx: Context, name: str, index: int, spec: LotteryChannel):
        super().__init__(ctx, name, index, spec)
        self.registered = {p: SeekerPool([1.0]) for p in self.served_codes}
        self.u = Uniforms(ctx.streams[f"lottery.{name}"])
        self._class = [0] * ctx.population.size  # one class: every request weighs the same

    def admit(self, i: int) -> None:
        if self.bots:
            self.bots.admit(i)
        pop = self.ctx.population
        self.ctx.records.requests[i] += 1
        self.registered[int(pop.procedure[i])].add(
            i, 0, float(pop.arrival[i] + pop.patience[i])
        )

    def _purge(self, pool: SeekerPool, now: float) -> None:
        for i, at in pool.expire(now, self._class):
            self.ctx.records.abandon(i, at)

    def on_release(self, procedures: set[int]) -> None:
        now = self.ctx.env.now
        for p in procedures:
            pool = self.registered.get(p)
            if pool is None:
                continue
            self._purge(pool, now)
            while self.book.has_free(p, now):
                tickets = self.bots.entries(p) if self.bots else []
                bot_tickets = sum(n for _, n in tickets)
                people = len(pool)
                if people + bot_tickets == 0:
                    break
                x = self.u() * (people + bot_tickets)
                if x < people:
                    i, _ = pool.pick(x / people, float(people))
                    pool.remove(i, 0)
                    self.book_slot(i, p)
                else:
                    self.bots.win(_ticket_owner(tickets, x - people), p)

    def is_seeking(self, i: int) -> bool:
        return i in self.registered[int(self.ctx.population.procedure[i])].where

    def withdraw(self, i: int) -> None:
        self.registered[int(self.ctx.population.procedure[i])].remove(i, 0)

    def close(self) -> None:
        for pool in self.registered.values():
            self._purge(pool, self.ctx.stop)
        super().close()


def _ticket_owner(tickets: list[tuple[int, int]], x: float) -> int:
    """The operator holding ticket number ``x`` (0 <= x < total tickets)."""
    for k, n in tickets:
        if x < n:
            return k
        x -= n
    return tickets[-1][0]
