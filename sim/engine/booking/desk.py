"""Walk-in desk: a physical FIFO queue at the counters.

People without digital access (the Conseil d'État, 27 Nov. 2019, forbids imposing online
booking) come to the prefecture and take a ticket. Counters call tickets in order; a person
whose patience runs out before being called goes home and gives up. The desk opens only during
opening hours; tickets are honoured across closings (a waiting person keeps their place), and
a service running at closing time is finished.

In ``continuous`` mode with a fixed number of counters, exponential counter times and
exponential patience, this is exactly the M/M/c+M (Erlang-A) queue, and with no patience the
M/M/c (Erlang-C) queue: ``tests/test_desk_theory.py`` checks both against
:mod:`sim.analysis.theory`.

Abandonment is decided lazily: nobody schedules a "give up" event; when a counter calls the
head of the queue, people whose patience ended before now are recorded as having left at
``arrival + patience`` and skipped. Under FIFO this is exact (someone who left never holds a
counter) and keeps the cost per applicant at about two events (arrival, end of service) even
with a backlog of 100,000 people.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import simpy

from sim.engine.booking.interface import Context
from sim.engine.calendar import Calendar
from sim.engine.records import SERVED
from sim.scenario.channels import DeskChannel


def counters_per_day(
    spec: DeskChannel, calendar: Calendar, counter_minutes: np.ndarray,
    share: np.ndarray | None = None,
) -> np.ndarray:
    """Open counters on each day: fixed, or the desk's share of counter time / opening time,
    in whole counters with the fractions carried over to the next open days (so 0.75 of a
    counter is one counter three days out of four, not always one or never). ``share``: the
    desk's share on each day when counter time follows demand (None: ``counter_share``).

    >>> from sim.engine.calendar import build_calendar
    >>> from sim.scenario import CalendarSpec, Horizon
    >>> from sim.scenario.channels import DeskChannel
    >>> cal = build_calendar(CalendarSpec(continuous=True), Horizon(days=4))
    >>> counters_per_day(DeskChannel(counter_share=0.75), cal, np.full(4, 1440.0)).tolist()
    [0, 1, 1, 1]
    """
    if spec.counters is not None:
        return np.where(calendar.is_open, spec.counters, 0).astype(np.int64)
    if share is None:
        minutes = counter_minutes * spec.counter_share
    else:
        minutes = counter_minutes * share[:counter_minutes.size]
    with np.errstate(divide="ignore", invalid="ignore"):
        counters = np.where(calendar.open_minutes > 0, minutes / calendar.open_minutes, 0.0)
    whole = np.floor(np.cumsum(counters) + 1e-9)
    return np.diff(whole, prepend=0.0).astype(np.int64)


def busy_days(start: np.ndarray, end: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Time spent serving up to each moment of ``t``: the sum over services of their part
    of ``[start, end]`` before it, in days.

    >>> busy_days(np.array([0.5, 0.75]), np.array([1.5, 0.875]), np.arange(3.0)).tolist()
    [0.0, 0.625, 1.125]
    """
    def before(times: np.ndarray) -> np.ndarray:  # sum of max(t - time, 0) for each t
        times = np.sort(times)
        k = np.searchsorted(times, t)
        total = np.concatenate([[0.0], np.cumsum(times)])
        return k * t - total[k]

    return before(start) - before(end)


class Desk:
    """A FIFO queue served by counters that open and close with the calendar."""

    def __init__(self, ctx: Context, name: str, index: int, spec: DeskChannel):
        self.ctx, self.name, self.index, self.spec = ctx, name, index, spec
        self.queue: deque[int] = deque()
        self.busy = 0
        self.open_counters = 0
        self.counters_per_day = counters_per_day(spec, ctx.calendar, ctx.counter_minutes,
                                                 ctx.shares.get(name))
        # Little's law bookkeeping: time-integral of the number waiting in the queue.
        self.queue_area = 0.0
        self._last = 0.0
        self._n_queue = 0

    def capacity_minutes(self) -> np.ndarray:
        return self.counters_per_day * self.ctx.calendar.open_minutes

    def used_minutes(self) -> np.ndarray:
        """Counter minutes busy serving on each day, within the counter time offered: a
        service running past closing time finishes in overtime, which was never offered
        (in a continuous calendar, it runs into the next day)."""
        rec, cal = self.ctx.records, self.ctx.calendar
        mine = (rec.channel == self.index) & (rec.outcome == SERVED)
        start = rec.appointment_at[mine]
        end = start + rec.visit_minutes[mine] / 1440.0
        if not cal.continuous:
            end = np.minimum(end, cal.close_at[np.floor(start).astype(np.int64)])
        busy = np.diff(busy_days(start, end, np.arange(cal.n_days + 1.0))) * 1440.0
        # counters that close while serving (fewer counters the next day) work overtime too
        return np.minimum(busy, self.capacity_minutes())

    def start(self) -> None:
        counters = self.counters_per_day
        if self.ctx.calendar.continuous and np.all(counters == counters[0]):
            self.open_counters = int(counters[0])
        else:
            self.ctx.env.process(self._opening_hours())

    def _opening_hours(self):  # type: ignore[no-untyped-def]
        env, cal = self.ctx.env, self.ctx.calendar
        for day in np.flatnonzero(self.counters_per_day):
            yield env.timeout(cal.open_at[day] - env.now)
            self.open_counters = int(self.counters_per_day[day])
            self._call()
            yield env.timeout(cal.close_at[day] - env.now)
            self.open_counters = 0

    def admit(self, i: int) -> None:
        self._tick()
        self.queue.append(i)
        self._n_queue += 1
        self._call()

    def _tick(self) -> None:
        now = self.ctx.env.now
        self.queue_area += self._n_queue * (now - self._last)
        self._last = now

    def _call(self) -> None:
        """Counters free and open call the next ticket(s) still present."""
        if self.busy >= self.open_counters or not self.queue:
            return
        self._tick()
        env, pop, rec = self.ctx.env, self.ctx.population, self.ctx.records
        now = env.now
        while self.busy < self.open_counters and self.queue:
            i = self.queue.popleft()
            self._n_queue -= 1
            gave_up = pop.arrival[i] + pop.patience[i]
            if gave_up < now:
                rec.abandon(i, gave_up)
                self.queue_area -= now - gave_up
                continue
            minutes = pop.service_minutes[i]
            rec.serve(i, now, minutes)
            self.busy += 1
            env.timeout(minutes / 1440.0).callbacks.append(self._done)

    def _done(self, _event: simpy.events.Event) -> None:
        self.busy -= 1
        self._call()

    def close(self) -> None:
        self._tick()
        end, pop, rec = self.ctx.stop, self.ctx.population, self.ctx.records
        for i in self.queue:
            gave_up = pop.arrival[i] + pop.patience[i]
            if gave_up < end:
                rec.abandon(i, gave_up)
                self.queue_area -= end - gave_up
        self.queue.clear()
        self._n_queue = 0
