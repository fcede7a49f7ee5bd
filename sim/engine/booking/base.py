"""What every slot-based channel shares: its appointment calendar and the life of a booking.

A channel's share of counter time is cut into dated slots (:mod:`sim.engine.slots`), split between
its procedures by ``allocation`` (by default in proportion to the counter time each procedure
demands), increased by ``overbooking_share``, and opened for booking by a release process
(one event per release moment, never one per website visit). Policies decide only who gets
a free slot: see :mod:`sim.engine.booking.race`, :mod:`sim.engine.booking.waitlist`,
:mod:`sim.engine.booking.lottery`.

A booking then lives its life, decided by the applicant's own uniforms drawn at arrival
(:data:`sim.engine.demand.LUCK_NO_SHOW` ...), so that the decision does not depend on the order of
events: with ``cancellation_probability`` it is cancelled at a uniformly random moment
before the appointment (the slot is released again; the applicant leaves); otherwise the
applicant fails to show up with a probability whose odds grow by ``odds_ratio_per_30_days``
for every 30 days of lead time (:class:`sim.scenario.channels.NoShow`); otherwise they are served.
"""

from __future__ import annotations

import numpy as np

from sim.engine.booking.interface import Context
from sim.engine.bots import Bots
from sim.engine.demand import (
    LUCK_ATTEMPTS,
    LUCK_CANCEL,
    LUCK_CANCEL_TIME,
    LUCK_NIGHT,
    LUCK_NO_SHOW,
)
from sim.engine.records import CANCELLED, NO_SHOW, WAITING
from sim.engine.sampling import binomial_quantile, poisson_quantile
from sim.engine.slots import SlotBook, allocation, release_times, slot_times, slots_per_day
from sim.scenario.channels import SlotChannelBase


def no_show_probability(lead_days: float, base: float, odds_ratio_per_30_days: float) -> float:
    """Probability of not showing up after booking ``lead_days`` ahead.

    >>> round(no_show_probability(0, 0.05, 2.3), 3), round(no_show_probability(30, 0.05, 2.3), 3)
    (0.05, 0.108)
    """
    odds = base / (1.0 - base) * odds_ratio_per_30_days ** (lead_days / 30.0)
    return odds / (1.0 + odds)


