"""Speed of prefsim's walk-in desk against Ciw on the same M/M/c+M (Erlang-A) queue.

Model (time unit: the day, for both tools):

* ``c = 20`` counters, services exponential with rate ``mu = 48`` per day (30-minute visits);
* Poisson arrivals at ``lam = rho * c * mu = 912`` per day, i.e. a load ``rho = 0.95``;
* exponential patience with rate ``theta = mu / 2 = 24`` per day (mean one hour);
* an empty system at time 0, no warm-up, a horizon of ``ceil(customers / lam)`` days
  (220 days, about 200,000 customers, by default).

prefsim runs it as a ``continuous`` calendar with one procedure and a desk of fixed
counters; Ciw as ``ciw.create_network(...)`` with one node and reneging. Every repeat runs
each timed variant once, in a rotating order so that the tools share the machine's noise:

* ``prefsim simulate``: the :func:`sim.engine.model.simulate` call (population draw included);
* ``prefsim experiment.run``: :func:`sim.experiments.experiment.run`, i.e. the simulation plus the
  tidy tables (applicants, daily, KPIs), what a user actually waits for;
* ``Ciw simulate``: ``ciw.Simulation(network)`` plus ``simulate_until_max_time(days)``;
* ``Ciw simulate + records``: the same plus ``get_all_records()``.

Throughput is customers arrived divided by the wall time of that call; the table reports
medians over the repeats and each variant's speed relative to ``Ciw simulate``. A sanity
check compares both tools' abandonment share and mean wait of the served with each other and
with the Erlang-A closed form (:func:`sim.analysis.theory.erlang_a.erlang_a`): a speed-up is only
worth reporting if both tools simulate the same queue. Results go to ``benchmarks/results/``.

Usage::

    .venv/bin/python benchmarks/bench_desk.py [--customers 200000] [--repeats 5] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import ciw
import numpy as np

from sim.analysis.theory.erlang_a import erlang_a
from sim.engine.model import simulate
from sim.engine.records import ABANDONED, SERVED
from sim.experiments import experiment
from sim.scenario import Scenario
from sim.scenario.loader import validate

COUNTERS = 20
MU = 48.0  # services per counter per day: 30-minute visits
RHO = 0.95
THETA = MU / 2  # abandonments per waiting person per day: mean patience of one hour
RESULTS_DIR = Path(__file__).resolve().parent / "results"
TARGET_SPEEDUP = 3.0
BATCHES = 10  # time batches per run for batch-means standard errors
Z_MAX = 4.0  # |z| above this flags the two tools as not simulating the same queue
BASELINE = "Ciw simulate"
MINUTES_PER_DAY = 1440.0


@dataclass(frozen=True)
class Model:
    """The M/M/c+M desk: rates per day, horizon in days."""

    lam: float
    mu: float
    theta: float
    c: int
    days: int

    @classmethod
    def for_customers(cls, customers: int) -> Model:
        lam = RHO * COUNTERS * MU
        return cls(lam, MU, THETA, COUNTERS, max(1, math.ceil(customers / lam)))


@dataclass(frozen=True)
class Outcomes:
    """What happened to the customers, as means over consecutive time batches.

    Batches (a tenth of the horizon: days, far longer than the queue's correlation time of
    hours) are nearly independent, which gives honest standard errors for the sanity check.
    """

    abandon: np.ndarray  # share of the batch's arrivals who gave up
    wait: np.ndarray  # mean wait (days) of the batch's arrivals who reached a counter


@dataclass(frozen=True)
class Sample:
    """One timed run: wall time, customers arrived, and optionally what happened to them."""

    seconds: float
    customers: int
    events: int | None = None
    outcomes: Outcomes | None = None

    @property
    def rate(self) -> float:
        return self.customers / self.seconds


Runner = Callable[[Model, int], dict[str, Sample]]


def scenario(m: Model) -> Scenario:
    """prefsim's configuration of the M/M/c+M desk."""
    return validate(
        {
            "name": "bench_desk",
            "calendar": {"continuous": True},
            "horizon": {"days": m.days, "warmup_days": 0},
            "procedures": {
                "visit": {
                    "annual_volume": m.lam * 365,
                    "counter_minutes_per_visit": MINUTES_PER_DAY / m.mu,
                }
            },
            "behaviour": {"patience": {"kind": "exponential", "mean": 1 / m.theta}},
            "staff": {"front_office_etp": 0},
            "channels": {"desk": {"kind": "desk", "counters": m.c}},
        }
    )


