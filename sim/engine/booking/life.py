"""The life of a booking: cancelled, given up, missed and booked again, or served.

A booking then lives its life, decided by the applicant's own uniforms drawn at arrival
(:data:`sim.engine.demand.LUCK_NO_SHOW` ...), so that the decision does not depend on the order of
events (a second booking, after a missed appointment, draws from the channel's stream
``rebooking.<channel>``):

1. with ``cancellation_probability`` it is cancelled at a uniformly random moment before
   the appointment (the slot is released again; the applicant leaves);
2. a person's need may go away while they hold a date (``behaviour.holding.patience``,
   counted from the booking): they cancel then with ``behaviour.holding.cancel_probability``
   (the slot goes back to the channel), or release it when a reminder comes
   (``confirmation.days_before``), or else simply do not come (a no-show; the slot is lost);
3. a person who still needs the date misses it with a probability that grows with the lead
   time up to a ceiling (:func:`no_show_probability`), lowered by a reminder
   (``confirmation.no_show_reduction``); they then book again through the same channel at
   the missed date, unless their need is gone by then (their patience has run out, or their
   protection order has expired: the right is lost);
4. otherwise they are served.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sim.engine import deadlines
from sim.engine.booking.interface import Context
from sim.engine.demand import (
    LUCK_CANCEL,
    LUCK_CANCEL_TIME,
    LUCK_HOLD_CANCEL,
    LUCK_NO_SHOW,
)
from sim.engine.records import CANCELLED, NO_SHOW
from sim.engine.slots import SlotBook
from sim.engine.streams import Uniforms
from sim.scenario.channels import SlotChannelBase


def no_show_probability(lead_days: float, base: float, odds_ratio_per_30_days: float,
                        max_probability: float = 1.0) -> float:
    """Probability of not showing up after booking ``lead_days`` ahead: it starts at
    ``base``, grows with the odds multiplied by ``odds_ratio_per_30_days`` every 30 days
    while far below ``max_probability``, and saturates there (a logistic curve scaled to its
    ceiling; ``max_probability = 1`` is the plain odds model).

    >>> round(no_show_probability(0, 0.05, 2.3), 3), round(no_show_probability(30, 0.05, 2.3), 3)
    (0.05, 0.108)
    >>> [round(no_show_probability(d, 0.05, 2.3, 0.15), 3) for d in (0, 30, 90, 365)]
    [0.05, 0.08, 0.129, 0.15]
    """
    return NoShowCurve(base, odds_ratio_per_30_days, max_probability)(lead_days)


class NoShowCurve:
    """:func:`no_show_probability` with its constants worked out once (it is called at
    every booking): the same arithmetic, so the same floats."""

    __slots__ = ("flat", "logit", "log_ratio", "ceiling")

    def __init__(self, base: float, odds_ratio_per_30_days: float, max_probability: float):
        self.ceiling = max_probability
        self.flat = min(base, max_probability) if base <= 0.0 or base >= max_probability else -1.0
        self.logit = 0.0
        if self.flat < 0.0:
            share = base / max_probability
            self.logit = math.log(share / (1.0 - share))
        self.log_ratio = math.log(odds_ratio_per_30_days)

    def __call__(self, lead_days: float) -> float:
        if self.flat >= 0.0:
            return self.flat
        z = self.logit + lead_days / 30.0 * self.log_ratio
        if z > 40.0:
            return self.ceiling
        return self.ceiling / (1.0 + math.exp(-z))


class BookingLife:
    """What happens to a booking once made (mixed into every slot channel)."""

    ctx: Context
    name: str
    spec: SlotChannelBase
    book: SlotBook

    def on_release(self, procedures: set[int]) -> None:
        raise NotImplementedError

    def readmit(self, i: int) -> None:
        raise NotImplementedError

    def settle(self, i: int, s: int, now: float, since: float | None = None) -> None:
        """Applicant ``i`` holds slot ``s`` from ``now`` on: cancelled, given up, missed (and
        booked again if still needed), or served. ``since``: when they were told their date,
        if earlier (a register dates requests when they register and assigns the slot
        later); the lead time and the holding patience count from then."""
        ctx, book = self.ctx, self.book
        rec = ctx.records
        at = book.time_list[s]
        since = now if since is None else since
        rec.booked_at[i], rec.slot[i], rec.appointment_at[i] = since, s, at
        if at >= ctx.stop:
            return  # dated after the run's stop: still waiting when it ends (censored)
        first = rec.missed[i] == 0  # later bookings draw afresh: their coins are used up
        if first and self._cancels is not None and self._cancels[i]:
            when = max(now, since + self._cancel_moment[i] * (at - since))
            self._at(when, lambda: self._cancel(i, s))
            return
        if self._holding is not None and since + self._holding[i] < at:
            self._give_up(i, s, max(now, since + self._holding[i]), at, first)
            return
        curve = self._no_show
        if curve is not None:
            p = curve(at - since) * self._reminded
            if (self._no_show_draw[i] if first else self._again()) < p:
                self._miss(i, at)
                return
        rec.serve(i, at, book.minutes_list[s])

    def _at(self, when: float, action: Callable[[], None]) -> None:
        """Do ``action`` at time ``when`` (one event)."""
        env = self.ctx.env
        env.timeout(when - env.now).callbacks.append(lambda _e: action())

    def _give_up(self, i: int, s: int, when: float, at: float, first: bool) -> None:
        """Applicant ``i``'s need goes away at ``when``, before their date ``at``: they
        cancel then, or release the slot when the reminder comes, or simply do not come."""
        coin = self._hold_cancel[i] if first else self._again()
        if coin < self._cancel_given_up:
            self._at(when, lambda: self._cancel(i, s))
            return
        confirmation = self.spec.confirmation
        if confirmation is not None and when < at - confirmation.days_before:
            self._at(at - confirmation.days_before, lambda: self._cancel(i, s))
            return
        rec = self.ctx.records
        rec.outcome[i], rec.left_at[i] = NO_SHOW, at
        rec.missed[i] += 1

    def _miss(self, i: int, at: float) -> None:
        """Applicant ``i`` misses their appointment at ``at``: they book again through this
        channel then, unless their need is gone by then (patience run out, or a protection
        order expired: the right is lost)."""
        rec = self.ctx.records
        rec.missed[i] += 1
        if at < self._need_until[i] and at < self._lost_at[i]:
            self._at(at, lambda: self._book_again(i))
        else:
            rec.outcome[i], rec.left_at[i] = NO_SHOW, at

    def _book_again(self, i: int) -> None:
        self.ctx.records.slot[i] = -1
        self.readmit(i)

    def _life_draws(self) -> None:
        """The applicants' own coin flips for this channel's booking life, as lists."""
        ctx, spec = self.ctx, self.spec
        pop = ctx.population
        luck = pop.luck
        self._cancels = (
            (luck[:, LUCK_CANCEL] < spec.cancellation_probability).tolist()
            if spec.cancellation_probability > 0 else None
        )
        self._cancel_moment = (ctx.column("luck.cancel_time", lambda: luck[:, LUCK_CANCEL_TIME])
                               if self._cancels else [])
        ns = spec.no_show
        self._no_show = (NoShowCurve(ns.base_probability, ns.odds_ratio_per_30_days,
                                     ns.max_probability) if ns is not None else None)
        self._no_show_draw = (ctx.column("luck.no_show", lambda: luck[:, LUCK_NO_SHOW])
                              if ns is not None else [])
        reduction = spec.confirmation.no_show_reduction if spec.confirmation else 0.0
        self._reminded = 1.0 - reduction
        holding = ctx.scenario.behaviour.holding
        self._holding = (ctx.column("holding", lambda: pop.holding)
                         if holding.patience is not None else None)
        self._hold_cancel = (ctx.column("luck.hold_cancel", lambda: luck[:, LUCK_HOLD_CANCEL])
                             if self._holding else [])
        self._cancel_given_up = holding.cancel_probability
        self._need_until = ctx.column("need_until", lambda: pop.arrival + pop.patience)
        self._lost_at = ctx.column("protection_order_lost_at", lambda: lost_at(ctx))
        self._again = Uniforms(ctx.streams[f"rebooking.{self.name}"])

    def _cancel(self, i: int, s: int) -> None:
        rec = self.ctx.records
        rec.outcome[i], rec.left_at[i] = CANCELLED, self.ctx.env.now
        self.on_release(self.book.cancel((s,)))


def lost_at(ctx: Context) -> np.ndarray:
    """When each applicant's right is lost for good: a protection order's expiry (inf for
    the other procedures)."""
    pop = ctx.population
    kinds = np.array([deadlines.kind_of(p) for p in ctx.scenario.procedures.values()])
    lost = kinds[pop.procedure] == deadlines.PROTECTION_ORDER
    return np.where(lost, pop.deadline, np.inf)
