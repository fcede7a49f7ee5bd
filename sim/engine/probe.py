"""The associations' probe: what a robot saw when it tried to book, without booking.

La Cimade's robot (2016-2021) queried each prefecture's booking page every hour, noted the
first two dates offered and sorted the reading in five bins: at least two dates within a
month, one date within a month, first date in the second month, first date beyond two
months, no date (:mod:`sim.scenario.observers`). The probe here reads each race channel's
page per procedure the way a person would see it: the free slots that are released and at
least ``min_lead_days`` ahead; it books nothing and changes nothing.

**Exact, without an event per reading.** Between two changes of a procedure's free slots (a
release, a booking, a cancellation) the set of free dates is known, so the reading a probe
would make at any moment is known: the bin shares over a month are time integrals of that
state weighted by the probe's intensity (a rate with a shape over the day and the week,
:class:`~sim.engine.intensity.Profile`), the expected share of readings in each bin. The
reading also changes with time alone: a free date enters the 30- or 60-day window as the
days pass, or drops below the minimum lead; those moments are breakpoints computed from the
sorted free dates. :class:`FreeDates` keeps, per procedure, the sorted free dates (updated by
:class:`WatchedBook` on every opening and booking) and the pieces of time in each bin; the
integrals are taken once, after the run (:mod:`sim.analysis.probe`). The cost is a few
operations per change of the free slots, whatever the probe's rate: the rate only weighs the
pieces at the end. ``tests/test_probe.py`` pins the pieces to a hand-made trace and, in the
slow tier, to a probe made of SimPy events at Poisson times.

"Two dates" are two free slots (two appointment times on one day count as two): the robot
noted the first two dates and times offered.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from sim.engine.intensity import Grid, Profile
from sim.engine.slots import SlotBook
from sim.scenario.observers import Probe


def bin_labels(edges: Sequence[float]) -> list[str]:
    """Names of the bins for these edges (days ahead).

    >>> bin_labels([30, 60])
    ['two_within_30d', 'one_within_30d', 'first_30_60d', 'first_beyond_60d', 'no_date']
    """
    e = [f"{x:g}" for x in edges]
    middle = [f"first_{a}_{b}d" for a, b in zip(e, e[1:], strict=False)]
    return [f"two_within_{e[0]}d", f"one_within_{e[0]}d", *middle, f"first_beyond_{e[-1]}d",
            "no_date"]


def probe_profile(spec: Probe, phase: float) -> Profile:
    """The probe's readings per day on each bin of the week: ``readings_per_day`` spread
    evenly over ``from_hour``-``to_hour`` on its ``weekdays``, none otherwise.

    >>> from sim.scenario.observers import Probe
    >>> p = probe_profile(Probe(readings_per_day=12, from_hour=8, to_hour=20, weekdays=(0,)),
    ...                   phase=0.0)  # 12 readings on Mondays from 8:00 to 20:00
    >>> round(p.weekly, 9), p.values[:3]
    (12.0, [0.0, 24.0, 0.0])
    """
    start, end = spec.from_hour / 24.0, spec.to_hour / 24.0
    grid = Grid([d + h for d in range(7) for h in (start, end)], phase)
    rate = spec.readings_per_day / (end - start)
    mids = grid.mids()
    day, hour = np.floor(mids), mids % 1.0
    on = np.isin(day, spec.weekdays) & (hour >= start) & (hour < end)
    return Profile(grid, np.where(on, rate, 0.0).tolist())


class FreeDates:
    """Per procedure, the sorted dates of free released slots, and the pieces of time during
    which a reading fell in each bin.

    Bins, for edges ``e`` (``m`` of them): 0, at least two dates within ``e[0]`` days; 1, one
    date within ``e[0]``; ``j + 1``, first date in ``(e[j-1], e[j]]``; ``m + 1``, first date
    beyond ``e[-1]``; ``m + 2``, no date. A date is seen while it is at least ``lead`` ahead.

    >>> fd = FreeDates([0], lead=1.0, edges=(30.0, 60.0))
    >>> fd.add(0, 80.0, 7, now=0.0)  # one date, 80 days ahead, never booked
    >>> fd.close(100.0)
    >>> list(zip(*fd.pieces))  # (procedure, start, end, bin)
    [(0, 0.0, 20.0, 3), (0, 20.0, 50.0, 2), (0, 50.0, 79.0, 1), (0, 79.0, 100.0, 4)]
    """

    def __init__(self, procedures: Iterable[int], lead: float, edges: Sequence[float]):
        self.lead, self.edges = float(lead), [float(e) for e in edges]
        self.none = len(self.edges) + 2
        self.dates: dict[int, list[tuple[float, int]]] = {p: [] for p in procedures}
        self.since = dict.fromkeys(self.dates, 0.0)  # the state is integrated up to here
        self.bin = dict.fromkeys(self.dates, self.none)  # bin of the piece under way
        self.start = dict.fromkeys(self.dates, 0.0)  # ... and its start
        self.pieces: tuple[list[int], list[float], list[float], list[int]] = ([], [], [], [])

    def add(self, p: int, date: float, s: int, now: float) -> None:
        """Slot ``s`` of ``p``, dated ``date``, is free from ``now`` on."""
        self.advance(p, now)
        insort(self.dates[p], (date, s))

    def remove(self, p: int, date: float, s: int, now: float) -> None:
        """Slot ``s`` of ``p`` is no longer free from ``now`` on (booked)."""
        self.advance(p, now)
        dates = self.dates[p]
        k = bisect_left(dates, (date, s))
        if k < len(dates) and dates[k][1] == s:
            del dates[k]

    def close(self, now: float) -> None:
        """The run ends at ``now``: close every procedure's last piece."""
        for p in self.dates:
            self.advance(p, now)
            self._piece(p, now)

    def advance(self, p: int, now: float) -> None:
        """Follow the bins of ``p`` from the last change to ``now``, the free dates being
        those of the list: a date enters a window at ``date - edge`` and is no longer seen
        at ``date - lead``, the breakpoints."""
        t = self.since[p]
        if now <= t:
            return
        dates, lead, edges = self.dates[p], self.lead, self.edges
        n, k = len(dates), 0
        while k < n and dates[k][0] - lead <= t:
            k += 1
        while t < now:
            if k >= n:
                self._enter(p, t, self.none)
                break
            d1 = dates[k][0]
            d2 = dates[k + 1][0] if k + 1 < n else math.inf
            change = d1 - lead  # the first date is no longer seen
            if t >= d2 - edges[0]:
                b = 0
            elif t >= d1 - edges[0]:
                b, change = 1, min(change, d2 - edges[0])
            else:
                b = len(edges) + 1
                for j in range(1, len(edges)):
                    if t >= d1 - edges[j]:
                        b = j + 1
                        break
                change = min(change, d1 - edges[b - 2])  # it enters the next window
            self._enter(p, t, b)
            t = min(change, now)
            while k < n and dates[k][0] - lead <= t:
                k += 1
        del dates[:k]  # dates no longer seen never come back
        self.since[p] = now

    def _enter(self, p: int, t: float, b: int) -> None:
        """From ``t`` on, readings of ``p`` fall in bin ``b``."""
        if b != self.bin[p]:
            self._piece(p, t)
            self.bin[p] = b

    def _piece(self, p: int, t: float) -> None:
        """Close the piece under way at ``t``."""
        if t > self.start[p]:
            procedure, start, end, b = self.pieces
            procedure.append(p)
            start.append(self.start[p])
            end.append(t)
            b.append(self.bin[p])
        self.start[p] = t


