"""Casework tests: a hand-computed trace, conservation, FIFO, monotonicity, ANEF, and the
back office against the M/M/1 queue (in capacity time)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from conftest import scenario

from sim.analysis import casework_kpis
from sim.analysis.metrics import km_quantile
from sim.analysis.theory.checks import t_interval
from sim.engine import casework
from sim.engine.calendar import build_calendar
from sim.engine.demand import make_population
from sim.engine.model import SimOutput, simulate, simulate_population
from sim.engine.records import SERVED
from sim.engine.staff import counter_minutes, etp_series
from sim.engine.streams import Streams
from sim.scenario import CalendarSpec, Horizon, Scenario, Staff
from sim.scenario.files import deep_merge
from sim.scenario.loader import validate

H = 1 / 24  # one hour, in days
START = dt.date(2021, 3, 1)  # a Monday; 2021 has 254 open weekdays (holidays excluded)


def _spec(**changes: Any) -> Scenario:
    """One procedure deposited online (deposit = need); 1 back-office ETP giving 7 hours per
    open day, one per opening hour (9:00-16:00): capacity time is then opening hours."""
    base: dict[str, Any] = {
        "name": "casework",
        "horizon": {"start": START.isoformat(), "days": 60, "warmup_days": 0},
        "procedures": {"renewal": {"annual_volume": 0, "casework": {
            "back_office_hours_per_file": 3, "hours_cv": 0, "visits_per_title": 2,
            "fabrication_days": 21, "pickup_wait_days": 14}}},
        "staff": {"front_office_etp": 0, "back_office_etp": 1, "hours_per_etp_year": 7 * 254,
                  "productive_share": 1, "absence_rate": 0},
        "channels": {"online": {"kind": "online"}},
    }
    return validate(deep_merge(base, changes))


# A at 8:00 Mon (before opening), B 10:00 Mon, C 15:30 Mon, D 15:00 Fri, E 9:00 on day 42
# (Mon 12 April), F 15:00 on day 59 (Thu 29 April, the last day).
ARRIVALS = [8 * H, 10 * H, 15.5 * H, 4 + 15 * H, 42 + 9 * H, 59 + 15 * H]


def _trace(spec: Scenario, arrivals: list[float] = ARRIVALS) -> SimOutput:
    calendar = build_calendar(spec.calendar, spec.horizon)
    pop = make_population(np.array(arrivals), tuple(spec.procedures))
    return simulate_population(spec, calendar, pop, Streams(0, 0))


def test_trace_by_hand():
    """Capacity time = opening hours. A: 9-12. B waits for A: 12-15. C: 15:30-16:00 then
    Tue 9:00-11:30. D: Fri 15-16, then (week-end) Mon 9-11. E: 9-12. F: 15-16 on the last
    day, its decision falls after the horizon. Titles: 21 + 14 days after the decision."""
    out = _trace(_spec())
    cw = casework.after_deposit(out)
    decision = [12 * H, 15 * H, 1 + 11.5 * H, 7 + 11 * H, 42 + 12 * H, np.nan]
    np.testing.assert_allclose(cw.decision_at, decision, atol=1e-12)
    np.testing.assert_allclose(cw.title_at, [*(np.array(decision[:4]) + 35), np.nan, np.nan],
                               atol=1e-12)
    used = np.zeros(60)
    used[[0, 1, 4, 7, 42, 59]] = [6.5, 2.5, 1, 2, 3, 1]
    np.testing.assert_allclose(cw.hours_used, used, atol=1e-9)
    np.testing.assert_allclose(cw.hours_offered, np.where(out.calendar.is_open, 7.0, 0.0))
    backlog = np.zeros(60, dtype=int)
    backlog[[0, 4, 5, 6, 59]] = 1
    np.testing.assert_array_equal(cw.instruction_backlog_end, backlog)


def test_kpis_of_the_trace():
    out = _trace(_spec())
    cw = casework.after_deposit(out)
    kpis = casework_kpis.kpis(out, cw, np.ones(6, dtype=bool))
    waits = cw.title_at[:4] - np.array(ARRIVALS[:4])
    assert kpis["time_to_title_days_mean", "all"] == pytest.approx(waits.mean())
    # E and F are censored (at 17.6 and 0.4 days) before any title: the 4 titles take the
    # Kaplan-Meier curve by quarters to 1, and its 0.9 quantile is D's time to title.
    assert kpis["time_to_title_days_p90", "all"] == pytest.approx(waits[3])
    assert kpis["time_to_title_days_p90", "renewal"] == pytest.approx(waits[3])
    assert kpis["instruction_days_mean", "all"] == pytest.approx(
        np.mean(cw.decision_at[:5] - np.array(ARRIVALS[:5])))
    open_days = int(out.calendar.is_open.sum())
    assert kpis["back_office_utilisation", "all"] == pytest.approx(16 / (7 * open_days))
    assert set(kpis) >= {(k, p) for k in casework_kpis.KPIS[:3] for p in ("renewal", "all")}


def test_anef_removes_the_pickup_wait():
    before = {"from_date": "2021-01-01", "visits_per_title": 1}
    cw = casework.after_deposit(_trace(_spec(procedures={"renewal": {"anef": before}})))
    np.testing.assert_allclose(cw.title_at[:4], cw.decision_at[:4] + 21)
    assert np.isnan(cw.title_at[4])  # E: decided on day 42.5, ready on day 63.5 > 60
    # a title ready before the move, or a move that keeps several visits: pickup as before
    later = {"from_date": "2021-03-26", "visits_per_title": 1}  # day 25
    cw = casework.after_deposit(_trace(_spec(procedures={"renewal": {"anef": later}})))
    np.testing.assert_allclose(cw.title_at[:4] - cw.decision_at[:4], [35, 35, 35, 21])
    two = {"from_date": "2021-01-01", "visits_per_title": 2}
    cw = casework.after_deposit(_trace(_spec(procedures={"renewal": {"anef": two}})))
    np.testing.assert_allclose(cw.title_at[:4] - cw.decision_at[:4], 35)
    # a single visit per title (the deposit) and no ANEF: no pickup appointment either
    single = {"casework": {"visits_per_title": 1}}
    cw = casework.after_deposit(_trace(_spec(procedures={"renewal": single})))
    np.testing.assert_allclose(cw.title_at[:4] - cw.decision_at[:4], 21)


def test_no_back_office_decides_nothing():
    out = _trace(_spec(staff={"back_office_etp": 0}))
    cw = casework.after_deposit(out)
    assert np.isnan(cw.decision_at).all() and np.isnan(cw.title_at).all()
    assert cw.instruction_backlog_end[-1] == 6 and not cw.hours_used.any()
    # no back-office hours offered: utilisation is not applicable, no row at all (never NaN)
    assert ("back_office_utilisation", "all") not in casework_kpis.kpis(out, cw, np.ones(6, bool))


def _busy(back_office_etp: float, **staff: Any) -> Scenario:
    """The shared two-procedure scenario (desk and waitlist), with a loaded back office."""
    return scenario(horizon={"start": "2021-03-01", "days": 120, "warmup_days": 10},
                    staff={"back_office_etp": back_office_etp, **staff})


@pytest.fixture(scope="module")
def runs() -> dict[float, tuple[SimOutput, casework.CaseworkOutcome]]:
    outs = {etp: simulate(_busy(etp), seed=7) for etp in (6.0, 9.0)}
    return {etp: (out, casework.after_deposit(out)) for etp, out in outs.items()}


def test_conservation_and_backlog_identity(runs):
    for out, cw in runs.values():
        rec, n_days = out.records, out.calendar.n_days
        served = rec.outcome == SERVED
        decided = np.isfinite(cw.decision_at)
        assert not (decided & ~served).any() and not np.isfinite(cw.title_at[~served]).any()
        # every deposit is decided by the horizon or still in the queue at its end
        assert served.sum() == decided.sum() + cw.instruction_backlog_end[-1]
        day = np.arange(n_days + 1)
        deposits = np.histogram(rec.appointment_at[served], day)[0]
        decisions = np.histogram(cw.decision_at[decided], day)[0]
        np.testing.assert_array_equal(np.cumsum(deposits - decisions), cw.instruction_backlog_end)
        assert (cw.decision_at[decided] > rec.appointment_at[decided]).all()
        titled = np.isfinite(cw.title_at)
        assert (cw.title_at[titled] >= cw.decision_at[titled] + 21).all()
        # work: what was used covers the decided files, plus at most the file in progress
        assert (cw.hours_used <= cw.hours_offered + 1e-9).all()
        done = cw.work_hours[decided].sum()
        assert done - 1e-6 <= cw.hours_used.sum() <= done + cw.work_hours[served].max()


def test_decisions_follow_deposit_order(runs):
    for out, cw in runs.values():
        served = np.flatnonzero(out.records.outcome == SERVED)
        order = served[np.argsort(out.records.appointment_at[served], kind="stable")]
        decisions = cw.decision_at[order]
        n_decided = np.isfinite(decisions).sum()
        assert np.isfinite(decisions[:n_decided]).all()  # the undecided are the latest
        assert (np.diff(decisions[:n_decided]) >= 0).all()
        assert out.calendar.is_open[np.floor(decisions[:n_decided]).astype(int)].all()


def test_more_back_office_never_lengthens_time_to_title(runs):
    (small, cw_small), (big, cw_big) = runs[6.0], runs[9.0]
    np.testing.assert_array_equal(small.records.appointment_at, big.records.appointment_at)
    np.testing.assert_array_equal(cw_small.work_hours, cw_big.work_hours)  # same files
    for field in ("decision_at", "title_at"):
        slow = np.nan_to_num(getattr(cw_small, field), nan=np.inf)
        fast = np.nan_to_num(getattr(cw_big, field), nan=np.inf)
        assert (fast <= slow + 1e-9).all()
        assert (fast < slow).any()
    window = small.population.arrival >= 10
    k_small = casework_kpis.kpis(small, cw_small, window)
    k_big = casework_kpis.kpis(big, cw_big, window)
    assert k_big["instruction_days_mean", "all"] < k_small["instruction_days_mean", "all"]


def test_same_files_whatever_else_changes():
    """Common random numbers: the work of a file depends on its procedure's stream only."""
    a = simulate(_busy(6.0), seed=3)
    b = simulate(_busy(6.0, absence_rate=0.2), seed=3)
    other = scenario(procedures={"renewal": {"casework": {"back_office_hours_per_file": 9}}})
    w_a = casework.draw_work(a.scenario, a.population, 3, 0)
    w_b = casework.draw_work(b.scenario, b.population, 3, 0)
    w_c = casework.draw_work(other, a.population, 3, 0)
    np.testing.assert_array_equal(w_a, w_b)
    first = a.population.procedure == 0  # first_title
    np.testing.assert_array_equal(w_a[first], w_c[first])
    assert not np.allclose(w_a[~first], w_c[~first])
    assert not np.array_equal(w_a, casework.draw_work(a.scenario, a.population, 3, 1))


