"""Laws every run must obey, whatever the parameters (fast tier, checked on every test run).

* Conservation: every applicant who arrived is served, has given up or is still waiting (or,
  on slot channels with those options, missed or cancelled a booking), per procedure; the
  applicants table has one row per applicant; the daily table agrees.
* Little's law as a sample-path identity: the desk's running time-integral of its queue length
  (``SimOutput.queue_area``) equals the summed times in line of its applicants, clipped to the
  horizon; and, statistically, the time-average queue matches Erlang A.
* Time runs forward: waits are non-negative, nobody is served before arriving or after the
  horizon, nobody is served at a closed desk, waitlist slots respect the minimum lead time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.analysis.metrics import applicants_table, daily_table
from sim.analysis.theory.checks import littles_law_gap, t_interval
from sim.analysis.theory.erlang_a import erlang_a
from sim.engine.model import SimOutput, simulate
from sim.engine.records import ABANDONED, OUTCOMES, SERVED, WAITING
from sim.scenario import DeskChannel, Scenario, WaitlistChannel
from sim.scenario.files import deep_merge
from sim.scenario.loader import load, validate

VALIDATION = Path(__file__).resolve().parents[1] / "scenarios" / "validation"
SEED = 7

# A prefecture-like desk: opening hours Monday-Friday 9h-16h, French public holidays, counters
# derived daily from the staff (10 ETP, half of their counter time for the desk, 6 more ETP
# arriving on 1 March with a 30-day ramp-up, so the number of counters changes over time),
# slightly overloaded, lognormal patience of a few days.
STAFFED: dict[str, Any] = {
    "name": "staffed_desk",
    "horizon": {"start": "2021-01-01", "days": 120, "warmup_days": 10},
    "procedures": {
        "first_title": {"annual_volume": 7000, "counter_minutes_per_visit": 30},
        "renewal": {"annual_volume": 5000, "counter_minutes_per_visit": 20,
                    "service_kind": "gamma", "service_cv": 0.5},
    },
    "behaviour": {"digital_access_share": 0.8,
                  "patience": {"kind": "lognormal", "mean": 3.0, "cv": 1.0}},
    "staff": {"front_office_etp": 10,
              "reinforcements": [{"start": "2021-03-01", "etp": 6, "ramp_up_days": 30}]},
    "channels": {"desk": {"kind": "desk", "audience": "all", "counters": None,
                          "counter_share": 0.5}},
}

# The same service with online booking for the digital applicants (a waitlist, with the
# renewal demand too high for its slots, so some are still waiting at the horizon).
MIXED = deep_merge(STAFFED, {
    "name": "desk_and_waitlist",
    "procedures": {"renewal": {"annual_volume": 12000}},
    "channels": {
        "desk": {"audience": "non_digital", "counter_share": 0.3},
        "online": {"kind": "waitlist", "audience": "digital", "counter_share": 0.7,
                   "min_lead_days": 2},
    },
})


def short(path: str, *overrides: str) -> Scenario:
    """A validation scenario cut to 30 days (a few seconds of the whole file)."""
    return load(VALIDATION / path, ["horizon.days=30", "horizon.warmup_days=2", *overrides])


SCENARIOS = {
    "desk-continuous-abandon": lambda: short("mmc_abandon.yaml"),
    "desk-continuous-no-abandon": lambda: short("mmc.yaml"),
    "desk-continuous-overloaded-no-abandon": lambda: short(
        "mmc_abandon.yaml", "behaviour.patience=null"),
    "desk-calendar-abandon": lambda: validate(STAFFED),
    "desk-calendar-no-abandon": lambda: validate(
        deep_merge(STAFFED, {"behaviour": {"patience": None}})),
    "desk-and-waitlist": lambda: validate(MIXED),
}

_RUNS: dict[str, tuple[SimOutput, pd.DataFrame]] = {}


def run(key: str) -> tuple[SimOutput, pd.DataFrame]:
    """One replication of a named scenario and its applicants table (computed once)."""
    if key not in _RUNS:
        out = simulate(SCENARIOS[key](), SEED, 0)
        _RUNS[key] = (out, applicants_table(out))
    return _RUNS[key]


def time_in_queue(out: SimOutput, table: pd.DataFrame) -> np.ndarray:
    """Each applicant's time in line, clipped to the horizon."""
    horizon = float(out.scenario.horizon.days)
    end = np.select(
        [table["outcome"] == "served", table["outcome"] == "abandoned"],
        [table["appointment_at"], table["left_at"]],
        default=horizon,
    )
    return end - table["arrival_day"].to_numpy()


