"""Court cases: the eligibility rule, orders that take a slot ahead of everyone, common
random numbers, and bad input."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import scenario

from sim.engine.eligibility import court_draws, eligible_times
from sim.engine.frame import frame_of
from sim.engine.intensity import Grid, Profile
from sim.engine.model import simulate
from sim.engine.slots import SlotBook
from sim.engine.streams import Streams
from sim.experiments.experiment import run
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import validate


def congested(**courts: Any) -> Any:
    """A race in which most people wait for weeks: released slots go at once."""
    return scenario(
        horizon={"days": 120, "warmup_days": 0, "burn_in_days": 60, "follow_up_days": 60},
        channels={"online": {"kind": "race", "counter_share": 0.8, "min_lead_days": 1.0,
                             "release": {"kind": "weekly", "weekday": 0, "hour": 9,
                                         "horizon_days": 42}}},
        behaviour={"seekers": [{"share": 1.0, "checks_per_day": 3, "night_share": 0.1}],
                   "patience": {"kind": "exponential", "mean": 90}},
        staff={"front_office_etp": 2.0},
        courts={"going_share": 0.3, **courts},
    )


def test_eligibility_is_the_first_attempt_of_the_second_calendar_week() -> None:
    """Visits at the first moments where the integrated intensity reaches each draw; the
    second counted from the next Monday. A weekend without visits pushes it further."""
    weekdays = Profile(Grid([5.0], phase=0.0), [2.0, 0.0])  # two visits a day, Mon-Fri
    x = np.array([[1.0, 1.0], [1.0, 3.0]])
    got = eligible_times(np.array([4.75, 0.0]), np.array([0, 0]), [weekdays], x, phase=0.0)
    # entering Friday 18:00: first visit Monday 6:00 (next week), second the Monday after
    assert got.tolist() == pytest.approx([14.5, 8.5])
    three = np.array([[1.0, 1.0, 1.0]])
    assert eligible_times(np.array([0.0]), np.array([0]), [weekdays], three, 0.0)[0] == 14.5


def test_each_case_follows_the_rule_and_its_own_draws() -> None:
    spec = congested()
    out = simulate(spec, 3, 0)
    rec, pop = out.records, out.population
    draws = court_draws(spec.courts, pop, frame_of(spec.horizon), Streams(3, 0))
    filed = np.flatnonzero(np.isfinite(rec.court_at))
    assert filed.size > 20
    # filed: eligible (on the first search at the date), went (own uniform), decided after
    # the own delay
    assert np.isfinite(rec.eligible_at[filed]).all()
    assert (draws.going[filed] < spec.courts.going_share).all()
    np.testing.assert_allclose(rec.court_at[filed], rec.eligible_at[filed] + draws.delay[filed])
    # eligible people who drew a low uniform and were eligible before the stop all filed
    would = np.isfinite(rec.eligible_at) & (draws.going < spec.courts.going_share)
    assert set(np.flatnonzero(would & (rec.eligible_at < out.frame.stop))) == set(filed)
    share = np.isfinite(rec.court_at[np.isfinite(rec.eligible_at)]).mean()
    assert 0.15 < share < 0.45  # about going_share of the eligible


def test_an_order_takes_the_earliest_slot_ahead_of_everyone() -> None:
    spec = congested(notice_days=3.0, deadline_days=15.0)
    out = simulate(spec, 4, 0)
    rec = out.records
    book = out.books["online"]
    ordered = np.flatnonzero(rec.court_slot >= 0)
    assert ordered.size > 10
    s = rec.court_slot[ordered]
    # the order's applicant holds (or held) the slot, booked at the decision, at least the
    # notice ahead
    log = pd.DataFrame({"slot": book.log_slot, "who": book.log_applicant, "at": book.log_time})
    first = log.drop_duplicates("slot").set_index("slot")
    np.testing.assert_array_equal(first.loc[s, "who"].to_numpy(), ordered)
    np.testing.assert_allclose(first.loc[s, "at"].to_numpy(), rec.court_at[ordered])
    assert (book.time[s] >= rec.court_at[ordered] + spec.courts.notice_days - 1e-9).all()
    # taken before its release: it was not released to the public
    early = book.release[s] > rec.court_at[ordered]
    assert early.any()
    assert book.n_opened <= book.size - early.sum()
    # the earliest: every slot of the procedure dated from the notice to the order's slot
    # was already booked at the decision (else it was free, or unreleased, then)
    first_at = np.full(book.size, np.inf)
    first_at[first.index.to_numpy()] = first["at"].to_numpy()
    held = book.state == SlotBook.PREBOOKED
    for i, slot in zip(ordered, s, strict=True):
        at = rec.court_at[i]
        window = ((book.procedure == book.procedure[slot]) & (book.time < book.time[slot])
                  & (book.time >= at + spec.courts.notice_days))
        assert ((first_at[window] <= at) | held[window]).all()
    assert (book.state[s] != SlotBook.FREE).all()


def test_going_to_court_shortens_the_wait_of_those_who_go() -> None:
    kpis = run(congested(going_share=0.5), 5, 0).kpis.set_index(["kpi", "procedure"])["value"]
    went = kpis["wait_days_p50.court.yes", "all"]
    eligible_not = kpis["wait_days_p50.court.eligible_no", "all"]
    assert went < eligible_not
    assert kpis["court_cases_per_year", "all"] > 0
    assert 0 < kpis["court_slot_share", "all"] < 1
    assert kpis["court_eligible_share", "all"] > 0.5


def test_nobody_going_to_court_changes_nothing() -> None:
    """Common random numbers: a court nobody goes to leaves every draw and outcome as
    without courts; only the court KPIs appear."""
    base = validate({**congested().model_dump(mode="json"), "courts": None})
    none = run(base, 6, 0)
    zero = run(validate({**base.model_dump(mode="json"), "courts": {"going_share": 0.0}}),
               6, 0)
    cols = [c for c in none.applicants.columns if c not in ("eligible_at",)]
    pd.testing.assert_frame_equal(zero.applicants[cols], none.applicants[cols])
    court = zero.kpis["kpi"].str.startswith("court_") | zero.kpis["kpi"].str.contains(".court.")
    pd.testing.assert_frame_equal(zero.kpis[~court].reset_index(drop=True),
                                  none.kpis.reset_index(drop=True))
    assert zero.applicants["eligible_at"].notna().any()
    assert zero.kpis.query("kpi == 'court_cases_per_year'")["value"].eq(0).all()


def test_court_draws_do_not_depend_on_the_share() -> None:
    a, b = congested(going_share=0.1), congested(going_share=0.9)
    out = simulate(a, 2, 1)
    da = court_draws(a.courts, out.population, frame_of(a.horizon), Streams(2, 1))
    db = court_draws(b.courts, out.population, frame_of(b.horizon), Streams(2, 1))
    for x, y in zip(da, db, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(("section", "change", "field"), [
    ("probe", {"readings_per_day": -1}, "probe.readings_per_day"),
    ("probe", {"bins_days": [60, 30]}, "probe.bins_days"),
    ("courts", {"delay": {"mean": -5}}, "courts.delay.mean"),
    ("courts", {"deadline_days": -1}, "courts.deadline_days"),
    ("courts", {"going_share": 1.5}, "courts.going_share"),
    ("courts", {"going_share": -0.1}, "courts.going_share"),
])
def test_bad_input_is_one_line_naming_the_field(section: str, change: dict[str, Any],
                                                field: str) -> None:
    with pytest.raises(ScenarioError) as err:
        validate({**scenario().model_dump(mode="json"), section: change}, "x.yaml")
    (line,) = err.value.problems
    assert line.startswith(f"x.yaml: {field} = ")
