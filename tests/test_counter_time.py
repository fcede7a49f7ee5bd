"""Counter time that follows demand (staff.counter_time.rule: follow_demand).

What the rule owes: with nothing to move it is the fixed rule to the byte; otherwise, each
week, a channel with more counter time than its expected demand needs keeps that need and
the rest goes to the short channels in proportion to their shortfall; all counter time stays
given; the desk's counters and the slots follow the new shares.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import scenario

from sim.engine.counter_time import daily_shares, expected_minutes
from sim.engine.frame import run_calendar
from sim.engine.model import booking_minutes, simulate
from sim.scenario import Scenario

FOLLOW = {"counter_time": {"rule": "follow_demand", "headroom": 0.1}}


def _same_run(a: Scenario, b: Scenario, seed: int = 3) -> None:
    x, y = simulate(a, seed), simulate(b, seed)
    np.testing.assert_array_equal(x.capacity_minutes, y.capacity_minutes)
    for field in ("outcome", "appointment_at", "left_at", "attempts"):
        np.testing.assert_array_equal(getattr(x.records, field), getattr(y.records, field))


@pytest.mark.parametrize("changes", [
    {},  # both channels have more counter time than they expect to need
    {"channels": {"desk": {"counter_share": 0.0}, "online": {"counter_share": 1.0}},
     "behaviour": {"digital_access_share": 1.0}},  # a single channel uses counter time
    {"staff": {"front_office_etp": 1}},  # both channels short: nobody gives
])
def test_nothing_to_move_is_the_fixed_rule(changes: dict[str, Any]) -> None:
    fixed = scenario(**changes)
    follow = scenario(**{**changes, "staff": {**changes.get("staff", {}), **FOLLOW}})
    calendar = run_calendar(follow)
    shares = daily_shares(follow, calendar, booking_minutes(follow, calendar))
    for name, share in shares.items():
        assert (share == follow.channels[name].counter_share).all()
    _same_run(fixed, follow)


def _short_desk(**staff: Any) -> Scenario:
    """Half the applicants have no digital access: the desk's 20 % is short, the
    waitlist's 80 % more than it needs."""
    return scenario(behaviour={"digital_access_share": 0.5},
                    staff={"front_office_etp": 6, **staff})


def test_the_surplus_goes_to_the_short_channel() -> None:
    spec = _short_desk(**FOLLOW)
    calendar = run_calendar(spec)
    minutes = booking_minutes(spec, calendar)
    shares = daily_shares(spec, calendar, minutes)
    first_weekday = int((calendar.dates[0].astype(np.int64) + 3) % 7)
    week = (np.arange(calendar.n_days) + first_weekday) // 7
    weekly_total = np.bincount(week, minutes)
    need = 1.1 * np.stack([np.bincount(week, row) for row in expected_minutes(spec, calendar)])
    desk, online = (np.bincount(week, minutes * shares[n]) for n in ("desk", "online"))
    full = weekly_total > 0
    assert full.sum() >= 10
    # every minute is still given, the giver keeps what it needs, the short one gets the rest
    np.testing.assert_allclose((desk + online)[full], weekly_total[full])
    np.testing.assert_allclose(online[full], need[1][full])
    assert (desk[full] > 0.2 * weekly_total[full]).all() and (desk[full] > need[0][full]).all()


def test_a_short_desk_gets_counters_and_serves_faster() -> None:
    fixed, follow = simulate(_short_desk(), 3), simulate(_short_desk(**FOLLOW), 3)
    desk = 0  # channel index
    assert follow.capacity_minutes[desk].sum() > 1.5 * fixed.capacity_minutes[desk].sum()
    assert follow.capacity_minutes.sum() == pytest.approx(fixed.capacity_minutes.sum(), rel=0.02)
    mine = fixed.records.channel == desk
    wait_fixed = np.nanmean(fixed.records.appointment_at[mine] - fixed.population.arrival[mine])
    wait_follow = np.nanmean(follow.records.appointment_at[mine]
                             - follow.population.arrival[mine])
    assert wait_follow < wait_fixed
    # the same applicants, routed the same way (common random numbers)
    np.testing.assert_array_equal(fixed.records.channel, follow.records.channel)
