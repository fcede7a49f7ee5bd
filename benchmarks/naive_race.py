"""A straightforward SimPy model of the race, one event per check and per bot poll: the
reference for the analytic race (``tests/test_race_reference.py``) and for ``bench_race.py``.

The race (today's system): slots open for booking on a release schedule; a released slot
goes to whoever checks the booking site first. prefsim resolves it analytically
(:mod:`sim.engine.booking.race`: one event per release and per booking, whatever the check
rate, attempts counted afterwards). This module simulates the same system the way one would
write it first, idiomatic SimPy:

* each applicant is a SimPy process that, from entering the race, loops: wait for their
  next visit, look at the free released slots of their procedure, book the earliest
  bookable one (at least ``min_lead_days`` ahead) if there is one, else look again later;
  they give up when their patience runs out (``arrival + patience``). Visits follow their
  class's weekly intensity (a non-homogeneous Poisson process): within each bin of the week
  where it is constant, an exponential wait at the bin's rate; a wait that would cross the
  bin's end restarts from there (exact, the exponential being memoryless). A flat intensity
  is the constant-rate special case;
* each bot operator polls each target page with its effective intensity, one event per poll:
  a poll that finds a free slot dated more than ``unsold_release_days`` ahead books it for
  its stock (a speculative operator that pays nothing per booking stocks whatever it can);
* the operator goes through its stock at midnight every day: slots dated within
  ``unsold_release_days`` are given up, a share ``unsold_no_show_share`` not honoured
  (wasted), the others released again;
* a release process opens each group of slots at its release time.

Only the booking mechanism is written anew. The inputs are prefsim's own
(``race_inputs.py``): the very same applicants, the slot calendar as prefsim cuts it, and
prefsim's intensities (:func:`sim.engine.timing.checker_profiles`,
:func:`sim.engine.timing.bot_profiles`) read as numbers per bin of the week: both tools
model the same system, and only the way the race is resolved differs. Both tools' KPIs and
their comparison are ``race_agreement.py``.

Scope: one race channel serving everybody, first come first served, without cancellations,
no-shows or give-ups of held dates; speculative bot operators without cap, cost or buyers
(nobody pays: the resale market stays out); anything else is refused.

Attempts are the visits each applicant actually made (the booking one included), night
attempts those made between 22h and 6h. Run it alone to compare both tools::

    .venv/bin/python benchmarks/naive_race.py [--scale 0.1] [--seeds 4] [--bot-factor 1]
    .venv/bin/python benchmarks/naive_race.py --checks 1 --scale 0.2   # race_year.yaml
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
import time
from bisect import bisect_left, insort
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import simpy
from race_agreement import (
    BATCHES,
    SlotOutcome,
    batch_totals,
    compare,
    prefsim_totals,
    print_comparison,
    verdict,
)
from race_inputs import WeeklyRate, prefsim_inputs, race_channel, race_scenario, timing_scenario

from sim.engine.demand import Population
from sim.engine.frame import Frame
from sim.engine.model import simulate
from sim.engine.records import SERVED, Records
from sim.engine.slots import SlotBook
from sim.engine.streams import stable_hash
from sim.scenario import Scenario

NIGHT_FROM, NIGHT_TO = 22.0 / 24.0, 6.0 / 24.0
BOT = SlotBook.BOT  # holder of a slot booked by a bot


def at_night(t: float, phase: float) -> bool:
    """Is run time ``t`` between 22h and 6h?"""
    hour = (t + phase) % 1.0
    return hour >= NIGHT_FROM or hour < NIGHT_TO


# -- the naive model ----------------------------------------------------------------------------
@dataclass
class NaiveOutput:
    """What :func:`simulate_naive` returns: prefsim's columns, and what became of slots."""

    population: Population
    records: Records  # outcome, booked_at, left_at, attempts, night_attempts, requests
    slots: SlotOutcome
    frame: Frame
    n_events: int  # SimPy events scheduled
    n_checks: int  # people's visits to the booking site (the booking ones included)
    n_polls: int  # bot requests that reached the site


