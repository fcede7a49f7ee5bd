"""A straightforward SimPy model of the race, one event per check: the reference for
``bench_race.py``.

The race (today's system): slots open for booking on a release schedule; a released slot
goes to whoever checks the booking site first. prefsim resolves it analytically
(:mod:`sim.booking.race`: one event per release and per booking, whatever the check rate).
This module simulates the same system the way one would write it first, idiomatic SimPy:

* each applicant is a SimPy process that, from their arrival, loops: wait an exponential
  time of mean ``1 / checks_per_day``, look at the free released slots of their procedure,
  book the earliest bookable one (at least ``min_lead_days`` ahead) if there is one, else
  look again later; they give up when their patience runs out (``arrival + patience``);
* a release process opens each group of slots at its release time.

Only the booking mechanism is written anew. The inputs are prefsim's own: the population is
:func:`sim.demand.generate` with the same seed (so both tools see the very same applicants),
and the slot calendar (dates, procedures, release times, slots pre-booked because they
opened before the start with ``full_at_start``) is built by prefsim's
:class:`sim.booking.base.SlotChannel`, so capacity and release times are identical.

Scope: one race channel serving everybody, without cancellations or no-shows (what
``benchmarks/scenarios/race_year.yaml`` uses); anything else is refused.

Attempts are the checks each applicant actually made (the booking check included), so this
model also checks prefsim's analytic attempt count. Run it alone to compare both tools on
a reduced prefecture-year over a handful of seeds::

    .venv/bin/python benchmarks/naive_race.py [--checks 1] [--scale 0.2] [--seeds 5]
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from sim.booking import Context
from sim.booking.base import SlotChannel
from sim.calendar import build_calendar
from sim.channels import RaceChannel
from sim.demand import Population, generate
from sim.loader import load, validate
from sim.model import simulate
from sim.records import ABANDONED, SERVED, Records
from sim.scenario import Scenario
from sim.slots import SlotBook
from sim.staff import counter_minutes
from sim.streams import Streams, stable_hash

SCENARIO = Path(__file__).resolve().parent / "scenarios" / "race_year.yaml"
Z_MAX = 4.0  # |z| above this flags the two tools as not simulating the same system


# -- scenarios ----------------------------------------------------------------------------------
def race_scenario(checks_per_day: float, scale: float = 1.0, path: Path = SCENARIO) -> Scenario:
    """The benchmark's prefecture-year at ``checks_per_day``, its volume scaled by ``scale``.

    Scaling multiplies every procedure's ``annual_volume`` and the counter staff by the same
    factor: a smaller prefecture with the same congestion, calendar and behaviour.
    """
    seekers = f"behaviour.seekers=[{{share: 1.0, checks_per_day: {checks_per_day:g}}}]"
    scn = load(path, overrides=[seekers])
    if scale == 1.0:
        return scn
    data = scn.model_dump()
    for proc in data["procedures"].values():
        proc["annual_volume"] *= scale
    data["staff"]["front_office_etp"] *= scale
    return validate(data)


# -- the naive model ----------------------------------------------------------------------------
@dataclass
class NaiveOutput:
    """What :func:`simulate_naive` returns: the same columns as prefsim's ``SimOutput``."""

    population: Population
    records: Records  # outcome, booked_at, appointment_at, left_at, attempts
    n_events: int  # SimPy events scheduled
    n_checks: int  # visits to the booking site (all applicants, the booking ones included)


def race_channel(scenario: Scenario) -> tuple[str, RaceChannel]:
    """The scenario's only channel, which must be a race this model can simulate."""
    if len(scenario.channels) != 1:
        raise ValueError("the naive model handles exactly one channel")
    name, spec = next(iter(scenario.channels.items()))
    if not isinstance(spec, RaceChannel):
        raise ValueError(f"channel {name!r} is a {spec.kind}, not a race")
    if spec.cancellation_probability > 0 or spec.no_show is not None:
        raise ValueError("the naive model has no cancellations and no no-shows")
    return name, spec


