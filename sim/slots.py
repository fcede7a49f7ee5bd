"""The appointment calendar: counter time turned into dated slots per procedure.

Each open day, a channel receives a share of the front office's counter minutes; that time
is split between the procedures it serves (by default in proportion to the counter time they
demand: annual volume times minutes per visit) and cut into slots of each procedure's
``counter_minutes_per_visit``. Fractions of a slot carry over to the next open day, so that
over the horizon the number of slots matches the counter time exactly. Slots of a day are
spread evenly over its opening hours.
"""

from __future__ import annotations

import numpy as np

from sim.calendar import Calendar


def slots_per_day(minutes: np.ndarray, minutes_per_slot: float) -> np.ndarray:
    """Whole slots per day from counter minutes, carrying fractions forward.

    >>> slots_per_day(np.array([50.0, 50.0, 0.0, 50.0]), 30.0).tolist()
    [1, 2, 0, 2]
    """
    cumulative = np.floor(np.cumsum(minutes) / minutes_per_slot + 1e-9)
    return np.diff(cumulative, prepend=0.0).astype(np.int64)


def slot_times(calendar: Calendar, per_day: np.ndarray) -> np.ndarray:
    """Start time (days since start) of every slot, sorted.

    >>> import datetime as dt
    >>> from sim.calendar import build_calendar
    >>> from sim.scenario import CalendarSpec, Horizon
    >>> cal = build_calendar(CalendarSpec(continuous=True), Horizon(days=2))
    >>> slot_times(cal, np.array([2, 1])).tolist()
    [0.0, 0.5, 1.0]
    """
    day = np.repeat(np.arange(len(per_day)), per_day)
    rank = np.arange(day.size) - np.repeat(np.cumsum(per_day) - per_day, per_day)
    span = calendar.close_at[day] - calendar.open_at[day]
    return calendar.open_at[day] + span * rank / per_day[day]


def allocation(weights: dict[int, float]) -> dict[int, float]:
    """Normalise non-negative weights to shares summing to 1 (equal shares if all zero).

    >>> allocation({0: 3.0, 1: 1.0})
    {0: 0.75, 1: 0.25}
    """
    total = sum(weights.values())
    if total <= 0:
        return {k: 1.0 / len(weights) for k in weights}
    return {k: w / total for k, w in weights.items()}
