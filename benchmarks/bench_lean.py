"""Cost per applicant of a Val-de-Marne replication, against a lean event loop's per customer.

The yardstick is what plain Python costs per customer when it does nothing but queueing: a
lean heap-based event loop (``heapq``, floats, no objects) of an M/M/c queue, one arrival
and one departure per customer. prefsim's replication does much more per applicant (a race
resolved analytically, bots, a register, booking lives, a probe, court cases), so the ratio
says how much each applicant costs beyond the bare minimum of a discrete-event simulation in
Python. The issue's target: a Val-de-Marne replication at most 2x the lean loop per customer.

Each repeat times, in a rotating order, one lean loop of ``--customers`` customers and one
replication of ``scenarios/val-de-marne-2021.yaml`` (``simulate``: the engine; ``run``: the
engine and the tables); CPU time (``time.process_time``), after a ``gc.collect()`` and one
untimed warm-up of each. The replication's cost is per applicant *simulated* (burn-in and
follow-up included: they are simulated as the measured year is). Medians over repeats.

Usage::

    .venv/bin/python benchmarks/bench_lean.py [--repeats 5] [--customers 200000] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import heapq
import json
import platform
import random
import resource
import statistics
import time
from pathlib import Path
from typing import Any

from sim.engine.model import simulate
from sim.experiments.experiment import run
from sim.scenario.loader import load

HERE = Path(__file__).parent
ROOT = HERE.parent
SCENARIO = ROOT / "scenarios" / "val-de-marne-2021.yaml"
TARGET = 2.0


def lean_loop(customers: int, servers: int = 20, load_: float = 0.95, seed: int = 1) -> float:
    """An M/M/c queue in a bare heapq loop; returns the mean wait (so the work is used).

    >>> 0.0 <= lean_loop(2_000) < 1.0
    True
    """
    rng = random.Random(seed)
    mu = 1.0
    lam = load_ * servers * mu
    events: list[tuple[float, int]] = [(rng.expovariate(lam), 0)]  # (time, 0 arrival / 1 end)
    queue: list[float] = []  # arrival times of those waiting, first in first out
    head, busy, arrived, waited, served = 0, 0, 0, 0.0, 0
    while events:
        t, kind = heapq.heappop(events)
        if kind == 0:
            arrived += 1
            if arrived < customers:
                heapq.heappush(events, (t + rng.expovariate(lam), 0))
            if busy < servers:
                busy += 1
                served += 1
                heapq.heappush(events, (t + rng.expovariate(mu), 1))
            else:
                queue.append(t)
        elif head < len(queue):
            waited += t - queue[head]
            head += 1
            served += 1
            heapq.heappush(events, (t + rng.expovariate(mu), 1))
        else:
            busy -= 1
    return waited / max(served, 1)


def cpu(call: Any, *args: Any) -> tuple[float, Any]:
    gc.collect()
    started = time.process_time()
    value = call(*args)
    return time.process_time() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--quick", action="store_true", help="2 repeats, 20,000 customers")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.customers = 2, 20_000
    output = args.output or HERE / "results" / ("lean_quick.json" if args.quick else "lean.json")
    spec = load(SCENARIO)
    lean_loop(2_000)
    size = simulate(spec, 1, 0).population.size  # warm-up, and the applicants simulated
    lean, sim, whole = [], [], []
    for k in range(args.repeats):
        order = ["lean", "simulate", "run"]
        order = order[k % 3:] + order[:k % 3]
        for what in order:
            if what == "lean":
                lean.append(cpu(lean_loop, args.customers)[0] / args.customers)
            elif what == "simulate":
                sim.append(cpu(simulate, spec, 1, 1)[0] / size)
            else:
                whole.append(cpu(run, spec, 1, 1)[0] / size)
    per = {name: statistics.median(xs) for name, xs in
           (("lean", lean), ("simulate", sim), ("run", whole))}
    result = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.platform(),
        "repeats": args.repeats,
        "customers": args.customers,
        "applicants_simulated": size,
        "us_per_customer_lean": 1e6 * per["lean"],
        "us_per_applicant_simulate": 1e6 * per["simulate"],
        "us_per_applicant_run": 1e6 * per["run"],
        "ratio_simulate": per["simulate"] / per["lean"],
        "ratio_run": per["run"] / per["lean"],
        "seconds_simulate": per["simulate"] * size,
        "seconds_run": per["run"] * size,
        "peak_memory_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "target_ratio": TARGET,
    }
    print(f"lean loop: {result['us_per_customer_lean']:.2f} us per customer "
          f"({args.customers:,} customers, median of {args.repeats})")
    for what in ("simulate", "run"):
        print(f"Val-de-Marne {what}: {result['seconds_' + what]:.2f} s, "
              f"{result['us_per_applicant_' + what]:.1f} us per applicant ({size:,} simulated), "
              f"{result['ratio_' + what]:.1f}x the lean loop (target {TARGET:.0f}x)")
    print(f"peak memory of this process: {result['peak_memory_bytes'] / 2**20:.0f} MiB")
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    tmp.replace(output)
    print(f"written: {output}")


if __name__ == "__main__":
    main()