def batch_outcomes(
    arrival: np.ndarray, abandoned: np.ndarray, served: np.ndarray, wait: np.ndarray, days: int
) -> Outcomes:
    """Reduce per-customer outcomes to :class:`Outcomes` by arrival-time batch."""
    batch = np.minimum((arrival / days * BATCHES).astype(np.int64), BATCHES - 1)

    def total(weights: np.ndarray) -> np.ndarray:
        return np.bincount(batch, weights=weights, minlength=BATCHES)

    arrived, n_served = total(np.ones(arrival.size)), total(served.astype(float))
    waits = total(np.where(served, wait, 0.0))
    return Outcomes(total(abandoned.astype(float)) / arrived, waits / n_served)


def run_prefsim_simulate(m: Model, seed: int) -> dict[str, Sample]:
    """Time :func:`sim.engine.model.simulate` alone."""
    scn = scenario(m)
    gc.collect()
    start = time.perf_counter()
    out = simulate(scn, seed)
    seconds = time.perf_counter() - start
    pop, rec = out.population, out.records
    served = rec.outcome == SERVED
    outcomes = batch_outcomes(
        pop.arrival, rec.outcome == ABANDONED, served, rec.appointment_at - pop.arrival, m.days
    )
    return {"prefsim simulate": Sample(seconds, pop.size, out.n_events, outcomes)}


def run_prefsim_experiment(m: Model, seed: int) -> dict[str, Sample]:
    """Time :func:`sim.experiments.experiment.run`: simulation plus tidy tables."""
    scn = scenario(m)
    gc.collect()
    start = time.perf_counter()
    res = experiment.run(scn, seed)
    seconds = time.perf_counter() - start
    return {"prefsim experiment.run": Sample(seconds, len(res.applicants), res.n_events)}


def ciw_network(m: Model) -> Any:
    """Ciw's configuration of the same desk (one node, reneging, same rates)."""
    return ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(m.lam)],
        service_distributions=[ciw.dists.Exponential(m.mu)],
        number_of_servers=[m.c],
        reneging_time_distributions=[ciw.dists.Exponential(m.theta)],
    )


def run_ciw(m: Model, seed: int) -> dict[str, Sample]:
    """Time Ciw's simulation, then its record extraction, in one run."""
    network = ciw_network(m)
    ciw.seed(seed)
    gc.collect()
    start = time.perf_counter()
    q = ciw.Simulation(network)
    q.simulate_until_max_time(m.days)
    sim_seconds = time.perf_counter() - start
    q.get_all_records()
    all_seconds = time.perf_counter() - start
    arrived = q.nodes[0].number_of_individuals
    outcomes = ciw_outcomes(q, m)
    return {
        BASELINE: Sample(sim_seconds, arrived, None, outcomes),
        "Ciw simulate + records": Sample(all_seconds, arrived),
    }


def ciw_outcomes(q: Any, m: Model) -> Outcomes:
    """Ciw's outcomes with prefsim's definitions: served means reached a counter by the end.

    Untimed; the incomplete records cover those still queueing or in service at the end.
    """
    records = q.get_all_records(include_incomplete=True)
    assert len(records) == q.nodes[0].number_of_individuals  # one record per customer
    arrival = np.array([r.arrival_date for r in records])
    abandoned = np.array([r.record_type == "renege" for r in records])
    served = ~abandoned & np.array([r.service_start_date is not None for r in records])
    wait = np.array([r.waiting_time for r in records], dtype=float)  # None -> NaN
    return batch_outcomes(arrival, abandoned, served, wait, m.days)


