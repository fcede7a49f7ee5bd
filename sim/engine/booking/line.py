"""The phone line's opening periods, its agents, and its clock of opening time.

The line answers on the calendar's open days, from its ``open_hour`` to its ``close_hour``
(by default the calendar's), around the clock in ``continuous`` mode. Its agents are a fixed
number, or come from ``agent_etp``: their productive minutes of the day
(:func:`sim.engine.staff.agent_minutes`) divided by the line's opening minutes, in whole
agents with the fractions carried over to the next days, as the desk's counters are
(:func:`sim.engine.booking.desk.counters_per_day`). A day without an agent is a day the line
does not answer: it is not an opening period. In ``continuous`` mode the days follow each other
without a closing: callers on hold are cut off only where the line closes.

Callers redial after a delay counted in *opening time*: a caller who gives up at 15:30 with a
delay of two hours calls again at 10:30 the next open day (line open 9:00-16:00). The line's
clock of opening time (:meth:`LineHours.clock`) counts the time the line has been open since
the start; :meth:`LineHours.at_clock` turns it back into a time of day.
"""

from __future__ import annotations

import math
from bisect import bisect_right

import numpy as np

from sim.engine.calendar import Calendar
from sim.engine.staff import agent_minutes
from sim.scenario import Scenario
from sim.scenario.channels import PhoneChannel


def agents_per_day(scenario: Scenario, spec: PhoneChannel, calendar: Calendar,
                   open_minutes: np.ndarray) -> np.ndarray:
    """Agents answering on each day: fixed, or the agents' minutes over the line's opening
    minutes, in whole agents with fractions carried over.

    >>> from sim.engine.calendar import build_calendar
    >>> from sim.scenario.loader import validate
    >>> s = validate({"procedures": {"p": {"annual_volume": 1}}, "calendar": {"continuous": True},
    ...               "staff": {"front_office_etp": 0, "hours_per_etp_year": 1460,
    ...                         "productive_share": 1, "absence_rate": 0},
    ...               "channels": {"phone": {"kind": "phone", "agent_etp": 3}}})
    >>> cal = build_calendar(s.calendar, s.horizon)
    >>> agents_per_day(s, s.channels["phone"], cal, cal.open_minutes)[:4].tolist()
    [0, 1, 0, 1]
    """
    if spec.agents is not None:
        return np.where(calendar.is_open & (open_minutes > 0), spec.agents, 0).astype(np.int64)
    assert spec.agent_etp is not None  # the schema asks for one of them
    minutes = agent_minutes(scenario.staff, calendar, spec.agent_etp)
    with np.errstate(divide="ignore", invalid="ignore"):
        agents = np.where(open_minutes > 0, minutes / open_minutes, 0.0)
    whole = np.floor(np.cumsum(agents) + 1e-9)
    return np.diff(whole, prepend=0.0).astype(np.int64)


class LineHours:
    """The line's opening periods (one per day with agents), in time order."""

    def __init__(self, scenario: Scenario, spec: PhoneChannel, calendar: Calendar):
        days = np.arange(calendar.n_days, dtype=float)
        if calendar.continuous:
            start, end = days, days + 1.0
        else:
            cal = scenario.calendar
            opens = cal.open_hour if spec.open_hour is None else spec.open_hour
            closes = cal.close_hour if spec.close_hour is None else spec.close_hour
            start, end = days + opens / 24.0, days + closes / 24.0
        open_minutes = np.where(calendar.is_open, (end - start) * 1440.0, 0.0)
        agents = agents_per_day(scenario, spec, calendar, open_minutes)
        self.agents_by_day = agents
        periods = np.flatnonzero(agents > 0)
        self.start = start[periods].tolist()
        self.end = end[periods].tolist()
        self.agents = agents[periods].tolist()
        lengths = end[periods] - start[periods]
        # opening time elapsed before each period, then the total
        self.before = np.concatenate([[0.0], np.cumsum(lengths)]).tolist()
        # periods that follow each other without a closing (around the clock) form one
        # stretch: callers on hold are cut off only at its end
        joined = np.isclose(start[periods][1:], end[periods][:-1], rtol=0.0, atol=1e-9)
        last = np.flatnonzero(np.append(~joined, True))  # index of each stretch's last period
        self.closing = end[periods][last[np.searchsorted(last, np.arange(periods.size))]].tolist()
        # moments within a stretch when more agents arrive (callers on hold are taken then)
        more = joined & (agents[periods][1:] > agents[periods][:-1])
        self.rises = start[periods][1:][more].tolist()

    def period(self, t: float) -> int:
        """Index of the opening period under way at ``t``, or -1 if the line is closed."""
        k = bisect_right(self.start, t) - 1
        return k if k >= 0 and t < self.end[k] else -1

    def next_period(self, t: float) -> int:
        """Index of the first period opening after ``t`` (len: none left)."""
        return bisect_right(self.start, t)

    def clock(self, t: float) -> float:
        """Opening time (days) elapsed from the start to ``t``.

        >>> h = LineHours.__new__(LineHours)
        >>> h.start, h.end, h.before = [0.375, 1.375], [0.625, 1.625], [0.0, 0.25, 0.5]
        >>> h.clock(0.5), h.clock(0.9), h.clock(1.5)
        (0.125, 0.25, 0.375)
        """
        k = bisect_right(self.start, t) - 1
        if k < 0:
            return 0.0
        return self.before[k] + min(t - self.start[k], self.end[k] - self.start[k])

    def at_clock(self, elapsed: float) -> float:
        """The time at which the line has been open for ``elapsed`` days (inf: never); a
        moment at a closing is the next opening.

        >>> h = LineHours.__new__(LineHours)
        >>> h.start, h.end, h.before = [0.375, 1.375], [0.625, 1.625], [0.0, 0.25, 0.5]
        >>> h.at_clock(0.125), h.at_clock(0.25), h.at_clock(0.6)
        (0.5, 1.375, inf)
        """
        k = bisect_right(self.before, elapsed) - 1
        if k >= len(self.start):
            return math.inf
        return self.start[k] + (elapsed - self.before[k])