class FreeSlots:
    """Released, unbooked slots: per procedure a list sorted by date."""

    def __init__(self, min_lead_days: float):
        self.min_lead = min_lead_days
        self.lists: dict[int, list[tuple[float, int]]] = {}

    def open(self, procedure: int, at: float, slot: int) -> None:
        insort(self.lists.setdefault(procedure, []), (at, slot))

    def take_earliest(self, procedure: int, now: float) -> int | None:
        """Take the earliest slot still bookable now; slots too close are dropped (wasted)."""
        free = self.lists.get(procedure)
        if not free:
            return None
        too_close = bisect_left(free, (now + self.min_lead, -1))
        del free[:too_close]
        return free.pop(0)[1] if free else None

    def take_from(self, procedure: int, earliest: float) -> int | None:
        """Take the earliest slot dated at ``earliest`` or later."""
        free = self.lists.get(procedure)
        k = bisect_left(free, (earliest, -1)) if free else 0
        return free.pop(k)[1] if free and k < len(free) else None


def simulate_naive(scenario: Scenario, seed: int, replication: int = 0,
                   bot_factor: float = 1.0) -> NaiveOutput:
    """Simulate the race with one SimPy event per visit and per bot poll."""
    inp = prefsim_inputs(scenario, seed, replication, bot_factor)
    pop, book, stop, phase = inp.population, inp.book, inp.frame.stop, inp.phase
    _, spec = race_channel(scenario)
    env = simpy.Environment()
    rng = random.Random(stable_hash(f"naive.race.{seed}.{replication}"))
    free = FreeSlots(spec.min_lead_days)
    rec = Records(pop.size)
    rec.channel[:] = 0
    checks, nights = [0] * pop.size, [0] * pop.size
    times, minutes = book.time_list, book.minutes_list
    holder = [-1] * book.size
    booked: list[int] = []
    by_bot: list[bool] = []
    stock: list[list[tuple[float, int]]] = [[] for _ in inp.operators]
    polls = [0]

    def releases() -> Iterator[simpy.Event]:
        """Open every slot at its release time; those opened before 0 are already taken."""
        todo = np.flatnonzero(book.state != SlotBook.PREBOOKED)
        todo = todo[np.argsort(book.release[todo], kind="stable")]
        at, proc = book.release[todo], book.procedure[todo]
        cuts = np.flatnonzero(np.diff(at)) + 1
        for group in np.split(np.arange(todo.size), cuts):
            release = float(at[group[0]])
            if release >= stop:
                return
            if release > env.now:
                yield env.timeout(release - env.now)
            for k in group.tolist():
                free.open(int(proc[k]), times[todo[k]], int(todo[k]))

    def seeker(i: int, procedure: int, rate: WeeklyRate, deadline: float
               ) -> Iterator[simpy.Event]:
        """Visit again and again until a slot is booked or patience runs out."""
        while True:
            t = rate.next_after(env.now, rng)
            if deadline <= t:  # gives up before the next visit
                if deadline < stop:
                    if deadline > env.now:
                        yield env.timeout(deadline - env.now)
                    rec.abandon(i, deadline)
                return
            if t >= stop:
                return
            yield env.timeout(t - env.now)
            checks[i] += 1
            nights[i] += at_night(t, phase)
            s = free.take_earliest(procedure, t)
            if s is not None:
                holder[s] = i
                booked.append(s)
                by_bot.append(False)
                rec.booked_at[i], rec.slot[i] = t, s
                rec.requests[i] += 1
                if times[s] < stop:  # dated after the stop: still waiting (censored)
                    rec.serve(i, times[s], minutes[s])
                return

    def operator(k: int, procedure: int, rate: WeeklyRate, lead: float) -> Iterator[simpy.Event]:
        """Poll one target page: book for stock any slot it could still sell."""
        while True:
            t = rate.next_after(env.now, rng)
            if t >= stop:
                return
            yield env.timeout(t - env.now)
            polls[0] += 1
            s = free.take_from(procedure, t + lead)
            if s is not None:
                holder[s] = BOT
                booked.append(s)
                by_bot.append(True)
                heapq.heappush(stock[k], (times[s], s))

    def midnight_rounds() -> Iterator[simpy.Event]:
        """Every midnight each operator gives up the stock it can no longer sell."""
        while True:
            for k, op in enumerate(inp.operators):
                heap, share = stock[k], op.spec.unsold_no_show_share
                while heap and heap[0][0] <= env.now + op.spec.unsold_release_days:
                    at, s = heapq.heappop(heap)
                    if rng.random() >= share:  # cancelled: released again (else not honoured)
                        holder[s] = -1
                        free.open(int(book.procedure[s]), at, s)
            yield env.timeout(1.0)

    def arrivals() -> Iterator[simpy.Event]:
        deadlines = (pop.arrival + pop.patience).tolist()
        order = np.argsort(inp.entry, kind="stable").tolist()
        entry, procs = inp.entry.tolist(), pop.procedure.tolist()
        for i in order:
            if entry[i] >= stop:
                return
            if entry[i] > env.now:
                yield env.timeout(entry[i] - env.now)
            env.process(seeker(i, procs[i], inp.people[inp.classes[i]], deadlines[i]))

    env.process(releases())
    if inp.operators:
        env.process(midnight_rounds())
    for k, op in enumerate(inp.operators):
        for p, rate in op.polls.items():
            env.process(operator(k, p, rate, op.lead))
    env.process(arrivals())
    env.run(until=stop)
    rec.attempts[:] = checks
    rec.night_attempts[:] = nights
    held = np.asarray(holder)
    attended = book.state == SlotBook.PREBOOKED
    attended[held >= 0] = rec.outcome[held[held >= 0]] == SERVED
    slots = SlotOutcome(book.time, np.asarray(booked, dtype=np.int64),
                        np.asarray(by_bot, dtype=bool), attended)
    return NaiveOutput(pop, rec, slots, inp.frame, next(env._eid), sum(checks), polls[0])