RUNNERS: tuple[Runner, ...] = (run_prefsim_simulate, run_prefsim_experiment, run_ciw)


def measure(m: Model, repeats: int) -> dict[str, list[Sample]]:
    """Run every runner ``repeats`` times, interleaved, rotating the order each repeat."""
    warm = Model(m.lam, m.mu, m.theta, m.c, 1)
    for runner in RUNNERS:  # untimed: imports, caches and first-call costs
        runner(warm, 0)
    samples: dict[str, list[Sample]] = {}
    for rep in range(repeats):
        shift = rep % len(RUNNERS)
        for runner in RUNNERS[shift:] + RUNNERS[:shift]:
            for label, sample in runner(m, rep + 1).items():
                samples.setdefault(label, []).append(sample)
        print(f"  repeat {rep + 1}/{repeats} done", file=sys.stderr, flush=True)
    return samples


def summarise(samples: dict[str, list[Sample]]) -> dict[str, dict[str, Any]]:
    """Medians per variant, and speed relative to the Ciw baseline."""
    rows: dict[str, dict[str, Any]] = {}
    for label, runs in samples.items():
        events = [s.events / s.customers for s in runs if s.events is not None]
        rows[label] = {
            "median_seconds": statistics.median(s.seconds for s in runs),
            "median_customers_per_s": statistics.median(s.rate for s in runs),
            "median_customers": statistics.median(s.customers for s in runs),
            "events_per_customer": statistics.fmean(events) if events else None,
            "seconds": [s.seconds for s in runs],
            "customers": [s.customers for s in runs],
        }
    base = rows[BASELINE]["median_customers_per_s"]
    for row in rows.values():
        row["speed_vs_ciw"] = row["median_customers_per_s"] / base
    return rows


def ratios(rows: dict[str, dict[str, Any]]) -> dict[str, float]:
    """prefsim / Ciw throughput ratios (above 1: prefsim is faster)."""

    def rate(label: str) -> float:
        return float(rows[label]["median_customers_per_s"])

    pairs = (
        ("prefsim simulate", BASELINE),
        ("prefsim experiment.run", BASELINE),
        ("prefsim experiment.run", "Ciw simulate + records"),
    )
    return {f"{p} / {c}": rate(p) / rate(c) for p, c in pairs}


def estimate(batches: list[np.ndarray], scale: float = 1.0) -> dict[str, float]:
    """Batch-means estimate and standard error, pooled over repeats."""
    x = np.concatenate(batches) * scale
    return {"mean": float(x.mean()), "se": float(x.std(ddof=1) / math.sqrt(x.size))}


def sanity(m: Model, samples: dict[str, list[Sample]]) -> dict[str, Any]:
    """Abandonment share and mean wait of the served: prefsim, Ciw, Erlang-A, z-scores."""
    theory = erlang_a(m.lam, m.mu, m.theta, m.c)
    exact = {
        "abandon_share": theory.p_abandon,
        "wait_served_minutes": theory.mean_wait_served * MINUTES_PER_DAY,
    }
    out: dict[str, Any] = {"erlang_a": exact}
    for label in ("prefsim simulate", BASELINE):
        got = [s.outcomes for s in samples[label] if s.outcomes is not None]
        out[label] = {
            "abandon_share": estimate([o.abandon for o in got]),
            "wait_served_minutes": estimate([o.wait for o in got], MINUTES_PER_DAY),
        }
    z: dict[str, float] = {}
    for k in exact:
        p, c = out["prefsim simulate"][k], out[BASELINE][k]
        z[f"{k}: prefsim-Ciw"] = (p["mean"] - c["mean"]) / math.hypot(p["se"], c["se"])
        z[f"{k}: prefsim-theory"] = (p["mean"] - exact[k]) / p["se"]
        z[f"{k}: Ciw-theory"] = (c["mean"] - exact[k]) / c["se"]
    out["z"] = z
    out["consistent"] = all(abs(v) < Z_MAX for v in z.values())
    return out


