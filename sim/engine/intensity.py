"""When people and bots check the booking site: intensities over the day and the week.

Nobody checks a booking site at a constant rate. People check a few times a day, less at
night, and more just after a release they know of (prefectures that open new slots every
Monday at 9:00 see a rush then); bots poll every few seconds around a known release and
every half minute otherwise. Releases themselves happen at clock times (the weekly batch at
its hour). Who gets a released slot is decided by *timing*: the intensities at the moment
the slots are free, not the daily volumes.

Each class of checkers (a seeker class, the helpers of people without digital access, a
bot operator on one target) has an intensity ``lambda_c(t)``, in checks per day per
checker, that repeats every week and is constant on the bins of a common :class:`Grid`
(hour boundaries of the night, 22h-6h, and the edges of the windows around known
releases). The checks of all active checkers then form a non-homogeneous Poisson process of
intensity ``sum_c n_c lambda_c(t)``; the next check after ``t`` comes when the integrated
intensity has grown by an exponential draw (exact, by time change: :meth:`Grid.next_time`),
and it comes from class ``c`` with probability ``n_c lambda_c / sum`` at that moment. A
check made while the integrated intensity is known costs a few operations per bin crossed,
never one per check.

Counts over a period (the unsuccessful checks of a seeker) are Poisson with mean the
integral of the intensity over the period: :meth:`Profile.integral`, vectorised.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence

import numpy as np

WEEK = 7.0
NIGHT_START, NIGHT_END = 22.0 / 24.0, 6.0 / 24.0  # night: 22h-6h
NIGHT_LENGTH = 8.0 / 24.0


class Grid:
    """Bins of the week (days since Monday 0:00) on which every intensity is constant.

    ``phase`` is the week time of the run's day 0 (its weekday, Monday = 0), so that run
    time ``t`` falls at week time ``(t + phase) mod 7``.

    >>> g = Grid([0.5, 3.25], phase=2.0)  # the run starts on a Wednesday
    >>> g.edges
    [0.0, 0.5, 3.25, 7.0]
    >>> g.locate(1.5)  # Friday noon: third bin, week 0
    (2, 3.5, 0)
    """

    def __init__(self, cuts: Iterable[float], phase: float):
        inner = sorted({round(c % WEEK, 12) for c in cuts} - {0.0})
        self.edges = [0.0, *inner, WEEK]
        self.n = len(self.edges) - 1
        self.phase = float(phase)
        self.widths = [b - a for a, b in zip(self.edges[:-1], self.edges[1:], strict=True)]
        self._edges = np.asarray(self.edges)

    def locate(self, t: float) -> tuple[int, float, int]:
        """(bin, week time, week number) of run time ``t``."""
        x = t + self.phase
        week = math.floor(x / WEEK)
        x -= week * WEEK
        j = bisect_right(self.edges, x) - 1
        if j >= self.n:  # rounding at the week's end
            j, x, week = 0, 0.0, week + 1
        return j, x, week

    def bin_of(self, t: float) -> int:
        """The bin of run time ``t``."""
        return self.locate(t)[0]

    def mids(self) -> np.ndarray:
        """Week time of each bin's middle."""
        return (self._edges[:-1] + self._edges[1:]) / 2.0

    def next_time(self, t: float, target: float,
                  weighted: Sequence[tuple[float, Sequence[float]]]) -> float:
        """The first time after ``t`` when ``sum_c w_c * integral of lambda_c`` from ``t``
        reaches ``target``: see :meth:`next_check`."""
        return self.next_check(t, target, weighted)[0]

    def next_check(self, t: float, target: float,
                   weighted: Sequence[tuple[float, Sequence[float]]]) -> tuple[float, int]:
        """The first time after ``t`` when ``sum_c w_c * integral of lambda_c`` from ``t``
        reaches ``target`` (``weighted``: pairs of a weight and per-bin intensities), and
        the bin it falls in (where the intensities are positive); ``inf`` if they are all
        zero.

        >>> g = Grid([1.0], phase=0.0)  # Monday at rate 2, the rest of the week at rate 0.5
        >>> rate = [2.0, 0.5]
        >>> g.next_time(0.5, 1.0, [(1.0, rate)]), g.next_time(0.5, 2.0, [(1.0, rate)])
        (1.0, 3.0)
        >>> g.next_time(0.0, 2.0 + 3.0 + 1.0, [(1.0, rate)])  # a whole week, then a bit
        7.5
        """
        j, x, _ = self.locate(t)
        edges, n = self.edges, self.n
        left = target
        weekly = -1.0
        while True:
            rate = 0.0
            for w, values in weighted:
                rate += w * values[j]
            span = edges[j + 1] - x
            if rate > 0.0 and rate * span >= left:
                return t + left / rate, j
            left -= rate * span
            t += span
            j += 1
            x = edges[j] if j < n else 0.0
            if j == n:
                j = 0
                if weekly < 0:  # from a week's start: skip whole weeks at once
                    weekly = sum(w * sum(v * d for v, d in zip(values, self.widths, strict=True))
                                 for w, values in weighted)
                    if weekly <= 0.0:
                        return math.inf, 0
                whole = math.floor(left / weekly)
                if whole > 0:
                    t += whole * WEEK
                    left -= whole * weekly


