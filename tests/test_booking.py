"""Booking policies: one contract for all, traces, face validity, properties, bad input."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.analysis.metrics import applicants_table, slots_table
from sim.engine.booking.life import no_show_probability
from sim.engine.calendar import build_calendar
from sim.engine.demand import make_population
from sim.engine.model import SimOutput, simulate, simulate_population
from sim.engine.records import CANCELLED, NO_SHOW, OUTCOMES, SERVED, WAITING
from sim.engine.streams import Streams
from sim.experiments.experiment import run
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import validate

POLICIES = ("race", "waitlist", "lottery", "phone")
WEB_POLICIES = ("race", "waitlist", "lottery")


def policy_scenario(kind: str, **online: Any) -> Any:
    """Two procedures, a desk for people without digital access, ``kind`` for the others
    (a phone line: one agent, a few lines, callers who redial; dates on the release schedule
    given, within its horizon)."""
    channel = {"kind": kind, "counter_share": 0.8, **online}
    if kind == "waitlist":
        channel.pop("release", None)
    if kind == "phone":
        channel.update(agents=1, lines=3, retrial_mean_hours=1.0)
    return scenario(
        horizon={"days": 120, "warmup_days": 20},
        channels={"online": channel},
        behaviour={"seekers": [{"share": 0.7, "checks_per_day": 4, "night_share": 0.2},
                               {"share": 0.3, "checks_per_day": 30, "night_share": 0.5}]},
    )


def check_contract(out: SimOutput) -> None:
    """What every policy owes: conservation, one holder per slot, bookings inside windows."""
    rec, pop = out.records, out.population
    table = applicants_table(out)
    assert len(table) == pop.size
    counts = table["outcome"].value_counts()
    assert counts.sum() == pop.size and set(counts.index) <= set(OUTCOMES)
    for name, book in out.books.items():
        spec = out.scenario.channels[name]
        log_slot = np.asarray(book.log_slot, dtype=np.int64)
        log_time = np.asarray(book.log_time)
        log_who = np.asarray(book.log_applicant, dtype=np.int64)
        # no booking before the slot's release, nor closer to the slot than the minimum lead
        assert (log_time >= book.release[log_slot] - 1e-9).all()
        assert (log_time <= book.time[log_slot] - spec.min_lead_days + 1e-9).all()
        # a slot is booked again only after a cancellation freed it
        per_slot = np.bincount(log_slot, minlength=book.size)
        assert per_slot.sum() - book.n_cancelled <= book.size
        # a person books again only after missing an appointment, and then not after a
        # missed one more than they missed
        n_booked = np.bincount(log_who, minlength=pop.size)
        assert (n_booked <= rec.missed + 1).all()
        # every booker who never missed ends served, missed or cancelled, or, if the slot is
        # dated after the run's end, still waiting for it; nobody counted as having given up
        once = rec.missed[log_who] == 0
        after = book.time[log_slot] >= out.frame.stop
        assert np.isin(rec.outcome[log_who[once & ~after]], [SERVED, NO_SHOW, CANCELLED]).all()
        assert (rec.outcome[log_who[once & after]] == WAITING).all()
        # the final holders are distinct people, but for the slots they missed
        held = book.holder[book.holder >= 0]
        assert (np.bincount(held, minlength=pop.size) <= rec.missed + 1).all()
        # served people were served at the time of the slot they hold
        mine = (rec.channel == list(out.channels).index(name)) & (rec.outcome == SERVED)
        np.testing.assert_allclose(rec.appointment_at[mine], book.time[rec.slot[mine]])
        assert (book.holder[rec.slot[mine]] == np.flatnonzero(mine)).all()
    served = rec.outcome == SERVED
    assert (rec.appointment_at[served] >= pop.arrival[served]).all()
    assert (rec.appointment_at[served] < out.scenario.horizon.days).all()


@pytest.mark.parametrize("kind", POLICIES)
@pytest.mark.parametrize("release", ["daily", "weekly", "random", "continuous"])
def test_every_policy_honours_the_contract(kind: str, release: str) -> None:
    spec = policy_scenario(
        kind,
        release={"kind": release, "hour": 7.5, "weekday": 3, "horizon_days": 21},
        no_show={"base_probability": 0.1},
        cancellation_probability=0.1,
        overbooking_share=0.05,
        prebooked_days=10,
    )
    check_contract(simulate(spec, 5, 0))


@pytest.mark.parametrize("kind", POLICIES)
def test_every_policy_is_reproducible(kind: str) -> None:
    spec = policy_scenario(kind, cancellation_probability=0.1, no_show={})
    a, b = run(spec, 9, 2), run(spec, 9, 2)
    pd.testing.assert_frame_equal(a.applicants, b.applicants)
    pd.testing.assert_frame_equal(a.kpis, b.kpis)


@pytest.mark.parametrize(("etp", "race_at_least"), [(6, 0.999), (2, 10.0)])
def test_face_validity_waitlist_needs_one_attempt_race_many(etp: float,
                                                            race_at_least: float) -> None:
    """Same seed, same people: one request per booking on the waitlist and the lottery; on
    the race, one when slots are plentiful (a check made while a slot is free books it) and
    many when the office is congested (2 ETP, full calendar)."""
    per_booking = {}
    for kind in WEB_POLICIES:
        spec = policy_scenario(kind, prebooked_days=60)
        spec = validate({**spec.model_dump(mode="json"), "staff": {"front_office_etp": etp}})
        kpis = run(spec, 4, 0).kpis
        per_booking[kind] = kpis.query(
            "kpi == 'attempts_per_booking' and procedure == 'all'")["value"].item()
    assert per_booking["waitlist"] == 1.0
    assert per_booking["lottery"] == 1.0
    assert per_booking["race"] > race_at_least


# 2 ETP x 1,460 h x 60 min / 365 days = 480 counter minutes a day, every day
ONE_480_MINUTE_SLOT_A_DAY = {"front_office_etp": 2, "hours_per_etp_year": 1460,
                             "productive_share": 1, "absence_rate": 0}


def _race_trace(arrivals, rates, **channel):
    spec = validate({
        "horizon": {"days": 10},
        "calendar": {"continuous": True},
        "procedures": {"p": {"annual_volume": 1, "counter_minutes_per_visit": 480}},
        "behaviour": {"seekers": [{"share": 1.0, "checks_per_day": rates}]},
        "staff": ONE_480_MINUTE_SLOT_A_DAY,
        "channels": {"online": {"kind": "race", **channel}},
    })
    pop = make_population(arrivals, ("p",), digital=np.ones(len(arrivals), bool))
    return simulate_population(spec, build_calendar(spec.calendar, spec.horizon), pop,
                               Streams(1, 0))


def test_race_books_nothing_before_the_daily_release() -> None:
    """One slot a day (at 0:00), released 3 days ahead at 6:00; seekers check 10,000 times a
    day. Slots of days 0-2 are open from the start (day 0's has passed when people come),
    day 3's opens at 0.25: each arrival books the earliest free slot within seconds."""
    out = _race_trace([0.5, 0.6, 0.7], 10_000.0,
                      release={"kind": "daily", "hour": 6, "horizon_days": 3})
    rec, slots = out.records, out.books["online"]
    np.testing.assert_allclose(rec.booked_at, [0.5, 0.6, 0.7], atol=1e-3)
    assert slots.time[rec.slot].tolist() == [1.0, 2.0, 3.0]
    assert slots.release[rec.slot][2] == pytest.approx(0.25)
    assert (rec.booked_at >= slots.release[rec.slot]).all()


def test_race_waits_for_the_release() -> None:
    """With the calendar full for 3 days, a seeker arriving at 0.1 books day 3's slot at its
    release (0.25), not before."""
    out = _race_trace([0.1], 10_000.0, prebooked_days=3,
                      release={"kind": "daily", "hour": 6, "horizon_days": 3})
    assert out.records.booked_at[0] == pytest.approx(0.25, abs=1e-3)
    assert out.books["online"].time[out.records.slot[0]] == 3.0


def test_race_winner_is_chosen_in_proportion_to_checking_rates() -> None:
    """Two seekers compete for a slot released at 1.5 (the day it takes place is 2.0); the
    one checking 9 times as often wins about 90 % of the races. The few races where nobody
    checked before the slot passed (probability exp(-5)) are left out: who checks first does
    not depend on when. Normal-approximation 99 % bounds over about 400 races."""
    wins = decided = 0
    for seed in range(400):
        spec = validate({
            "horizon": {"days": 3},
            "calendar": {"continuous": True},
            "procedures": {"p": {"annual_volume": 1, "counter_minutes_per_visit": 480}},
            "behaviour": {"seekers": [{"share": 0.5, "checks_per_day": 1},
                                      {"share": 0.5, "checks_per_day": 9}]},
            "staff": ONE_480_MINUTE_SLOT_A_DAY,
            "channels": {"online": {"kind": "race", "prebooked_days": 2,
                                    "release": {"kind": "daily", "hour": 12,
                                                "horizon_days": 1}}},
        })
        pop = make_population([0.1, 0.1], ("p",), digital=[True, True], seeker_class=[0, 1])
        out = simulate_population(spec, build_calendar(spec.calendar, spec.horizon), pop,
                                  Streams(seed, 0))
        booked = out.records.booked_at
        if np.isnan(booked).all():
            continue
        decided += 1
        wins += int(np.nanargmin(booked) == 1)
    assert decided > 380
    assert abs(wins / decided - 0.9) < 2.576 * np.sqrt(0.09 / decided)


def test_lottery_draws_only_at_releases() -> None:
    spec = scenario(
        horizon={"days": 60, "warmup_days": 0},
        channels={"online": {"kind": "lottery", "counter_share": 0.8,
                             "release": {"kind": "weekly", "weekday": 0, "hour": 10,
                                         "horizon_days": 14}}},
    )
    out = simulate(spec, 3, 0)
    book = out.books["online"]
    times = np.unique(np.round(np.asarray(book.log_time), 9))
    moments = np.unique(np.round(book.release[book.release >= 0], 9))
    assert set(times) <= set(moments) | {0.0}


def test_no_show_probability_grows_with_lead_time() -> None:
    leads = np.array([0, 7, 30, 90, 365])
    p = [no_show_probability(x, 0.05, 2.3) for x in leads]
    assert p[0] == pytest.approx(0.05) and np.all(np.diff(p) > 0) and p[-1] < 1


def test_cancelled_slots_are_booked_again() -> None:
    spec = policy_scenario("race", cancellation_probability=0.3)
    out = simulate(spec, 2, 0)
    book = out.books["online"]
    assert book.n_cancelled > 0
    rebooked = np.bincount(np.asarray(book.log_slot), minlength=book.size) > 1
    assert rebooked.sum() > 0
    assert (out.records.outcome == CANCELLED).sum() == book.n_cancelled


def test_a_priority_lane_is_a_channel_listed_first() -> None:
    """Renewals get their own waitlist lane with 30 % of counter time; the rest race."""
    spec = validate({**scenario().model_dump(mode="json"), "channels": {
        "lane": {"kind": "waitlist", "procedures": ["renewal"], "counter_share": 0.3},
        "desk": {"kind": "desk", "audience": "non_digital", "counter_share": 0.1},
        "online": {"kind": "race", "counter_share": 0.6},
    }})
    out = simulate(spec, 1, 0)
    table = applicants_table(out)
    renewals = table[table["procedure"] == "renewal"]
    assert set(renewals["channel"]) == {"lane"}
    slots = slots_table(out)
    assert set(slots.loc[slots["channel"] == "lane", "procedure"]) == {"renewal"}


def test_allocation_sets_each_procedures_share_of_slots() -> None:
    spec = policy_scenario("waitlist", allocation={"first_title": 0.25, "renewal": 0.75})
    slots = slots_table(simulate(spec, 1, 0))
    minutes = slots.groupby("procedure", observed=True)["minutes"].sum()
    assert minutes["first_title"] / minutes.sum() == pytest.approx(0.25, abs=0.01)


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(POLICIES),
    release=st.sampled_from(["daily", "weekly", "random", "continuous"]),
    horizon=st.floats(7, 90),
    hour=st.floats(0, 23.9),
    volume=st.floats(200, 20000),
    etp=st.floats(0.5, 15),
    lead=st.floats(0, 3),
    no_show=st.floats(0, 0.5),
    cancel=st.floats(0, 0.5),
    prebooked=st.floats(0, 30),
    seed=st.integers(0, 2**31),
)
def test_contract_holds_on_random_small_scenarios(kind, release, horizon, hour, volume, etp,
                                                   lead, no_show, cancel, prebooked, seed):
    spec = policy_scenario(
        kind,
        release={"kind": release, "hour": hour, "horizon_days": horizon},
        min_lead_days=lead,
        no_show={"base_probability": no_show},
        cancellation_probability=cancel,
        prebooked_days=prebooked,
    )
    spec = validate({**spec.model_dump(mode="json"),
                     "staff": {"front_office_etp": etp},
                     "procedures": {"first_title": {"annual_volume": volume},
                                    "renewal": {"annual_volume": volume / 2}}})
    check_contract(simulate(spec, seed, 0))


@pytest.mark.parametrize(
    ("online", "expected"),
    [
        ({"kind": "race", "release": {"hour": 24}}, "channels.online.release.hour = 24"),
        ({"kind": "race", "release": {"hour": -1}}, "greater than or equal to 0"),
        ({"kind": "race", "release": {"horizon_days": 0}}, "channels.online.release.horizon_days"),
        ({"kind": "lottery", "allocation": {"first_title": 0.5, "renewal": 0.4}},
         "allocation shares must sum to 1, got 0.9"),
        ({"kind": "waitlist", "allocation": {"naturalisation": 1.0}},
         "not served by this channel"),
        ({"kind": "queue"}, "channels.online.kind = 'queue'"),
        ({"kind": "race", "no_show": {"base_probability": 1.5}},
         "channels.online.no_show.base_probability = 1.5"),
        ({"kind": "race", "release": {"kind": "weekly", "horizon_days": 3}},
         "must be >= 7 for weekly releases"),
    ],
)
def test_bad_booking_input_names_the_field(online: dict[str, Any], expected: str) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario(channels={"online": online})
    assert any(expected in line for line in err.value.problems), err.value.problems
