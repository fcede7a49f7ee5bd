"""A straightforward SimPy model of the race, one event per check: the reference for
``bench_race.py``.

The race (today's system): slots open for booking on a release schedule; a released slot
goes to whoever checks the booking site first. prefsim resolves it analytically
(:mod:`sim.engine.booking.race`: one event per release and per booking, whatever the check rate).
This module simulates the same system the way one would write it first, idiomatic SimPy:

* each applicant is a SimPy process that, from their arrival, loops: wait an exponential
  time of mean ``1 / checks_per_day``, look at the free released slots of their procedure,
  book the earliest bookable one (at least ``min_lead_days`` ahead) if there is one, else
  look again later; they give up when their patience runs out (``arrival + patience``);
* a release process opens each group of slots at its release time.

Only the booking mechanism is written anew. The inputs are prefsim's own: the population is
:func:`sim.engine.demand.generate` with the same seed (so both tools see the very same applicants),
and the slot calendar (dates, procedures, release times, slots pre-booked because they
opened before the start with ``full_at_start``) is built by prefsim's
:class:`sim.engine.booking.base.SlotChannel`, so capacity and release times are identical.

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
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from sim.engine.booking.base import SlotChannel
from sim.engine.booking.interface import Context
from sim.engine.calendar import build_calendar
from sim.engine.demand import Population, generate
from sim.engine.model import beyond, booking_minutes, simulate
from sim.engine.records import ABANDONED, SERVED, Records
from sim.engine.slots import SlotBook
from sim.engine.streams import Streams, stable_hash
from sim.scenario import Scenario
from sim.scenario.channels import RaceChannel
from sim.scenario.loader import load, validate

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
    slot_calendar = build_calendar(scenario.calendar, scenario.horizon, beyond(scenario))
    ctx = Context(
        env, scenario, calendar, population, Records(population.size), streams,
        booking_minutes(scenario, calendar), float(scenario.horizon.days),
        slot_calendar, booking_minutes(scenario, slot_calendar),
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
                if got[0] < horizon:  # dated after the horizon: still waiting (censored)
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
BATCHES = 10  # arrival-time batches per run (36 days each over a year) for standard errors
KPI_LABELS = {
    "share_served": "share served",
    "share_abandoned": "share abandoned",
    "looking_days_of_bookers": "mean looking time of bookers (days)",
    "attempts_per_booking": "attempts / booking",
    "attempts_per_booker": "mean attempts of bookers",
}
CHECKED = ("share_served", "share_abandoned", "looking_days_of_bookers",
           "attempts_per_booking")
"""KPIs that must agree for the verdict. prefsim counts ``Poisson(r t)`` failed visits over
the time ``t`` a seeker looked while no bookable slot was free (a check made while one is
free books it), plus the booking itself."""


TOTALS = ("arrived", "served", "abandoned", "bookings", "looking_days", "attempts",
          "attempts_of_bookers")


def batch_totals(population: Population, records: Records, days: float) -> np.ndarray:
    """Sums per arrival-time batch (rows: :data:`TOTALS`), same definitions for both tools."""
    batch = np.minimum((population.arrival / days * BATCHES).astype(np.int64), BATCHES - 1)
    booked = ~np.isnan(records.booked_at)

    def total(weights: np.ndarray) -> np.ndarray:
        return np.bincount(batch, weights=weights.astype(float), minlength=BATCHES)

    return np.array([
        total(np.ones(batch.size)),
        total(records.outcome == SERVED),
        total(records.outcome == ABANDONED),
        total(booked),
        total(np.where(booked, records.booked_at - population.arrival, 0.0)),
        total(records.attempts),
        total(np.where(booked, records.attempts, 0)),
    ])


def kpi_values(t: np.ndarray) -> dict[str, float]:
    """The KPIs from pooled totals (a row per name of :data:`TOTALS`)."""
    arrived, served, abandoned, bookings, looking, attempts, of_bookers = t
    return {
        "share_served": served / arrived,
        "share_abandoned": abandoned / arrived,
        "looking_days_of_bookers": looking / bookings,
        "attempts_per_booking": attempts / bookings,
        "attempts_per_booker": of_bookers / bookings,
    }


def compare(prefsim: list[np.ndarray], naive: list[np.ndarray]) -> dict[str, Any]:
    """Per KPI: both tools' estimate +- standard error, and the z-score of their gap.

    KPIs are ratios of totals pooled over every (run, arrival batch) unit; standard errors
    come from the delete-one-unit jackknife. Run ``k`` of both tools used the same seed,
    hence the same applicants and slot calendar (common random numbers): the gap is
    jackknifed on paired units, deleting the same unit from both tools, which gives a much
    smaller standard error than either tool's own. Late batches, whose applicants find
    few or no slots left to release before the horizon, weigh little in the ratios.
    """
    p_units = np.concatenate(prefsim, axis=1)  # (len(TOTALS), runs x batches)
    n_units = np.concatenate(naive, axis=1)
    units = p_units.shape[1]

    def stats(units_p: np.ndarray, units_n: np.ndarray) -> dict[str, tuple[float, float]]:
        p, n = kpi_values(units_p.sum(axis=1)), kpi_values(units_n.sum(axis=1))
        return {k: (p[k], n[k]) for k in KPI_LABELS}

    full = stats(p_units, n_units)
    keep = ~np.eye(units, dtype=bool)
    loo = [stats(p_units[:, keep[u]], n_units[:, keep[u]]) for u in range(units)]

    def jack_se(values: list[float]) -> float:
        x = np.asarray(values)
        return float(math.sqrt((units - 1) / units * ((x - x.mean()) ** 2).sum()))

    out: dict[str, Any] = {}
    for k in KPI_LABELS:
        p, n = full[k]
        gap_se = jack_se([d[k][0] - d[k][1] for d in loo])
        out[k] = {
            "prefsim": {"mean": p, "se": jack_se([d[k][0] for d in loo])},
            "naive": {"mean": n, "se": jack_se([d[k][1] for d in loo])},
            "gap": {"mean": p - n, "se": gap_se},
            "z": (p - n) / gap_se if gap_se > 0 else 0.0,
            "relative_gap": p / n - 1.0,
        }
    out["consistent"] = all(abs(out[k]["z"]) < Z_MAX for k in CHECKED)
    return out


def print_comparison(check: dict[str, Any], title: str) -> None:
    """One line per KPI: prefsim, naive, their gap +- its standard error, z (``*``: shown,
    not checked)."""
    print(f"{title:<38}{'prefsim':>11}{'naive':>11}{'gap +- se':>20}{'z':>8}")
    for k, label in KPI_LABELS.items():
        c = check[k]
        mark = "" if k in CHECKED else " *"
        print(
            f"{label:<38}{c['prefsim']['mean']:>11.4f}{c['naive']['mean']:>11.4f}"
            f"{c['relative_gap']:>+11.2%} +- {c['gap']['se'] / c['naive']['mean']:<5.2%}"
            f"{c['z']:>+8.2f}{mark}"
        )


def verdict(check: dict[str, Any]) -> str:
    word = "consistent" if check["consistent"] else "NOT consistent"
    return (f"verdict: {word} (|z| < {Z_MAX:g} on every checked KPI, z from the paired "
            "jackknife; * shown, not checked)")


def run_both(
    checks_per_day: float, scale: float, seeds: list[int],
    progress: Callable[[str], None] | None = None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Both tools on the same reduced scenario and seeds: their batch totals."""
    scn = race_scenario(checks_per_day, scale)
    days = float(scn.horizon.days)
    prefsim_kpis, naive_kpis = [], []
    for seed in seeds:
        out = simulate(scn, seed)
        prefsim_kpis.append(batch_totals(out.population, out.records, days))
        start = time.perf_counter()
        ref = simulate_naive(scn, seed)
        naive_kpis.append(batch_totals(ref.population, ref.records, days))
        if progress:
            progress(f"seed {seed}: naive {time.perf_counter() - start:.1f} s, "
                     f"{ref.n_checks:,} checks")
    return prefsim_kpis, naive_kpis


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=float, default=1.0, help="checks per day per seeker")
    parser.add_argument("--scale", type=float, default=0.2, help="share of the volume")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 1..N")
    args = parser.parse_args(argv)
    seeds = list(range(1, args.seeds + 1))
    print(f"race_year.yaml x {args.scale:g} volume, {args.checks:g} checks/day, seeds {seeds}",
          flush=True)
    p, n = run_both(args.checks, args.scale, seeds,
                    lambda s: print("  " + s, file=sys.stderr, flush=True))
    check = compare(p, n)
    print_comparison(check, f"KPI ({BATCHES} batches x {len(seeds)} seeds)")
    print(verdict(check))
    return 0


if __name__ == "__main__":
    sys.exit(main())
