"""Staff: front-office and back-office ETP over time, and the counter time they give.

A prefecture's foreigners' service has a baseline of permanent staff (ETP, équivalents temps
plein), dated reinforcements that reach full strength after a linear ramp-up while the new
agents train, and contract staff (vacataires) between two dates to absorb seasonal peaks.
An average share of staff is absent on any day.

Each ETP works ``hours_per_etp_year`` hours a year (1,607 h, décret n°2000-815), of which
``productive_share`` is spent at the counter (front office) or on files (back office). Those
hours are spread evenly over the open days of each calendar year, which gives the counter
minutes available on each open day:

    counter_minutes(d) = ETP(d) * (1 - absence) * hours_per_etp_year * productive_share * 60
                         / open_days_in_year(d)

bounded by the opening hours: an agent present staffs one counter at a time, so a day gives
at most ``ETP(d) * (1 - absence) * open_minutes(d)`` counter minutes (a service open one
minute a day serves a minute's people, not a day's). Ordinary hours never reach that bound
(1,607 h x 0.6 over about 250 days is under four hours a day).

Staff cost counts every ETP on every calendar day (absent staff are paid too), phone agents
given in ETP included (:func:`staff_cost_eur`, ``extra_etp``).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np

from sim.engine.calendar import Calendar
from sim.engine.demand import daily_rate
from sim.scenario import Scenario, Staff


def etp_series(
    staff: Staff, calendar: Calendar, office: Literal["front", "back"], ramp: bool = True
) -> np.ndarray:
    """ETP on each day of the horizon for one office (``ramp=False``: new staff count in
    full from their first day, as they are paid, not as they produce).

    >>> import datetime as dt
    >>> from sim.engine.calendar import build_calendar
    >>> from sim.scenario import CalendarSpec, Horizon, Reinforcement
    >>> cal = build_calendar(CalendarSpec(), Horizon(start=dt.date(2021, 1, 1), days=40))
    >>> s = Staff(front_office_etp=10, reinforcements=[
    ...     Reinforcement(start=dt.date(2021, 1, 11), etp=4, ramp_up_days=20)])
    >>> etp_series(s, cal, "front")[[0, 10, 20, 30, 39]].tolist()
    [10.0, 10.0, 12.0, 14.0, 14.0]
    """
    base = staff.front_office_etp if office == "front" else staff.back_office_etp
    etp = np.full(calendar.n_days, float(base))
    days = (calendar.dates - calendar.dates[0]).astype(int).astype(float)
    for r in staff.reinforcements:
        if r.office != office:
            continue
        since = days - _day(calendar, r.start)
        share = (np.clip(since / r.ramp_up_days, 0.0, 1.0) if r.ramp_up_days and ramp
                 else (since >= 0))
        etp += r.etp * np.where(since >= 0, share, 0.0)
    for s in staff.seasonal:
        if s.office == office:
            etp += s.etp * ((days >= _day(calendar, s.start)) & (days < _day(calendar, s.end)))
    return np.maximum(etp, 0.0)


def _day(calendar: Calendar, date: dt.date) -> float:
    return float((np.datetime64(date, "D") - calendar.dates[0]).astype(int))


def counter_minutes(staff: Staff, calendar: Calendar) -> np.ndarray:
    """Front-office counter minutes available on each day (0 on closed days), no more than
    the agents present can staff while the service is open.

    >>> import datetime as dt
    >>> from sim.engine.calendar import build_calendar
    >>> from sim.scenario import CalendarSpec, Horizon
    >>> day = Horizon(start=dt.date(2021, 1, 4), days=1)
    >>> full = build_calendar(CalendarSpec(open_hour=9, close_hour=16), day)
    >>> brief = build_calendar(CalendarSpec(open_hour=9, close_hour=9 + 1 / 60), day)
    >>> staff = Staff(front_office_etp=10, absence_rate=0.0)
    >>> counter_minutes(staff, full).round(), counter_minutes(staff, brief).round()
    (array([2278.]), array([10.]))
    """
    etp = etp_series(staff, calendar, "front")
    at_most = etp * (1.0 - staff.absence_rate) * calendar.open_minutes  # one counter each
    return np.minimum(agent_minutes(staff, calendar, etp), at_most)


def agent_minutes(staff: Staff, calendar: Calendar, etp: np.ndarray | float) -> np.ndarray:
    """Productive minutes ``etp`` staff give on each day: their yearly hours, net of absence,
    spread over the open days of the year (0 on closed days). Counters and phone agents
    alike."""
    per_etp = (
        (1.0 - staff.absence_rate) * staff.hours_per_etp_year * staff.productive_share * 60.0
    )
    minutes = etp * per_etp / calendar.working_days_in_year
    return np.where(calendar.is_open, minutes, 0.0)


def staff_cost_eur(staff: Staff, calendar: Calendar, first_day: float = 0.0,
                   end_day: float = np.inf, extra_etp: float = 0.0) -> float:
    """Cost of front- and back-office staff, plus ``extra_etp`` (phone agents), on the
    calendar's days from ``first_day`` to ``end_day`` (excluded)."""
    day = np.arange(calendar.n_days)
    keep = (day >= np.floor(first_day)) & (day < end_day)
    etp = (etp_series(staff, calendar, "front", ramp=False)
           + etp_series(staff, calendar, "back", ramp=False))  # trainees are paid in full
    return float((etp[keep] + extra_etp).sum() * staff.cost_per_etp_year_eur / 365.0)


def later_visit_minutes(scenario: Scenario, calendar: Calendar) -> tuple[np.ndarray, np.ndarray]:
    """Counter minutes wanted each open day by visits after the deposit (pickup...), and the
    average number of visits per title (weighted by counter time).

    Each title needs ``visits_per_title`` visits (fewer once the procedure moves to ANEF);
    the visits after the first are served on counter time set aside from the booking
    channels, in proportion to the expected demand of the day (a steady-state
    approximation: later visits lag the deposit by weeks, demand changes slowly). The
    engine caps the set-aside: see :func:`sim.engine.model.booking_minutes`.
    """
    first = np.zeros(calendar.n_days)
    later = np.zeros(calendar.n_days)
    for proc in scenario.procedures.values():
        visits = np.full(calendar.n_days, proc.casework.visits_per_title)
        if proc.anef is not None:
            visits[calendar.dates >= np.datetime64(proc.anef.from_date, "D")] = (
                proc.anef.visits_per_title)
        minutes = daily_rate(proc, calendar) * proc.counter_minutes_per_visit
        first += minutes
        later += minutes * (visits - 1.0)
    per_open_day = later * 365.0 / calendar.working_days_in_year
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_visits = np.where(first > 0, (first + later) / first, 1.0)
    return np.where(calendar.is_open, per_open_day, 0.0), mean_visits
