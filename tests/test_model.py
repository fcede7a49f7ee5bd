"""Engine tests: exact traces of tiny cases, invariants, reproducibility, common random numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import mmc, scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.analysis.metrics import applicants_table
from sim.engine.booking.desk import counters_per_day
from sim.engine.calendar import build_calendar
from sim.engine.demand import Population, make_population
from sim.engine.model import simulate, simulate_population
from sim.engine.records import ABANDONED, SERVED, WAITING
from sim.engine.staff import counter_minutes
from sim.engine.streams import Streams
from sim.experiments.experiment import run

HOUR = 1 / 24


def _population(arrival, patience, minutes, procedure=None, digital=None) -> Population:
    return make_population(arrival, ("walk_in",), procedure=procedure, digital=digital,
                           patience=patience, service_minutes=minutes)


def _trace(spec, pop):
    out = simulate_population(
        spec, build_calendar(spec.calendar, spec.horizon), pop, Streams(0, 0)
    )
    return out, applicants_table(out)


def test_desk_trace_one_counter():
    """Hand-computed: A is served at once, B after A, C gives up before B's service ends."""
    spec = mmc(lam=1, mu=24, c=1, theta=None, days=1)
    pop = _population([0.0, 0.01, 0.02], [np.inf, np.inf, 0.05], [60.0, 60.0, 60.0])
    out, table = _trace(spec, pop)
    assert table["outcome"].tolist() == ["served", "served", "abandoned"]
    np.testing.assert_allclose(table["appointment_at"].iloc[:2], [0.0, HOUR])
    assert table["left_at"].iloc[2] == pytest.approx(0.07)
    np.testing.assert_allclose(table["wait_days"], [0.0, HOUR - 0.01, 0.05])
    # Little: area under the queue length = total time spent in queue.
    assert out.queue_area["desk"] == pytest.approx(table["wait_days"].sum())


def test_desk_opens_and_closes_with_the_calendar():
    """A night arrival waits for 9:00; a ticket still waiting at 16:00 is called the next day."""
    spec = scenario(
        horizon={"start": "2021-03-01", "days": 3, "warmup_days": 0},  # Monday
        procedures={"renewal": {"annual_volume": 0}, "first_title": {"annual_volume": 0}},
        channels={"desk": {"counters": 1, "audience": "all"}, "online": {"audience": "digital"}},
    )
    at_nine, at_four = 9 * HOUR, 16 * HOUR
    pop = make_population([0.1, at_four - 0.5 * HOUR, at_four - 0.4 * HOUR],
                          ("first_title", "renewal"), service_minutes=[30.0, 60.0, 30.0])
    _, table = _trace(spec, pop)
    np.testing.assert_allclose(
        table["appointment_at"], [at_nine, at_four - 0.5 * HOUR, 1 + at_nine]
    )


def test_waitlist_gives_the_earliest_free_slot_at_least_the_lead_ahead():
    spec = scenario(
        horizon={"days": 20, "warmup_days": 0},
        calendar={"continuous": True},
        procedures={"first_title": {"annual_volume": 1, "counter_minutes_per_visit": 60},
                    "renewal": {"annual_volume": 0}},
        staff={"front_office_etp": 0},
        channels={"desk": {"counters": 1, "audience": "non_digital"},
                  "online": {"audience": "digital", "counter_share": 1.0,
                             "min_lead_days": 2}},
    )
    # staff 0 -> no slots at all: everybody stays registered and waiting.
    pop = _population([0.5, 0.6], [np.inf] * 2, [60.0] * 2, digital=[True, True])
    pop = pop._replace(procedures=("first_title", "renewal"))
    out, table = _trace(spec, pop)
    assert table["outcome"].tolist() == ["waiting", "waiting"]
    assert table["attempts"].tolist() == [1, 1]


def test_waitlist_slots_follow_staff_time():
    spec = scenario(
        horizon={"days": 10, "warmup_days": 0},
        calendar={"continuous": True},
        procedures={"first_title": {"annual_volume": 1, "counter_minutes_per_visit": 60},
                    "renewal": {"annual_volume": 0}},
        staff={"front_office_etp": 1, "hours_per_etp_year": 365 * 2, "productive_share": 1,
               "absence_rate": 0},
        channels={"desk": {"counters": 1, "audience": "non_digital"},
                  "online": {"audience": "digital", "counter_share": 1.0,
                             "min_lead_days": 1}},
    )
    # 2 counter hours a day -> two 60-minute first_title slots a day, at 0:00 and 12:00.
    pop = _population([0.2, 0.3, 0.4], [np.inf] * 3, [60.0] * 3, digital=[True] * 3)
    pop = pop._replace(procedures=("first_title", "renewal"))
    _, table = _trace(spec, pop)
    np.testing.assert_allclose(table["appointment_at"], [1.5, 2.0, 2.5])
    np.testing.assert_allclose(table["booked_at"], [0.2, 0.3, 0.4])