def test_capacity_is_the_staff_formula():
    calendar = build_calendar(CalendarSpec(), Horizon(start=dt.date(2021, 12, 1), days=90))
    plan = {"reinforcements": [{"start": "2022-01-10", "etp": 4, "ramp_up_days": 20,
                                "office": "back"},
                               {"start": "2022-01-03", "etp": 50, "office": "front"}],
            "seasonal": [{"start": "2021-12-06", "end": "2021-12-20", "etp": 2,
                          "office": "back"}],
            "absence_rate": 0.1, "productive_share": 0.7}
    staff = Staff(front_office_etp=30, back_office_etp=12, **plan)
    hours = casework.back_office_hours(staff, calendar)
    formula = (etp_series(staff, calendar, "back") * 0.9 * 1607 * 0.7
               / calendar.working_days_in_year)
    np.testing.assert_allclose(hours, np.where(calendar.is_open, formula, 0.0))
    # the same staff on the front office would give these hours as counter minutes
    mirror = {"reinforcements": [{**r, "office": "front"} for r in plan["reinforcements"]
                                 if r["office"] == "back"],
              "seasonal": [{**s, "office": "front"} for s in plan["seasonal"]]}
    front = Staff(front_office_etp=12, absence_rate=0.1, productive_share=0.7, **mirror)
    np.testing.assert_allclose(hours, counter_minutes(front, calendar) / 60.0)
    assert hours[calendar.is_open].min() > 0 and not hours[~calendar.is_open].any()


