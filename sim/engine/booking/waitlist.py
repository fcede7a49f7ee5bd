"""Waitlist: every request is registered once and given a date, without reconnecting.

This is what the parliamentary question of 2021 asked for: "enregistrer chaque demande pour
donner une date, même lointaine, comme sur les plateformes de rendez-vous médical". Nobody
has to reconnect, so each booking costs exactly one request.

Two variants:

* without a release schedule (the default), the register sees the whole appointment
  calendar: a request gets at once the earliest free slot of its procedure at least
  ``min_lead_days`` ahead, however far past the run's end (the calendar of future counter
  time extends as far as the registrations need: :func:`sim.engine.model.appointment_calendar`);
* with a release schedule, slots open on it and go to the registered requests in ``order``:
  the oldest first (``fifo``) or the one whose deadline comes first
  (``earliest_deadline_first``: protection orders and expiring titles before the others,
  then the oldest). A request that finds a free slot when it registers takes it.

Slots are cut per procedure, so the order ranks requests of the same procedure. In an
overloaded office, earliest-deadline-first serves the already late first: it cuts the
total time people spend past their deadline (undocumented person-days) but can raise the
number of deadlines missed (the "domino effect"; ``tests/test_deadlines.py`` shows both).

People holding a date live the life of a booking (:mod:`sim.engine.booking.base`): their need may
go away before it comes (they cancel, release it at the reminder, or do not come), they may
miss it and register again. A date given back goes to the oldest registered request still
without one, or else to the next registration. A registered person whose patience runs out
before getting a date leaves; requests still without a date at the end stay registered
(censored).
"""

from __future__ import annotations

import heapq

from sim.engine.booking.base import SlotChannel
from sim.engine.booking.interface import Context
from sim.engine.records import WAITING
from sim.scenario.channels import WaitlistChannel


class Waitlist(SlotChannel):
    """A register of requests served in order as slots are available."""

    def __init__(self, ctx: Context, name: str, index: int, spec: WaitlistChannel):
        super().__init__(ctx, name, index, spec)
        self.register: dict[int, list[tuple[float, int]]] = {p: [] for p in self.served_codes}
        pop = ctx.population
        by_deadline = spec.order == "earliest_deadline_first"
        self._priority = pop.deadline.tolist() if by_deadline else [0.0] * pop.size
        self._proc = pop.procedure.tolist()

    def admit(self, i: int) -> None:
        if self.bots:
            self.bots.admit(i)
        self.ctx.records.requests[i] += 1
        p = self._proc[i]
        if not self.register[p] and self.book.has_free(p, self.ctx.env.now):
            self.book_slot(i, p)
        else:  # ties (FIFO: all) go to the oldest request: indices follow arrival order
            heapq.heappush(self.register[p], (self._priority[i], i))

    def on_release(self, procedures: set[int]) -> None:
        now, pop, rec = self.ctx.env.now, self.ctx.population, self.ctx.records
        for p in procedures:
            queue = self.register.get(p)
            while queue and self.book.has_free(p, now):
                _, i = heapq.heappop(queue)
                if rec.slot[i] >= 0 or rec.outcome[i] != WAITING:
                    continue  # bought a slot meanwhile
                gave_up = pop.arrival[i] + pop.patience[i]
                if gave_up < now:
                    rec.abandon(i, gave_up)
                else:
                    self.book_slot(i, p)
            if self.bots:
                self.bots.top_up(p)

    def close(self) -> None:
        end, pop, rec = self.ctx.stop, self.ctx.population, self.ctx.records
        for queue in self.register.values():
            for _, i in queue:
                gave_up = pop.arrival[i] + pop.patience[i]
                if gave_up < end and rec.slot[i] < 0 and rec.outcome[i] == WAITING:
                    rec.abandon(i, gave_up)
        super().close()
