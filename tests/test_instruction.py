"""The back office by procedure: priority classes traced by hand, waits without agent time,
refusals, and common random numbers (a lower class never moves a higher one)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from conftest import scenario

from sim.analysis import casework_kpis
from sim.engine import casework, instruction
from sim.engine.calendar import build_calendar
from sim.engine.demand import make_population
from sim.engine.model import SimOutput, simulate, simulate_population
from sim.engine.streams import Streams
from sim.scenario import Scenario
from sim.scenario.files import deep_merge
from sim.scenario.loader import validate

H = 1 / 24  # one hour, in days
START = dt.date(2021, 3, 1)  # a Monday


def _spec(**changes: Any) -> Scenario:
    """Renewals (priority 1, 3 hours a file) and first titles (priority 2, 5 hours), both
    deposited online at the need; 1 back-office ETP giving one hour of work per opening hour
    (9:00-16:00), so capacity time is opening hours."""
    file: dict[str, Any] = {"hours_cv": 0, "fabrication_days": 0, "pickup_wait_days": 0}
    base: dict[str, Any] = {
        "name": "priorities",
        "horizon": {"start": START.isoformat(), "days": 30, "warmup_days": 0},
        "procedures": {
            "renewal": {"annual_volume": 0, "casework": {
                **file, "back_office_hours_per_file": 3, "priority": 1}},
            "first_title": {"annual_volume": 0, "casework": {
                **file, "back_office_hours_per_file": 5, "priority": 2}}},
        "staff": {"front_office_etp": 0, "back_office_etp": 1, "hours_per_etp_year": 7 * 254,
                  "productive_share": 1, "absence_rate": 0},
        "channels": {"online": {"kind": "online"}},
    }
    return validate(deep_merge(base, changes))


# L, a first title deposited Monday 8:00 (before opening); H1 and H2, renewals at 10:00 and
# 14:00 the same Monday.
ARRIVALS = [8 * H, 10 * H, 14 * H]
PROCEDURES = [1, 0, 0]  # codes in the scenario's order: renewal 0, first_title 1


def _trace(spec: Scenario) -> tuple[SimOutput, casework.CaseworkOutcome]:
    calendar = build_calendar(spec.calendar, spec.horizon)
    pop = make_population(np.array(ARRIVALS), tuple(spec.procedures),
                          procedure=np.array(PROCEDURES))
    out = simulate_population(spec, calendar, pop, Streams(0, 0))
    return out, casework.after_deposit(out)


def test_two_classes_by_hand() -> None:
    """Renewals first. H1 10:00-13:00. H2 from 14:00: 2 hours on Monday, 1 on Tuesday, done
    Tuesday 10:00. L, deposited first, gets what renewals leave: 9:00-10:00 and 13:00-14:00
    on Monday (2 hours), then Tuesday 10:00-13:00."""
    _, cw = _trace(_spec())
    np.testing.assert_allclose(cw.decision_at, [1 + 13 * H, 13 * H, 1 + 10 * H], atol=1e-12)
    used = np.zeros(30)
    used[[0, 1]] = [7, 4]
    np.testing.assert_allclose(cw.hours_used, used, atol=1e-9)
    np.testing.assert_array_equal(cw.instruction_backlog_end[:3], [2, 0, 0])


def test_one_class_is_first_in_first_out() -> None:
    """Same priority: L 9:00-14:00, H1 14:00-16:00 and Tuesday 9:00-10:00, H2 10:00-13:00."""
    _, cw = _trace(_spec(procedures={"first_title": {"casework": {"priority": 1}}}))
    np.testing.assert_allclose(cw.decision_at, [14 * H, 1 + 10 * H, 1 + 13 * H], atol=1e-12)


def test_waits_without_agent_time_and_refusals() -> None:
    """Consultations of 10 days after the work, every renewal file incomplete with a reply
    after 4 days: the decisions move by 14 days and the agents' hours do not change. A first
    title always refused is decided but gets no title."""
    renewal = {"casework": {"external_delay_days": {"kind": "deterministic", "mean": 10},
                            "incomplete_share": 1,
                            "reply_delay_days": {"kind": "deterministic", "mean": 4}}}
    refused = {"casework": {"refusal_share": 1}}
    out, cw = _trace(_spec(procedures={"renewal": renewal, "first_title": refused}))
    _, plain = _trace(_spec())
    np.testing.assert_allclose(cw.decision_at, plain.decision_at + [0, 14, 14], atol=1e-12)
    np.testing.assert_allclose(cw.hours_used, plain.hours_used)
    assert cw.refused.tolist() == [True, False, False]
    assert np.isnan(cw.title_at[0]) and np.isfinite(cw.title_at[1:]).all()
    np.testing.assert_array_equal(cw.instruction_backlog_end[:17],
                                  [3, 2, *[2] * 12, 1, 0, 0])
    kpis = casework_kpis.kpis(out, cw, np.ones(3, dtype=bool))
    assert kpis["refusals", "first_title"] == 1 and kpis["refusals", "renewal"] == 0
    assert kpis["refusals", "all"] == 1


def test_a_class_gets_only_what_the_classes_above_leave() -> None:
    """The leftover curve is the capacity minus the higher class's work, never negative,
    never decreasing, and the work it allows is what the office had left."""
    rng = np.random.default_rng(5)
    days = 20
    curve = instruction.capacity_curve(np.arange(days) + 0.375, np.arange(days) + 0.667,
                                       np.full(days, 10.0))
    deposit = np.sort(rng.uniform(0, days, 60))
    work = rng.gamma(2.0, 1.5, 60)
    high = instruction.priority_queue(curve, [(deposit, work)])[0]
    left = instruction.leftover(curve, high.done, work)
    assert (np.diff(left.hours) >= -1e-12).all() and (np.diff(left.times) > 0).all()
    t = np.linspace(0, days, 997)
    used = instruction.work_done(instruction.capacity_at(curve, t), high.done, work)
    np.testing.assert_allclose(instruction.capacity_at(left, t),
                               instruction.capacity_at(curve, t) - used, atol=1e-9)


@pytest.fixture(scope="module")
def loaded() -> dict[str, Any]:
    """The shared scenario with a back office that queues, renewals ranked first."""
    return {"horizon": {"start": "2021-03-01", "days": 120, "warmup_days": 10},
            "staff": {"back_office_etp": 5},
            "procedures": {"renewal": {"casework": {"priority": 1}},
                           "first_title": {"casework": {"priority": 2,
                                                        "back_office_hours_per_file": 4}}}}


def test_a_lower_class_never_moves_a_higher_one(loaded: dict[str, Any]) -> None:
    """Common random numbers: changing the first titles' back-office parameters (hours,
    delays, refusals) leaves every renewal's decision where it was; the first titles' own
    decisions move."""
    a = simulate(scenario(**loaded), seed=11)
    other = deep_merge(loaded, {"procedures": {"first_title": {"casework": {
        "back_office_hours_per_file": 7, "hours_cv": 1.5, "refusal_share": 0.3,
        "incomplete_share": 0.5, "external_delay_days": {"kind": "gamma", "mean": 40}}}}})
    b = simulate(scenario(**other), seed=11)
    np.testing.assert_array_equal(a.records.appointment_at, b.records.appointment_at)
    cw_a, cw_b = casework.after_deposit(a), casework.after_deposit(b)
    renewal = a.population.procedure == a.population.procedures.index("renewal")
    assert np.isfinite(cw_a.decision_at[renewal]).sum() > 500
    np.testing.assert_array_equal(cw_a.decision_at[renewal], cw_b.decision_at[renewal])
    np.testing.assert_array_equal(cw_a.refused[renewal], cw_b.refused[renewal])
    first = ~renewal & np.isfinite(cw_a.decision_at)
    assert not np.allclose(cw_a.decision_at[first], cw_b.decision_at[first], equal_nan=True)
    # in one class the first titles' heavier files would delay the renewals
    same = deep_merge(other, {"procedures": {"first_title": {"casework": {"priority": 1}},
                                             "renewal": {"casework": {"priority": 1}}}})
    cw_c = casework.after_deposit(simulate(scenario(**same), seed=11))
    assert not np.array_equal(cw_a.decision_at[renewal], cw_c.decision_at[renewal])


def test_file_draws_come_from_their_own_streams(loaded: dict[str, Any]) -> None:
    """Refusals and waits of one procedure do not move when another procedure's shares or
    delays change, nor when its own other mechanisms change."""
    spec = scenario(**deep_merge(loaded, {"procedures": {"renewal": {"casework": {
        "refusal_share": 0.2, "incomplete_share": 0.4}}}}))
    out = simulate(spec, seed=4)
    base = casework.draw_files(spec, out.population, 4, 0)
    other = scenario(**deep_merge(loaded, {"procedures": {
        "renewal": {"casework": {"refusal_share": 0.2, "incomplete_share": 0.4,
                                 "external_delay_days": {"kind": "exponential", "mean": 9}}},
        "first_title": {"casework": {"refusal_share": 0.5}}}}))
    moved = casework.draw_files(other, out.population, 4, 0)
    renewal = out.population.procedure == out.population.procedures.index("renewal")
    np.testing.assert_array_equal(base.refused[renewal], moved.refused[renewal])
    np.testing.assert_array_equal(base.work, moved.work)
    assert 0.15 < base.refused[renewal].mean() < 0.25 and not base.refused[~renewal].any()
    extra = moved.waits[renewal] - base.waits[renewal]
    assert (extra > 0).all() and extra.mean() == pytest.approx(9, rel=0.15)
