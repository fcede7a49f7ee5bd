"""The walk-in desk's daily tickets (:mod:`sim.engine.booking.tickets`): a trace, conservation,
nobody waiting across days in the queue, the KPIs of visits, and the queue mode untouched."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.analysis.metrics import applicants_table
from sim.engine.booking.desk import counters_per_day
from sim.engine.booking.tickets import mean_visit_minutes, tickets_per_day
from sim.engine.calendar import build_calendar
from sim.engine.demand import make_population
from sim.engine.model import SimOutput, booking_minutes, simulate, simulate_population
from sim.engine.records import ABANDONED, OUTCOMES, SERVED, WAITING
from sim.engine.streams import Streams
from sim.experiments.experiment import run
from sim.scenario.files import deep_merge
from sim.scenario.loader import validate

NINE = 9 / 24
VISIT = 140 / 1440  # a 140-minute visit, in days: three a day at one counter open 9h-16h

DESK: dict[str, Any] = {
    "horizon": {"start": "2021-03-01", "days": 10},  # a Monday
    "procedures": {"p": {"annual_volume": 0, "counter_minutes_per_visit": 140}},
    "staff": {"front_office_etp": 0},
    "channels": {"desk": {"kind": "desk", "counters": 1, "mode": "daily_tickets",
                          "retrial_mean_days": 0.01}},
}


def _desk(arrival: list[float], **changes: Any) -> SimOutput:
    spec = validate(deep_merge(DESK, changes))
    pop = make_population(arrival, ("p",), service_minutes=[140.0] * len(arrival))
    return simulate_population(spec, build_calendar(spec.calendar, spec.horizon), pop,
                               Streams(0, 0))


def test_tickets_trace() -> None:
    """Five people at the door on Monday morning, three tickets (one counter, 420 minutes,
    140-minute visits): three are served Monday at 9:00, 11:20 and 13:40 in random order,
    the two others come back on Tuesday (mean delay a quarter hour) and are served at 9:00
    and 11:20; a sixth person whose need appears at 10:00 on Monday comes on Tuesday too
    and gets the third ticket."""
    out = _desk([0.1, 0.15, 0.2, 0.25, 0.3, 10 / 24])
    rec = out.records
    assert (rec.outcome == SERVED).all()
    times = np.sort(rec.appointment_at)
    np.testing.assert_allclose(times, [NINE, NINE + VISIT, NINE + 2 * VISIT,
                                       1 + NINE, 1 + NINE + VISIT, 1 + NINE + 2 * VISIT])
    first_day = rec.appointment_at[:5] < 1
    assert first_day.sum() == 3
    assert rec.attempts[:5][first_day].tolist() == [1, 1, 1]
    assert rec.attempts[:5][~first_day].tolist() == [2, 2]
    assert rec.attempts[5] == 1 and rec.appointment_at[5] > 1


def test_people_turned_away_come_back_until_their_patience_runs_out() -> None:
    """Nine people each day for a desk of three tickets: some give up (patience 2 days) and
    are recorded as leaving when their patience ended."""
    arrivals = [d + 0.1 + 0.01 * k for d in range(3) for k in range(9)]
    spec = validate(deep_merge(DESK, {"behaviour": {"patience": {"kind": "deterministic",
                                                                 "mean": 2.0}}}))
    pop = make_population(arrivals, ("p",), service_minutes=[140.0] * len(arrivals),
                          patience=[2.0] * len(arrivals))
    out = simulate_population(spec, build_calendar(spec.calendar, spec.horizon), pop,
                              Streams(0, 0))
    rec = out.records
    gone = rec.outcome == ABANDONED
    assert gone.sum() > 0
    np.testing.assert_allclose(rec.left_at[gone], pop.arrival[gone] + 2.0)
    assert (rec.attempts[gone] >= 1).all()


def test_tickets_follow_counter_time_with_fractions_carried() -> None:
    assert tickets_per_day(np.array([1, 1, 1]), np.array([420.0, 420.0, 420.0]),
                           160.0).tolist() == [2, 3, 2]
    spec = scenario(channels={"desk": {"mode": "daily_tickets"}})
    assert mean_visit_minutes(spec, spec.channels["desk"]) == pytest.approx(
        (3000 * 40 + 5000 * 20) / 8000)


def check_tickets(out: SimOutput) -> None:
    """What a daily-ticket desk owes: everybody served, gone or still coming; each person
    served on a desk day, after its opening, having come by then; no more people served on a
    day than its tickets, nor more services under way than counters; people who stopped
    coming left when their patience ran out."""
    rec, pop, cal = out.records, out.population, out.calendar
    minutes = booking_minutes(out.scenario, cal)
    for k, name in enumerate(out.channels):
        spec = out.scenario.channels[name]
        if getattr(spec, "mode", "") != "daily_tickets":
            continue
        mine = rec.channel == k
        served = mine & (rec.outcome == SERVED)
        left = mine & (rec.outcome == ABANDONED)
        waiting = mine & (rec.outcome == WAITING)
        assert served.sum() + left.sum() + waiting.sum() == mine.sum()
        counters = counters_per_day(spec, cal, minutes)
        tickets = tickets_per_day(counters, cal.open_minutes,
                                  mean_visit_minutes(out.scenario, spec))
        at = rec.appointment_at[served]
        day = np.floor(at).astype(int)
        # nobody waits across days in the queue: served the day of their ticket
        assert (counters[day] > 0).all()
        assert (at >= cal.open_at[day] - 1e-12).all()
        assert (pop.arrival[served] <= cal.open_at[day] + 1e-12).all()
        assert (np.bincount(day, minlength=cal.n_days) <= tickets).all()
        # never more services under way than the day's counters
        ends = at + rec.visit_minutes[served] / 1440
        for d in np.unique(day):
            start, end = np.sort(at[day == d]), np.sort(ends[day == d])
            under_way = np.arange(1, start.size + 1) - np.searchsorted(end, start, "right")
            assert under_way.max() <= counters[d]
        assert (rec.attempts[served] >= 1).all()
        np.testing.assert_allclose(rec.left_at[left], (pop.arrival + pop.patience)[left])
        assert np.isnan(rec.appointment_at[waiting]).all()


def test_conservation_and_nobody_waits_across_days() -> None:
    spec = scenario(channels={"desk": {"mode": "daily_tickets", "counter_share": 0.1}},
                    behaviour={"digital_access_share": 0.5})
    out = simulate(spec, 3, 0)
    check_tickets(out)
    table = applicants_table(out)
    desk = table[table["channel"] == "desk"]
    counts = desk["outcome"].value_counts()
    assert counts["served"] > 100 and counts["abandoned"] > 10
    assert (desk["attempts"] > 1).any()


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(volume=st.floats(200, 20000), share=st.floats(0.02, 0.5), retrial=st.floats(0.1, 5),
       patience=st.floats(1, 60), seed=st.integers(0, 2**31))
def test_tickets_invariants_on_random_small_scenarios(volume, share, retrial, patience, seed):
    spec = scenario(
        procedures={"first_title": {"annual_volume": volume},
                    "renewal": {"annual_volume": volume / 2}},
        behaviour={"patience": {"kind": "exponential", "mean": patience}},
        channels={"desk": {"mode": "daily_tickets", "counter_share": share,
                           "retrial_mean_days": retrial},
                  "online": {"counter_share": 1 - share}},
    )
    check_tickets(simulate(spec, seed, 0))


def test_ticket_kpis_count_visits() -> None:
    spec = scenario(channels={"desk": {"mode": "daily_tickets", "counter_share": 0.05}},
                    behaviour={"digital_access_share": 0.5})
    result = run(spec, 2, 0)
    kpis = result.kpis.set_index(["kpi", "procedure"])["value"]
    window = result.applicants
    desk = window[(window["channel"] == "desk") & window["after_warmup"]]
    served = (desk["outcome"] == OUTCOMES[SERVED]).sum()
    visits = desk["attempts"].sum()
    assert kpis["desk_visitors_served_share", "all"] == pytest.approx(served / visits)
    assert kpis["desk_turned_away_per_service", "all"] == pytest.approx(
        (visits - served) / served)
    assert 0 < kpis["desk_visitors_served_share", "all"] < 1
    assert np.isnan(kpis["phone_answered_share", "all"])


def test_queue_mode_is_the_default_and_unchanged() -> None:
    """The queue desk (the theory checks' M/M/c+M) is still the default mode: a ticket is
    honoured across closings there, so its waits run over days."""
    spec = scenario(channels={"desk": {"counter_share": 0.05}},
                    behaviour={"digital_access_share": 0.5})
    assert spec.channels["desk"].mode == "queue"
    out = simulate(spec, 2, 0)
    assert "desk" in out.queue_area
    tickets = simulate(validate(deep_merge(spec.model_dump(mode="json"), {
        "channels": {"desk": {"mode": "daily_tickets"}}})), 2, 0)
    assert "desk" not in tickets.queue_area
    np.testing.assert_array_equal(out.population.arrival, tickets.population.arrival)
