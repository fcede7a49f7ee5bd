"""Deadlines: renewals, protection orders, generic deadlines, priority, and the Erlang-C oracle."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import mmc, scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.analysis.metrics import applicants_table, kpi_table
from sim.analysis.theory.checks import t_interval
from sim.analysis.theory.erlang_c import erlang_c
from sim.engine.calendar import build_calendar
from sim.engine.deadlines import order_expiry
from sim.engine.demand import make_population
from sim.engine.model import simulate, simulate_population
from sim.engine.streams import Streams
from sim.experiments.experiment import run
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import validate, variant
from sim.scenario.procedures import DAYS_PER_MONTH, ProtectionOrder


def kpis_of(spec: Any, seed: int = 1, rep: int = 0) -> dict[tuple[str, str], float]:
    table = run(spec, seed, rep).kpis
    return {(k, p): v for k, p, v in zip(table["kpi"], table["procedure"], table["value"],
                                         strict=True)}


def test_protection_order_validity_follows_the_issue_date() -> None:
    """6 months for orders issued before 15 June 2024, 12 months from then on."""
    order = ProtectionOrder(judge_delay_days=None)
    start = np.datetime64("2024-06-10")
    expiry = order_expiry(order, np.array([0.0, 4.9, 5.0, 100.0]), start,
                          np.random.default_rng(0))
    months = (expiry - np.array([0.0, 4.9, 5.0, 100.0])) / DAYS_PER_MONTH
    np.testing.assert_allclose(months, [6, 6, 12, 12])


def test_judge_delay_within_six_days_and_extensions() -> None:
    order = ProtectionOrder(extension_probability=0.5)
    rng = np.random.default_rng(1)
    request = np.zeros(20_000)
    expiry = order_expiry(order, request, np.datetime64("2021-01-01"), rng)
    issued = expiry - 6 * DAYS_PER_MONTH
    extended = issued > 6.0  # an extension adds six months
    issued[extended] -= 6 * DAYS_PER_MONTH
    assert issued.min() >= 0 and issued.max() <= 6
    # share extended: binomial 99 % bounds
    assert abs(extended.mean() - 0.5) < 2.576 * np.sqrt(0.25 / request.size)


def _desk_trace(arrivals, deadlines, service_minutes, kind: dict[str, Any]) -> Any:
    spec = validate({
        "horizon": {"days": 10},
        "calendar": {"continuous": True},
        "procedures": {"p": {"annual_volume": 1, **kind}},
        "staff": {"front_office_etp": 0},
        "channels": {"desk": {"kind": "desk", "counters": 1}},
    })
    pop = make_population(arrivals, ("p",), deadline=deadlines,
                          service_minutes=service_minutes)
    out = simulate_population(spec, build_calendar(spec.calendar, spec.horizon), pop,
                              Streams(0, 0))
    table = applicants_table(out)
    kpis = kpi_table(out, table).query("procedure == 'all'")
    return dict(zip(kpis["kpi"], kpis["value"], strict=True)), table


def test_renewal_lapses_and_undocumented_days_by_hand() -> None:
    """One counter, one-day services: A (expiry 5) is seen at 0: fine. B (expiry 0.5) is
    seen at 1: lapsed for half a day. C (expiry 1.0) is seen at 2: one day without papers."""
    values, table = _desk_trace([0.0, 0.0, 0.0], [5.0, 0.5, 1.0], [1440.0] * 3,
                                {"renewal": {}})
    np.testing.assert_allclose(table["appointment_at"], [0.0, 1.0, 2.0])
    assert values["renewal_lapses"] == 2
    assert values["undocumented_person_days"] == pytest.approx(1.5)
    np.testing.assert_allclose(table["deadline_margin_days"], [5.0, -0.5, -1.0])


def test_protection_orders_expire_when_the_deposit_comes_too_late() -> None:
    values, table = _desk_trace([0.0, 0.0, 0.0, 0.0], [5.0, 0.5, 30.0, 2.5], [1440.0] * 4,
                                {"protection_order": {}})
    # served at 0, 1, 2, 3: the second (0.5 < 1) and the fourth (2.5 < 3) come too late
    assert values["protection_orders_expired"] == 2
    assert values["protection_order_expiry_share"] == pytest.approx(0.5)
    assert values["protection_order_margin_days_p50"] == pytest.approx(np.median(
        [5.0, -0.5, 28.0, -0.5]))


def protection_scenario(**changes: Any) -> Any:
    """A congested office where victims holding a protection order compete with others."""
    base = scenario(
        horizon={"days": 240, "warmup_days": 60},
        procedures={"protection_order": {"annual_volume": 400,
                                         "protection_order": {"validity": [
                                             {"issued_from": "2000-01-01", "months": 2}]}}},
        staff={"front_office_etp": 2.5},
        channels={"online": {"kind": "waitlist", "counter_share": 0.8,
                             "release": {"kind": "daily", "horizon_days": 30}}},
    )
    return variant(base, [f"{k}={v}" for k, v in changes.items()])


def renewal_scenario(**changes: Any) -> Any:
    """Renewals whose titles expire 0 to 120 days after the need appears, congested.
    Slots are cut per procedure, so priority works among requests of one procedure."""
    base = scenario(
        horizon={"days": 240, "warmup_days": 60},
        procedures={"renewal": {"renewal": {}}},
        behaviour={"patience": None, "digital_access_share": 1.0},
        staff={"front_office_etp": 3},
        channels={"online": {"kind": "waitlist", "counter_share": 0.8,
                             "release": {"kind": "daily", "horizon_days": 30}}},
    )
    return variant(base, [f"{k}={v}" for k, v in changes.items()])


def test_earliest_deadline_first_cuts_time_without_papers() -> None:
    """Paired over replications under one seed: EDF cuts the person-days without a valid
    document, but in an overloaded office it lets *more* titles lapse than FIFO (it serves
    the already lapsed first: the domino effect of EDF under overload)."""
    days, lapses = [], []
    for r in range(5):
        fifo = kpis_of(renewal_scenario(), 7, r)
        edf = kpis_of(renewal_scenario(**{"channels.online.order":
                                          "earliest_deadline_first"}), 7, r)
        days.append(edf[("undocumented_person_days", "renewal")]
                    - fifo[("undocumented_person_days", "renewal")])
        lapses.append(edf[("renewal_lapses", "renewal")] - fifo[("renewal_lapses", "renewal")])
    assert t_interval(np.array(days), confidence=0.99)[2] < 0, days
    assert t_interval(np.array(lapses), confidence=0.99)[1] > 0, lapses


def test_a_reserved_lane_and_a_referral_channel_are_comparable_in_one_run() -> None:
    """The same applicants with no priority, a reserved waitlist lane for protection orders
    (10 % of counter time, a little more than they need), and the same lane reached
    through associations after a 5-day referral: both lanes lose fewer orders."""
    plain = protection_scenario()
    data = plain.model_dump(mode="json")
    lane = {"kind": "waitlist", "procedures": ["protection_order"], "counter_share": 0.1}
    for name, extra in (("lane", {}), ("referral", {"admission_delay_days": 5})):
        data["channels"] = {"po_lane": {**lane, **extra}, **{
            k: ({**v, "counter_share": v["counter_share"] - 0.1} if k == "online" else v)
            for k, v in plain.model_dump(mode="json")["channels"].items()}}
        with_lane = kpis_of(validate(data), 3)
        without = kpis_of(plain, 3)
        key = ("protection_orders_expired", "all")
        assert with_lane[key] < without[key], name
        table = run(validate(data), 3, 0).applicants
        assert set(table.loc[table["procedure"] == "protection_order", "channel"]) == {
            "po_lane"}


def test_earliest_deadline_first_serves_urgent_requests_first() -> None:
    """Property: when a slot opens, nobody registered with an earlier deadline is passed
    over (ties and people without deadlines go first come, first served)."""
    spec = renewal_scenario(**{"channels.online.order": "earliest_deadline_first"})
    out = simulate(spec, 5, 0)
    book, pop, rec = out.books["online"], out.population, out.records
    when = np.asarray(book.log_time)
    who = np.asarray(book.log_applicant)
    procedure = pop.procedure[who]
    for t, i, p in list(zip(when, who, procedure, strict=True))[::50]:
        waiting = ((pop.procedure == p) & (pop.arrival < t) & (rec.channel == rec.channel[i])
                   & ((rec.booked_at > t) | np.isnan(rec.booked_at))
                   & (pop.arrival + pop.patience > t))
        assert not (pop.deadline[waiting] < pop.deadline[i]).any() or rec.booked_at[i] == \
            pop.arrival[i]  # registered and found a free slot at once


def test_anef_online_deposit_from_a_date() -> None:
    """From the ANEF date, digital applicants deposit online at once; the others keep the
    desk (the substitute the Conseil d'État requires)."""
    spec = scenario(
        procedures={"first_title": {"annual_volume": 3000}},
        channels={"anef": {"kind": "online", "audience": "digital",
                           "active_from": "2021-04-01"}},
    )
    data = spec.model_dump(mode="json")
    data["channels"] = {"anef": data["channels"]["anef"],
                        **{k: v for k, v in data["channels"].items() if k != "anef"}}
    table = run(validate(data), 2, 0).applicants
    day = np.datetime64("2021-03-01") + np.floor(table["arrival_day"]).astype(
        "timedelta64[D]")
    after = (day >= np.datetime64("2021-04-01")) & table["digital"]
    assert set(table.loc[after, "channel"]) == {"anef"}
    assert (table.loc[after, "wait_days"] == 0).all()
    assert "anef" not in set(table.loc[~after, "channel"])


def test_demand_steps_change_the_arrival_rate() -> None:
    """Multi-year titles halve renewals from a date: arrivals per day halve too."""
    spec = scenario(horizon={"days": 200, "warmup_days": 0}, procedures={"renewal": {
        "annual_volume": 20000, "demand_steps": [{"from_date": "2021-06-01", "factor": 0.5}]}})
    table = applicants_table(simulate(spec, 4, 0))
    renew = table[table["procedure"] == "renewal"]["arrival_day"].to_numpy()
    cut = (np.datetime64("2021-06-01") - np.datetime64("2021-03-01")).astype(int)
    before, after = (renew < cut).sum() / cut, (renew >= cut).sum() / (200 - cut)
    assert after / before == pytest.approx(0.5, abs=0.08)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"procedures": {"renewal": {"protection_order": {"validity": [
            {"issued_from": "2020-01-01", "months": 0}]}}}}, "months = 0"),
        ({"procedures": {"renewal": {"protection_order": {"extension_probability": 1.5}}}},
         "extension_probability = 1.5"),
        ({"procedures": {"renewal": {"renewal": {"expiry_after_days": {"mean": 0}}}}},
         "expiry_after_days.mean = 0"),
        ({"procedures": {"renewal": {"deadline": {"after_days": {"mean": -3}}}}},
         "deadline.after_days.mean = -3"),
        ({"channels": {"online": {"active_until": "2030-01-01"}}},
         "channels.online.active_until = 2030-01-01: outside the horizon"),
        ({"procedures": {"renewal": {"anef": {"from_date": "2031-01-01"}}}},
         "procedures.renewal.anef.from_date = 2031-01-01: outside the horizon"),
        ({"channels": {"online": {"kind": "waitlist", "order": "earliest_deadline_first"}}},
         "needs a release schedule"),
        ({"calendar": {"subdivision": "67"}},
         "calendar.subdivision = '67': unknown subdivision '67' for French public holidays"),
    ],
)
def test_bad_deadline_input_names_the_field(changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario(**changes)
    assert any(expected in line for line in err.value.problems), err.value.problems


def _oracle_case(lam: float, mu: float, c: int, deadline: float, seed: int,
                 replications: int = 20) -> tuple[float, float, float, float]:
    """Share of generic deadlines missed at an M/M/c FCFS desk vs the Erlang-C tail."""
    base = mmc(lam, mu, c, theta=None, days=1, warmup=0)
    relax = 1 / (c * mu - lam)
    days = int(np.ceil(max(20_000 / lam, 400 * relax) + 60 * relax + deadline))
    warm = min(40 * relax + 1 / mu, days / 4)
    data = base.model_dump(mode="json")
    data["horizon"] = {"days": days, "warmup_days": warm}
    data["procedures"]["walk_in"]["deadline"] = {
        "after_days": {"kind": "deterministic", "mean": deadline}}
    spec = validate(data)
    shares = []
    for r in range(replications):
        out = simulate(spec, seed, r)
        table = applicants_table(out)
        measured = table[(table["arrival_day"] >= warm)
                         & (table["arrival_day"] < days - 40 * relax - deadline)]
        assert (measured["outcome"] == "served").all()
        shares.append(float((measured["wait_days"] > deadline).mean()))
    closed = erlang_c(c, lam / mu) * np.exp(-(c * mu - lam) * deadline)
    mean, low, high = t_interval(np.array(shares), confidence=0.99)
    return closed, mean, low, high


@pytest.mark.slow
@pytest.mark.parametrize(
    ("c", "rho", "t_over_mean_wait"),
    [(1, 0.7, 1.0), (5, 0.9, 0.5), (20, 0.9, 1.0), (5, 0.8, 2.0)],
    ids=["c1-rho0.7", "c5-rho0.9", "c20-rho0.9", "c5-rho0.8-long"],
)
def test_deadline_misses_match_the_erlang_c_tail(c: int, rho: float,
                                                 t_over_mean_wait: float) -> None:
    """Oracle: P(W > T) = C * exp(-(c mu - lam) T) for FCFS M/M/c with a deterministic T."""
    mu = 48.0
    lam = rho * c * mu
    deadline = t_over_mean_wait / (c * mu - lam)
    closed, mean, low, high = _oracle_case(lam, mu, c, deadline, seed=1000 + c)
    assert low <= closed <= high, (closed, mean, low, high)


@pytest.mark.slow
@settings(max_examples=4, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(c=st.integers(1, 15), rho=st.floats(0.5, 0.92), t_scale=st.floats(0.2, 2.5))
def test_deadline_oracle_holds_for_any_parameters(c: int, rho: float, t_scale: float) -> None:
    mu = 24.0
    lam = rho * c * mu
    deadline = t_scale / (c * mu - lam)
    closed, mean, low, high = _oracle_case(lam, mu, c, deadline, seed=77, replications=15)
    assert low <= closed <= high, (c, rho, t_scale, closed, mean, low, high)


def test_deadline_dates_are_reproducible_and_independent_of_capacity() -> None:
    low = simulate(protection_scenario(), 9, 0).population.deadline
    high = simulate(protection_scenario(**{"staff.front_office_etp": 8}), 9, 0).population
    np.testing.assert_array_equal(low, high.deadline)
    assert np.isfinite(low).sum() > 0  # the protection orders have deadlines