def build_slot_book(
    scenario: Scenario, population: Population, streams: Streams, env: simpy.Environment
) -> tuple[SlotBook, RaceChannel]:
    """prefsim's own slot calendar for the race channel (same capacity, same releases)."""
    name, spec = race_channel(scenario)
    calendar = build_calendar(scenario.calendar, scenario.horizon)
    ctx = Context(
        env, scenario, calendar, population, Records(population.size), streams,
        counter_minutes(scenario.staff, calendar), float(scenario.horizon.days),
    )
    return SlotChannel(ctx, name, 0, spec).book, spec


class FreeSlots:
    """Released, unbooked slots: one heap per procedure, earliest appointment first."""

    def __init__(self, min_lead_days: float):
        self.min_lead = min_lead_days
        self.heaps: dict[int, list[tuple[float, int]]] = {}

    def open(self, procedure: int, at: float, slot: int) -> None:
        heapq.heappush(self.heaps.setdefault(procedure, []), (at, slot))

    def book_earliest(self, procedure: int, now: float) -> tuple[float, int] | None:
        """Take the earliest slot still bookable now; slots too close are dropped."""
        heap = self.heaps.get(procedure)
        while heap and heap[0][0] < now + self.min_lead:
            heapq.heappop(heap)  # too late to book: wasted
        return heapq.heappop(heap) if heap else None


def simulate_naive(scenario: Scenario, seed: int, replication: int = 0) -> NaiveOutput:
    """Simulate the race with one SimPy event per check."""
    streams = Streams(seed, replication)
    calendar = build_calendar(scenario.calendar, scenario.horizon)
    pop = generate(scenario, calendar, streams)
    env = simpy.Environment()
    book, spec = build_slot_book(scenario, pop, streams, env)
    horizon = float(scenario.horizon.days)
    rates = [c.checks_per_day for c in scenario.behaviour.seekers]
    rng = random.Random(stable_hash(f"naive.race.{seed}.{replication}"))
    free = FreeSlots(spec.min_lead_days)
    rec = Records(pop.size)
    rec.channel[:] = 0
    checks = [0] * pop.size

    def releases() -> Iterator[simpy.Event]:
        """Open every slot at its release time; those opened before 0 are already taken."""
        todo = np.flatnonzero(book.state != SlotBook.PREBOOKED)
        todo = todo[np.argsort(book.release[todo], kind="stable")]
        at, proc, when = book.release[todo], book.procedure[todo], book.time[todo]
        cuts = np.flatnonzero(np.diff(at)) + 1
        for group in np.split(np.arange(todo.size), cuts):
            release = float(at[group[0]])
            if release > env.now:
                yield env.timeout(release - env.now)
            for k in group.tolist():
                free.open(int(proc[k]), float(when[k]), int(todo[k]))

    def seeker(i: int, procedure: int, rate: float, deadline: float) -> Iterator[simpy.Event]:
        """Check again and again until a slot is booked or patience runs out."""
        while True:
            wait = rng.expovariate(rate)
            if env.now + wait >= deadline:  # gives up before the next check
                yield env.timeout(deadline - env.now)
                rec.abandon(i, deadline)
                return
            yield env.timeout(wait)
            checks[i] += 1
            got = free.book_earliest(procedure, env.now)
            if got is not None:
                rec.booked_at[i], rec.slot[i] = env.now, got[1]
                rec.serve(i, got[0], float(book.minutes[got[1]]))
                return

    def arrivals() -> Iterator[simpy.Event]:
        deadlines = (pop.arrival + pop.patience).tolist()
        columns = zip(pop.arrival.tolist(), pop.procedure.tolist(),
                      pop.seeker_class.tolist(), deadlines, strict=True)
        for i, (at, procedure, cls, deadline) in enumerate(columns):
            if at > env.now:
                yield env.timeout(at - env.now)
            env.process(seeker(i, procedure, rates[cls], deadline))

    env.process(releases())
    env.process(arrivals())
    env.run(until=horizon)
    rec.attempts[:] = checks
    return NaiveOutput(pop, rec, next(env._eid), sum(checks))


# -- comparing both tools ------------------------------------------------------------------------
KPIS = ("share_served", "looking_days_of_bookers", "attempts_per_booker", "attempts_per_booking")
KPI_LABELS = {
    "share_served": "share served",
    "looking_days_of_bookers": "mean looking time of bookers (days)",
    "attempts_per_booker": "mean attempts of bookers",
    "attempts_per_booking": "all attempts / bookings",
}


