"""What every slot-based channel shares: its appointment calendar and the life of a booking.

A channel's share of counter time is cut into dated slots (:mod:`sim.engine.slots`), split
between its procedures by ``allocation`` (by default in proportion to the counter time each
procedure demands), increased by ``overbooking_share``, and opened for booking by a release
process (one event per release moment, never one per website visit). Policies decide only who gets
a free slot: see :mod:`sim.engine.booking.race`, :mod:`sim.engine.booking.waitlist`,
:mod:`sim.engine.booking.lottery`.

A booking then lives its life: :mod:`sim.engine.booking.life`. Slots are cut from counter
time by :mod:`sim.engine.booking.slotting`.
"""

from __future__ import annotations

import numpy as np

from sim.engine.booking.interface import Context
from sim.engine.booking.life import BookingLife
from sim.engine.booking.slotting import cut_slots, last_slot_day
from sim.engine.bots import Bots
from sim.engine.calendar import reopening
from sim.engine.demand import LUCK_NIGHT
from sim.engine.probe import WatchedBook
from sim.engine.records import WAITING
from sim.engine.sampling import binomial_quantile
from sim.engine.slots import SlotBook, release_times
from sim.engine.timing import channel_grid
from sim.scenario.channels import RaceChannel, SlotChannelBase


def firm_days(spec: SlotChannelBase) -> float:
    """How long before its date a register that dates every request at once assigns a slot
    for good: its minimum lead, or its reminder if later (at least a day)."""
    reminder = spec.confirmation.days_before if spec.confirmation is not None else 0.0
    return float(np.ceil(max(spec.min_lead_days, reminder, 1.0)))


def week_phase(ctx: Context) -> float:
    """Week time of the run's day 0 (its weekday, Monday = 0)."""
    return float((ctx.calendar.dates[0].astype("datetime64[D]").astype(np.int64) + 3) % 7)


class SlotChannel(BookingLife):
    """Base of the race, waitlist and lottery policies."""

    def __init__(self, ctx: Context, name: str, index: int, spec: SlotChannelBase):
        self.ctx, self.name, self.index, self.spec = ctx, name, index, spec
        names = list(ctx.scenario.procedures)
        self.procedure_names = names
        self.served_codes = [names.index(p) for p in (spec.procedures or names)]
        self.book = self._build_book(ctx, spec, names)
        self._life_draws()
        # the week's bins on which checkers' intensities are constant (sim.engine.timing)
        phase = week_phase(ctx)
        self.grid = channel_grid(ctx.scenario.behaviour, list(ctx.scenario.bots.values()),
                                 getattr(spec, "release", None), phase)
        if ctx.scenario.courts is not None and isinstance(spec, RaceChannel):
            # court orders book from notice_days ahead (sim.engine.booking.courts); added
            # before the bots' leads, whose tier numbers must not move afterwards
            self.book.add_lead(ctx.scenario.courts.notice_days)
        self.bots = Bots(self)
        self.per_day_minutes = np.bincount(
            np.floor(self.book.time).astype(np.int64), self.book.minutes,
            minlength=ctx.calendar.n_days,
        )[: ctx.calendar.n_days]

    def _build_book(self, ctx: Context, spec: SlotChannelBase, names: list[str]) -> SlotBook:
        last = last_slot_day(spec, ctx.stop, ctx.slot_calendar.n_days)
        cut = cut_slots(ctx.scenario, spec, ctx.slot_calendar, ctx.slot_counter_minutes, last,
                        ctx.shares.get(self.name))
        time = np.concatenate([t for _, t, _ in cut]) if cut else np.zeros(0)
        release = self._release_times(ctx, spec, time)
        args = (
            time,
            np.concatenate([np.full(t.size, c) for c, t, _ in cut]).astype(np.int64)
            if cut else np.zeros(0, np.int64),
            np.concatenate([np.full(t.size, m) for _, t, m in cut]) if cut else np.zeros(0),
            release, spec.min_lead_days, spec.prebooked_days,
        )
        probe = ctx.scenario.probe
        if probe is None or not isinstance(spec, RaceChannel):  # it reads race pages only
            return SlotBook(*args)
        env = ctx.env
        return WatchedBook(*args, clock=lambda: env.now, spec=probe, phase=week_phase(ctx),
                           procedures=self.served_codes)

    def _release_times(self, ctx: Context, spec: SlotChannelBase, time: np.ndarray) -> np.ndarray:
        schedule = getattr(spec, "release", None)
        if schedule is None:  # a register that dates requests assigns slots firm_days ahead
            return np.floor(time) - firm_days(spec)
        start_weekday = int((ctx.calendar.dates[0].astype(int) + 3) % 7)
        release = release_times(schedule, time, start_weekday,
                                ctx.streams[f"release.{self.name}"])
        return reopening(ctx.slot_calendar, release)  # nothing opens while closed

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

    release_delay = 0.0  # a batch release opens its slots at the end of its window

    def _releases(self):  # type: ignore[no-untyped-def]
        env = self.ctx.env
        for at, group in self.book.release_groups():
            when = at + self.release_delay
            if when >= self.ctx.stop:
                return
            if when > env.now:
                yield env.timeout(when - env.now)
            # slots a court order took before their release are not released to the public
            self.released(group[self.book.state[group] == SlotBook.UNRELEASED], at)

    def released(self, group: np.ndarray, at: float) -> None:
        """The slots of ``group``, released at ``at``, open now."""
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

    def admit(self, i: int) -> None:
        """Applicant ``i`` starts looking for a slot now (each policy's own)."""
        raise NotImplementedError

    def readmit(self, i: int) -> None:
        """Applicant ``i``, who missed their appointment, looks for another one now."""
        self.admit(i)

    # -- what the resale market needs to know -------------------------------------------
    def is_seeking(self, i: int) -> bool:
        """Is applicant ``i`` still looking for a slot in this channel?"""
        rec = self.ctx.records
        return bool(rec.outcome[i] == WAITING and rec.slot[i] < 0)

    def withdraw(self, i: int) -> None:
        """Applicant ``i`` stops looking (they bought a slot)."""

    def changed(self, p: int) -> None:
        """The competition for ``p`` changed (a sale, a bot giving a slot up)."""

    # -- the end ----------------------------------------------------------------------
    def close(self) -> None:
        self.book.expire_remaining()
        self.count_attempts()

    def count_attempts(self) -> None:
        """Registration channels: one request per registration, nothing else (nobody polls);
        night requests a binomial share by the applicant's seeker class."""
        rec, pop = self.ctx.records, self.ctx.population
        members = np.flatnonzero(rec.channel == self.index)
        night = np.array([c.night_share for c in self.ctx.scenario.behaviour.seekers])
        rec.attempts[members] = rec.requests[members]
        rec.night_attempts[members] = binomial_quantile(
            pop.luck[members, LUCK_NIGHT], rec.requests[members],
            night[pop.seeker_class[members]])
