"""The answer in words: summaries built from the tables, waits month by month, rare events.

The sentences are generated, never written by hand: these tests feed known tables and check
that what moved (a paired interval excluding 0) is said with its figures, in French and in
English, that what did not move is named, and that nothing is said of a KPI that is not
there. Waits by month and the share waiting more than X days are checked against cases small
enough to count by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import scenario

from sim.analysis import formats, narrative
from sim.analysis.waits_over_time import check_over_days, waiting_over, waits_by_month
from sim.experiments.compare import compare, events_table, paired_differences
from sim.experiments.compare import summarise_by_scenario as summarise

KPIS = ("wait_days_p90", "abandoned_share", "renewal_lapses", "bot_slot_share",
        "staff_cost_eur", "front_office_utilisation")


def tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Five replications of a baseline and a plan: waits, lapses and cost move, bots do not."""
    rng = np.random.default_rng(0)
    rows = []
    for r in range(5):
        base = {"wait_days_p90": 222 + rng.normal(0, 3), "abandoned_share": 0.17,
                "renewal_lapses": 7400 + rng.normal(0, 100), "bot_slot_share": 0.006,
                "staff_cost_eur": 3.18e6, "front_office_utilisation": 0.88}
        plan = {"wait_days_p90": base["wait_days_p90"] - 104 + rng.normal(0, 2),
                "abandoned_share": 0.09 + rng.normal(0, 0.002),
                "renewal_lapses": base["renewal_lapses"] - 4300 + rng.normal(0, 80),
                "bot_slot_share": 0.006 + rng.normal(0, 0.001), "staff_cost_eur": 4.06e6,
                "front_office_utilisation": 0.74 + rng.normal(0, 0.005)}
        for name, values in (("base", base), ("plan", plan)):
            rows += [(name, r, k, "all", v) for k, v in values.items()]
    reps = pd.DataFrame(rows, columns=["scenario", "replication", "kpi", "procedure", "value"])
    return reps, summarise(reps), paired_differences(reps, "base")


def test_the_summary_states_what_moved_with_figures_in_english() -> None:
    _, s, d = tables()
    text = " ".join(narrative.what_if(s, d, "plan", "base", "en", KPIS, period_days=275))
    assert text.startswith("Compared with base, plan cuts the 90th-percentile wait from 222 "
                           "to 118 days (-47 %; 95 % interval")
    assert "avoids about 4,300 renewal lapses over the 275 days measured" in text
    assert "It costs 0.88 M EUR more in staff (+28 %)" in text
    assert "counter utilisation goes from 88 % to 74 %" in text
    assert "No significant change in share of bookings made by bots" in text


def test_the_summary_in_french() -> None:
    _, s, d = tables()
    sentences = narrative.what_if(s, d, "plan", "base", "fr", KPIS)
    assert 2 <= len(sentences) <= 5
    text = " ".join(sentences)
    assert text.startswith("Par rapport à base, plan réduit l'attente du 9e décile de 222 à "
                           "118\u00a0jours (-47\u00a0% ; intervalle à 95\u00a0% :")
    assert "évite environ 4\u00a0300 ruptures de droits au renouvellement" in text
    assert "Il coûte 0,88\u00a0M\u00a0EUR de plus en personnel" in text
    assert "Pas de changement significatif pour : part des rendez-vous pris par des robots" in text


def test_counts_of_events_read_new_instead_of_old_both_ways() -> None:
    """"avoids about 4,300 lapses (3,100 instead of 7,400)" and, the other way round, "adds
    about 4,300 lapses (7,400 instead of 3,100)": the what-if's figure comes first."""
    reps, _, _ = tables()
    back = reps.assign(scenario=reps["scenario"].map({"base": "plan", "plan": "base"}))
    for table, verb, order in ((reps, "avoids", ("3,1", "7,4")), (back, "adds", ("7,4", "3,1"))):
        text = " ".join(narrative.what_if(summarise(table), paired_differences(table, "base"),
                                          "plan", "base", "en", KPIS))
        start = text.index(f"{verb} about 4,300 renewal lapses (")
        figures = text[start:].split("(")[1].split(";")[0]
        new, old = figures.split(" instead of ")
        assert (new[:3], old[:3]) == order, figures