def print_table(rows: dict[str, dict[str, Any]], ratio: dict[str, float]) -> None:
    """The speed table and the prefsim / Ciw ratios."""
    print(f"{'tool':<26}{'median s':>10}{'customers/s':>14}{'events/cust':>13}{'x Ciw':>8}")
    for label, row in rows.items():
        epc = row["events_per_customer"]
        epc_text = f"{epc:.3f}" if epc is not None else "-"
        print(
            f"{label:<26}{row['median_seconds']:>10.3f}"
            f"{row['median_customers_per_s']:>14,.0f}{epc_text:>13}{row['speed_vs_ciw']:>8.2f}"
        )
    print()
    for name, value in ratio.items():
        verdict = "meets" if value >= TARGET_SPEEDUP else "BELOW"
        print(f"{name:<50}{value:6.2f}x  ({verdict} the {TARGET_SPEEDUP:g}x target)")


def print_sanity(check: dict[str, Any]) -> None:
    """Both tools' estimates (+- one standard error), the closed form and the z-scores."""
    keys = ("abandon_share", "wait_served_minutes")
    print(f"\n{'sanity (batch means)':<26}{'abandon share':>20}{'wait of served (min)':>24}")
    for label in ("prefsim simulate", BASELINE):
        a, w = (check[label][k] for k in keys)
        print(f"{label:<26}{a['mean']:>11.4f} +- {a['se']:.4f}{w['mean']:>15.3f} +- {w['se']:.3f}")
    a, w = (check["erlang_a"][k] for k in keys)
    print(f"{'Erlang-A (closed form)':<26}{a:>11.4f}{w:>24.3f}")
    print("z-scores: " + ", ".join(f"{k} {v:+.2f}" for k, v in check["z"].items()))
    verdict = "consistent" if check["consistent"] else "NOT consistent"
    print(f"verdict: {verdict} (all |z| < {Z_MAX:g} required)")


def machine() -> dict[str, Any]:
    """Where the figures were measured."""
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_count": os.cpu_count(),
        "load_average_1_5_15min": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "versions": {p: version(p) for p in ("prefsim", "ciw", "simpy", "numpy", "pandas")},
    }


def report(
    m: Model,
    repeats: int,
    rows: dict[str, dict[str, Any]],
    ratio: dict[str, float],
    check: dict[str, Any],
) -> dict[str, Any]:
    """Everything measured, with when, where and on what model, for the JSON file."""
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "model": asdict(m) | {"rho": m.lam / (m.c * m.mu)},
        "repeats": repeats,
        "target_speedup": TARGET_SPEEDUP,
        "results": rows,
        "ratio_prefsim_over_ciw": ratio,
        "sanity": check,
    }


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000, help="about this many")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per tool")
    parser.add_argument("--quick", action="store_true", help="CI smoke: 20,000 x 2 repeats")
    parser.add_argument("--output", type=Path, default=None, help="JSON results file")
    args = parser.parse_args(argv)
    if args.quick:
        args.customers, args.repeats = 20_000, 2
    if args.customers < 1 or args.repeats < 1:
        parser.error("--customers and --repeats must be positive")
    name = "desk_quick.json" if args.quick else "desk.json"
    args.output = args.output or RESULTS_DIR / name
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    m = Model.for_customers(args.customers)
    print(
        f"M/M/{m.c}+M desk: lam={m.lam:g}/day, mu={m.mu:g}/day, theta={m.theta:g}/day, "
        f"rho={m.lam / (m.c * m.mu):.2f}, horizon={m.days} days "
        f"(~{m.lam * m.days:,.0f} customers), {args.repeats} repeats\n"
    )
    samples = measure(m, args.repeats)
    rows, check = summarise(samples), sanity(m, samples)
    ratio = ratios(rows)
    print_table(rows, ratio)
    print_sanity(check)
    write_json(args.output, report(m, args.repeats, rows, ratio, check))
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