def naive_totals(out: NaiveOutput) -> np.ndarray:
    return batch_totals(out.population, out.records, out.slots, out.frame)


# -- comparing both tools ------------------------------------------------------------------------
def run_both(
    scn: Scenario, seeds: list[int], bot_factor: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Both tools on the same scenario and seeds (the naive model's bots at ``bot_factor``
    times prefsim's intensity): their batch totals."""
    prefsim_runs, naive_runs = [], []
    for seed in seeds:
        start = time.perf_counter()
        prefsim_runs.append(prefsim_totals(simulate(scn, seed)))
        middle = time.perf_counter()
        ref = simulate_naive(scn, seed, bot_factor=bot_factor)
        naive_runs.append(naive_totals(ref))
        if progress:
            progress(f"seed {seed}: prefsim {middle - start:.1f} s, naive "
                     f"{time.perf_counter() - middle:.1f} s ({ref.n_checks:,} visits, "
                     f"{ref.n_polls:,} bot polls, {ref.n_events:,} events)")
    return prefsim_runs, naive_runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=float, default=None,
                        help="race_year.yaml with one class of seekers at this many visits a "
                             "day (default: race_timing.yaml)")
    parser.add_argument("--scale", type=float, default=0.1, help="share of the volume")
    parser.add_argument("--seeds", type=int, default=4, help="seeds first..first+N-1")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--bot-factor", type=float, default=1.0,
                        help="multiply the naive model's bot intensity (a failure check)")
    args = parser.parse_args(argv)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    if args.checks is None:
        scn, what = timing_scenario(args.scale), "race_timing.yaml"
    else:
        scn = race_scenario(args.checks, args.scale)
        what = f"race_year.yaml, {args.checks:g} visits/day"
    print(f"{what} x {args.scale:g} volume, seeds {seeds}, naive bots x {args.bot_factor:g}",
          flush=True)
    p, n = run_both(scn, seeds, args.bot_factor,
                    lambda s: print("  " + s, file=sys.stderr, flush=True))
    check = compare(p, n)
    print_comparison(check, f"KPI ({BATCHES} batches x {len(seeds)} seeds)")
    print(verdict(check))
    return 0


if __name__ == "__main__":
    sys.exit(main())