class WatchedBook(SlotBook):
    """A slot book whose free slots the probe follows: every opening and booking updates
    :attr:`free_dates` (expired slots drop out by themselves, at their lead)."""

    def __init__(self, time: np.ndarray, procedure: np.ndarray, minutes: np.ndarray,
                 release: np.ndarray, min_lead: float, prebooked_days: float, *,
                 clock: Callable[[], float], spec: Probe, phase: float,
                 procedures: Iterable[int]) -> None:
        super().__init__(time, procedure, minutes, release, min_lead, prebooked_days)
        self.clock = clock  # releases and cancellations happen at the clock's time
        self.free_dates = FreeDates(procedures, self.min_lead, spec.bins_days)
        self.profile = probe_profile(spec, phase)
        self.labels = bin_labels(spec.bins_days)
        self._proc = self.procedure.tolist()

    def open(self, slots: Iterable[int]) -> set[int]:
        slots = slots if isinstance(slots, np.ndarray) else list(slots)
        now, fd = self.clock(), self.free_dates
        for s in (slots.tolist() if isinstance(slots, np.ndarray) else slots):
            if self._proc[s] in fd.dates:
                fd.add(self._proc[s], self.time_list[s], s, now)
        return super().open(slots)

    def _book_top(self, heap: list[tuple[float, int]], applicant: int, now: float,
                  by_bot: bool) -> int:
        s = super()._book_top(heap, applicant, now, by_bot)
        if self._proc[s] in self.free_dates.dates:
            self.free_dates.remove(self._proc[s], self.time_list[s], s, now)
        return s

    def expire_remaining(self) -> None:
        self.free_dates.close(self.clock())
        super().expire_remaining()
