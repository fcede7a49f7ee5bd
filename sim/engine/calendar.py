"""Working days and opening hours.

The foreigners' service opens on some weekdays, for some hours, and closes on French public
holidays (taken from the maintained ``holidays`` library, with the Alsace-Moselle days when a
subdivision is given), and during closure periods (``calendar.closures``: the 2020 lockdown),
when the back office works at a share of its hours. The engine's clock is in days from the
horizon's start: day ``d`` runs from ``d`` to ``d + 1`` and the service is open from
``d + open_hour / 24`` to ``d + close_hour / 24`` on open days. In ``continuous`` mode the
service never closes (outside closures), which is what queueing theory assumes.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import holidays
import numpy as np

from sim.scenario import CalendarSpec, Horizon


class Calendar(NamedTuple):
    """Per-day arrays over the horizon (index = day number)."""

    dates: np.ndarray  # datetime64[D]
    is_open: np.ndarray  # bool
    open_at: np.ndarray  # float, day fraction (absolute day units)
    close_at: np.ndarray  # float
    open_minutes: np.ndarray  # float, minutes open that day (0 when closed)
    working_days_in_year: np.ndarray  # float, open days in the calendar year of that day
    continuous: bool
    origin: int  # index of the horizon's start (days of burn-in before it)
    closed: np.ndarray  # bool, inside a closure period (counters and booking closed)
    # float: share of its hours the back office works on a day the counters would open but
    # a closure shuts (0 on every other day)
    closure_share: np.ndarray

    @property
    def n_days(self) -> int:
        return len(self.dates)

    def month_index(self) -> np.ndarray:
        """Month of each day, 0 = January."""
        return self.dates.astype("datetime64[M]").astype(int) % 12


def build_calendar(spec: CalendarSpec, horizon: Horizon, extra_days: int = 0,
                   before_days: int = 0) -> Calendar:
    """Lay out the horizon's days, ``before_days`` before it and ``extra_days`` after it
    (day 0 is then ``before_days`` before the horizon's start: see :mod:`sim.engine.frame`).

    >>> from sim.scenario import CalendarSpec, Horizon
    >>> cal = build_calendar(CalendarSpec(), Horizon(start=dt.date(2021, 5, 1), days=14))
    >>> [str(d)[5:] for d, o in zip(cal.dates, cal.is_open) if o][:4]
    ['05-03', '05-04', '05-05', '05-06']
    >>> bool(cal.is_open[12])  # 13 May 2021, Ascension Thursday
    False
    """
    n_days = before_days + horizon.days + extra_days
    days = np.arange(n_days)
    dates = np.datetime64(horizon.start, "D") - before_days + days
    closed, share = _closures(dates, spec)
    if spec.continuous:
        ones = np.ones(n_days)
        return Calendar(
            dates, ~closed, days.astype(float), days + 1.0,
            np.where(closed, 0.0, 1440.0), ones * 365.0, True, before_days,
            closed, share,
        )
    usual = _open_days(dates, spec)
    is_open = usual & ~closed
    span = (spec.close_hour - spec.open_hour) / 24.0
    open_at = days + spec.open_hour / 24.0
    close_at = open_at + span
    open_minutes = np.where(is_open, span * 1440.0, 0.0)
    return Calendar(
        dates, is_open, open_at, close_at, open_minutes,
        _working_days_per_year(dates, spec), False, before_days,
        closed, np.where(usual, share, 0.0),
    )


def _closures(dates: np.ndarray, spec: CalendarSpec) -> tuple[np.ndarray, np.ndarray]:
    """Days inside a closure, and the back office's share of its hours on them."""
    closed = np.zeros(dates.size, dtype=bool)
    share = np.zeros(dates.size)
    for c in spec.closures:
        inside = (dates >= np.datetime64(c.start, "D")) & (dates < np.datetime64(c.end, "D"))
        closed |= inside
        share[inside] = c.back_office_share
    return closed, share


def reopening(calendar: Calendar, t: np.ndarray) -> np.ndarray:
    """Times moved out of closures: a time inside a closure becomes the opening time of the
    first day after it; other times are returned as they are.

    >>> import datetime as dt
    >>> from sim.scenario import CalendarSpec, Closure, Horizon
    >>> spec = CalendarSpec(closures=[Closure(start=dt.date(2021, 3, 2), end=dt.date(2021, 3, 4))])
    >>> cal = build_calendar(spec, Horizon(start=dt.date(2021, 3, 1), days=7))
    >>> reopening(cal, np.array([-0.5, 0.5, 1.2, 2.9, 3.1])).tolist()
    [-0.5, 0.5, 3.375, 3.375, 3.1]
    """
    if not calendar.closed.any():
        return t
    n = calendar.n_days
    day = np.clip(np.floor(t), 0, n - 1).astype(np.int64)
    inside = calendar.closed[day] & (t >= 0) & (t < n)
    # the first day at or after each day that is not closed (n: none before the end)
    index = np.where(calendar.closed, n, np.arange(n))
    after = np.minimum.accumulate(index[::-1])[::-1]
    target = after[day]
    moved = np.where(target < n, calendar.open_at[np.minimum(target, n - 1)], float(n))
    return np.where(inside, moved, t)


def _open_days(dates: np.ndarray, spec: CalendarSpec) -> np.ndarray:
    weekday = (dates.astype("datetime64[D]").astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    is_open = np.isin(weekday, spec.weekdays)
    if spec.public_holidays:
        closed = _holidays(dates, spec.subdivision)
        is_open &= ~np.isin(dates, closed)
    return is_open


def _holidays(dates: np.ndarray, subdivision: str | None) -> np.ndarray:
    years = sorted({int(str(d)[:4]) for d in (dates[0], dates[-1])})
    years = list(range(years[0], years[-1] + 1))
    days = holidays.country_holidays("FR", subdiv=subdivision, years=years)
    return np.array(sorted(days), dtype="datetime64[D]")


def _working_days_per_year(dates: np.ndarray, spec: CalendarSpec) -> np.ndarray:
    """Open days in each day's calendar year: staff hours are spread over them."""
    years = dates.astype("datetime64[Y]").astype(int) + 1970
    counts = {}
    for year in np.unique(years):
        full = np.arange(
            np.datetime64(dt.date(int(year), 1, 1)), np.datetime64(dt.date(int(year) + 1, 1, 1))
        )
        counts[year] = float(_open_days(full, spec).sum())
    return np.array([counts[y] for y in years])