def test_a_what_if_that_changes_nothing_says_so() -> None:
    reps, _, _ = tables()
    same = reps[reps["scenario"] == "base"].assign(scenario="copy")
    both = pd.concat([reps[reps["scenario"] == "base"], same])
    sentences = narrative.what_if(summarise(both), paired_differences(both, "base"), "copy",
                                  "base", "en", KPIS)
    assert sentences[0] == ("Compared with base, copy changes none of the headline figures "
                            "significantly (5 replications, same applicants).")
    assert all("interval" not in x for x in sentences[:1])


def test_rare_events_are_flagged_and_replications_added() -> None:
    spec = scenario(procedures={"order": {
        "annual_volume": 40, "counter_minutes_per_visit": 20,
        "protection_order": {"validity": [{"issued_from": "2010-01-01", "months": 1}]}}},
        staff={"front_office_etp": 2})
    c = compare([spec], seed=1, replications=2, max_replications=4, min_events=1000)
    assert c.n_replications == 4  # doubled to the cap: the events stay few
    few = c.events[c.events["kpi"] == "protection_orders_expired"]
    assert bool(few["few"].iloc[0]) and few["replications"].iloc[0] == 4
    assert compare([spec], seed=1, replications=2, min_events=0).n_replications == 2
    words = narrative._warnings(c.events, ("protection_orders_expired",), "en")
    assert words and "rests on few events" in words[0]


def test_events_table_counts_only_headline_events() -> None:
    reps = pd.DataFrame({"scenario": "a", "replication": [0, 1, 0, 1], "procedure": "all",
                         "kpi": ["renewal_lapses"] * 2 + ["served"] * 2,
                         "value": [0.0, 0.0, 5.0, 5.0]})
    table = events_table(reps)
    assert list(table["kpi"]) == ["renewal_lapses"] and not table["few"].any()  # none at all


@pytest.mark.parametrize("x, text", [(0.5, "0.5"), (1234.4, "1,234"), (1e9, "1,000,000,000"),
                                     (-0.00123, "-0.00123")])
def test_numbers_are_plain(x: float, text: str) -> None:
    assert formats.number(x) == text and "e" not in formats.number(x, "fr")


# --- waits month by month and the share waiting more than X days ----------------------------


def _toy() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four applicants over 70 days, one replication; day 0 is 2021-03-01."""
    applicants = pd.DataFrame({
        "scenario": "s", "replication": 0, "procedure": ["a", "a", "b", "b"],
        "arrival_day": [0.5, 1.0, 2.0, 40.0], "wait_days": [10.0, 65.0, 68.0, 5.0],
        "censored": [False, False, True, False], "after_warmup": True})
    days = np.arange(70)
    end = applicants["arrival_day"] + applicants["wait_days"]
    rows = []
    for proc in ("a", "b", "all"):
        mine = applicants if proc == "all" else applicants[applicants["procedure"] == proc]
        backlog = [int(((mine["arrival_day"] < d + 1) & (end[mine.index] >= d + 1)).sum())
                   for d in days]
        rows.append(pd.DataFrame({"scenario": "s", "replication": 0, "procedure": proc,
                                  "day": days, "backlog_end": backlog,
                                  "date": pd.Timestamp("2021-03-01") + pd.to_timedelta(days,
                                                                                       "D")}))
    return applicants, pd.concat(rows, ignore_index=True)


def test_the_share_waiting_more_than_x_days_counts_people_still_waiting() -> None:
    applicants, daily = _toy()
    over = waiting_over(applicants, daily, 60).set_index(["procedure", "day"])
    # end of day 62 (time 63): applicants 2 (arrived 1.0, until 66) and 3 (2.0, until 70)
    # wait, both for more than 60 days
    assert over.loc[("all", 62), "waiting"] == 2 and over.loc[("all", 62), "share"] == 1.0
    assert over.loc[("all", 42), "waiting"] == 3 and over.loc[("all", 42), "over"] == 0
    assert over.loc[("b", 62), "share"] == 1.0


def test_waits_by_month_are_kaplan_meier_by_month_of_need() -> None:
    applicants, daily = _toy()
    monthly = waits_by_month(applicants, daily, 60).set_index(["procedure", "month"])
    march = monthly.loc[("all", pd.Timestamp("2021-03-01"))]
    assert march["applicants"] == 3  # applicant 4's need appeared in April
    assert march["wait_days_p50"] == 65.0 and np.isnan(march["wait_days_p90"])
    assert march["share_over"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("x", [0, -5, float("nan"), float("inf")])
def test_a_threshold_must_be_positive_days(x: float) -> None:
    with pytest.raises(ValueError, match="above 0"):
        check_over_days(x)
