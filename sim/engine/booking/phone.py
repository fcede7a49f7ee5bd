"""Phone line: call agents answer in opening hours; an answered call books a date.

The written question of 2021 (AN QE 36475) asked for "un contact direct ou a minima
téléphonique"; the OFII ran such a line for asylum appointments in Île-de-France (ten agents,
9h-16h on weekdays, La Cimade 2019). A person who needs an appointment calls during the line's
opening hours (a need that appears while it is closed makes its first call at a uniformly
random moment of the next opening period). If an agent is free, the call is answered at
once; otherwise the caller holds, first in, first out, until an agent takes the call or their
patience on hold runs out (exponential, ``hold_patience_minutes``); calls beyond the agents
and the ``lines`` that can wait get the busy tone, and callers still on hold at closing time
are cut off. A caller who found the line busy or hung up calls again after an exponential
delay counted in the line's opening time (``retrial_mean_hours``, see
:mod:`sim.engine.booking.line`), until their need is gone (``behaviour.patience``, counted
from the need); without retrials they give up at once.

The agent gives an answered caller the earliest free date, at least ``min_lead_days`` ahead,
of the line's own slots: its ``counter_share`` of counter time cut into slots as any slot
channel's (:mod:`sim.engine.booking.slotting`). Without a ``release`` schedule the line sees
its whole calendar, however far ahead, like a waitlist without one: every answered caller
gets a date. With one, dates open on it at most ``horizon_days`` ahead, as on the booking
site, and a caller for whom none is open is told to call again (the retrial delay), until
their need is gone. The booking then lives the life of a booking
(:mod:`sim.engine.booking.life`): a missed date is booked again by calling again. The call
lasts ``handling_minutes`` on average (exponential by default: ``handling_kind``). People
without digital access call themselves: the line is not an online channel
(:func:`sim.engine.model.needs_help`).

Events: one per call (first calls and retrials) and one per answered call's end, never one
per minute on hold. Abandonment on hold is decided lazily, as at the walk-in desk: a call
whose caller hung up before an agent reached it is skipped when it reaches the head of the
line (or counted out of the ``lines`` when it must be), and the retrial of a caller who may
hang up is scheduled when the call arrives, at the hang-up time plus the retrial delay, and
ignored if the call was answered first. Under first in, first out this is exact.

With retrials off, a continuous calendar, a fixed number of agents, exponential handling and
patience and unlimited lines, the call queue is exactly the M/M/c+M (Erlang-A) queue:
``tests/test_phone_theory.py`` checks its share of calls answered and the mean wait on hold
of the answered against :mod:`sim.analysis.theory.erlang_a`.
"""

from __future__ import annotations

import heapq
import math
from collections import deque

import numpy as np

from sim.engine.booking.base import SlotChannel
from sim.engine.booking.interface import Context
from sim.engine.booking.line import LineHours
from sim.engine.records import ABANDONED, WAITING
from sim.engine.sampling import Draws
from sim.engine.streams import Uniforms
from sim.scenario.channels import PhoneChannel


