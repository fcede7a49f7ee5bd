"""The phone line (:mod:`sim.engine.booking.phone`): exact traces of tiny cases, retrials in
opening time, the line's hours and agents, its KPIs, and who needs help to use it.

The call queue against Erlang A is in ``tests/test_phone_theory.py`` (slow tier); the
contract every slot channel owes is checked over the phone too (``tests/test_booking.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import scenario

from sim.analysis.metrics import applicants_table
from sim.engine.booking.line import LineHours
from sim.engine.calendar import build_calendar
from sim.engine.demand import make_population
from sim.engine.model import needs_help, simulate, simulate_population
from sim.engine.records import ABANDONED, SERVED, WAITING
from sim.engine.sampling import Draws
from sim.engine.streams import Streams
from sim.experiments.experiment import run
from sim.scenario import PhoneChannel
from sim.scenario.files import deep_merge
from sim.scenario.loader import validate

NINE, FOUR = 9 / 24, 16 / 24  # the line's hours, in days
HOUR = 1 / 24

# Open every day 9h-16h (no holidays), one 420-minute slot a day at 9:00: 2 ETP x 1,277.5 h
# x 60 min / 365 days = 420 counter minutes a day.
LINE: dict[str, Any] = {
    "horizon": {"start": "2021-03-01", "days": 10},
    "calendar": {"weekdays": [0, 1, 2, 3, 4, 5, 6], "public_holidays": False,
                 "open_hour": 9, "close_hour": 16},
    "procedures": {"p": {"annual_volume": 0, "counter_minutes_per_visit": 420}},
    "staff": {"front_office_etp": 2, "hours_per_etp_year": 1277.5, "productive_share": 1,
              "absence_rate": 0},
    "channels": {"phone": {"kind": "phone", "agents": 1, "handling_minutes": 60,
                           "handling_kind": "deterministic", "hold_patience_minutes": None,
                           "lines": 1, "retrial_mean_hours": None, "min_lead_days": 1}},
}


def _line(arrival: list[float], **phone: Any):  # type: ignore[no-untyped-def]
    spec = validate(deep_merge(LINE, {"channels": {"phone": phone}}))
    pop = make_population(arrival, ("p",))
    out = simulate_population(spec, build_calendar(spec.calendar, spec.horizon), pop,
                              Streams(0, 0))
    return out, applicants_table(out)


def test_phone_trace_one_agent_one_line() -> None:
    """Hand-computed, one agent, hour-long calls, one call may hold, no retrial:

    A (9:36) is answered at once and books day 2 (the earliest date a day ahead); B (9:50)
    holds and is answered when A's call ends (10:36); C (10:05) finds B holding on the only
    line: busy tone, gives up; D (14:24) is answered at once; E (14:53) holds and is answered
    at 15:24; F (15:36) holds until the line closes at 16:00 and is cut off."""
    a, b, c, d, e, f = 0.40, 0.41, 0.42, 0.60, 0.62, 0.65
    out, table = _line([a, b, c, d, e, f])
    rec = out.records
    assert table["outcome"].tolist() == ["served", "served", "abandoned", "served", "served",
                                         "abandoned"]
    answered_at = [a, a + HOUR, np.nan, d, d + HOUR, np.nan]
    np.testing.assert_allclose(rec.booked_at, answered_at)
    np.testing.assert_allclose(rec.hold_days, [0, a + HOUR - b, 0, 0, d + HOUR - e, 0])
    np.testing.assert_allclose(rec.appointment_at[[0, 1, 3, 4]], [2 + NINE, 3 + NINE,
                                                                   4 + NINE, 5 + NINE])
    np.testing.assert_allclose(table["left_at"].iloc[[2, 5]], [c, FOUR])
    assert rec.attempts.tolist() == [1] * 6
    assert rec.answered.tolist() == [1, 1, 0, 1, 1, 0]
    assert rec.requests.tolist() == [1, 1, 0, 1, 1, 0]


def test_the_last_callers_of_a_line_without_release_get_a_date_after_the_end() -> None:
    """A caller on the last day is answered and dated past the run's end (still waiting,
    censored), not told that no date is open: the line's calendar runs past the stop."""
    out, table = _line([9.40])
    rec = out.records
    assert rec.answered[0] == 1 and rec.requests[0] == 1
    assert rec.appointment_at[0] == pytest.approx(11 + NINE)
    assert table["outcome"].tolist() == ["waiting"]


def test_a_need_that_appears_at_night_calls_during_the_next_opening() -> None:
    out, _ = _line([0.9, 0.95])
    answered = out.records.booked_at
    assert ((answered >= 1 + NINE) & (answered < 1 + FOUR)).all()
    assert (out.records.outcome == SERVED).all()