# --------------------------------------------------------------------------- conservation


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_conservation(key: str) -> None:
    out, table = run(key)
    pop, rec = out.population, out.records
    assert len(table) == pop.size
    assert (rec.channel >= 0).all(), "every applicant was routed to a channel"
    assert not table["outcome"].isna().any()
    daily = daily_table(out)
    last_day = out.calendar.n_days - 1
    for code, proc in enumerate(pop.procedures):
        rows = table[table["procedure"] == proc]
        counts = rows["outcome"].value_counts()
        served, abandoned, waiting = (int(counts.get(k, 0))
                                      for k in ("served", "abandoned", "waiting"))
        others = sum(int(counts.get(k, 0)) for k in OUTCOMES
                     if k not in ("served", "abandoned", "waiting"))
        # No-shows and cancellations need options these scenarios leave off.
        assert others == 0, counts
        arrivals = int((pop.procedure == code).sum())
        assert len(rows) == arrivals
        assert arrivals == served + abandoned + waiting, proc
        # The daily table counts the same flows day by day; its final backlog is who is left.
        days = daily[daily["procedure"] == proc]
        assert int(days["arrivals"].sum()) == arrivals
        assert int(days["served"].sum()) == served
        assert int(days["abandoned"].sum()) == abandoned
        assert int(days.loc[days["day"] == last_day, "backlog_end"].iloc[0]) == waiting
    # Each outcome carries exactly its own timestamps.
    is_served = rec.outcome == SERVED
    is_abandoned = rec.outcome == ABANDONED
    is_waiting = rec.outcome == WAITING
    assert (np.isfinite(rec.appointment_at) == is_served).all()
    assert (np.isfinite(rec.left_at) == is_abandoned).all()
    assert (is_served | is_abandoned | is_waiting).all()
    if out.scenario.behaviour.patience is None:
        assert not is_abandoned.any(), "nobody gives up without patience"
    # Slot channels: whoever holds a date keeps it; only people without one give up.
    assert np.isnan(rec.booked_at[is_abandoned | is_waiting]).all()


def test_overloaded_scenarios_leave_people_waiting() -> None:
    """The conservation cases include people still waiting and people who gave up."""
    assert (run("desk-continuous-overloaded-no-abandon")[1]["outcome"] == "waiting").sum() > 100
    mixed = run("desk-and-waitlist")[1]
    online = mixed[mixed["channel"] == "online"]
    assert (online["outcome"] == "waiting").sum() > 10
    assert (online["outcome"] == "served").sum() > 100
    assert (run("desk-calendar-abandon")[1]["outcome"] == "abandoned").sum() > 100
    assert (run("desk-continuous-abandon")[1]["outcome"] == "abandoned").sum() > 100


# --------------------------------------------------------------------------- Little's law


LITTLE = ["desk-continuous-abandon", "desk-calendar-abandon", "desk-calendar-no-abandon",
          "desk-and-waitlist"]


@pytest.mark.parametrize("key", LITTLE)
def test_queue_area_is_the_sum_of_times_in_line(key: str) -> None:
    """Sample-path Little's law: the queue-length integral over [0, horizon] equals the sum,
    over everybody who came to the desk, of their time in line clipped to the horizon
    (served: until their service starts; gave up: until they left; waiting: until the end).
    """
    out, table = run(key)
    for k, name in enumerate(out.channels):
        if not isinstance(out.scenario.channels[name], DeskChannel):
            assert name not in out.queue_area
            continue
        mine = (out.records.channel == k)
        total = float(time_in_queue(out, table)[mine].sum())
        assert total > 0
        assert littles_law_gap(out.queue_area[name], total) < 1e-9, (
            name, out.queue_area[name], total)


def test_staffed_desk_counters_vary_and_close() -> None:
    """The opening-hours Little case really exercises closings and a varying staff."""
    out, _ = run("desk-calendar-abandon")
    counters = out.capacity_minutes[0] / np.where(out.calendar.open_minutes > 0,
                                                  out.calendar.open_minutes, np.inf)
    open_counters = counters[out.calendar.is_open]
    assert not out.calendar.is_open.all()
    assert open_counters.min() >= 1 and open_counters.max() > open_counters.min()


