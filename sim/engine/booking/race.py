"""Race: today's system, where a released slot goes to whoever asks first.

Seekers reconnect again and again; the first requests after a release take its slots. One
event per visit to the website is hopeless (bots send hundreds of millions): the race is
resolved analytically instead.

Each class of checkers has an intensity over the day and the week (:mod:`sim.engine.timing`):
people visit a few times a day, less at night, more just after a release they know of;
people without digital access depend on a helper's visits; bot operators poll every few
seconds around a known release. The checks of all active seekers and operators of a
procedure form a non-homogeneous Poisson process of intensity ``sum_c n_c lambda_c(t)``.
While free bookable slots exist, the next check comes when the integrated intensity has
grown by an exponential draw (exact, by time change: :meth:`sim.engine.intensity.Grid.next_time`)
and takes the earliest slot; it comes from class ``c`` with probability
``n_c lambda_c(t) / sum`` at that moment, and from a uniformly chosen member of the class.
The booker leaves the race (depletion) and the next check is drawn. Poisson increments are
independent, so redrawing whenever the state changes (an arrival, a release, a seeker
giving up) is exact. So there is one event per release and one per booking, whatever the
check rate. Attempts are counted afterwards (:mod:`sim.engine.booking.search_log`).

Seekers give up at ``arrival + patience`` (a heap of deadlines, purged lazily); no check is
drawn past the next deadline, so the intensity is always exact.

The channel keeps each procedure's next check pending and resolves the earliest one on the
spot whenever no other event can come first, ahead of the clock, then the next earliest, and
so on: a release's burst of bookings over all procedures costs one event, not one per
booking. Procedures are taken in time order, so state they share (an operator's cap on the
bookings it holds) is always seen as it was at that moment. With ``release.allocation:
batch`` the slots go by lot to those who asked in a window (:mod:`sim.engine.booking.batch`).
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from sim.engine.booking.base import SlotChannel
from sim.engine.booking.batch import allocate
from sim.engine.booking.interface import Context
from sim.engine.booking.search_log import SearchLog
from sim.engine.booking.seekers import SeekerPool
from sim.engine.bots import Bots
from sim.engine.intensity import night_bins
from sim.engine.sampling import choose
from sim.engine.streams import Uniforms
from sim.engine.timing import MINUTE, checker_classes, checker_profiles
from sim.scenario.channels import RaceChannel

People = list[tuple[int, int, list[float]]]  # (class, members, intensity per bin)
Rivals = list[tuple[int, list[float]]]  # (operator, intensity per bin)


class Race(SlotChannel):
    """Free slots go to the first check; one event per release and per booking."""

    def __init__(self, ctx: Context, name: str, index: int, spec: RaceChannel):
        super().__init__(ctx, name, index, spec)
        behaviour, pop = ctx.scenario.behaviour, ctx.population
        self.profiles = checker_profiles(behaviour, self.grid, spec.release)
        self.intensity = [pr.values for pr in self.profiles]
        self._night = night_bins(self.grid)
        self.classes = classes = checker_classes(behaviour, pop.seeker_class, pop.digital)
        self.seekers = {p: SeekerPool([1.0] * len(self.profiles)) for p in self.served_codes}
        self.version = dict.fromkeys(self.served_codes, 0)
        self._grabbing = -1  # procedure whose grab is being resolved
        # next check per procedure: (time, procedure, bin, people, rivals); see _run
        self._pending: dict[int, tuple[float, int, int, People, Rivals]] = {}
        self._running = False
        self._now = 0.0  # time of the check being resolved (ahead of the clock)
        self._timer_at = math.inf
        self._bots = self.bots if self.bots else None  # None: no operator on this channel
        self.log = SearchLog(self.served_codes)  # attempts are counted from it at the end
        self.u = Uniforms(ctx.streams[f"race.{name}"])
        self._deadline = ctx.column("need_until", lambda: pop.arrival + pop.patience)
        self._class = classes.tolist()
        self._proc = pop.procedure.tolist()
        self._batch = spec.release.allocation == "batch"
        if self._batch:
            self.release_delay = spec.release.batch_window_minutes * MINUTE
        self.batch_rng = ctx.streams[f"race.batch.{name}"]

    # -- who is looking ----------------------------------------------------------------
    def admit(self, i: int) -> None:
        if self.bots:
            self.bots.admit(i)
        self._enter(i)

    def readmit(self, i: int) -> None:
        self._enter(i)

    def _enter(self, i: int) -> None:
        p, now = self._proc[i], self.ctx.env.now
        self.seekers[p].add(i, self._class[i], self._deadline[i])
        self.log.start(i, now)
        if self.book.has_free(p, now):
            self._next_check(p)  # the intensity changed while slots are free: redraw

    def purge(self, pool: SeekerPool, now: float) -> None:
        """Seekers whose patience ran out by ``now`` gave up then."""
        for i, at in pool.expire(now, self._class):
            self.ctx.records.abandon(i, at)
            self.log.stop(i, at)

    # -- releases -------------------------------------------------------------------------
    def released(self, group: np.ndarray, at: float) -> None:
        if self._batch:
            allocate(self, self.book.open(group), at, self.ctx.env.now)
        else:
            super().released(group, at)

    def on_release(self, procedures: set[int]) -> None:
        for p in procedures:
            if p in self.seekers:
                self._next_check(p)

    # -- the next check -------------------------------------------------------------------
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
        first (the intensity changes then)."""
        pool, book = self.seekers[p], self.book
        self.version[p] += 1
        self._pending.pop(p, None)
        free = book.has_free(p, now)
        if free != self.log.is_free(p):
            self.log.mark_free(p, now, free)
        if not free:
            return
        if pool.deadlines and pool.deadlines[0][0] <= now:
            self.purge(pool, now)
        people: People = [(c, len(g), self.intensity[c]) for c, g in enumerate(pool.members)
                          if g]
        rivals: Rivals = self._bots.competing(p, now) if self._bots is not None else []
        if not people and not rivals:
            return
        weighted = [(float(n), v) for _, n, v in people] + [(1.0, v) for _, v in rivals]
        at, j = self.grid.next_check(now, -math.log(1.0 - self.u()), weighted)
        wake = pool.deadlines[0][0] if pool.deadlines else math.inf
        if wake < at:
            env, token = self.ctx.env, self.version[p]
            env.timeout(wake - env.now).callbacks.append(partial(self._recheck, p, token))
            return
        if at < math.inf:
            self._pending[p] = (at, p, j, people, rivals)

    def _run(self) -> None:
        """Resolve pending checks in time order while nothing else can happen before them
        (ahead of the clock); leave one timer at the earliest of the others."""
        env, stop, pending = self.ctx.env, self.ctx.stop, self._pending
        self._running = True
        try:
            while pending:
                at, p, j, people, rivals = min(pending.values(), key=_first)
                if at > env.now and at >= min(env.peek(), stop):
                    if at < self._timer_at:  # an earlier timer than the one set
                        self._timer_at = at
                        env.timeout(at - env.now).callbacks.append(partial(self._timer, at))
                    return
                del pending[p]
                self._now = at
                if (self.book.has_free(p, at) and self._resolve(p, people, rivals, at, j)
                        and self._captures(p, at, people, rivals)):
                    continue  # a burst of captures went on, and left p's next check
                self._draw(p, at)
        finally:
            self._running = False

    def _timer(self, at: float, _event: object = None) -> None:
        if at == self._timer_at:
            self._timer_at = math.inf
        self._run()

    def _recheck(self, p: int, token: int, _event: object = None) -> None:
        if token == self.version[p]:
            self._next_check(p)

    def _who(self, people: People, rivals: Rivals, j: int) -> int:
        """Whose check came at a time of bin ``j``: a seeker class (>= 0) or an operator
        ``k`` (as ``-1 - k``), drawn in proportion to their intensities then."""
        weights = [n * v[j] for _, n, v in people] + [v[j] for _, v in rivals]
        e = choose(weights, self.u() * sum(weights))
        return people[e][0] if e < len(people) else -1 - rivals[e - len(people)][0]

    @property
    def competing_bots(self) -> Bots | None:
        """The operators on this channel, if any."""
        return self._bots

    def bot_wins(self, k: int, p: int, now: float) -> None:
        """Operator ``k``'s request books a slot of ``p`` (what it changes on ``p`` is
        redrawn by the caller)."""
        self._grabbing = p
        self.bots.win(k, p, now)
        self._grabbing = -1

    def redraw(self, p: int) -> None:
        """The state of ``p`` changed: draw its next check."""
        self._next_check(p)

    def _resolve(self, p: int, people: People, rivals: Rivals, now: float, j: int) -> bool:
        """A check at ``now`` (in bin ``j``) books a slot of ``p``; True if it came from a
        bot."""
        who = self._who(people, rivals, j)
        if who >= 0:
            self.people_win(p, who, self.u(), now)
            return False
        self.bot_wins(-1 - who, p, now)
        return True

    def people_win(self, p: int, cls: int, u: float, now: float) -> None:
        """A member of class ``cls`` (drawn from ``u``) checked first: they book."""
        pool = self.seekers[p]
        group = pool.members[cls]
        i = group[min(int(u * len(group)), len(group) - 1)]
        pool.remove(i, cls)
        self.log.stop(i, now)
        self.ctx.records.requests[i] += 1
        if self._night[self.grid.bin_of(now)]:
            self.log.booked_at_night(i)
        self.book_slot(i, p, now)

    def _captures(self, p: int, now: float, people: People, rivals: Rivals) -> bool:
        """After a bot's check on ``p`` at ``now``, resolve the checks that follow in a
        tight loop while only one uncapped speculative operator competes and no buyer is
        in the market: its captures then change nothing but the slots and its stock, so
        the intensities stay the same (when 1e8 requests a day take every slot released, a
        release's captures cost a few operations each). The loop hands over, redrawing
        ``p``'s next check, at the first seeker's check (resolved here), when that
        operator's slots run out or move too close or stocking more no longer pays, or
        before anything else could happen (an event, a seeker's deadline). Procedures then
        share no state, so this loop need not wait for their pending checks. Returns False
        when the caller should redraw."""
        bots, pool, book = self.bots, self.seekers[p], self.book
        k, tier = bots.sole_speculator(p)
        if (k < 0 or len(rivals) != 1 or rivals[0][0] != k or not book.ahead(p, tier, now)
                or bots.buyer(p, now) is not None or not bots.worth_stocking(k, p, now)):
            return False
        env, u, log, grid = self.ctx.env, self.u, math.log, self.grid
        limit = min(env.peek(), self.ctx.stop,
                    pool.deadlines[0][0] if pool.deadlines else math.inf)
        weighted = [(float(n), v) for _, n, v in people] + [(1.0, rivals[0][1])]
        t = now
        while True:
            last = t
            t, j = grid.next_check(t, -log(1.0 - u()), weighted)
            if t >= limit:  # something else may happen first: redraw from the last capture
                t = last    # (a fresh draw, so discarding this one biases nothing)
                break
            self._now = t
            who = self._who(people, rivals, j)
            if who >= 0:  # a seeker's check: they book, if anything is free
                if book.has_free(p, t):
                    self.people_win(p, who, u(), t)
                break
            if not book.ahead(p, tier, t):
                break  # the operator's slots came too close: its check failed
            bots.captured(k, p, book.take_ahead(p, tier, t))
            if not book.has_free(p, t) or not bots.worth_stocking(k, p, t):
                break  # the last slot went (the free span ends now), or stocking stops
        self._draw(p, t)
        return True

    # -- the resale market and the end ----------------------------------------------------
    def is_seeking(self, i: int) -> bool:
        return i in self.seekers[self._proc[i]].where

    def withdraw(self, i: int) -> None:
        self.seekers[self._proc[i]].remove(i, self._class[i])
        self.log.stop(i, self._now if self._running else self.ctx.env.now)

    def changed(self, p: int) -> None:
        if p != self._grabbing:
            self._next_check(p)

    def close(self) -> None:
        end = self.ctx.stop
        for pool in self.seekers.values():
            self.purge(pool, end)
        self.log.close(end)
        super().close()

    def count_attempts(self) -> None:
        rec, pop = self.ctx.records, self.ctx.population
        members = np.flatnonzero(rec.channel == self.index)
        rec.attempts[members], rec.night_attempts[members] = self.log.attempts(
            members, rec.requests, pop, self.classes, self.profiles, self._night)


def _first(entry: tuple[float, int, int, People, Rivals]) -> tuple[float, int]:
    return entry[0], entry[1]
