"""Court-ordered appointments: the référé mesures utiles as a channel ahead of the others.

An applicant who has looked for weeks without finding a date may go to the administrative
court, which orders the prefecture to give them an appointment within a deadline, often
under a daily penalty. Appointment cases became "un contentieux de masse" (3,686 référés
at the tribunal administratif of Montreuil in 2022); the Senate (report n° 626, 2021-2022)
calls the courts a "pré-guichet" of the prefectures. A court-ordered appointment takes a
slot ahead of everyone else, so it shortens the wait of those who go to court and
lengthens that of the others.

The story of one case, in the race channels (:mod:`sim.engine.booking.race`):

1. the applicant becomes *eligible* once they have failed in ``weeks_of_attempts``
   different calendar weeks (:mod:`sim.engine.eligibility`, which states the rule and its
   approximation); only their first search counts;
2. with ``going_share`` (their own uniform) an eligible applicant still looking then files
   a case; the court decides ``delay`` days after eligibility (filing, then the judge);
3. if they are still looking at the decision, the order is executed at once: the
   prefecture gives them the earliest slot of their procedure at least ``notice_days``
   ahead (the convocation), a free released one or one not yet released, which is then
   not released to the public; the order is *late* when that slot falls after
   ``deadline_days``. A case whose applicant booked or gave up meanwhile is decided all
   the same (it counts in the court's figures) and orders nothing;
4. the booking then lives its life like any other (:mod:`sim.engine.booking.life`).

Every case is granted: rejections are not modelled (no rate is published; a rejected case
counts in the court's figures as much as a granted one). Costs per case (court,
prefecture) are counted by :mod:`sim.analysis.court_kpis`. The cost in events: two per
applicant who would go to court (the day they become eligible, and the decision), none
for the others, whose eligibility is read off the race's search log at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import simpy

from sim.engine.booking.base import week_phase
from sim.engine.booking.interface import Channel, Context
from sim.engine.booking.race import Race
from sim.engine.eligibility import court_draws, eligible_times
from sim.engine.slots import SlotBook

CHUNK = 4096  # slots scanned at once when looking for one not yet released


class CourtOrders:
    """The court cases of every race channel of a run."""

    def __init__(self, ctx: Context, races: Sequence[Race], entry: np.ndarray):
        spec = ctx.scenario.courts
        assert spec is not None
        self.ctx, self.spec, self.races = ctx, spec, list(races)
        pop, rec = ctx.population, ctx.records
        draws = court_draws(spec, pop, ctx.frame, ctx.streams)
        self.eligible = np.full(pop.size, np.inf)  # as if every visit failed
        self.race_of: dict[int, Race] = {}
        for race in self.races:
            members = np.flatnonzero(rec.channel == race.index)
            self.eligible[members] = eligible_times(
                entry[members], race.classes[members], race.profiles,
                draws.attempts[members], week_phase(ctx))
        goes = (draws.going < spec.going_share) & (self.eligible < ctx.stop)
        goes &= np.isin(rec.channel, [race.index for race in self.races])
        candidates = np.flatnonzero(goes)
        self._who = candidates[np.argsort(self.eligible[candidates], kind="stable")].tolist()
        self._when = self.eligible[self._who].tolist()
        self._next = 0
        self.delay = draws.delay
        self._need_until = ctx.column("need_until", lambda: pop.arrival + pop.patience)
        self._proc = pop.procedure.tolist()
        for race in self.races:
            for i in candidates[rec.channel[candidates] == race.index].tolist():
                self.race_of[i] = race
        self._by_time = {(race.index, p): self._time_order(race.book, p)
                         for race in self.races for p in race.served_codes}

    @staticmethod
    def _time_order(book: SlotBook, p: int) -> tuple[np.ndarray, np.ndarray]:
        """The slots of ``p`` in time order, and their times."""
        mine = np.flatnonzero(book.procedure == p)
        mine = mine[np.argsort(book.time[mine], kind="stable")]
        return mine, book.time[mine]

    # -- events ------------------------------------------------------------------------
    def start(self) -> None:
        self._schedule()

    def _schedule(self) -> None:
        if self._next < len(self._when):
            env = self.ctx.env
            env.timeout(self._when[self._next] - env.now).callbacks.append(self._eligible)

    def _looking(self, i: int, now: float) -> bool:
        """Is ``i`` still on their first search at ``now``?"""
        rec = self.ctx.records
        return bool(rec.missed[i] == 0 and self._need_until[i] > now
                    and self.race_of[i].is_seeking(i))

    def _eligible(self, _event: simpy.events.Event) -> None:
        """The next candidate becomes eligible: if still looking, they file a case."""
        i = self._who[self._next]
        self._next += 1
        env = self.ctx.env
        if self._looking(i, env.now):
            decided = env.now + float(self.delay[i])
            self.ctx.records.court_at[i] = decided
            if decided < self.ctx.stop:
                env.timeout(decided - env.now).callbacks.append(partial(self._order, i))
        self._schedule()

    def _order(self, i: int, _event: simpy.events.Event) -> None:
        """The court orders an appointment for ``i``: executed if they still need it."""
        now = self.ctx.env.now
        if not self._looking(i, now):
            return  # booked or gave up meanwhile: nothing to order
        race, p = self.race_of[i], self._proc[i]
        book, tier = race.book, self._tier(race.book)
        free = book.earliest(p, now, tier) if book.has_free(p, now, tier) else np.inf
        s = self._unreleased(race, p, now + self.spec.notice_days, free)
        if s < 0 and free == np.inf:
            return  # the appointment calendar holds no slot at all
        race.withdraw(i)
        if s >= 0:
            book.claim(s, i, now)  # taken off the next release
        else:
            s = book.take(p, i, now, tier=tier)  # the earliest free slot, ahead of all
        self.ctx.records.court_slot[i] = s
        race.settle(i, s, now)
        race.changed(p)  # a seeker and perhaps a free slot are gone: the race redraws

    def _tier(self, book: SlotBook) -> int:
        """The slot tier of dates at least ``notice_days`` ahead (looked up by its lead:
        its index moves if a shorter lead is added later)."""
        notice = self.spec.notice_days
        return book.leads.index(notice) + 1 if notice > book.min_lead else 0

    def _unreleased(self, race: Race, p: int, after: float, before: float) -> int:
        """The earliest slot of ``p`` not yet released, dated from ``after`` and before
        ``before`` (the earliest free one); -1 if none."""
        book = race.book
        slots, times = self._by_time[race.index, p]
        k = int(np.searchsorted(times, after))
        while k < slots.size and times[k] < before:
            chunk = slots[k:k + CHUNK]
            hit = np.flatnonzero(book.state[chunk] == SlotBook.UNRELEASED)
            if hit.size:
                s = int(chunk[hit[0]])
                return s if book.time[s] < before else -1
            k += CHUNK
        return -1

    # -- the end -----------------------------------------------------------------------
    def close(self) -> None:
        """Eligibility of everyone in the race channels: eligible if still on their first
        search at the date drawn (read off each race's search log)."""
        rec = self.ctx.records
        first_end = np.full(rec.outcome.size, np.inf)
        for race in self.races:
            who, _, end = (np.asarray(x) for x in race.log.periods)
            if who.size:
                np.minimum.at(first_end, who.astype(np.int64), end.astype(float))
        eligible = self.eligible < first_end
        rec.eligible_at[eligible] = self.eligible[eligible]


def attach_courts(ctx: Context, channels: Sequence[Channel],
                  entry: np.ndarray) -> CourtOrders | None:
    """The court cases of a run, if its scenario has courts and a race channel."""
    races = [ch for ch in channels if isinstance(ch, Race)]
    if ctx.scenario.courts is None or not races:
        return None
    return CourtOrders(ctx, races, entry)