def test_same_seed_same_tables_and_different_seed_different():
    spec = scenario()
    a, b, c = run(spec, 7, 0), run(spec, 7, 0), run(spec, 8, 0)
    pd.testing.assert_frame_equal(a.applicants, b.applicants)
    pd.testing.assert_frame_equal(a.daily, b.daily)
    pd.testing.assert_frame_equal(a.kpis, b.kpis)
    assert len(a.applicants) != len(c.applicants) or not a.applicants["arrival_day"].equals(
        c.applicants["arrival_day"]
    )


def test_replications_are_independent_streams():
    spec = scenario()
    r0, r1 = simulate(spec, 7, 0), simulate(spec, 7, 1)
    assert not np.array_equal(r0.population.arrival[:50], r1.population.arrival[:50])


def test_common_random_numbers_survive_a_change_of_capacity():
    """More staff changes outcomes, never who arrives, when, or their own attributes."""
    low, high = simulate(scenario(), 3, 0), simulate(scenario(staff={"front_office_etp": 9}), 3, 0)
    for column in ("arrival", "procedure", "digital", "patience", "service_minutes"):
        np.testing.assert_array_equal(getattr(low.population, column),
                                      getattr(high.population, column))


def test_adding_a_procedure_shifts_no_other_stream():
    base = simulate(scenario(), 3, 0)
    more = simulate(scenario(procedures={"naturalisation": {"annual_volume": 900}}), 3, 0)
    for name in ("first_title", "renewal"):
        mask_a = base.population.procedure == base.population.procedures.index(name)
        mask_b = more.population.procedure == more.population.procedures.index(name)
        np.testing.assert_array_equal(base.population.arrival[mask_a],
                                      more.population.arrival[mask_b])
        np.testing.assert_array_equal(base.population.patience[mask_a],
                                      more.population.patience[mask_b])


def test_more_staff_never_lengthens_waits_on_average():
    """Metamorphic: paired over replications with the same seed, the wait falls."""
    diffs = []
    for r in range(8):
        k_low = run(scenario(), 11, r).kpis
        k_high = run(scenario(staff={"front_office_etp": 8}), 11, r).kpis
        pick = lambda k: k.query("kpi == 'wait_days_mean' and procedure == 'all'")["value"].item()  # noqa: E731
        diffs.append(pick(k_high) - pick(k_low))
    diffs = np.array(diffs)
    half = 2.998 * diffs.std(ddof=1) / np.sqrt(diffs.size)  # t(0.99, 7)
    assert diffs.mean() + half < 0


def _check_invariants(spec, seed):
    out = simulate(spec, seed, 0)
    rec, pop = out.records, out.population
    table = applicants_table(out)
    assert len(table) == pop.size
    assert (table["wait_days"] >= -1e-12).all()
    served = rec.outcome == SERVED
    assert (rec.appointment_at[served] >= pop.arrival[served] - 1e-12).all()
    assert (rec.appointment_at[served] < spec.horizon.days).all()
    assert (rec.left_at[rec.outcome == ABANDONED] < spec.horizon.days).all()
    assert np.isin(rec.outcome, [WAITING, SERVED, ABANDONED]).all()
    # conservation per procedure
    for proc, group in table.groupby("procedure", observed=True):
        counts = group["outcome"].value_counts()
        assert counts.sum() == len(group), proc
    # no waitlist slot booked twice
    online = table[(table["channel"] == "online") & (table["outcome"] == "served")]
    assert not online.duplicated(["procedure", "appointment_at"]).any()
    # never more busy counters than open counters at the desk
    desk = (table["channel"] == "desk") & (table["outcome"] == "served")
    start = table.loc[desk, "appointment_at"].to_numpy()
    end = start + pop.service_minutes[desk.to_numpy()] / 1440
    if start.size:
        busy = np.searchsorted(np.sort(start), start, side="right") - np.searchsorted(
            np.sort(end), start, side="right")
        limit = counters_per_day(spec.channels["desk"], out.calendar,
                                 counter_minutes(spec.staff, out.calendar)).max()
        assert busy.max() <= limit
    return out


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    volume=st.floats(100, 20000),
    etp=st.floats(0.5, 20),
    share=st.floats(0.05, 0.95),
    patience=st.one_of(st.none(), st.floats(0.05, 60)),
    continuous=st.booleans(),
    lead=st.floats(0, 5),
    seed=st.integers(0, 2**31),
)
def test_invariants_hold_on_random_small_scenarios(volume, etp, share, patience, continuous,
                                                   lead, seed):
    spec = scenario(
        horizon={"days": 40, "warmup_days": 0},
        calendar={"continuous": continuous},
        procedures={"first_title": {"annual_volume": volume}},
        behaviour={"patience": None if patience is None
                   else {"kind": "exponential", "mean": patience}},
        staff={"front_office_etp": etp},
        channels={"desk": {"counter_share": share},
                  "online": {"counter_share": 1 - share, "min_lead_days": lead}},
    )
    _check_invariants(spec, seed)