def test_retrials_happen_in_opening_time() -> None:
    """A holds the only agent for 10 hours (past closing); B finds the line busy (no line to
    wait on) and redials after exponential delays counted in opening time (the line's clock
    stops overnight) until the agent is free: the next morning. Each delay is redrawn here
    from the line's own stream."""
    out, _ = _line([0.40, 0.45], handling_minutes=600, lines=0, retrial_mean_hours=0.5)
    hours = LineHours(out.scenario, out.scenario.channels["phone"], out.calendar)
    redial = Draws(Streams(0, 0)["phone.retrial.phone"], "exponential", 0.5 / 24, 1.0)
    t, calls = 0.45, 1
    while True:
        t = hours.at_clock(hours.clock(t) + redial())
        calls += 1
        assert hours.period(t) >= 0  # every call is made while the line is open
        if t >= 0.40 + 10 * HOUR:
            break
    rec = out.records
    assert rec.booked_at[1] == pytest.approx(t)
    assert rec.attempts[1] == calls and calls > 2
    assert rec.answered.tolist() == [1, 1]


def test_a_caller_told_no_date_is_open_calls_again_and_books_when_one_opens() -> None:
    """Dates open daily at 9:00, at most 3 days ahead, with a day's lead: on day 0 only the
    dates of days 1-3 are open. A, B and C take them (9:00 on days 1, 2 and 3, at least a
    day ahead: A at 9:36 gets day 2, B day 3); C is told to call again and books the date
    of day 4 once it has opened (day 1, 9:00), on a later call."""
    out, _ = _line([0.40, 0.50, 0.55], handling_minutes=6, retrial_mean_hours=1,
                   release={"kind": "daily", "hour": 9, "horizon_days": 3})
    rec = out.records
    np.testing.assert_allclose(rec.appointment_at, [2 + NINE, 3 + NINE, 4 + NINE])
    assert rec.attempts.tolist()[:2] == [1, 1] and rec.attempts[2] > 1
    assert rec.booked_at[2] >= 1 + NINE
    assert rec.answered[2] == rec.attempts[2]  # nobody held: every call was answered
    assert rec.requests.tolist() == [1, 1, 1]


def test_callers_stop_calling_when_their_need_is_gone() -> None:
    """B's need lasts 3 hours: they redial while the agent is busy, then give up for good,
    recorded as leaving when their need went."""
    spec = validate(deep_merge(LINE, {"channels": {"phone": {
        "handling_minutes": 600, "lines": 0, "retrial_mean_hours": 0.25}}}))
    pop = make_population([0.40, 0.45], ("p",), patience=[np.inf, 3 * HOUR])
    out = simulate_population(spec, build_calendar(spec.calendar, spec.horizon), pop,
                              Streams(0, 0))
    rec = out.records
    assert rec.outcome[1] == ABANDONED
    assert rec.left_at[1] == pytest.approx(0.45 + 3 * HOUR)
    assert rec.attempts[1] > 1 and rec.answered[1] == 0


def test_a_caller_still_holding_at_the_end_is_waiting() -> None:
    """The run ends at 24:00 on a line open around the clock: the caller holding then is
    censored, neither answered nor gone."""
    spec = validate(deep_merge(LINE, {"horizon": {"days": 1}, "calendar": {
        "continuous": True}, "channels": {"phone": {"handling_minutes": 600}}}))
    pop = make_population([0.7, 0.9], ("p",))
    out = simulate_population(spec, build_calendar(spec.calendar, spec.horizon), pop,
                              Streams(0, 0))
    assert out.records.outcome.tolist() == [WAITING, WAITING]  # A's date is after the end
    assert out.records.answered.tolist() == [1, 0]


def test_agents_follow_the_agent_etp_and_the_line_opens_only_with_one() -> None:
    """One ETP gives 210 minutes a day (1,277.5 h x 60 / 365), half the line's 420: the line
    answers every other day."""
    spec = validate(deep_merge(LINE, {"channels": {"phone": {"agents": None, "agent_etp": 1}}}))
    hours = LineHours(spec, spec.channels["phone"], build_calendar(spec.calendar, spec.horizon))
    assert hours.agents_by_day.tolist() == [0, 1] * 5
    assert hours.period(1.5) == 0 and hours.period(0.5) == -1


def test_phone_hours_default_to_the_calendars_and_may_differ() -> None:
    spec = validate(deep_merge(LINE, {"channels": {"phone": {"open_hour": 8,
                                                             "close_hour": 12}}}))
    hours = LineHours(spec, spec.channels["phone"], build_calendar(spec.calendar, spec.horizon))
    assert hours.start[0] == pytest.approx(8 / 24) and hours.end[0] == pytest.approx(0.5)