def test_time_average_queue_matches_erlang_a() -> None:
    """Statistical Little: area / T over replications vs Erlang A's mean queue (99 %).

    The desk starts empty, so area / T is biased low by about (mean queue x relaxation
    time) / T; relaxation takes about 1 / theta = 1 hour here against T = 30 days, a bias of
    about 0.1 %, far inside the interval.
    """
    s = short("mmc_abandon.yaml")
    proc, patience = s.procedures["walk_in"], s.behaviour.patience
    assert patience is not None and s.calendar.continuous
    lam, mu = proc.annual_volume / 365, 1440 / proc.counter_minutes_per_visit
    theta, c = 1 / patience.mean, s.channels["desk"].counters
    assert c is not None
    exact = erlang_a(lam, mu, theta, c).mean_queue
    horizon = float(s.horizon.days)
    values = [simulate(s, SEED, r).queue_area["desk"] / horizon for r in range(10)]
    mean, low, high = t_interval(values, confidence=0.99)
    assert low <= exact <= high, (exact, mean, low, high)


# --------------------------------------------------------------------------- time


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_time_runs_forward(key: str) -> None:
    out, table = run(key)
    horizon = float(out.scenario.horizon.days)
    arrival = table["arrival_day"].to_numpy()
    assert (arrival >= 0).all() and (arrival < horizon).all()
    assert (np.diff(arrival) >= 0).all(), "applicants are numbered in arrival order"
    wait = table["wait_days"].to_numpy()
    assert np.isfinite(wait).all() and (wait >= 0).all()
    served = (table["outcome"] == "served").to_numpy()
    at = table["appointment_at"].to_numpy()[served]
    assert (at >= arrival[served]).all(), "served no earlier than arrival"
    assert (at <= horizon).all(), "nobody is served after the horizon"
    gave_up = (table["outcome"] == "abandoned").to_numpy()
    left = table["left_at"].to_numpy()[gave_up]
    assert (left >= arrival[gave_up]).all() and (left <= horizon).all()
    assert (wait[~served & ~gave_up] == pytest.approx(horizon - arrival[~served & ~gave_up]))

    cal = out.calendar
    rec = out.records
    for k, name in enumerate(out.channels):
        spec = out.scenario.channels[name]
        mine = served & (rec.channel == k)
        start = rec.appointment_at[mine]
        if isinstance(spec, DeskChannel) and not cal.continuous:
            # Counters call people only while the desk is open.
            day = np.floor(start).astype(np.int64)
            assert cal.is_open[day].all()
            assert (start >= cal.open_at[day] - 1e-12).all()
            assert (start <= cal.close_at[day] + 1e-12).all()
        if isinstance(spec, WaitlistChannel):
            booked = rec.booked_at[mine]
            assert (booked >= arrival[mine]).all() and (booked <= horizon).all()
            assert (start - booked >= spec.min_lead_days - 1e-9).all()
    if out.scenario.behaviour.patience is not None:
        # Whoever gave up did so exactly when their patience ran out.
        assert rec.left_at[gave_up] == pytest.approx(
            out.population.arrival[gave_up] + out.population.patience[gave_up], rel=1e-12)


def test_gave_up_share_counts_the_dates_given_up_too() -> None:
    """A register dates everyone, so nobody gives up *looking* (abandoned_share 0); people who
    give up the date they hold still leave: the headline gave_up_share counts them, and is
    one minus the shares served and still waiting."""
    from sim.experiments.experiment import run as run_once
    from sim.scenario.loader import load, variant

    spec = variant(load(VALIDATION.parent / "demo.yaml"), [  # its online channel: a waitlist
        "behaviour.holding.patience={kind: exponential, mean: 30}",
        "behaviour.holding.cancel_probability=0.5"])
    result = run_once(spec, 1, 0)
    k = result.kpis[result.kpis["procedure"] == "all"].set_index("kpi")["value"]
    online = result.applicants.query("channel == 'online'")
    assert not (online["outcome"] == "abandoned").any()
    assert k["gave_up_share"] > 0.01
    left = 1 - (k["served"] + k["still_waiting_end"]) / k["arrivals"]
    assert k["gave_up_share"] == pytest.approx(left, abs=1e-12)
    assert k["gave_up_share"] >= k["cancelled_share"] > 0
