"""Waitlist: every request is registered once and given a date, without reconnecting.

This is what the parliamentary question of 2021 asked for: "enregistrer chaque demande pour
donner une date, même lointaine, comme sur les plateformes de rendez-vous médical". Nobody
has to reconnect, so each booking costs exactly one request.

Two variants:

* without a release schedule (the default), the register dates every request when it
  registers, however far past the run's end (the calendar of future counter time extends as
  far as the registrations need: :func:`sim.engine.model.appointment_calendar`). Dates are
  kept in the order of registration, as a fair queue keeps them: when someone ahead gives
  up, everyone behind moves up. So the slot itself is assigned for good a few days before
  its date (:func:`sim.engine.booking.base.firm_days`: the minimum lead, or the reminder),
  to the oldest registration still waiting; the date told at registration is what that
  queue promises. The lead time of a no-show and the patience of a person holding a date
  count from the registration;
* with a release schedule, slots open on it and go to the registered requests in ``order``:
  the oldest first (``fifo``) or the one whose deadline comes first
  (``earliest_deadline_first``: protection orders and expiring titles before the others,
  then the oldest). A request that finds a free slot when it registers takes it. Nobody is
  told a date before: people give up when their patience runs out.

Slots are cut per procedure, so the order ranks requests of the same procedure. In an
overloaded office, earliest-deadline-first serves the already late first: it cuts the
total time people spend past their deadline (undocumented person-days) but can raise the
number of deadlines missed (the "domino effect"; ``tests/test_deadlines.py`` shows both).

People holding a date live the life of a booking (:mod:`sim.engine.booking.life`): their
need may go away before it comes (they cancel, release it at the reminder, or do not come),
they may miss it and register again. A person of a dated register whose need went away
before their slot was assigned leaves the queue if they cancelled or a reminder caught it;
otherwise the slot is assigned and not honoured. A date given back goes to the oldest
registered request still waiting, or else to the next registration. Requests still without
a slot at the end stay registered (censored).
"""

from __future__ import annotations

import heapq

from sim.engine.booking.base import SlotChannel
from sim.engine.booking.interface import Context
from sim.engine.records import CANCELLED, NO_SHOW, WAITING
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
        self._dated = spec.release is None  # every request is told its date at registration
        self._told: dict[int, float] = {}  # when a dated registration was told its date

    def admit(self, i: int) -> None:
        if self.bots:
            self.bots.admit(i)
        now = self.ctx.env.now
        self.ctx.records.requests[i] += 1
        if self._dated:
            self._told[i] = now
        p = self._proc[i]
        if not self.register[p] and self.book.has_free(p, now):
            self._assign(i, p, now)
        else:  # ties (FIFO: all) go to the oldest request: indices follow arrival order
            heapq.heappush(self.register[p], (self._priority[i], i))

    def readmit(self, i: int) -> None:
        self.admit(i)

    def is_seeking(self, i: int) -> bool:
        """A dated registration holds its date: it is not looking (nor buying)."""
        return not self._dated and super().is_seeking(i)

    def _assign(self, i: int, p: int, now: float) -> None:
        """Applicant ``i`` gets the earliest bookable slot of ``p`` for good."""
        self.settle(i, self.book.take(p, i, now), now, self._told.pop(i, None))

    def on_release(self, procedures: set[int]) -> None:
        now, pop, rec = self.ctx.env.now, self.ctx.population, self.ctx.records
        for p in procedures:
            queue = self.register.get(p)
            while queue and self.book.has_free(p, now):
                _, i = heapq.heappop(queue)
                if rec.slot[i] >= 0 or rec.outcome[i] != WAITING:
                    continue  # bought a slot meanwhile
                if self._dated:
                    if not self._gone(i, p, now):
                        self._assign(i, p, now)
                    continue
                gave_up = pop.arrival[i] + pop.patience[i]
                if gave_up < now:
                    rec.abandon(i, gave_up)
                else:
                    self._assign(i, p, now)
            if self.bots:
                self.bots.top_up(p)

    def _gone(self, i: int, p: int, now: float) -> bool:
        """Did the need of dated registration ``i`` go away before its slot came to be
        assigned? Then they left the queue (they cancelled, or the reminder caught it), or
        the slot is assigned and not honoured. True if no slot should go to them."""
        if self._holding is None:
            return False
        told = self._told[i]
        gone = told + self._holding[i]
        if gone >= now:
            return False
        rec = self.ctx.records
        coin = self._hold_cancel[i] if rec.missed[i] == 0 else self._again()
        if coin < self._cancel_given_up or self.spec.confirmation is not None:
            rec.outcome[i], rec.left_at[i] = CANCELLED, max(gone, told)
            self._told.pop(i)
            return True
        s = self.book.take(p, i, now)  # assigned, and not honoured
        at = self.book.time_list[s]
        rec.booked_at[i], rec.slot[i], rec.appointment_at[i] = self._told.pop(i), s, at
        if at < self.ctx.stop:
            rec.outcome[i], rec.left_at[i] = NO_SHOW, at
            rec.missed[i] += 1
        return True

    def close(self) -> None:
        end, pop, rec = self.ctx.stop, self.ctx.population, self.ctx.records
        for queue in self.register.values():
            for _, i in queue:
                if rec.slot[i] >= 0 or rec.outcome[i] != WAITING:
                    continue
                if self._dated:
                    gone = self._told[i] + (self._holding[i] if self._holding else float("inf"))
                    if gone < end and self._hold_cancel[i] < self._cancel_given_up:
                        rec.outcome[i], rec.left_at[i] = CANCELLED, gone
                    continue  # still holding their date at the end (censored)
                gave_up = pop.arrival[i] + pop.patience[i]
                if gave_up < end:
                    rec.abandon(i, gave_up)
        super().close()
