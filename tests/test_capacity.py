"""Counter capacity: staff time series, later visits, ANEF."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import scenario

from sim.engine.calendar import build_calendar
from sim.engine.model import booking_minutes
from sim.engine.staff import counter_minutes, etp_series, later_visit_minutes, staff_cost_eur


def test_counter_minutes_follow_the_staff_formula() -> None:
    spec = scenario()
    cal = build_calendar(spec.calendar, spec.horizon)
    st = spec.staff
    expected = (st.front_office_etp * (1 - st.absence_rate) * st.hours_per_etp_year
                * st.productive_share * 60 / cal.working_days_in_year)
    minutes = counter_minutes(st, cal)
    np.testing.assert_allclose(minutes[cal.is_open], expected[cal.is_open])
    assert (minutes[~cal.is_open] == 0).all()


def test_seasonal_staff_and_cost() -> None:
    spec = scenario(staff={"seasonal": [{"start": "2021-04-01", "end": "2021-05-01",
                                         "etp": 3, "office": "front"}]})
    cal = build_calendar(spec.calendar, spec.horizon)
    etp = etp_series(spec.staff, cal, "front")
    assert etp.max() == 9 and etp.min() == 6
    cost = staff_cost_eur(spec.staff, cal)
    assert cost == pytest.approx((6 * 90 + 3 * 30) * 45000 / 365)


def test_later_visits_take_counter_time_until_anef() -> None:
    """3.7 visits per title take 2.7 visits' worth of counter time off the booking
    channels; from the ANEF date (1 visit) they give it back."""
    spec = scenario(procedures={"renewal": {
        "casework": {"visits_per_title": 3.7},
        "anef": {"from_date": "2021-04-15", "visits_per_title": 1}}})
    cal = build_calendar(spec.calendar, spec.horizon)
    later, visits = later_visit_minutes(spec, cal)
    open_days = cal.is_open
    before = open_days & (cal.dates < np.datetime64("2021-04-15"))
    after = open_days & (cal.dates >= np.datetime64("2021-04-15"))
    expected = 5000 / 365 * 2.7 * 20 * 365 / cal.working_days_in_year
    np.testing.assert_allclose(later[before], expected[before])
    assert (later[after] == 0).all()
    booking = booking_minutes(spec, cal)
    np.testing.assert_allclose(booking[after], counter_minutes(spec.staff, cal)[after])
    assert (booking[before] < counter_minutes(spec.staff, cal)[before]).all()


def test_later_visits_never_take_more_than_their_share_of_counters() -> None:
    """Overloaded office, 3.7 visits per title: later visits take at most 2.7/3.7 of the
    counter time, so deposits keep 1/3.7 of it (deposits cannot outnumber the counters)."""
    spec = scenario(staff={"front_office_etp": 1}, procedures={
        "renewal": {"casework": {"visits_per_title": 3.7}},
        "first_title": {"casework": {"visits_per_title": 3.7}}})
    cal = build_calendar(spec.calendar, spec.horizon)
    booking = booking_minutes(spec, cal)
    total = counter_minutes(spec.staff, cal)
    np.testing.assert_allclose(booking[cal.is_open], total[cal.is_open] / 3.7)


def test_trainees_are_paid_in_full_while_they_ramp_up() -> None:
    spec = scenario(staff={"reinforcements": [{"start": "2021-03-01", "etp": 4,
                                               "ramp_up_days": 60}]})
    cal = build_calendar(spec.calendar, spec.horizon)
    assert etp_series(spec.staff, cal, "front")[10] < 10  # still training: fewer counters
    assert staff_cost_eur(spec.staff, cal) == pytest.approx(10 * 90 * 45000 / 365)


def test_desk_counters_carry_fractions_over() -> None:
    """0.76 of a counter a day is one counter on about three days out of four."""
    from sim.engine.booking.desk import counters_per_day
    from sim.engine.model import booking_minutes

    spec = scenario(staff={"front_office_etp": 10}, channels={"desk": {"counter_share": 0.15}})
    cal = build_calendar(spec.calendar, spec.horizon)
    minutes = booking_minutes(spec, cal)
    counters = counters_per_day(spec.channels["desk"], cal, minutes)
    offered = (counters * cal.open_minutes).sum()
    wanted = (minutes * 0.15).sum()
    assert abs(offered - wanted) < cal.open_minutes.max()  # within one counter-day
