"""Working days and opening hours.

The foreigners' service opens on some weekdays, for some hours, and closes on French public
holidays (taken from the maintained ``holidays`` library, with the Alsace-Moselle days when a
subdivision is given). The engine's clock is in days from the horizon's start: day ``d`` runs
from ``d`` to ``d + 1`` and the service is open from ``d + open_hour / 24`` to
``d + close_hour / 24`` on open days. In ``continuous`` mode the service never closes, which
is what queueing theory assumes.
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
    origin: int = 0  # index of the horizon's start (days of burn-in before it)

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
    if spec.continuous:
        ones = np.ones(n_days)
        return Calendar(
            dates, ones.astype(bool), days.astype(float), days + 1.0,
            ones * 1440.0, ones * 365.0, True, before_days,
        )
    is_open = _open_days(dates, spec)
    span = (spec.close_hour - spec.open_hour) / 24.0
    open_at = days + spec.open_hour / 24.0
    close_at = open_at + span
    open_minutes = np.where(is_open, span * 1440.0, 0.0)
    return Calendar(
        dates, is_open, open_at, close_at, open_minutes,
        _working_days_per_year(dates, spec), False, before_days,
    )


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