def test_reproducible(runs):
    out, cw = runs[6.0]
    again = casework.after_deposit(out)
    for a, b in zip(cw, again, strict=True):
        np.testing.assert_array_equal(a, b)


def _mm1(lam: float, mu: float, days: int) -> Scenario:
    """Continuous calendar, online deposits at the need (Poisson, lam a day), exponential
    files of one hour, mu hours of capacity a day: M/M/1 in capacity time."""
    return validate({
        "name": "mm1", "horizon": {"days": days, "warmup_days": 20},
        "calendar": {"continuous": True},
        "procedures": {"file": {"annual_volume": lam * 365, "casework": {
            "back_office_hours_per_file": 1, "hours_cv": 1}}},
        "staff": {"front_office_etp": 0, "back_office_etp": mu, "hours_per_etp_year": 365,
                  "productive_share": 1, "absence_rate": 0},
        "channels": {"online": {"kind": "online"}},
    })


def test_back_office_is_mm1_in_capacity_time():
    """Time from deposit to decision is the M/M/1 sojourn, exponential with mean
    1 / (mu - lam); utilisation is lam / mu. Each closed form must lie inside the 99 %
    interval over 30 replications (seed fixed once, never tuned). Deposits of the first 20
    days (warm-up, about twice the relaxation time 1 / (mu (1 - sqrt(rho))^2)) and of the
    last 30 days (60 mean delays) are left out, so no measured delay is censored."""
    lam, mu, days = 8.0, 10.0, 400
    spec = _mm1(lam, mu, days)
    delays, tail, utilisation = [], [], []
    for rep in range(30):
        out = simulate(spec, seed=20240611, replication=rep)
        cw = casework.after_deposit(out)
        deposit = out.records.appointment_at
        measured = (deposit >= 20) & (deposit < days - 30)
        assert np.isfinite(cw.decision_at[measured]).all()
        delay = cw.decision_at[measured] - deposit[measured]
        delays.append(delay.mean())
        tail.append(np.mean(delay > 1.0))
        kpis = casework_kpis.kpis(out, cw, out.population.arrival >= 20)
        utilisation.append(kpis["back_office_utilisation", "all"])
    _, lo, hi = t_interval(delays, 0.99)
    assert lo <= 1 / (mu - lam) <= hi
    _, lo, hi = t_interval(tail, 0.99)
    assert lo <= np.exp(-(mu - lam) * 1.0) <= hi
    _, lo, hi = t_interval(utilisation, 0.99)
    assert lo <= lam / mu <= hi


def test_km_on_censored_titles_matches_metrics():
    """The p90 of time to title is metrics' Kaplan-Meier estimate on the deposited."""
    out = _trace(_spec())
    cw = casework.after_deposit(out)
    wait = np.where(np.isfinite(cw.title_at), cw.title_at, 60.0) - out.population.arrival
    expected = km_quantile(wait, np.isfinite(cw.title_at), 0.9)
    kpis = casework_kpis.kpis(out, cw, np.ones(6, bool))
    assert kpis["time_to_title_days_p90", "all"] == expected
