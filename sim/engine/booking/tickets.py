"""Walk-in desk as people live it: tickets handed out at opening, the others come back.

Before online booking, and where a desk remains, people queue at the door from dawn; at
opening an agent hands out as many tickets as the counters can serve that day, and the others
are sent home: "Dès 7h45 ... les policiers ... distribuent 150 tickets ... Pour les autres,
il faudra revenir le lendemain" (Évry); "chaque jour, sur les 1.200 étrangers qui font la
queue, seuls 700 sont reçus" (Nanterre, BFMTV 2017). A ticket is good for that day only.

The model (``channels.<name>.mode: daily_tickets``):

* a person whose need appears comes to the desk at its next opening;
* each desk day (a day with at least one counter, :func:`~sim.engine.booking.desk.counters_per_day`)
  has ``tickets = counters x opening minutes / mean minutes per visit`` tickets, in whole
  tickets with the fractions carried over to the next days (:func:`tickets_per_day`); the mean
  is over the procedures the desk serves, weighted by their yearly volume;
* at opening the tickets go to the people present, in random order (who reaches the front of
  a dawn queue owes nothing to how long they have been trying); ticket holders are served
  that day by the day's counters, in ticket order, each counter taking the next ticket when
  free (a service may end after closing, never start the next day unless the counters are
  overbooked by long services);
* the people turned away come back after an exponential delay (``retrial_mean_days``), on
  the first desk day opening after it, until their patience (``behaviour.patience``, counted
  from the need) runs out: they stop coming and are recorded as leaving at that moment.

So nobody waits across days in the queue: the wait is spent at home between visits. Each
visit counts as an attempt; the KPIs ``desk_turned_away_per_service`` and
``desk_visitors_served_share`` count the visits. Resolved with one event per desk day, not
one per person per day: the people who will come on a day wait in a heap keyed by that day.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left

import numpy as np

from sim.engine.booking.desk import counters_per_day
from sim.engine.booking.interface import Context
from sim.engine.records import SERVED
from sim.engine.slots import slots_per_day
from sim.scenario import Scenario
from sim.scenario.channels import DeskChannel


def mean_visit_minutes(scenario: Scenario, spec: DeskChannel) -> float:
    """Counter minutes of an average visit at this desk: the procedures it serves, weighted
    by their yearly volume (plain mean if none has any).

    >>> from sim.scenario.loader import validate
    >>> s = validate({"procedures": {"a": {"annual_volume": 300, "counter_minutes_per_visit": 20},
    ...                              "b": {"annual_volume": 100, "counter_minutes_per_visit": 40}},
    ...               "staff": {"front_office_etp": 1},
    ...               "channels": {"desk": {"kind": "desk", "mode": "daily_tickets"}}})
    >>> mean_visit_minutes(s, s.channels["desk"])
    25.0
    """
    procs = [scenario.procedures[p] for p in (spec.procedures or scenario.procedures)]
    volume = sum(p.annual_volume for p in procs)
    if volume <= 0:
        return float(np.mean([p.counter_minutes_per_visit for p in procs]))
    return sum(p.annual_volume * p.counter_minutes_per_visit for p in procs) / volume


def tickets_per_day(counters: np.ndarray, open_minutes: np.ndarray,
                    minutes_per_visit: float) -> np.ndarray:
    """Tickets handed out each day: the counters' minutes over the mean visit, fractions
    carried over.

    >>> tickets_per_day(np.array([1, 1, 0, 2]), np.array([50.0, 50.0, 0.0, 50.0]), 30.0).tolist()
    [1, 2, 0, 3]
    """
    return slots_per_day(counters * open_minutes, minutes_per_visit)


class TicketDesk:
    """Tickets at opening for the people present; the others come back another day."""

    def __init__(self, ctx: Context, name: str, index: int, spec: DeskChannel):
        self.ctx, self.name, self.index, self.spec = ctx, name, index, spec
        cal = ctx.calendar
        self.counters_per_day = counters_per_day(spec, cal, ctx.counter_minutes,
                                                 ctx.shares.get(name))
        self.tickets = tickets_per_day(self.counters_per_day, cal.open_minutes,
                                       mean_visit_minutes(ctx.scenario, spec))
        self.days = np.flatnonzero(self.counters_per_day > 0).tolist()  # desk days
        self._opens = cal.open_at[self.days].tolist()
        self._due: list[tuple[int, int]] = []  # (desk day index of the next visit, person)
        self._rng = ctx.streams[f"tickets.{name}"]
        pop = ctx.population
        self._gave_up = (pop.arrival + pop.patience).tolist()
        self._minutes = pop.service_minutes.tolist()

    def capacity_minutes(self) -> np.ndarray:
        return self.counters_per_day * self.ctx.calendar.open_minutes

    def used_minutes(self) -> np.ndarray:
        """Counter minutes of the services of each day."""
        rec, n = self.ctx.records, self.ctx.calendar.n_days
        mine = (rec.channel == self.index) & (rec.outcome == SERVED)
        day = np.floor(rec.appointment_at[mine]).astype(np.int64)
        return np.bincount(day, rec.visit_minutes[mine], minlength=n)[:n]

    def start(self) -> None:
        self.ctx.env.process(self._desk_days())

    def admit(self, i: int) -> None:
        """Applicant ``i`` comes at the desk's next opening."""
        heapq.heappush(self._due, (bisect_left(self._opens, self.ctx.env.now), i))

    def _desk_days(self):  # type: ignore[no-untyped-def]
        env = self.ctx.env
        for k, opens in enumerate(self._opens):
            if opens >= self.ctx.stop:
                return
            yield env.timeout(opens - env.now)
            self._hand_out(k)

    def _hand_out(self, k: int) -> None:
        """Desk day ``k`` opens: tickets to the people present, the others sent home."""
        rec, now = self.ctx.records, self.ctx.env.now
        present = []
        while self._due and self._due[0][0] <= k:
            i = heapq.heappop(self._due)[1]
            if self._gave_up[i] < now:
                rec.abandon(i, self._gave_up[i])  # stopped coming
            else:
                present.append(i)
        if not present:
            return
        rec.attempts[present] += 1
        order = [present[j] for j in self._rng.permutation(len(present))]
        day = self.days[k]
        n = int(self.tickets[day])
        free = [now] * int(self.counters_per_day[day])  # when each counter is next free
        for i in order[:n]:
            start = heapq.heappop(free)
            rec.serve(i, start, self._minutes[i])
            heapq.heappush(free, start + self._minutes[i] / 1440.0)
        turned = order[n:]
        if turned:
            back = now + self._rng.exponential(self.spec.retrial_mean_days, len(turned))
            for i, t in zip(turned, back.tolist(), strict=True):
                heapq.heappush(self._due, (max(k + 1, bisect_left(self._opens, t)), i))

    def close(self) -> None:
        """People still coming at the end: those whose patience ran out before it left."""
        end, rec = self.ctx.stop, self.ctx.records
        for _, i in self._due:
            if self._gave_up[i] < end:
                rec.abandon(i, self._gave_up[i])
        self._due.clear()
