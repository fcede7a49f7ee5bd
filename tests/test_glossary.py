"""The KPI glossary covers every KPI, and every interval stays inside its KPI's domain.

A KPI without a glossary entry would reach a planner as a code name with no unit, definition
or direction: the first tests fail on any name ``kpi_table`` produces without one (a new KPI
needs its entry in ``sim/analysis/glossary/terms.py``). The others check the intervals of
``summary`` and ``differences`` on small scenarios with rare events (protection orders,
resellers): no count below 0, no share above 1, and the honest cases by construction.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import scenario

from sim.analysis import glossary
from sim.analysis.intervals import bounded_interval, summarise
from sim.analysis.kpis import KPI_NAMES
from sim.experiments.compare import Comparison, compare, paired_differences
from sim.scenario.loader import load, validate
from sim.scenario.suggest import did_you_mean

PROTECTION = {"annual_volume": 60, "counter_minutes_per_visit": 20,
              "protection_order": {"validity": [{"issued_from": "2010-01-01", "months": 2}]}}


@pytest.fixture(scope="module")
def rare() -> Comparison:
    """demo-bots (race, reseller) with a few protection orders, and a stronger plan."""
    extra = ["horizon.days=150", "horizon.warmup_days=20"]
    base = load("scenarios/demo-bots.yaml", extra)
    data = base.model_dump(mode="json")
    data["procedures"]["protection_order"] = PROTECTION
    a = validate(data)
    data["staff"]["front_office_etp"] = a.staff.front_office_etp * 1.5
    data["name"] = "more-staff"
    return compare([a, validate(data)], seed=4, replications=3, min_events=0)


def test_every_kpi_name_has_an_entry() -> None:
    assert [k for k in KPI_NAMES if glossary.term(k) is None] == []


def test_every_kpi_a_run_produces_has_an_entry(rare: Comparison) -> None:
    tiny = compare([scenario()], seed=1, replications=1)
    produced = set(rare.replications["kpi"]) | set(tiny.replications["kpi"])
    assert [k for k in sorted(produced) if glossary.term(k) is None] == []
    assert {"protection_orders_expired", "bot_slot_share",
            "wait_days_p90.access.non_digital"} <= produced


def test_entries_are_complete_in_both_languages() -> None:
    for name, t in glossary.TERMS.items():
        assert t.domain in glossary.DOMAINS, name
        assert t.direction in ("lower", "higher", None), name
        assert t.gender in ("m", "f", "pl"), name
        assert all((t.en, t.fr, t.define_en, t.define_fr)), name
        assert t.en == t.en.lower() or t.en[:1].isdigit(), name  # a noun phrase for sentences
        assert not t.events or t.domain == "count", name
    assert set(glossary.HEADLINE) <= set(glossary.known_names())
    assert 8 <= len(glossary.HEADLINE) <= 12


def test_labels_units_and_segments_read_as_words() -> None:
    assert glossary.label("wait_days_p50.channel.online", "fr") == "attente médiane (canal online)"
    assert glossary.label("staff_cost_eur", capital=True) == "Staff cost"
    assert glossary.unit("wait_days_p90", "fr") == "jours"
    assert glossary.unit("bot_slot_share") == "%"
    assert glossary.term("wait_days_p90.access.martian") is None
    assert glossary.direction("front_office_utilisation") is None


def test_unknown_kpi_names_are_told_with_a_suggestion() -> None:
    problems = glossary.check_names(["wait_days_p90", "wait_day_p90", "zzz"], "--kpis")
    assert len(problems) == 2
    assert problems[0].startswith("--kpis: unknown KPI 'wait_day_p90'; did you mean "
                                  "'wait_days_p90'?")
    assert "did you mean" not in problems[1] and "known: arrivals" in problems[1]
    assert did_you_mean("abandonned_share", glossary.known_names()) == (
        "; did you mean 'abandoned_share'?")


# --- intervals within the domain -------------------------------------------------------------


def _outside(summary: pd.DataFrame) -> pd.DataFrame:
    low = np.array([glossary.bounds(str(k))[0] for k in summary["kpi"]])
    high = np.array([glossary.bounds(str(k))[1] for k in summary["kpi"]])
    lo, hi = summary["ci_low"].to_numpy(float), summary["ci_high"].to_numpy(float)
    bad = (lo < low - 1e-12) | (hi > high + 1e-12)
    return summary[bad]


def test_no_summary_interval_leaves_its_domain(rare: Comparison) -> None:
    assert _outside(rare.summary).empty, _outside(rare.summary)
    finite = rare.summary.dropna(subset=["ci_low"])
    inside = (finite["ci_low"] <= finite["mean"] + 1e-9) & (finite["mean"] <= finite["ci_high"]
                                                            + 1e-9)
    assert inside.all(), finite[~inside]


def test_no_difference_puts_the_what_if_outside_its_domain(rare: Comparison) -> None:
    d = rare.differences.dropna(subset=["ci_low"])
    implied = d.assign(ci_low=d["baseline_mean"] + d["ci_low"],
                       ci_high=d["baseline_mean"] + d["ci_high"])
    assert _outside(implied).empty, _outside(implied)


def test_rare_counts_and_shares_get_intervals_inside_their_domain() -> None:
    reps = pd.DataFrame({
        "kpi": ["protection_orders_expired"] * 5 + ["bot_slot_share"] * 5
        + ["reseller_revenue_eur"] * 5 + ["protection_order_margin_days_p50"] * 5,
        "procedure": "all",
        "value": [0, 0, 3, 12, 2] + [0.97, 0.999, 0.99, 1.0, 0.95] + [0, 0, 0, 90000, 300]
        + [-20, 15, 40, -5, 3]})
    s = summarise(reps).set_index("kpi")
    assert 0 < s.loc["protection_orders_expired", "ci_low"] < 3.4
    assert s.loc["protection_orders_expired", "ci_high"] > 12  # skewed: reaches further up
    assert s.loc["bot_slot_share", "ci_high"] < 1
    assert s.loc["reseller_revenue_eur", "ci_low"] > 0
    assert s.loc["protection_order_margin_days_p50", "ci_low"] < 0  # a margin may be negative
    assert bounded_interval(np.array([0.0, 0.0, 0.0]), "count") == (0.0, 0.0, 0.0, 3)
    assert math.isnan(bounded_interval(np.array([2.0]), "count")[1])


def test_a_difference_is_cut_where_the_what_if_would_leave_the_domain() -> None:
    reps = pd.DataFrame({"scenario": ["a"] * 3 + ["b"] * 3, "replication": [0, 1, 2] * 2,
                         "kpi": "protection_orders_expired", "procedure": "all",
                         "value": [1.0, 0.0, 8.0, 0.0, 0.0, 0.0]})
    row = paired_differences(reps, "a").iloc[0]
    assert row["difference"] == pytest.approx(-3.0)
    assert row["ci_low"] == pytest.approx(-3.0)  # not below "b has none"
    assert math.isnan(row["relative"])  # a baseline of 3 events is near 0: no percentage


def test_rounding_noise_is_no_difference() -> None:
    reps = pd.DataFrame({"scenario": ["a"] * 2 + ["b"] * 2, "replication": [0, 1] * 2,
                         "kpi": "back_office_utilisation", "procedure": "all",
                         "value": [1.0, 1.0, 1.0 - 2e-17, 1.0 + 1e-16]})
    row = paired_differences(reps, "a").iloc[0]
    assert (row["difference"], row["ci_low"], row["ci_high"]) == (0.0, 0.0, 0.0)
    assert not row["significant"]


SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASELINE = SCENARIOS / "val-de-marne-2021.yaml"
WHAT_IFS = sorted((SCENARIOS / "what-ifs").glob("*.yaml"))
PARTS = 3  # comparisons, each of the baseline and every third what-if (run side by side)


def test_the_what_ifs_are_shared_out_between_the_parts() -> None:
    parts = [WHAT_IFS[part::PARTS] for part in range(PARTS)]
    assert sorted(f for p in parts for f in p) == WHAT_IFS and all(parts)
    assert BASELINE.is_file() and len(WHAT_IFS) >= 8


@pytest.mark.slow
@pytest.mark.parametrize("part", range(PARTS))
def test_the_baseline_and_every_what_if_keep_their_intervals_in_their_domains(part: int) -> None:
    """Every bundled what-if against the Val-de-Marne baseline, on a shorter horizon.

    The what-ifs are compared in ``PARTS`` comparisons, each with the baseline first: a
    what-if's intervals, and its differences with the baseline, do not depend on the other
    what-ifs of its comparison (common random numbers: every scenario runs replications
    ``0..R-1`` of the same seed), so the parts check what one comparison of all would."""
    short = ["horizon.start=2021-06-01", "horizon.days=120", "horizon.warmup_days=20",
             "horizon.burn_in_days=60", "horizon.follow_up_days=60"]
    files = [BASELINE, *WHAT_IFS[part::PARTS]]
    assert len(WHAT_IFS) >= 8 and len(files) >= 3
    c = compare([load(f, short) for f in files], seed=2, replications=2, min_events=0)
    assert len(c.labels) == len(files)
    assert _outside(c.summary).empty, _outside(c.summary)
    d = c.differences.dropna(subset=["ci_low"])
    assert set(d["scenario"]) == set(c.labels[1:])  # every what-if has its differences
    implied = d.assign(ci_low=d["baseline_mean"] + d["ci_low"],
                       ci_high=d["baseline_mean"] + d["ci_high"])
    assert _outside(implied).empty, _outside(implied)
    near = [glossary.near_zero(str(k), b) for k, b in zip(d["kpi"], d["baseline_mean"],
                                                          strict=True)]
    assert d.loc[near, "relative"].isna().all()  # no percentage against a baseline near 0
