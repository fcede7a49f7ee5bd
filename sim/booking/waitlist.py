"""Waitlist: every request is registered once and given the earliest free date.

This is what the parliamentary question of 2021 asked for: "enregistrer chaque demande pour
donner une date, même lointaine, comme sur les plateformes de rendez-vous médical". An
applicant who asks is given, at once, the earliest free slot of their procedure at least
``min_lead_days`` ahead, and keeps it: nobody has to reconnect, so each booking costs exactly
one request. A slot nobody can take in time (too close, or no request yet) is lost.

Assumptions: a dated booking is kept (patience does not apply to people holding a date);
slots of a procedure are served first come, first booked; requests that find no slot before
the horizon stay registered and are counted as still waiting (censored).
"""

from __future__ import annotations

import numpy as np

from sim.booking import Context
from sim.scenario import WaitlistChannel
from sim.slots import allocation, slot_times, slots_per_day


class Waitlist:
    """Earliest-free-slot assignment over a per-procedure appointment calendar."""

    def __init__(self, ctx: Context, name: str, index: int, spec: WaitlistChannel):
        self.ctx, self.name, self.index, self.spec = ctx, name, index, spec
        procs = ctx.scenario.procedures
        names = list(procs)
        served = [names.index(p) for p in (spec.procedures or names)]
        shares = allocation(
            {c: procs[names[c]].annual_volume * procs[names[c]].counter_minutes_per_visit
             for c in served}
        )
        minutes = ctx.counter_minutes * spec.counter_share
        self.minutes_per_slot = {c: procs[names[c]].counter_minutes_per_visit for c in served}
        self.slots: dict[int, np.ndarray] = {}
        self.per_day: dict[int, np.ndarray] = {}
        for c in served:
            per_day = slots_per_day(minutes * shares[c], self.minutes_per_slot[c])
            self.per_day[c] = per_day
            self.slots[c] = slot_times(ctx.calendar, per_day).tolist()
        self.next_free = dict.fromkeys(served, 0)

    def capacity_minutes(self) -> np.ndarray:
        return sum(
            (self.per_day[c] * self.minutes_per_slot[c] for c in self.per_day),
            np.zeros(self.ctx.calendar.n_days),
        )

    def start(self) -> None:
        """Nothing to schedule: slots are dated in advance."""

    def admit(self, i: int) -> None:
        rec, now = self.ctx.records, self.ctx.env.now
        code = int(self.ctx.population.procedure[i])
        slots, k = self.slots[code], self.next_free[code]
        earliest = now + self.spec.min_lead_days
        while k < len(slots) and slots[k] < earliest:
            k += 1
        rec.attempts[i] = 1
        if k < len(slots):
            rec.booked_at[i] = now
            rec.serve(i, slots[k], self.minutes_per_slot[code])
            k += 1
        self.next_free[code] = k

    def close(self) -> None:
        """Registered requests without a slot stay waiting (their outcome is already so)."""