def test_people_without_digital_access_call_without_help() -> None:
    assert not needs_help(PhoneChannel(agents=1))
    spec = scenario(
        behaviour={"help": {"delay": {"kind": "exponential", "mean": 30}}},
        channels={"desk": {"counter_share": 0.0},
                  "phone": {"kind": "phone", "audience": "non_digital", "agents": 2,
                            "counter_share": 0.2, "route_first": True}},
    )
    table = run(spec, 3, 0).applicants
    phone = table[table["channel"] == "phone"]
    assert len(phone) > 50 and not phone["digital"].any()
    booked = phone.dropna(subset=["booked_at"])
    # no help delay: the first call is made the day the need appears (or the next opening)
    assert (booked["booked_at"] - booked["arrival_day"]).median() < 1.5


def test_phone_kpis_count_calls_and_answers() -> None:
    spec = scenario(channels={"desk": {"counter_share": 0.1},
                              "online": {"counter_share": 0.6},
                              "phone": {"kind": "phone", "agents": 1, "lines": 2,
                                        "counter_share": 0.3, "route_first": True,
                                        "procedures": ["first_title"]}})
    result = run(spec, 1, 0)
    kpis = result.kpis.set_index(["kpi", "procedure"])["value"]
    table = result.applicants
    mine = table[(table["channel"] == "phone") & table["after_warmup"]]
    assert kpis["phone_calls_per_booking", "all"] >= 1
    assert 0 < kpis["phone_answered_share", "all"] <= 1
    assert kpis["phone_hold_minutes_mean", "all"] >= 0
    assert kpis["phone_calls_per_booking", "renewal"] != kpis["phone_calls_per_booking", "renewal"]
    assert kpis["wait_days_p50.channel.phone", "all"] > 0
    assert mine["attempts"].sum() / mine["booked_at"].notna().sum() == pytest.approx(
        kpis["phone_calls_per_booking", "all"], rel=0.05)


def test_agent_etp_is_counted_in_the_staff_cost() -> None:
    base = scenario(channels={"desk": {"counter_share": 0.1}, "online": {"counter_share": 0.6},
                              "phone": {"kind": "phone", "agents": 1, "counter_share": 0.3}})
    staffed = validate({**base.model_dump(mode="json"), "channels": {
        **base.model_dump(mode="json")["channels"],
        "phone": {"kind": "phone", "agent_etp": 2.0, "counter_share": 0.3}}})
    cost = {}
    for s in (base, staffed):
        kpis = run(s, 1, 0).kpis.set_index(["kpi", "procedure"])["value"]
        cost[s is staffed] = kpis["staff_cost_eur", "all"]
    days = base.horizon.days - base.horizon.warmup_days
    assert cost[True] - cost[False] == pytest.approx(2.0 * 45000 / 365 * days)


def test_phone_channel_is_reproducible() -> None:
    spec = scenario(channels={"desk": {"counter_share": 0.1}, "online": {"counter_share": 0.5},
                              "phone": {"kind": "phone", "agent_etp": 0.5, "lines": 3,
                                        "counter_share": 0.4, "route_first": True,
                                        "no_show": {"base_probability": 0.2},
                                        "cancellation_probability": 0.1}})
    a, b = simulate(spec, 4, 1), simulate(spec, 4, 1)
    for name in ("outcome", "attempts", "answered", "hold_days", "appointment_at"):
        np.testing.assert_array_equal(getattr(a.records, name), getattr(b.records, name))
    assert a.records.missed.sum() > 0  # some miss their date and call again


def test_counter_time_that_follows_demand_knows_the_lines_and_the_routing_order() -> None:
    """Under staff.counter_time: follow_demand, the phone line routed first expects the
    non-digital demand of its procedure, and a daily-ticket desk takes its share each day."""
    from sim.engine.counter_time import expected_minutes

    spec = scenario(
        staff={"counter_time": {"rule": "follow_demand"}},
        channels={"desk": {"mode": "daily_tickets", "counter_share": 0.1},
                  "online": {"counter_share": 0.6},
                  "phone": {"kind": "phone", "audience": "non_digital", "agents": 1,
                            "counter_share": 0.3, "procedures": ["renewal"],
                            "route_first": True}})
    need = expected_minutes(spec, build_calendar(spec.calendar, spec.horizon))
    names = list(spec.channels)
    renewal = 5000 / 365 * 20 * (1 - 0.8)  # non-digital renewals, minutes a day
    assert need[names.index("phone"), 40] == pytest.approx(renewal, rel=0.01)
    out = simulate(spec, 1, 0)
    check = out.records.outcome[out.records.channel == names.index("desk")]
    assert (check == SERVED).sum() > 0
