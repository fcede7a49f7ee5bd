"""The appointment calendar: counter time turned into dated slots per procedure.

Each open day, a channel receives a share of the front office's counter minutes; that time
is split between the procedures it serves (by default in proportion to the counter time they
demand: annual volume times minutes per visit) and cut into slots of each procedure's
``counter_minutes_per_visit``. Fractions of a slot carry over to the next open day, so that
over the horizon the number of slots matches the counter time exactly. Slots of a day are
spread evenly over its opening hours.

Slots open for booking on a release schedule (:func:`release_times`): daily at an hour, in
weekly batches, at random moments, or continuously, never more than the booking horizon
ahead. A :class:`SlotBook` holds one channel's slots and their state.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

import numpy as np

from sim.engine.calendar import Calendar
from sim.engine.records import SERVED
from sim.scenario.channels import ReleaseSchedule


def slots_per_day(minutes: np.ndarray, minutes_per_slot: float) -> np.ndarray:
    """Whole slots per day from counter minutes, carrying fractions forward.

    >>> slots_per_day(np.array([50.0, 50.0, 0.0, 50.0]), 30.0).tolist()
    [1, 2, 0, 2]
    """
    cumulative = np.floor(np.cumsum(minutes) / minutes_per_slot + 1e-9)
    return np.diff(cumulative, prepend=0.0).astype(np.int64)


def slot_times(calendar: Calendar, per_day: np.ndarray) -> np.ndarray:
    """Start time (days since start) of every slot, sorted.

    >>> import datetime as dt
    >>> from sim.engine.calendar import build_calendar
    >>> from sim.scenario import CalendarSpec, Horizon
    >>> cal = build_calendar(CalendarSpec(continuous=True), Horizon(days=2))
    >>> slot_times(cal, np.array([2, 1])).tolist()
    [0.0, 0.5, 1.0]
    """
    day = np.repeat(np.arange(len(per_day)), per_day)
    rank = np.arange(day.size) - np.repeat(np.cumsum(per_day) - per_day, per_day)
    span = calendar.close_at[day] - calendar.open_at[day]
    return calendar.open_at[day] + span * rank / per_day[day]


def allocation(weights: dict[int, float]) -> dict[int, float]:
    """Normalise non-negative weights to shares summing to 1 (equal shares if all zero).

    >>> allocation({0: 3.0, 1: 1.0})
    {0: 0.75, 1: 0.25}
    """
    total = sum(weights.values())
    if total <= 0:
        return {k: 1.0 / len(weights) for k in weights}
    return {k: w / total for k, w in weights.items()}


def release_times(
    schedule: ReleaseSchedule, slot_time: np.ndarray, start_weekday: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """When each slot opens for booking (never after the slot itself; a negative time means
    it opened before the simulation started: it is free from the start).

    >>> from sim.scenario.channels import ReleaseSchedule
    >>> rng = np.random.default_rng(0)
    >>> t = np.array([10.5, 11.25, 30.5])
    >>> release_times(ReleaseSchedule(kind="daily", hour=8, horizon_days=7), t, 0, rng).round(3)
    array([ 3.333,  4.333, 23.333])
    >>> release_times(ReleaseSchedule(kind="weekly", weekday=2, horizon_days=14), t, 0, rng)
    array([ 2.,  2., 23.])
    """
    day = np.floor(slot_time)
    ahead = np.floor(schedule.horizon_days)
    if schedule.kind == "daily":
        release = day - ahead + schedule.hour / 24.0
    elif schedule.kind == "weekly":
        offset = (schedule.weekday - start_weekday) % 7 + schedule.hour / 24.0
        k = np.ceil((slot_time - schedule.horizon_days - offset) / 7.0)
        release = 7.0 * k + offset
    elif schedule.kind == "random":
        days = day.astype(np.int64)
        moment = rng.random(int(days.max()) + 1 if days.size else 0)
        release = day - ahead + moment[days]
    else:  # continuous
        release = slot_time - schedule.horizon_days * rng.random(slot_time.size)
    return np.minimum(release, slot_time)


class SlotBook:
    """The slots of one channel: when each takes place and opens, and who holds it.

    Free released slots wait in heaps per procedure, earliest appointment first. A slot
    too close to be booked (less than ``min_lead`` ahead) when it reaches the top is expired:
    it will be counted as wasted. Every booking and cancellation is logged for the tests
    and the tables.

    Some bookers want only slots far enough ahead (a speculative bot operator cannot sell a
    slot dated within days). Each such lead (:meth:`add_lead`) splits the free slots of a
    procedure into *tiers*: tier ``k`` holds the slots dated at least ``leads[k-1]`` days
    ahead, below the next lead. Slots enter the top tier and move down as time passes, so
    the earliest slot of a tier and above is a heap top: every query stays logarithmic.
    """

    UNRELEASED, FREE, BOOKED, EXPIRED, PREBOOKED = 0, 1, 2, 3, 4
    BOT = -2  # holder of a slot booked by a bot under an invented name

    def __init__(self, time: np.ndarray, procedure: np.ndarray, minutes: np.ndarray,
                 release: np.ndarray, min_lead: float, prebooked_days: float = 0.0):
        release = np.where(time < prebooked_days, -1.0, np.maximum(release, 0.0))
        order = np.lexsort((time, release))
        self.time, self.procedure = time[order], procedure[order]
        self.minutes, self.release = minutes[order], release[order]
        self.time_list, self.minutes_list = self.time.tolist(), self.minutes.tolist()
        self.min_lead = min_lead
        self.state = np.zeros(self.time.size, dtype=np.int8)
        # held by applicants who came before the start
        self.state[self.release < 0] = self.PREBOOKED
        self.holder = np.full(self.time.size, -1, dtype=np.int64)
        # per procedure, tiers of heaps of free slots (time, slot): see add_lead
        self.pool: dict[int, list[list[tuple[float, int]]]] = {}
        self.leads: list[float] = []
        self._tidy_at: dict[int, float] = {}  # when each procedure's pool was last tidied
        self.log_slot: list[int] = []
        self.log_applicant: list[int] = []
        self.log_time: list[float] = []
        self.log_by_bot: list[bool] = []
        self.sales: list[tuple[int, int, float, float]] = []  # slot, buyer, time, price
        self.n_cancelled = self.n_opened = self.n_expired = 0

    @property
    def size(self) -> int:
        return int(self.time.size)

    def release_groups(self) -> list[tuple[float, np.ndarray]]:
        """Slots grouped by release time, in time order."""
        todo = np.flatnonzero(self.state == self.UNRELEASED)
        if not todo.size:
            return []
        cuts = np.flatnonzero(np.diff(self.release[todo])) + 1
        return [(float(self.release[g[0]]), g) for g in np.split(todo, cuts)]

    def add_lead(self, lead: float) -> int:
        """Let bookers ask for slots at least ``lead`` days ahead; return the tier to name
        in :meth:`has_free` and :meth:`take` (0, the whole pool, when ``lead`` is no more
        than ``min_lead``). Call before any slot is opened.

        >>> book = SlotBook(np.array([1.0, 5.0]), np.array([0, 0]), np.ones(2),
        ...                 np.zeros(2), min_lead=0.0)
        >>> tier = book.add_lead(2.0)
        >>> _ = book.open(np.array([0, 1]))
        >>> book.take(0, 7, 0.0, tier=tier), book.has_free(0, 0.0, tier), book.take(0, 8, 0.0)
        (1, False, 0)
        """
        if self.pool:
            raise RuntimeError("add_lead after slots were opened")
        if lead <= self.min_lead:
            return 0
        if lead not in self.leads:
            self.leads.append(lead)
            self.leads.sort()
        return self.leads.index(lead) + 1

    def _tiers(self, p: int) -> list[list[tuple[float, int]]]:
        tiers = self.pool.get(p)
        if tiers is None:
            tiers = self.pool[p] = [[] for _ in range(len(self.leads) + 1)]
        return tiers

    def open(self, slots: Iterable[int]) -> set[int]:
        """Put slots into the free pools; return the procedures that got some."""
        if not isinstance(slots, np.ndarray):
            slots = list(slots)
            if len(slots) > 8:  # many slots given back at once: one array round trip
                slots = np.asarray(slots, dtype=np.int64)
        pairs: Iterable[tuple[int, int]]
        if isinstance(slots, np.ndarray):  # a release: many slots at once
            self.state[slots] = self.FREE
            pairs = zip(slots.tolist(), self.procedure[slots].tolist(), strict=True)
        else:  # a slot or a few given back: no array round trip
            for s in slots:
                self.state[s] = self.FREE
            pairs = ((s, int(self.procedure[s])) for s in slots)
        touched = set()
        for s, p in pairs:
            heapq.heappush(self._tiers(p)[-1], (self.time_list[s], s))  # moves down later
            touched.add(p)
        self.n_opened += len(slots)
        self._tidy_at = {q: t for q, t in self._tidy_at.items() if q not in touched}  # retidy
        return touched

    def has_free(self, p: int, now: float, tier: int = 0) -> bool:
        """Is a slot of ``p`` bookable now (in ``tier`` or above)? Expires those too close."""
        tiers = self.pool.get(p)
        if tiers is None:
            return False
        if self._tidy_at.get(p) != now:
            self._tidy(p, tiers, now)
        return any(tiers[tier:]) if tier else any(tiers)

    def _tidy(self, p: int, tiers: list[list[tuple[float, int]]], now: float) -> None:
        """Move slots now closer than a lead down a tier; expire those too close to book.
        Holds until ``now`` changes or a slot is opened (taking the earliest keeps it)."""
        for k in range(len(tiers) - 1, 0, -1):
            heap, edge = tiers[k], now + self.leads[k - 1]
            while heap and heap[0][0] < edge:
                heapq.heappush(tiers[k - 1], heapq.heappop(heap))
        limit = now + self.min_lead
        for heap in tiers:
            while heap and heap[0][0] < limit:
                self.state[heapq.heappop(heap)[1]] = self.EXPIRED
                self.n_expired += 1
            if heap:
                break
        self._tidy_at[p] = now

    def take(self, p: int, applicant: int, now: float, by_bot: bool = False,
             tier: int = 0) -> int:
        """Book the earliest bookable free slot of ``p`` in ``tier`` or above (call
        :meth:`has_free` first); ``applicant`` is :attr:`BOT` for a booking under an
        invented name."""
        tiers = self.pool[p]
        if self._tidy_at.get(p) != now:
            self._tidy(p, tiers, now)
        for heap in tiers[tier:]:
            if heap:
                break
        return self._book_top(heap, applicant, now, by_bot or applicant == self.BOT)

    def earliest(self, p: int, now: float, tier: int = 0) -> float:
        """Date of the earliest bookable slot of ``p`` in ``tier`` or up (after has_free)."""
        tiers = self.pool[p]
        if self._tidy_at.get(p) != now:
            self._tidy(p, tiers, now)
        for heap in tiers[tier:]:
            if heap:
                return heap[0][0]
        return float("inf")

    def ahead(self, p: int, tier: int, now: float) -> bool:
        """Is the earliest slot of ``tier`` (> 0) still at least the tier's lead ahead at
        ``now``? No tidying: for bursts of captures resolved in a tight loop."""
        heap = self.pool[p][tier]
        return bool(heap) and heap[0][0] >= now + self.leads[tier - 1]

    def take_ahead(self, p: int, tier: int, now: float) -> int:
        """A bot books that slot (call :meth:`ahead` first) under an invented name."""
        return self._book_top(self.pool[p][tier], self.BOT, now, True)

    def _book_top(self, heap: list[tuple[float, int]], applicant: int, now: float,
                  by_bot: bool) -> int:
        return self.claim(heapq.heappop(heap)[1], applicant, now, by_bot)

    def claim(self, s: int, applicant: int, now: float, by_bot: bool = False) -> int:
        """Book slot ``s`` itself: a free one popped from its pool, or one not yet released
        (a court order: it will not be released)."""
        self.state[s] = self.BOOKED
        self.holder[s] = applicant
        self.log_slot.append(s)
        self.log_applicant.append(applicant)
        self.log_time.append(now)
        self.log_by_bot.append(by_bot)
        return s

    def transfer(self, s: int, buyer: int, now: float, price: float) -> None:
        """A bot-held slot is sold: the buyer holds it from now on."""
        self.holder[s] = buyer
        self.sales.append((s, buyer, now, price))

    def cancel(self, slots: Iterable[int]) -> set[int]:
        """Bookings given back: the slots are free again; return the procedures concerned."""
        slots = list(slots)
        for s in slots:
            self.holder[s] = -1
        self.n_cancelled += len(slots)
        return self.open(slots)

    def attended(self, outcome: np.ndarray) -> np.ndarray:
        """Slots whose appointment took place: held by someone served with it, or booked
        before the start. ``outcome`` is the applicants' outcome column."""
        done = self.state == self.PREBOOKED
        held = self.holder >= 0
        done[held] = outcome[self.holder[held]] == SERVED
        return done

    def expire_remaining(self) -> None:
        """At the horizon, free slots were never used."""
        for tiers in self.pool.values():
            for heap in tiers:
                for _, s in heap:
                    self.state[s] = self.EXPIRED
                    self.n_expired += 1
                heap.clear()