def kpis(population: Population, records: Records) -> dict[str, float]:
    """The figures both tools must agree on (same definitions for both)."""
    booked = ~np.isnan(records.booked_at)
    n_booked = max(int(booked.sum()), 1)
    return {
        "share_served": float(np.mean(records.outcome == SERVED)),
        "share_abandoned": float(np.mean(records.outcome == ABANDONED)),
        "looking_days_of_bookers": float(
            np.mean(records.booked_at[booked] - population.arrival[booked])
        ),
        "attempts_per_booker": float(np.mean(records.attempts[booked])),
        "attempts_per_booking": float(records.attempts.sum() / n_booked),
    }


def estimate(values: list[float]) -> dict[str, float]:
    """Mean over seeds and its standard error."""
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return {"mean": statistics.fmean(values), "se": se}


def compare(prefsim: list[dict[str, float]], naive: list[dict[str, float]]) -> dict[str, Any]:
    """Per KPI: both tools' mean +- standard error over seeds, and the z-score of the gap.

    Both tools run on the same seeds, hence on the same applicants and slot calendar
    (common random numbers): the gap is estimated from the paired per-seed differences,
    whose standard error is much smaller than either tool's own spread over seeds.
    """
    out: dict[str, Any] = {}
    for k in KPIS:
        p, n = [r[k] for r in prefsim], [r[k] for r in naive]
        gap = estimate([a - b for a, b in zip(p, n, strict=True)])
        z = gap["mean"] / gap["se"] if gap["se"] > 0 else 0.0
        out[k] = {
            "prefsim": estimate(p), "naive": estimate(n), "gap": gap, "z": z,
            "relative_gap": statistics.fmean(p) / statistics.fmean(n) - 1,
        }
    out["consistent"] = all(abs(out[k]["z"]) < Z_MAX for k in KPIS)
    return out


def print_comparison(check: dict[str, Any], title: str, keys: tuple[str, ...] = KPIS) -> None:
    """One line per KPI: prefsim, naive, relative gap and z-score."""
    print(f"{title:<38}{'prefsim':>20}{'naive SimPy':>20}{'gap':>8}{'z':>7}")
    for k in keys:
        p, n = check[k]["prefsim"], check[k]["naive"]
        print(
            f"{KPI_LABELS[k]:<38}{p['mean']:>11.4f} +- {p['se']:<5.3f}"
            f"{n['mean']:>11.4f} +- {n['se']:<5.3f}{check[k]['relative_gap']:>+8.2%}"
            f"{check[k]['z']:>+7.2f}"
        )


def run_both(
    checks_per_day: float, scale: float, seeds: list[int],
    progress: Callable[[str], None] | None = None,
) -> tuple[list[dict[str, float]], list[dict[str, float]], list[float]]:
    """Both tools on the same reduced scenario and seeds; KPIs and naive seconds per seed."""
    scn = race_scenario(checks_per_day, scale)
    prefsim_kpis, naive_kpis, seconds = [], [], []
    for seed in seeds:
        out = simulate(scn, seed)
        prefsim_kpis.append(kpis(out.population, out.records))
        start = time.perf_counter()
        ref = simulate_naive(scn, seed)
        seconds.append(time.perf_counter() - start)
        naive_kpis.append(kpis(ref.population, ref.records))
        if progress:
            progress(f"seed {seed}: naive {seconds[-1]:.1f} s, {ref.n_checks:,} checks")
    return prefsim_kpis, naive_kpis, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=float, default=1.0, help="checks per day per seeker")
    parser.add_argument("--scale", type=float, default=0.2, help="share of the volume")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 1..N")
    args = parser.parse_args(argv)
    seeds = list(range(1, args.seeds + 1))
    print(f"race_year.yaml x {args.scale:g} volume, {args.checks:g} checks/day, seeds {seeds}")
    p, n, _ = run_both(args.checks, args.scale, seeds,
                       lambda s: print("  " + s, file=sys.stderr, flush=True))
    sys.stdout.flush()
    check = compare(p, n)
    print_comparison(check, "KPI (mean over seeds +- se)")
    verdict = "consistent" if check["consistent"] else "NOT consistent"
    print(f"verdict: {verdict} (all |z| < {Z_MAX:g} required, z from paired differences)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
