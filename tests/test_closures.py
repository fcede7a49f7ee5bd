"""Closure periods: counters and booking closed while needs keep arising (the 2020 lockdown).

What a closure owes: nobody is served and no slot is dated or released on its days; slots
whose release falls inside open at its end; demand and everybody's attributes are unchanged;
the back office works at its share; renewal deadlines inside it move by the extension.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import scenario

from sim.engine import casework
from sim.engine.model import SimOutput, simulate
from sim.engine.records import SERVED

CLOSURE = {"start": "2021-03-15", "end": "2021-03-29", "label": "test",
           "back_office_share": 0.4, "deadline_extension_days": 30}
CLOSED = np.arange(14, 28)  # internal days of the closure (start 2021-03-01, no burn-in)


def _spec(closures: list[dict[str, Any]]) -> Any:
    """Desk for people without digital access, a race released daily for the others,
    renewals with deadlines, a loaded back office."""
    return scenario(
        horizon={"start": "2021-03-01", "days": 70, "warmup_days": 0},
        calendar={"closures": closures},
        procedures={"renewal": {"renewal": {}}},
        staff={"back_office_etp": 3},
        channels={"online": {"kind": "race", "counter_share": 0.8,
                             "release": {"kind": "daily", "hour": 8, "horizon_days": 14}}})


@pytest.fixture(scope="module")
def runs() -> tuple[SimOutput, SimOutput]:
    return simulate(_spec([]), seed=2), simulate(_spec([CLOSURE]), seed=2)


def test_nothing_served_dated_or_released_while_closed(runs: tuple[SimOutput, SimOutput]
                                                       ) -> None:
    _, shut = runs
    closed = np.zeros(shut.calendar.n_days, dtype=bool)
    closed[CLOSED] = True
    np.testing.assert_array_equal(shut.calendar.closed[:70], closed[:70])
    assert not shut.capacity_minutes[:, CLOSED].any() and not shut.used_minutes[:, CLOSED].any()
    served = shut.records.outcome == SERVED
    assert served.sum() > 300
    days = np.floor(shut.records.appointment_at[served]).astype(int)
    assert not np.isin(days, CLOSED).any()
    book = shut.books["online"]
    assert not np.isin(np.floor(book.time).astype(int), CLOSED).any()
    released = book.release[book.release >= 0]
    assert not np.isin(np.floor(released).astype(int), CLOSED).any()
    # the slots that would have opened during the closure open together at its end (9:00)
    reopen = 28 + 9 / 24
    assert (np.isclose(released, reopen)).sum() >= 10 * 2


def test_demand_and_attributes_unchanged(runs: tuple[SimOutput, SimOutput]) -> None:
    open_, shut = runs
    for field in open_.population._fields:
        if field != "deadline":  # moved by the extension: see below
            np.testing.assert_array_equal(getattr(open_.population, field),
                                          getattr(shut.population, field))
    # the closure leaves more people waiting and serves fewer by its end
    assert (shut.records.outcome == SERVED).sum() < (open_.records.outcome == SERVED).sum()


def test_renewal_deadlines_inside_move_by_the_extension(runs: tuple[SimOutput, SimOutput]
                                                        ) -> None:
    open_, shut = runs
    before, after = open_.population.deadline, shut.population.deadline
    inside = (before >= 14) & (before < 28)
    assert inside.sum() > 20
    np.testing.assert_allclose(after[inside], before[inside] + 30)
    np.testing.assert_array_equal(after[~inside], before[~inside])


def test_the_back_office_works_at_its_share(runs: tuple[SimOutput, SimOutput]) -> None:
    open_, shut = runs
    h_open = casework.back_office_hours(open_.scenario.staff, open_.calendar)
    h_shut = casework.back_office_hours(shut.scenario.staff, shut.calendar)
    keep = np.setdiff1d(np.arange(70), CLOSED)
    np.testing.assert_array_equal(h_shut[keep], h_open[keep])
    np.testing.assert_allclose(h_shut[CLOSED], 0.4 * h_open[CLOSED])
    assert h_open[CLOSED].sum() > 0  # weekdays inside the closure
    # staff are paid and the hours of other days are not spread over fewer days
    np.testing.assert_array_equal(shut.calendar.working_days_in_year,
                                  open_.calendar.working_days_in_year)


def test_no_closure_changes_nothing() -> None:
    """An empty list of closures is today's calendar, to the byte."""
    a, b = simulate(scenario(), seed=5), simulate(scenario(calendar={"closures": []}), seed=5)
    np.testing.assert_array_equal(a.records.appointment_at, b.records.appointment_at)
    np.testing.assert_array_equal(casework.after_deposit(a).decision_at,
                                  casework.after_deposit(b).decision_at)
