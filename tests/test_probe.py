"""The associations' probe: exact bins from the free dates, no event per reading, and the
agreement with a probe made of SimPy events (slow tier)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import scenario

from sim.analysis.probe import readings_by_bin
from sim.engine.intensity import Grid, Profile
from sim.engine.probe import FreeDates, bin_labels, probe_profile
from sim.experiments.experiment import run
from sim.scenario import Probe

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
from probe_reference import compare, exact_and_sampled  # noqa: E402


def small(**changes: Any) -> Any:
    """A race whose page shows every bin in turn: slots released daily 75 days ahead, a
    demand close to capacity, cancellations."""
    base: dict[str, Any] = {
        "horizon": {"days": 180, "warmup_days": 0, "burn_in_days": 60, "follow_up_days": 30},
        "channels": {"online": {"kind": "race", "counter_share": 0.8, "min_lead_days": 1.0,
                                "cancellation_probability": 0.1,
                                "release": {"kind": "daily", "hour": 8,
                                            "horizon_days": 75}}},
        "behaviour": {"seekers": [{"share": 1.0, "checks_per_day": 2, "night_share": 0.1}],
                      "patience": {"kind": "exponential", "mean": 40}},
        "staff": {"front_office_etp": 2.8},
        "probe": {"readings_per_day": 24},
    }
    base.update(changes)
    return scenario(**base)


def test_bins_follow_the_free_dates_between_changes() -> None:
    """A hand-made trace: each piece of time in its bin, breakpoints where a date enters a
    window or drops below the minimum lead, and where the dates change."""
    fd = FreeDates([0, 1], lead=1.0, edges=(30.0, 60.0))
    fd.add(0, 100.0, 1, now=0.0)   # first date 100 days ahead: beyond 60 until day 40
    fd.add(0, 50.0, 2, now=10.0)   # 40 days ahead: second month until day 20
    fd.add(0, 55.0, 3, now=15.0)   # a second date: both within 30 days from day 25
    fd.remove(0, 50.0, 2, now=30.0)  # booked: one date within 30 days (55 - 30 = 25)
    fd.close(60.0)                 # 55 drops below the lead at 54; 100 enters 60 days at 40
    got = list(zip(*fd.pieces, strict=True))
    assert got == [
        (0, 0.0, 10.0, 3),    # first date beyond 60 days
        (0, 10.0, 20.0, 2),   # first date 31-60 days (50 - 10 = 40)
        (0, 20.0, 25.0, 1),   # one date within 30 days (50 - 20 = 30)
        (0, 25.0, 30.0, 0),   # two dates within 30 days (55 - 25 = 30)
        (0, 30.0, 54.0, 1),   # one date within 30 days: 55 only (100 is 70 days ahead)
        (0, 54.0, 60.0, 2),   # 55 no longer bookable: first date 100, 46 days ahead
        (1, 0.0, 60.0, 4),    # procedure 1 never had a date
    ]
    assert fd.dates[0] == [(100.0, 1)]  # dates no longer seen are dropped


def test_readings_weigh_the_pieces_by_the_probe_intensity() -> None:
    """Office hours only (8-20h, Monday): a piece outside them counts no reading."""
    profile = probe_profile(Probe(readings_per_day=12, from_hour=8, to_hour=20,
                                  weekdays=(0,)), phase=0.0)
    pieces = (np.array([0.0, 0.5]), np.array([0.5, 7.0]), np.array([4, 0]))
    r = readings_by_bin(profile, pieces, 5, np.array([0.0, 7.0, 14.0]))
    assert r[0].tolist() == pytest.approx([8.0, 0.0, 0.0, 0.0, 4.0])  # 12-20h, 8-12h
    assert r[1].tolist() == pytest.approx([0.0] * 5)  # the pieces end at day 7
    assert bin_labels([15, 30, 60])[2:4] == ["first_15_30d", "first_30_60d"]


def test_the_probe_books_nothing_and_costs_no_event() -> None:
    """With or without the probe, and whatever its rate, the same run: the same events and
    outcomes; the rate changes how many readings, not their shares."""
    without = run(small(probe=None), 3, 0)
    runs = {rate: run(small(probe={"readings_per_day": rate}), 3, 0)
            for rate in (1.0, 24.0, 86400.0)}
    keep = ~without.kpis["kpi"].str.startswith("probe_")
    for r in runs.values():
        assert r.n_events == without.n_events
        pd.testing.assert_frame_equal(r.applicants, without.applicants)
        mine = r.kpis[~r.kpis["kpi"].str.startswith("probe_")].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, without.kpis[keep].reset_index(drop=True))
    hourly, slow, fast = runs[24.0].probe, runs[1.0].probe, runs[86400.0].probe
    assert hourly is not None and slow is not None and fast is not None
    np.testing.assert_allclose(slow["share"], hourly["share"], rtol=1e-9)
    np.testing.assert_allclose(fast["share"], hourly["share"], rtol=1e-9)
    np.testing.assert_allclose(fast["readings"], 3600 * hourly["readings"], rtol=1e-9)
    days = hourly.drop_duplicates(["procedure", "month"]).groupby("procedure")["readings"].sum()
    assert days["first_title"] == pytest.approx(24 * 180)  # every hour of the horizon
    assert set(hourly["bin"]) == set(bin_labels([30, 60]))


def test_offer_share_is_the_readings_that_found_a_date() -> None:
    r = run(small(), 5, 1)
    p = r.probe
    assert p is not None
    total = p[p["procedure"] == "all"]
    found = (total["readings"] * total["share"])[total["bin"] != "no_date"].sum()
    kpi = r.kpis.query("kpi == 'probe_offer_share' and procedure == 'all'")["value"].item()
    assert kpi == pytest.approx(found / total.drop_duplicates("month")["readings"].sum())
    assert 0.0 < kpi < 1.0


# --- a probe made of SimPy events (slow tier) ------------------------------------------------


@pytest.mark.slow
def test_the_probe_agrees_with_a_probe_made_of_events() -> None:
    """Each replication reads the same run twice: the exact bin shares of the measured
    window, and the frequencies of 48 readings a day made as SimPy events at Poisson times
    on the slot book itself (``benchmarks/probe_reference.py``). Given the run, the sampled
    frequency is an unbiased estimate of the exact share: the paired differences' 99 %
    interval must hold 0, and the sampled mean must lie in the exact shares' 99 % interval."""
    spec = small(probe={"readings_per_day": 24})  # flat, as the sampler
    pairs = [exact_and_sampled(spec, 11, rep, 48.0) for rep in range(12)]
    exact, sampled = (np.array(x) for x in zip(*pairs, strict=True))
    rows = compare(exact, sampled, 0.99)
    assert all(ok for *_, ok in rows), rows
    assert (exact[:, :4].sum(axis=1) > 0.5).all()  # the page shows dates most of the time
    assert sum(e > 0.01 for e, *_ in rows) >= 4  # in several bins


def test_probe_profile_covers_only_its_hours() -> None:
    profile = probe_profile(Probe(readings_per_day=24, from_hour=9, to_hour=17), phase=2.0)
    assert isinstance(profile.grid, Grid) and isinstance(profile, Profile)
    assert profile.integral(np.array([0.0]), np.array([7.0]))[0] == pytest.approx(7 * 24)
    night = profile.integral(np.array([0.0]), np.array([9 / 24]))[0]
    assert night == pytest.approx(0.0)