class Phone(SlotChannel):
    """A call queue whose answered calls book dates in the line's own slots."""

    def __init__(self, ctx: Context, name: str, index: int, spec: PhoneChannel):
        super().__init__(ctx, name, index, spec)
        self.hours = LineHours(ctx.scenario, spec, ctx.calendar)
        streams = ctx.streams
        self._handling = Draws(streams[f"phone.handling.{name}"], spec.handling_kind,
                               spec.handling_minutes / 1440.0, spec.handling_cv)
        patience = spec.hold_patience_minutes
        self._hold = (Draws(streams[f"phone.hold.{name}"], "exponential", patience / 1440.0, 1.0)
                      if patience is not None else lambda: math.inf)
        self.retrials = spec.retrial_mean_hours is not None
        self._retrial = Draws(streams[f"phone.retrial.{name}"], "exponential",
                              (spec.retrial_mean_hours or 0.0) / 24.0, 1.0)
        self._first = Uniforms(streams[f"phone.first.{name}"])
        self.lines = spec.lines
        self._proc = ctx.population.procedure.tolist()
        self.busy = 0
        # calls on hold, first in first out: (caller, call number, arrival, hang-up time);
        # calls whose caller hung up stay until they reach the head (lazy abandonment)
        self.line: deque[tuple[int, int, float, float]] = deque()
        self._call_no: dict[int, int] = {}  # caller -> number of their latest call
        self._on_hold: dict[int, int] = {}  # caller -> number of their call on hold
        self._answered: dict[int, int] = {}  # caller -> number of their last answered call
        self._n_on_hold = 0  # calls on hold whose caller has not hung up (kept with lines)
        self._hang_ups: list[tuple[float, int, int]] = []  # (time, caller, call number)

    def _release_times(self, ctx: Context, spec: PhoneChannel,  # type: ignore[override]
                       time: np.ndarray) -> np.ndarray:
        """Without a release schedule the line sees its whole calendar: an agent gives the
        earliest free date for good at once (the line keeps no queue of registrations)."""
        if spec.release is None:
            return np.zeros(time.size)
        return super()._release_times(ctx, spec, time)

    # -- calls ------------------------------------------------------------------------
    def start(self) -> None:
        """Slots open at once (the line sees its whole calendar); agents who join a line
        open around the clock take the callers holding."""
        super().start()
        env = self.ctx.env
        for at in self.hours.rises:
            env.timeout(at).callbacks.append(lambda _e: self._take_calls())

    def admit(self, i: int) -> None:
        """Applicant ``i`` needs a date: they call now, or during the next opening period."""
        now = self.ctx.env.now
        if self.hours.period(now) >= 0:
            self._ring(i)
            return
        k = self.hours.next_period(now)
        if k < len(self.hours.start):
            start, end = self.hours.start[k], self.hours.end[k]
            self._call_at(start + self._first() * (end - start), i)

    def _call_at(self, when: float, i: int, number: int | None = None) -> None:
        """Applicant ``i`` calls at ``when`` (a retrial of call ``number``: ignored if that
        call was answered, or if a later call was made meanwhile)."""
        if when >= self.ctx.stop:
            return  # after the run's end: settled by close()
        env = self.ctx.env
        env.timeout(when - env.now).callbacks.append(lambda _e: self._retry(i, number))

    def _retry(self, i: int, number: int | None) -> None:
        if number is not None and (self._call_no.get(i) != number
                                   or self._answered.get(i) == number):
            return
        self._ring(i)

    def _ring(self, i: int) -> None:
        """Applicant ``i`` calls now."""
        now, rec = self.ctx.env.now, self.ctx.records
        if now >= self._need_until[i]:
            rec.abandon(i, self._need_until[i])
            return
        k = self.hours.period(now)
        if k < 0:  # a retrial that lands on a closing: the next opening
            self.admit(i)
            return
        number = self._call_no[i] = self._call_no.get(i, 0) + 1
        rec.attempts[i] += 1
        if self.busy < self.hours.agents[k]:
            self._answer(i, number, now)
            return
        if self.lines is not None:
            self._count_hang_ups(now)
            if self._n_on_hold >= self.lines:
                self._failed(i, number, now)
                return
        hang_up = min(now + self._hold(), self.hours.closing[k])
        self.line.append((i, number, now, hang_up))
        self._on_hold[i] = number
        self._n_on_hold += 1
        if self.lines is not None:
            heapq.heappush(self._hang_ups, (hang_up, i, number))
        if self.retrials and hang_up < math.inf:
            self._call_at(self._redial_time(hang_up), i, number)

    def _redial_time(self, t: float) -> float:
        """When a caller who gave up at ``t`` calls again (a delay in opening time)."""
        return self.hours.at_clock(self.hours.clock(t) + self._retrial())

    def _failed(self, i: int, number: int, now: float) -> None:
        """Call ``number`` of ``i`` found the line busy: they call again later, or give up."""
        if not self.retrials:
            self.ctx.records.abandon(i, now)
        else:
            self._call_at(self._redial_time(now), i, number)

    def _hung_up(self, i: int, number: int, at: float) -> None:
        """Caller ``i`` hung up call ``number`` at ``at`` (found out lazily)."""
        if self._on_hold.get(i) != number:
            return  # already counted
        del self._on_hold[i]
        self._n_on_hold -= 1
        if not self.retrials:
            self.ctx.records.abandon(i, at)

    def _count_hang_ups(self, now: float) -> None:
        """Calls whose caller hung up by ``now`` no longer hold a line."""
        heap = self._hang_ups
        while heap and heap[0][0] <= now:
            at, i, number = heapq.heappop(heap)
            self._hung_up(i, number, at)

    def _answer(self, i: int, number: int, called_at: float) -> None:
        """An agent takes call ``number`` of ``i`` now and gives them the earliest date."""
        env, rec = self.ctx.env, self.ctx.records
        now = env.now
        self.busy += 1
        self._answered[i] = number
        rec.answered[i] += 1
        rec.hold_days[i] += now - called_at
        p = self._proc[i]
        if self.book.has_free(p, now):
            rec.requests[i] += 1
            self.book_slot(i, p, now)
        elif not self.retrials:  # no date open, and they will not call again
            rec.abandon(i, now)
        else:  # no date open: "call again later" (the old retrial is void: answered)
            self._call_at(self._redial_time(now), i)
        env.timeout(self._handling()).callbacks.append(self._done)

    def _done(self, _event: object) -> None:
        """An agent ends a call and takes the next caller still holding."""
        self.busy -= 1
        self._take_calls()

    def _take_calls(self) -> None:
        """Free agents take the callers still holding, first in, first out, if the line is
        open."""
        now = self.ctx.env.now
        k = self.hours.period(now)
        if k < 0:
            return
        while self.busy < self.hours.agents[k] and self.line:
            i, number, called_at, hang_up = self.line.popleft()
            if self._on_hold.get(i) != number:
                continue  # hung up, already counted
            if hang_up <= now:
                self._hung_up(i, number, hang_up)
                continue
            del self._on_hold[i]
            self._n_on_hold -= 1
            self._answer(i, number, called_at)

    # -- dates given back ---------------------------------------------------------------
    def on_release(self, procedures: set[int]) -> None:
        """Dates opened or given back wait for the next caller: nobody is called back."""

    # -- the end ----------------------------------------------------------------------
    def close(self) -> None:
        """Calls still on hold at the end wait on; callers who hung up without retrial left;
        the others still looking leave if their need was gone by the end."""
        end, rec = self.ctx.stop, self.ctx.records
        for i, number, _, hang_up in self.line:
            if hang_up < end:
                self._hung_up(i, number, hang_up)
        self.line.clear()
        looking = np.flatnonzero((rec.channel == self.index) & (rec.outcome == WAITING)
                                 & (rec.slot < 0))
        need_until = np.asarray(self._need_until)[looking]
        gone = looking[need_until < end]
        rec.outcome[gone] = ABANDONED
        rec.left_at[gone] = need_until[need_until < end]
        self.book.expire_remaining()
