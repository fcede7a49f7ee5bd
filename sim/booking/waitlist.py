"""Waitlist: every request is registered once and given the earliest free date.

This is what the parliamentary question of 2021 asked for: "enregistrer chaque demande pour
donner une date, même lointaine, comme sur les plateformes de rendez-vous médical". An
applicant who asks is given, at once, the earliest free slot of their procedure at least
``min_lead_days`` ahead, however far: the register sees the whole appointment calendar (no
booking horizon, no release schedule). Nobody has to reconnect, so each booking costs
exactly one request. A slot nobody can take in time is lost.

Requests that find no free slot before the horizon stay registered, first come first
served; a slot freed by a cancellation goes to the oldest of them (those whose patience
ran out meanwhile have left). People holding a date keep it: patience does not apply to them.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from sim.booking import Context
from sim.booking.base import SlotChannel
from sim.channels import WaitlistChannel


class Waitlist(SlotChannel):
    """Earliest-free-slot assignment over a per-procedure appointment calendar."""

    releases_on_schedule = False

    def __init__(self, ctx: Context, name: str, index: int, spec: WaitlistChannel):
        super().__init__(ctx, name, index, spec)
        self.register: dict[int, deque[int]] = {p: deque() for p in self.served_codes}

    def admit(self, i: int) -> None:
        self.bots.admit(i)
        p = int(self.ctx.population.procedure[i])
        if not self.register[p] and self.book.has_free(p, self.ctx.env.now):
            self.book_slot(i, p)
        else:
            self.register[p].append(i)

    def on_release(self, procedures: set[int]) -> None:
        now, pop, rec = self.ctx.env.now, self.ctx.population, self.ctx.records
        for p in procedures:
            queue = self.register.get(p)
            while queue and self.book.has_free(p, now):
                i = queue.popleft()
                gave_up = pop.arrival[i] + pop.patience[i]
                if not np.isnan(rec.booked_at[i]):
                    continue  # bought a slot meanwhile
                if gave_up < now:
                    rec.abandon(i, gave_up)
                else:
                    self.book_slot(i, p)
            if self.bots:
                self.bots.top_up(p)

    def close(self) -> None:
        end, pop, rec = self.ctx.horizon, self.ctx.population, self.ctx.records
        for queue in self.register.values():
            for i in queue:
                gave_up = pop.arrival[i] + pop.patience[i]
                if gave_up < end and np.isnan(rec.booked_at[i]):
                    rec.abandon(i, gave_up)
        super().close()