class SlotChannel:
    """Base of the race, waitlist and lottery policies."""

    def __init__(self, ctx: Context, name: str, index: int, spec: SlotChannelBase):
        self.ctx, self.name, self.index, self.spec = ctx, name, index, spec
        names = list(ctx.scenario.procedures)
        self.procedure_names = names
        self.served_codes = [names.index(p) for p in (spec.procedures or names)]
        self.book = self._build_book(ctx, spec, names)
        self._luck_columns()
        self.bots = Bots(self)
        self.per_day_minutes = np.bincount(
            np.floor(self.book.time).astype(np.int64), self.book.minutes,
            minlength=ctx.calendar.n_days,
        )[: ctx.calendar.n_days]

    def _build_book(self, ctx: Context, spec: SlotChannelBase, names: list[str]) -> SlotBook:
        procs = ctx.scenario.procedures
        if spec.allocation is not None:
            shares = {names.index(p): s for p, s in spec.allocation.items()}
        else:
            shares = allocation({c: procs[names[c]].annual_volume
                                 * procs[names[c]].counter_minutes_per_visit
                                 for c in self.served_codes})
        minutes = ctx.slot_counter_minutes * spec.counter_share * (1.0 + spec.overbooking_share)
        times, codes, lengths = [], [], []
        for code, share in shares.items():
            per_visit = procs[names[code]].counter_minutes_per_visit
            t = slot_times(ctx.slot_calendar, slots_per_day(minutes * share, per_visit))
            times.append(t)
            codes.append(np.full(t.size, code))
            lengths.append(np.full(t.size, per_visit))
        time = np.concatenate(times) if times else np.zeros(0)
        release = self._release_times(ctx, spec, time)
        return SlotBook(
            time,
            np.concatenate(codes).astype(np.int64) if codes else np.zeros(0, np.int64),
            np.concatenate(lengths) if lengths else np.zeros(0),
            release, spec.min_lead_days, spec.prebooked_days,
        )

    def _release_times(self, ctx: Context, spec: SlotChannelBase, time: np.ndarray) -> np.ndarray:
        schedule = getattr(spec, "release", None)
        if schedule is None:  # a waitlist's register sees every slot from the start
            return np.zeros(time.size)
        start_weekday = int((ctx.calendar.dates[0].astype(int) + 3) % 7)
        return release_times(schedule, time, start_weekday, ctx.streams[f"release.{self.name}"])

    def capacity_minutes(self) -> np.ndarray:
        return self.per_day_minutes

    def used_minutes(self) -> np.ndarray:
        """Counter minutes of slots actually attended (earlier applicants' bookings too)."""
        book = self.book
        attended = book.attended(self.ctx.records.outcome)
        day = np.floor(book.time[attended]).astype(np.int64)
        n = self.ctx.calendar.n_days
        return np.bincount(day, book.minutes[attended], minlength=n)[:n]

    # -- releases ---------------------------------------------------------------------
    def start(self) -> None:
        self.ctx.env.process(self._releases())
        self.bots.start()

    def _releases(self):  # type: ignore[no-untyped-def]
        env = self.ctx.env
        for at, group in self.book.release_groups():
            if at >= self.ctx.horizon:
                return
            if at > env.now:
                yield env.timeout(at - env.now)
            self.on_release(self.book.open(group))

    def on_release(self, procedures: set[int]) -> None:
        """Free slots appeared for these procedures (release or cancellation)."""
        raise NotImplementedError

    # -- the life of a booking -----------------------------------------------------------
    def book_slot(self, i: int, p: int, now: float | None = None) -> None:
        """Give applicant ``i`` the earliest bookable free slot of procedure ``p`` at ``now``
        (by default the clock's time; the race resolves bursts ahead of the clock)."""
        now = self.ctx.env.now if now is None else now
        self.settle(i, self.book.take(p, i, now), now)

    def settle(self, i: int, s: int, now: float) -> None:
        """Applicant ``i`` holds slot ``s`` from ``now`` on: cancelled, missed, or served."""
        ctx, book = self.ctx, self.book
        rec = ctx.records
        at = book.time_list[s]
        rec.booked_at[i], rec.slot[i], rec.appointment_at[i] = now, s, at
        if at >= ctx.horizon:
            return  # dated after the horizon: still waiting when the run ends (censored)
        if self._cancels is not None and self._cancels[i]:
            when = now + self._cancel_moment[i] * (at - now)
            ctx.env.timeout(when - ctx.env.now).callbacks.append(lambda _e: self._cancel(i, s))
            return
        ns = self.spec.no_show
        if ns is not None and self._no_show_draw[i] < no_show_probability(
            at - now, ns.base_probability, ns.odds_ratio_per_30_days
        ):
            rec.outcome[i], rec.left_at[i] = NO_SHOW, at
            return
        rec.serve(i, at, book.minutes_list[s])

    # -- what the resale market needs to know -------------------------------------------
    def is_seeking(self, i: int) -> bool:
        """Is applicant ``i`` still looking for a slot in this channel?"""
        rec = self.ctx.records
        return bool(rec.outcome[i] == WAITING and np.isnan(rec.booked_at[i]))

    def withdraw(self, i: int) -> None:
        """Applicant ``i`` stops looking (they bought a slot)."""

    def changed(self, p: int) -> None:
        """The competition for ``p`` changed (a sale, a bot giving a slot up)."""

    def _luck_columns(self) -> None:
        """The applicants' own coin flips for this channel's booking life, as lists."""
        luck, spec = self.ctx.population.luck, self.spec
        self._cancels = (
            (luck[:, LUCK_CANCEL] < spec.cancellation_probability).tolist()
            if spec.cancellation_probability > 0 else None
        )
        self._cancel_moment = luck[:, LUCK_CANCEL_TIME].tolist() if self._cancels else []
        self._no_show_draw = luck[:, LUCK_NO_SHOW].tolist() if spec.no_show else []

    def _cancel(self, i: int, s: int) -> None:
        rec = self.ctx.records
        rec.outcome[i], rec.left_at[i] = CANCELLED, self.ctx.env.now
        self.on_release(self.book.cancel((s,)))

    # -- the end ----------------------------------------------------------------------
    def close(self) -> None:
        self.book.expire_remaining()
        self.count_attempts()

    def looking_rate(self, members: np.ndarray) -> np.ndarray:
        """Requests per day each applicant makes while looking (race overrides)."""
        return np.zeros(members.size)

    def failed_exposure(self, members: np.ndarray, start: np.ndarray,
                        until: np.ndarray) -> np.ndarray:
        """Days during which a request by each member could fail (race overrides)."""
        return np.maximum(until - start, 0.0)

    def count_attempts(self) -> None:
        """Attempts: one request per booking or registration, plus the unsuccessful visits
        of seekers who poll, as Poisson draws over the time each spent looking while no
        bookable slot was free (a check made while one is free books it)."""
        ctx = self.ctx
        rec, pop = ctx.records, ctx.population
        members = np.flatnonzero(rec.channel == self.index)
        booked = ~np.isnan(rec.booked_at[members])
        until = np.where(booked, rec.booked_at[members], ctx.horizon)
        left = rec.left_at[members]
        until = np.where(~booked & ~np.isnan(left), left, until)
        exposure = self.failed_exposure(members, pop.arrival[members], until)
        failed = poisson_quantile(pop.luck[members, LUCK_ATTEMPTS],
                                  self.looking_rate(members) * exposure)
        attempts = self.base_attempts(members, booked) + failed
        night = np.array([c.night_share for c in ctx.scenario.behaviour.seekers])
        rec.attempts[members] = attempts
        rec.night_attempts[members] = binomial_quantile(
            pop.luck[members, LUCK_NIGHT], attempts, night[pop.seeker_class[members]])

    def base_attempts(self, members: np.ndarray, booked: np.ndarray) -> np.ndarray:
        """Registration-type channels: one request each."""
        return np.ones(members.size, dtype=np.int64)
