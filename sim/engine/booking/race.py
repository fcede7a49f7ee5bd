"""Race: today's system, where a released slot goes to whoever asks first.

Seekers reconnect again and again; when slots are released, the first requests after the
release take them. Simulating each visit to the website would cost one event per poll: with
thousands of seekers checking dozens of times a day (and bots hundreds of millions of times),
that is hopeless. The race is resolved analytically instead.

Each seeker ``i`` of a procedure checks at rate ``r_i`` (their class's ``checks_per_day``),
so the checks of all active seekers form a Poisson process of rate ``R = sum r_i`` (plus the
rate of rival requests, e.g. bots, added later). While free bookable slots exist, the next
check, at an exponential time of rate ``R``, takes the earliest one; the check comes from a
class with probability proportional to that class's rate (count x checks per day), and from
a uniformly chosen seeker within it. The booker leaves the race (depletion) and the next
check is drawn. Memorylessness makes redrawing whenever the state changes (an arrival, a
release, a seeker giving up) exact. So there is one event per release and one per booking,
whatever the check rate. Attempts are counted afterwards: a seeker who looked for ``t`` days
made ``Poisson(r_i t)`` unsuccessful visits (plus the successful one if they booked).

Seekers give up at ``arrival + patience``: their deadlines sit in a heap and are purged
lazily; while slots are free, the next grab is never scheduled past the next deadline, so the
rate is always exact.

The channel keeps each procedure's next check pending and resolves the earliest one on the
spot whenever no other event can come first, ahead of the clock, then the next earliest, and
so on: a release's burst of bookings over all procedures costs one event, not one per
booking. Procedures are taken in time order, so state they share (an operator's cap on the
bookings it holds) is always seen as it was at that moment.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from sim.engine.booking.base import SlotChannel
from sim.engine.booking.interface import Context
from sim.engine.booking.seekers import SeekerPool
from sim.engine.streams import Uniforms
from sim.scenario.channels import RaceChannel


class Race(SlotChannel):
    """Free slots go to the first check; one event per release and per booking."""

    def __init__(self, ctx: Context, name: str, index: int, spec: RaceChannel):
        super().__init__(ctx, name, index, spec)
        self.rates = [c.checks_per_day for c in ctx.scenario.behaviour.seekers]
        self.seekers = {p: SeekerPool(self.rates) for p in self.served_codes}
        self.version = dict.fromkeys(self.served_codes, 0)
        self._grabbing = -1  # procedure whose grab is being resolved
        # next check per procedure: (time, procedure, people's rate, rivals' rate); see _run
        self._pending: dict[int, tuple[float, int, float, float]] = {}
        self._running = False
        self._now = 0.0  # time of the check being resolved (ahead of the clock)
        self._timer_at = math.inf
        self._bots = self.bots if self.bots else None  # None: no operator on this channel
        # time with a bookable slot free, per procedure: (time, cumulative) at each change
        self._free_since: dict[int, float | None] = dict.fromkeys(self.served_codes)
        self._free_total = dict.fromkeys(self.served_codes, 0.0)
        self._free_nodes: dict[int, list[tuple[float, float]]] = {
            p: [] for p in self.served_codes}
        self.u = Uniforms(ctx.streams[f"race.{name}"])
        pop = ctx.population
        self._deadline = (pop.arrival + pop.patience).tolist()
        self._class = pop.seeker_class.tolist()
        self._proc = pop.procedure.tolist()

    def admit(self, i: int) -> None:
        p = self._proc[i]
        if self.bots:
            self.bots.admit(i)
        self.seekers[p].add(i, self._class[i], self._deadline[i])
        if self.book.has_free(p, self.ctx.env.now):
            self._next_check(p)  # the rate changed while slots are free: redraw

    def on_release(self, procedures: set[int]) -> None:
        for p in procedures:
            if p in self.seekers:
                self._next_check(p)

    def _purge(self, pool: SeekerPool, now: float) -> None:
        for i, at in pool.expire(now, self._class):
            self.ctx.records.abandon(i, at)

    def _next_check(self, p: int) -> None:
        """The state of ``p`` changed: redraw its next check, then resolve what can be."""
        if self._running:
            self._draw(p, self._now)
        else:
            self._draw(p, self.ctx.env.now)
            self._run()

    def _draw(self, p: int, now: float) -> None:
        """Draw the next check for procedure ``p`` from ``now``, if any can succeed: it is
        left pending, or a recheck is set at the next seeker's deadline if that comes
        first (the rate changes then)."""
        pool, book, bots = self.seekers[p], self.book, self._bots
        self.version[p] += 1
        self._pending.pop(p, None)
        free = book.has_free(p, now)
        if free != (self._free_since[p] is not None):
            self._mark_free(p, now, free)
        if not free:
            return
        if pool.deadlines and pool.deadlines[0][0] <= now:
            self._purge(pool, now)
        rivals = bots.rate(p, now) if bots else 0.0
        total = pool.total + rivals
        if total <= 0:
            return
        at = now - math.log(1.0 - self.u()) / total
        wake = pool.deadlines[0][0] if pool.deadlines else math.inf
        if wake < at:
            env, token = self.ctx.env, self.version[p]
            env.timeout(wake - env.now).callbacks.append(partial(self._recheck, p, token))
            return
        self._pending[p] = (at, p, pool.total, rivals)

    def _run(self) -> None:
        """Resolve pending checks in time order while nothing else can happen before them
        (ahead of the clock); leave one timer at the earliest of the others."""
        env, horizon, pending = self.ctx.env, self.ctx.horizon, self._pending
        self._running = True
        try:
            while pending:
                at, p, people, rivals = min(pending.values())
                if at > env.now and at >= min(env.peek(), horizon):
                    if at < self._timer_at:  # an earlier timer than the one set
                        self._timer_at = at
                        env.timeout(at - env.now).callbacks.append(partial(self._timer, at))
                    return
                del pending[p]
                self._now = at
                if (self.book.has_free(p, at)
                        and self._resolve(p, self.u() * (people + rivals), people, rivals, at)
                        and self._captures(p, at, people, rivals)):
                    continue  # a burst of captures went on, and left p's next check
                self._draw(p, at)
        finally:
            self._running = False

    def _timer(self, at: float, _event: object = None) -> None:
        if at == self._timer_at:
            self._timer_at = math.inf
        self._run()

    def _mark_free(self, p: int, now: float, free: bool) -> None:
        """Keep the cumulative time during which a bookable slot of ``p`` was free."""
        since = self._free_since[p]
        if free and since is None:
            self._free_since[p] = now
            self._free_nodes[p].append((now, self._free_total[p]))
        elif not free and since is not None:
            self._free_total[p] += now - since
            self._free_since[p] = None
            self._free_nodes[p].append((now, self._free_total[p]))

    def failed_exposure(self, members: np.ndarray, start: np.ndarray,
                        until: np.ndarray) -> np.ndarray:
        """Looking time minus the time a bookable slot was free meanwhile."""
        exposure = np.maximum(until - start, 0.0)
        procedure = self.ctx.population.procedure[members]
        for p in self.served_codes:
            self._mark_free(p, self.ctx.horizon, False)
            nodes = np.array(self._free_nodes[p] or [(0.0, 0.0)])
            mine = procedure == p
            free = (np.interp(until[mine], nodes[:, 0], nodes[:, 1])
                    - np.interp(start[mine], nodes[:, 0], nodes[:, 1]))
            exposure[mine] = np.maximum(exposure[mine] - free, 0.0)
        return exposure

    def _recheck(self, p: int, token: int, _event: object = None) -> None:
        if token == self.version[p]:
            self._next_check(p)

    def _people_win(self, p: int, x: float, people: float, now: float) -> None:
        """The check ``x`` (uniform on [0, people)) came from a seeker: they book."""
        pool = self.seekers[p]
        i, cls = pool.pick(x / people, people)
        pool.remove(i, cls)
        self.book_slot(i, p, now)

    def _resolve(self, p: int, x: float, people: float, rivals: float, now: float) -> bool:
        """The check ``x`` (uniform on [0, people + rivals)) books a slot at ``now``;
        True if it came from a bot."""
        if x < people:
            self._people_win(p, x, people, now)
            return False
        self._grabbing = p  # what the bots change on p is redrawn by the caller
        self.bots.win(p, (x - people) / rivals, now)
        self._grabbing = -1
        return True

    def _captures(self, p: int, now: float, people: float, rivals: float) -> bool:
        """After a bot's check on ``p`` at ``now``, resolve the checks that follow in a
        tight loop while only one uncapped speculative operator competes and no buyer is
        in the market: its captures then change nothing but the slots, so the rates stay
        the same (when 1e8 requests a day take every slot released, a release's captures
        cost a few operations each). The loop hands over, redrawing ``p``'s next check, at
        the first seeker's check (resolved here), when that operator's slots run out or
        move too close, or before anything else could happen (an event, a seeker's
        deadline). Procedures then share no state, so this loop need not wait for their
        pending checks. Returns False when the caller should redraw."""
        bots, pool, book = self.bots, self.seekers[p], self.book
        k, tier = bots.sole_speculator(p)
        if (k < 0 or rivals <= 0 or pool.total != people or not book.ahead(p, tier, now)
                or bots.buyer(p, now) is not None):
            return False
        env, u, log = self.ctx.env, self.u, math.log
        limit = min(env.peek(), self.ctx.horizon,
                    pool.deadlines[0][0] if pool.deadlines else math.inf)
        total, t = people + rivals, now
        while True:
            last, t = t, t - log(1.0 - u()) / total
            if t >= limit:  # something else may happen first: redraw from the last capture
                t = last    # (a fresh draw, so discarding this one biases nothing)
                break
            x = u() * total
            self._now = t
            if x < people:  # a seeker's check: they book, if anything is free
                if book.has_free(p, t):
                    self._people_win(p, x, people, t)
                break
            if not book.ahead(p, tier, t):
                break  # the operator's slots came too close: its check failed
            bots.captured(k, p, book.take_ahead(p, tier, t))
        self._draw(p, t)
        return True

    def is_seeking(self, i: int) -> bool:
        return i in self.seekers[self._proc[i]].where

    def withdraw(self, i: int) -> None:
        self.seekers[self._proc[i]].remove(i, self._class[i])

    def changed(self, p: int) -> None:
        if p != self._grabbing:
            self._next_check(p)

    def close(self) -> None:
        end = self.ctx.horizon
        for pool in self.seekers.values():
            self._purge(pool, end)
        super().close()

    def looking_rate(self, members: np.ndarray) -> np.ndarray:
        return np.asarray(self.rates)[self.ctx.population.seeker_class[members]]

    def base_attempts(self, members: np.ndarray, booked: np.ndarray) -> np.ndarray:
        return booked.astype(np.int64)