class Profile:
    """One class's intensity on a grid (checks per day per checker), and its integrals.

    >>> g = Grid([1.0], phase=0.0)
    >>> p = Profile(g, [2.0, 0.5])
    >>> p.daily_mean, p.integral(np.array([0.0, 0.5]), np.array([7.0, 8.5])).tolist()
    (0.7142857142857143, [5.0, 6.25])
    """

    def __init__(self, grid: Grid, values: Sequence[float]):
        if len(values) != grid.n:
            raise ValueError(f"{len(values)} values for {grid.n} bins")
        self.grid = grid
        self.values = [float(v) for v in values]
        widths = np.asarray(grid.widths)
        self._cum = np.concatenate([[0.0], np.cumsum(np.asarray(self.values) * widths)])
        self.weekly = float(self._cum[-1])
        self.daily_mean = self.weekly / WEEK

    def cumulative(self, t: np.ndarray) -> np.ndarray:
        """Integral of the intensity from run time 0 to ``t`` (vectorised)."""
        g = self.grid
        x = np.asarray(t, dtype=float) + g.phase
        week = np.floor(x / WEEK)
        inside = x - week * WEEK
        start = g.phase  # week time of run time 0
        base = np.interp(start, g._edges, self._cum)
        return week * self.weekly + np.interp(inside, g._edges, self._cum) - base

    def integral(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Integral of the intensity over ``[start, end]`` (vectorised)."""
        return self.cumulative(end) - self.cumulative(start)

    def inverse(self, y: np.ndarray) -> np.ndarray:
        """The run time at which :meth:`cumulative` reaches ``y`` (vectorised; ``inf`` if
        the intensity is zero all week). With ``y = cumulative(t) + x``, ``x`` exponential,
        it is the next point after ``t`` of the Poisson process (time change).

        >>> p = Profile(Grid([1.0], phase=0.0), [2.0, 0.5])
        >>> p.inverse(np.array([1.0, 2.5, 5.0 + 1.0])).tolist()
        [0.5, 2.0, 7.5]
        """
        if self.weekly <= 0.0:
            return np.full(np.shape(y), np.inf)
        g = self.grid
        z = np.asarray(y, dtype=float) + np.interp(g.phase, g._edges, self._cum)
        week = np.floor(z / self.weekly)
        inside = np.interp(z - week * self.weekly, self._cum, g._edges)
        return week * WEEK + inside - g.phase

    def scaled(self, factor: float) -> Profile:
        return Profile(self.grid, [v * factor for v in self.values])

    def masked(self, keep: Sequence[bool]) -> Profile:
        """The same intensity, zero outside the bins where ``keep`` is true."""
        return Profile(self.grid, [v if k else 0.0 for v, k in zip(self.values, keep,
                                                                     strict=True)])


def night_bins(grid: Grid) -> list[bool]:
    """Bins that fall at night (22h-6h), by their middle."""
    hour = grid.mids() % 1.0
    return ((hour >= NIGHT_START) | (hour < NIGHT_END)).tolist()


def daily_shape(grid: Grid, night_share: float) -> list[float]:
    """Per-bin multipliers averaging 1 over a day: a share ``night_share`` of the checks
    falls in the eight night hours, the rest in the sixteen day hours.

    >>> g = Grid([d + h for d in range(7) for h in (6 / 24, 22 / 24)], phase=0.0)
    >>> shape = daily_shape(g, 0.2)
    >>> round(shape[0], 3), round(shape[1], 3)  # 0h-6h, then 6h-22h
    (0.6, 1.2)
    """
    night = night_bins(grid)
    return [night_share / NIGHT_LENGTH if n else (1.0 - night_share) / (1.0 - NIGHT_LENGTH)
            for n in night]


def window_cuts(releases: Sequence[float], before: float, after: float) -> list[float]:
    """Grid cuts of the windows ``[r - before, r + after]`` around each release ``r``
    (week times, in days)."""
    return [c for r in releases for c in (r - before, r + after)]


def in_windows(grid: Grid, releases: Sequence[float], before: float,
               after: float) -> list[bool]:
    """Bins inside a window around a release (by their middle)."""
    mids = grid.mids()
    inside = np.zeros(grid.n, dtype=bool)
    for r in releases:
        d = (mids - r) % WEEK
        inside |= (d < after) | (d > WEEK - before)
    return inside.tolist()
