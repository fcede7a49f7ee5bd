"""The run's timeline: burn-in, measured window and follow-up (sim.frame).

What a warm start and a follow-up owe: the measured cohort is the same people whatever the
burn-in, the follow-up or another procedure's volume (common random numbers); everybody of
the cohort is accounted for at the run's stop (conservation); the burn-in leaves the office
busy at the start; a stationary scenario gives the same answer on one year and on two.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import scenario

from sim.analysis.metrics import applicants_table
from sim.engine.frame import frame_of
from sim.engine.model import simulate
from sim.engine.records import OUTCOMES
from sim.experiments.experiment import run

COLUMNS = ["arrival_day", "digital", "deadline_at", "procedure"]


def warm(**changes: Any) -> Any:
    """The small scenario with a burn-in, a follow-up and renewals that lapse."""
    base: dict[str, Any] = {
        "horizon": {"days": 120, "warmup_days": 0, "burn_in_days": 60, "follow_up_days": 90},
        "procedures": {"renewal": {"renewal": {}}},
        "behaviour": {"holding": {"patience": {"kind": "exponential", "mean": 200}}},
    }
    for key, value in changes.items():
        base[key] = {**base.get(key, {}), **value}
    return scenario(**base)


def cohort(spec: Any, seed: int = 3) -> pd.DataFrame:
    table = applicants_table(simulate(spec, seed, 0))
    return table.sort_values(["procedure", "arrival_day"], kind="stable").reset_index(drop=True)


def test_the_cohort_does_not_depend_on_burn_in_follow_up_or_other_volumes() -> None:
    """Same seed: the renewals of the measured window are the same people with the same
    needs, deadlines and access, whether or not there is a burn-in or a follow-up, and
    whatever the first titles' volume."""
    reference = cohort(warm())
    renewals = reference[reference["procedure"] == "renewal"][COLUMNS].reset_index(drop=True)
    assert len(renewals) > 500
    variants = [
        warm(procedures={"first_title": {"annual_volume": 3300}}),  # +10 %
        warm(horizon={"burn_in_days": 0}),
        warm(horizon={"follow_up_days": 0}),
        warm(horizon={"burn_in_days": 200, "follow_up_days": 10}),
    ]
    for spec in variants:
        other = cohort(spec)
        mine = other[other["procedure"] == "renewal"][COLUMNS].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, renewals)


def test_everybody_of_the_cohort_is_accounted_for_at_the_stop() -> None:
    """Conservation with a follow-up: arrivals = served + gave up + missed + cancelled +
    still open at the stop, per procedure; the open are censored at the stop, the others
    not; lapsed renewals are among these outcomes (a lapse is a deadline, not an exit)."""
    spec = warm()
    out = simulate(spec, 3, 0)
    table = applicants_table(out)
    frame = out.frame
    horizon = spec.horizon.days
    assert table["arrival_day"].between(0, horizon, inclusive="left").all()
    counts = table["outcome"].value_counts()
    assert counts.sum() == len(table) and set(counts.index) <= set(OUTCOMES)
    open_ = table["outcome"] == "waiting"
    stop = frame.stop - frame.offset
    np.testing.assert_allclose(table.loc[open_, "arrival_day"] + table.loc[open_, "wait_days"],
                               stop)
    assert (table.loc[~open_, "arrival_day"] + table.loc[~open_, "wait_days"] <= stop).all()
    # a follow-up of 90 days settles almost everybody of a 120-day window
    assert open_.mean() < 0.05


def test_follow_up_completes_deadline_counts() -> None:
    """Renewals of the window whose title expires after the horizon are counted when the
    follow-up covers their expiry: the follow-up finds more lapses (same people, same
    deadlines, same capacity until the horizon)."""
    def lapses(spec: Any) -> float:
        k = run(spec, 3, 0).kpis
        return float(k[(k["kpi"] == "renewal_lapses") & (k["procedure"] == "all")]["value"].item())

    assert lapses(warm()) > lapses(warm(horizon={"follow_up_days": 0}))


def test_burn_in_starts_the_office_busy() -> None:
    """With a burn-in, people are already waiting on the first day and files are already in
    instruction; without, the office starts empty."""
    cold = run(warm(horizon={"burn_in_days": 0}), 3, 0).daily
    hot = run(warm(), 3, 0).daily
    first = (cold["day"] == 0) & (cold["procedure"] == "all")
    assert cold.loc[first, "backlog_end"].item() < hot.loc[first, "backlog_end"].item()
    assert hot.loc[first, "instruction_backlog"].item() > 0
    assert hot["day"].min() == 0 and hot["day"].max() == 119  # the run's own days only


def test_frame_landmarks() -> None:
    spec = warm()
    f = frame_of(spec.horizon)
    assert (f.offset, f.measure_from, f.measure_to, f.stop) == (60, 60, 180, 270)


@pytest.mark.slow
def test_a_stationary_scenario_answers_the_same_on_one_year_and_two() -> None:
    """A congested race whose demand and staff do not change: with a burn-in and a
    follow-up, the KPIs of a one-year run and of a two-year run agree inside a 99 %
    interval of their difference (independent replications: different horizons draw
    different people). Without them they do not: the empty start and the cut-off end
    shorten the one-year waits (this is what the frame is for)."""
    names = ["wait_days_mean", "wait_days_p50", "wait_days_p90", "abandoned_share",
             "attempts_per_booking", "front_office_utilisation"]

    def stationary(days: int, burn_in: int, follow_up: int) -> Any:
        return warm(
            horizon={"days": days, "warmup_days": 0, "burn_in_days": burn_in,
                     "follow_up_days": follow_up, "start": "2022-01-03"},
            procedures={"first_title": {"annual_volume": 1500},
                        "renewal": {"annual_volume": 2500}},
            staff={"front_office_etp": 1.6, "back_office_etp": 13},
            calendar={"public_holidays": False},
            channels={"online": {"kind": "race", "release": {
                "kind": "weekly", "weekday": 0, "hour": 9, "horizon_days": 30}}},
            behaviour={"patience": {"kind": "exponential", "mean": 60}})

    def z_scores(burn_in: int, follow_up: int) -> dict[str, float]:
        def values(spec: Any, seed: int) -> np.ndarray:
            rows = []
            for r in range(8):
                k = run(spec, seed, r).kpis
                rows.append(k[k["procedure"] == "all"].set_index("kpi")["value"][names])
            return np.array(rows, dtype=float)

        a = values(stationary(365, burn_in, follow_up), 11)
        b = values(stationary(730, burn_in, follow_up), 12)
        se = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))
        return dict(zip(names, (a.mean(axis=0) - b.mean(axis=0)) / se, strict=True))

    warm_z = z_scores(365, 180)
    assert all(abs(z) < 2.9 for z in warm_z.values()), warm_z
    cold_z = z_scores(0, 0)
    assert max(abs(z) for z in cold_z.values()) > 4, cold_z
