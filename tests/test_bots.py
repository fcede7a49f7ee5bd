"""Bots, resellers and countermeasures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import scenario

from sim.analysis.metrics import applicants_table
from sim.engine.model import SimOutput, simulate
from sim.engine.slots import SlotBook
from sim.engine.timing import bot_profiles, channel_grid
from sim.experiments.experiment import run
from sim.scenario import Behaviour
from sim.scenario.channels import ReleaseSchedule
from sim.scenario.countermeasures import BotOperator, Countermeasures
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import validate, variant


def bot_scenario(kind: str = "race", mode: str = "speculative", releases: bool | None = None,
                 **measures: Any) -> Any:
    """The small scenario, congested (full calendar), with one bot operator; a waitlist
    dates every request at once unless ``releases`` (then it opens slots daily)."""
    online: dict[str, Any] = {"kind": kind, "counter_share": 0.8, "prebooked_days": 30}
    if kind != "waitlist" or releases:
        online["release"] = {"kind": "daily", "hour": 0, "horizon_days": 30}
    spec = scenario(
        horizon={"days": 150, "warmup_days": 30},
        staff={"front_office_etp": 3},
        channels={"online": online},
        behaviour={"resale": {"pay_share": 0.4, "buy_after_days": 10}},
    )
    data = spec.model_dump(mode="json")
    data["bots"] = {"reseller": {"mode": mode, "requests_per_day": 200_000, "identities": 40}}
    data["countermeasures"] = measures
    return validate(data)


def kpi(out_kpis, name: str, procedure: str = "all") -> float:  # type: ignore[no-untyped-def]
    rows = out_kpis[(out_kpis["kpi"] == name) & (out_kpis["procedure"] == procedure)]
    return float(rows["value"].item())


def check_slot_conservation(out: SimOutput) -> None:
    """Every slot opened (released, or released again) was booked by a person, booked by a
    bot, or left unbooked; a slot held by a bot is never held by a person at the same time."""
    for book in out.books.values():
        by_bot = np.asarray(book.log_by_bot, dtype=bool)
        by_people = ~by_bot
        assert book.n_opened == by_people.sum() + by_bot.sum() + book.n_expired
        assert (book.state != book.FREE).all()  # settled at the horizon
        sold = [s for s, *_ in book.sales]
        assert len(set(sold)) == len(sold)  # a slot is sold at most once per booking
        assert (book.holder[book.holder >= 0] < out.population.size).all()


@pytest.mark.parametrize("kind", ["race", "waitlist", "lottery"])
@pytest.mark.parametrize("mode", ["speculative", "for_hire"])
def test_slots_are_conserved(kind: str, mode: str) -> None:
    out = simulate(bot_scenario(kind, mode), 3, 0)
    check_slot_conservation(out)


def test_speculative_bots_capture_and_resell() -> None:
    """A fast operator takes a large share of a congested race and sells most of what it
    stocks (it stocks only what it expects to sell)."""
    out = simulate(bot_scenario(), 3, 0)
    book = out.books["online"]
    assert len(book.sales) > 0.5 * sum(book.log_by_bot)
    result = run(bot_scenario(), 3, 0)
    assert kpi(result.kpis, "bot_slot_share") > 0.2
    assert kpi(result.kpis, "paid_booking_share") > 0
    assert kpi(result.kpis, "reseller_revenue_eur") > 0
    table = result.applicants
    paid = table[table["paid_eur"] > 0]
    assert paid["booked_at"].notna().all()
    # buyers paid only after failing for buy_after_days
    assert (paid["booked_at"] - paid["arrival_day"] >= 10 - 1e-9).all()


def test_no_bots_means_no_bot_share() -> None:
    spec = bot_scenario()
    data = spec.model_dump(mode="json")
    data["bots"] = {}
    result = run(validate(data), 3, 0)
    assert kpi(result.kpis, "bot_slot_share") == 0
    assert kpi(result.kpis, "paid_booking_share") == 0
    assert kpi(result.kpis, "malicious_requests_per_day") == 0


@pytest.mark.parametrize("kind", ["race", "waitlist", "lottery"])
def test_name_bound_bookings_stop_speculation(kind: str) -> None:
    out = simulate(bot_scenario(kind, name_bound=True), 3, 0)
    book = out.books["online"]
    assert not any(book.log_by_bot)
    assert (book.holder != SlotBook.BOT).all()


def test_agdref_check_stops_speculative_renewals() -> None:
    out = simulate(bot_scenario(agdref_check=True), 3, 0)
    book = out.books["online"]
    renewal = out.population.procedures.index("renewal")
    by_bot = np.asarray(book.log_by_bot, dtype=bool)
    slots = np.asarray(book.log_slot, dtype=np.int64)
    assert by_bot.any()  # first titles are still captured
    assert not (by_bot & (book.procedure[slots] == renewal)).any()


def test_for_hire_wastes_nothing_and_every_bot_booking_is_paid() -> None:
    out = simulate(bot_scenario(mode="for_hire"), 3, 0)
    book, rec = out.books["online"], out.records
    by_bot = np.asarray(book.log_by_bot, dtype=bool)
    who = np.asarray(book.log_applicant, dtype=np.int64)
    assert by_bot.any()
    assert (who[by_bot] >= 0).all()  # booked in the client's name
    assert (rec.paid_eur[who[by_bot]] > 0).all()
    assert (book.holder != SlotBook.BOT).all()


def test_more_filtering_lowers_bot_share_and_serves_more() -> None:
    """Paired over replications under the same seed: 99 % t-intervals of the differences.

    An operator polling every ten minutes or so takes about a fifth of a congested race's
    bookings: as many as it can sell. Filtering 95 % of its requests leaves it slower than
    the people it competes with: its share falls and, since it no longer gives up unsold
    slots, more people are served. (Filtering only helps when it brings a bot's effective
    intensity down to people's: a bot polling every second is still faster than any person
    with 95 % of its requests blocked. Waits are not asserted: resale moves buyers, who
    have waited longest, ahead of the others, so without it the long waits of payers grow
    while the others' shrink.)
    """
    longer = ["horizon.days=240", "bots.reseller.requests_per_day=300"]
    diffs: dict[str, list[float]] = {"bot_slot_share": [], "served": []}
    for r in range(6):
        low = run(variant(bot_scenario(filtered_share=0.0), longer), 21, r).kpis
        high = run(variant(bot_scenario(filtered_share=0.95), longer), 21, r).kpis
        for name, values in diffs.items():
            values.append(kpi(high, name) - kpi(low, name))
    for name, values in diffs.items():
        d = np.array(values) * (-1 if name == "served" else 1)  # more served is better
        half = 4.032 * d.std(ddof=1) / np.sqrt(d.size)  # t(0.995, 5)
        assert d.mean() + half < 0, (name, d)


def test_per_email_cap_limits_holdings() -> None:
    """40 identities x 1 booking each: at every bot booking, the bookings still counted
    (until the daily sweep after ``unsold_release_days`` before their date) are <= 40."""
    spec = bot_scenario(per_email_cap=1)
    out = simulate(spec, 3, 0)
    book = out.books["online"]
    by_bot = np.asarray(book.log_by_bot, dtype=bool)
    when = np.asarray(book.log_time)[by_bot]
    slot = np.asarray(book.log_slot, dtype=np.int64)[by_bot]
    counted_until = np.ceil(book.time[slot] - spec.bots["reseller"].unsold_release_days)
    assert when.size > 40  # the cap binds again and again over the run
    held = [((when <= t) & (counted_until > t)).sum() for t in when]
    assert max(held) <= 40


def test_prices_follow_the_operators_distribution() -> None:
    """Mean sale price within a 99 % interval of the lognormal's mean (120 EUR, cv 0.4)."""
    table = applicants_table(simulate(bot_scenario(), 5, 0))
    prices = table.loc[table["paid_eur"] > 0, "paid_eur"].to_numpy()
    assert prices.size > 100
    half = 2.576 * 0.4 * 120 / np.sqrt(prices.size)
    assert abs(prices.mean() - 120) < half


def test_passing_and_blocked_requests_add_up() -> None:
    """In every bin, passing + blocked <= sent (requests the operator could not solve in
    time are neither), for plain, filtered and CAPTCHA-protected pages, with a burst."""
    op = BotOperator(requests_per_day=1e4, identities=100, release_poll_interval_seconds=0.5)
    schedule = ReleaseSchedule(kind="weekly", weekday=0, hour=9.0)
    grid = channel_grid(Behaviour(), [op], schedule, 0.0)
    for m in (Countermeasures(), Countermeasures(filtered_share=0.3),
              Countermeasures(captcha=True, captcha_pass_rate=0.2, filtered_share=0.5)):
        sent, passed, blocked = bot_profiles(op, m, grid, schedule, 4)
        for s, p, b in zip(sent.values, passed.values, blocked.values, strict=True):
            assert 0 <= p <= s and b >= 0
            assert p + b <= s * (1 + 1e-12)
        assert max(sent.values) == pytest.approx(86400 / 0.5)  # the burst, per page
        assert min(sent.values) == pytest.approx(1e4 / 4)  # the rest of the week


def test_switching_the_channel_kind_keeps_the_bots() -> None:
    spec = variant(bot_scenario(), ["channels.online.kind=lottery"])
    assert spec.channels["online"].kind == "lottery" and "reseller" in spec.bots


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"countermeasures": {"captcha_pass_rate": 1.5}},
         "countermeasures.captcha_pass_rate = 1.5"),
        ({"countermeasures": {"filtered_share": -0.1}}, "countermeasures.filtered_share"),
        ({"bots": {"x": {"requests_per_day": 10, "price": {"mean_eur": -5}}}},
         "bots.x.price.mean_eur = -5"),
        ({"bots": {"x": {"requests_per_day": -1}}}, "bots.x.requests_per_day = -1"),
        ({"bots": {"x": {"requests_per_day": 10, "mode": "hoarder"}}},
         "bots.x.mode = 'hoarder'"),
        ({"bots": {"x": {"requests_per_day": 10, "procedures": ["visa"]}}},
         "bots.x.procedures: unknown procedure(s) ['visa']"),
        ({"behaviour": {"resale": {"pay_share": 2}}}, "behaviour.resale.pay_share = 2"),
    ],
)
def test_bad_bot_input_names_the_field(changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario(**changes)
    assert any(expected in line for line in err.value.problems), err.value.problems


@pytest.mark.slow
def test_capture_bursts_resolve_the_same_race(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tight loop of bot captures (``Race._captures``) is a shortcut, not a model: with
    it and without it (every check through the scheduler), the KPIs of the race with bots
    agree over 12 seeds, at a volume where people and bots share the slots and at one
    where bots take nearly all. |z| < 4 on each KPI (Welch z of the difference of means)."""
    import sys
    from pathlib import Path

    from sim.analysis.metrics import kpi_table
    from sim.engine.booking.race import Race

    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    from bench_bots import scenario as race_year

    names = ["bot_slot_share", "paid_booking_share", "wasted_slot_share", "wait_days_p50",
             "abandoned_share", "attempts_per_booking"]

    def kpis(spec: Any) -> np.ndarray:
        rows = []
        for seed in range(12):
            out = simulate(spec, seed, 0)
            table = kpi_table(out, applicants_table(out)).query("procedure == 'all'")
            rows.append(table.set_index("kpi").loc[names, "value"].to_numpy())
        return np.array(rows)

    real, looped = Race._captures, []

    def counting(self: Race, *args: Any) -> bool:
        looped.append(real(self, *args))
        return looped[-1]

    for volume in (3e4, 1e8):
        spec = race_year(volume, 0.2)
        looped.clear()
        with monkeypatch.context() as m:
            m.setattr(Race, "_captures", counting)
            with_loop = kpis(spec)
        assert sum(looped) > 1000  # the loop did take over, again and again
        with monkeypatch.context() as m:
            m.setattr(Race, "_captures", lambda self, *args: False)
            plain = kpis(spec)
        se = np.sqrt(with_loop.var(axis=0, ddof=1) / 12 + plain.var(axis=0, ddof=1) / 12)
        z = (with_loop.mean(axis=0) - plain.mean(axis=0)) / se
        assert (np.abs(z) < 4).all(), dict(zip(names, z.round(2), strict=True))


@pytest.mark.parametrize("kind", ["race", "lottery"])
def test_speculators_hold_only_slots_they_could_sell(kind: str) -> None:
    """A slot booked under an invented name is dated more than ``unsold_release_days``
    ahead, or is sold on the spot to a buyer already in the market; every sale goes to a
    buyer still within their patience, at the operators' daily round (midnight) or at the
    moment a bot books the slot. (A waitlist gives its slots to registered requests first,
    bots only take what is left: see the next tests.)"""
    spec = bot_scenario(kind)
    out = simulate(spec, 4, 0)
    book, pop = out.books["online"], out.population
    lead = spec.bots["reseller"].unsold_release_days
    slot = np.asarray(book.log_slot, dtype=np.int64)
    when = np.asarray(book.log_time)
    stock = np.asarray(book.log_applicant) == SlotBook.BOT
    def booked_at(s: int) -> list[float]:
        return when[stock & (slot == s)].tolist()

    sold_at: dict[int, list[float]] = {}
    for s, buyer, t, _ in book.sales:
        assert t < pop.arrival[buyer] + pop.patience[buyer]
        assert t <= book.time[s] - lead or t in booked_at(s), (s, t)  # never a stale slot
        sold_at.setdefault(s, []).append(t)
    assert stock.sum() > 50 and len(book.sales) > 10
    close = stock & (book.time[slot] - when < lead)
    assert close.any()  # some slots were booked close to their date, for a buyer
    for s, t in zip(slot[close], when[close], strict=True):
        assert t in sold_at.get(s, []), (s, t)  # sold the moment it was booked
    for s, times in sold_at.items():
        for t in times:
            assert t == np.floor(t) or t in booked_at(s), (s, t)


def test_nobody_buys_from_speculators_when_every_request_has_a_date() -> None:
    """A waitlist that dates every request at once leaves nobody looking, hence nobody to
    sell to: an operator that counts its money stocks nothing."""
    out = simulate(bot_scenario("waitlist"), 4, 0)
    book = out.books["online"]
    assert not any(book.log_by_bot) and not book.sales


def test_a_register_leaves_speculators_only_the_leftovers() -> None:
    """A waitlist that opens slots daily gives them to the registered requests first, in
    order: in a congested office nothing is left over for an operator to stock."""
    out = simulate(bot_scenario("waitlist", releases=True), 4, 0)
    book = out.books["online"]
    assert not any(book.log_by_bot) and not book.sales
    assert len(book.log_slot) > 1000  # people did book
