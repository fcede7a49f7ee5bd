"""Sweep throughput with 1 and 2 workers: a local process pool and a Dask LocalCluster.

Workload: ``scenarios/demo.yaml`` (one year, about 20,000 applicants, waitlist plus desk) and
a grid of ``--points`` values of ``staff.front_office_etp`` (from 9 upwards, one replication
each), so that every task is a real, full-size replication of about half a second.

Each repeat runs four configurations in a rotating order (so they share the machine's
noise): the pool with 1 and 2 workers, Dask with 1 and 2 workers. Every run writes into a
fresh directory (nothing is skipped) and is timed from the moment its executor is up (worker
start-up is timed separately) to the end of :func:`sim.experiments.sweep.sweep`, i.e. tasks, atomic
writes of every task file and the combined dataset. Throughput is points per second; the
table reports medians over the repeats and the scaling efficiency ``T1 / (2 * T2)`` of each
executor (1.0: two workers are twice as fast as one).

Usage::

    .venv/bin/python benchmarks/bench_sweep.py [--points 24] [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sim.experiments.executors import DaskExecutor, Executor, PoolExecutor
from sim.experiments.sweep import sweep
from sim.scenario import Scenario
from sim.scenario.loader import load

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"
CONFIGS = (("pool", 1), ("pool", 2), ("dask", 1), ("dask", 2))


def executor(kind: str, workers: int) -> Executor:
    return PoolExecutor(workers) if kind == "pool" else DaskExecutor(None, workers, timeout=60)


def timed_sweep(base: Scenario, grid: dict[str, list[Any]], kind: str, workers: int
                ) -> dict[str, float]:
    """One sweep in a fresh directory: start-up seconds and task seconds."""
    marks: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as out:
        begin = time.perf_counter()
        result = sweep(base, grid, out, seed=1, replications=1,
                       executor=executor(kind, workers),
                       started=lambda _: marks.setdefault("up", time.perf_counter()))
        end = time.perf_counter()
    if result.n_run != len(grid["staff.front_office_etp"]) or result.failures:
        raise RuntimeError(f"sweep did not run every point: {result.n_run} run, {result.failures}")
    return {"startup_s": marks["up"] - begin, "sweep_s": end - marks["up"]}


def measure(points: int, repeats: int, horizon_days: int) -> dict[str, list[dict[str, float]]]:
    base = load(ROOT / "scenarios" / "demo.yaml", [f"horizon.days={horizon_days}"])
    grid = {"staff.front_office_etp": [9 + 0.5 * k for k in range(points)]}
    samples: dict[str, list[dict[str, float]]] = {f"{k} x{w}": [] for k, w in CONFIGS}
    for rep in range(repeats):
        order = CONFIGS[rep % len(CONFIGS):] + CONFIGS[:rep % len(CONFIGS)]
        for kind, workers in order:
            sample = timed_sweep(base, grid, kind, workers)
            sample["points_per_s"] = points / sample["sweep_s"]
            samples[f"{kind} x{workers}"].append(sample)
            print(f"  repeat {rep + 1}/{repeats} {kind} x{workers}: "
                  f"{sample['sweep_s']:.2f} s, {sample['points_per_s']:.2f} points/s "
                  f"(start-up {sample['startup_s']:.2f} s)", file=sys.stderr)
    return samples


def summarise(samples: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    rows = {}
    for label, runs in samples.items():
        rows[label] = {key: statistics.median(r[key] for r in runs)
                       for key in ("sweep_s", "points_per_s", "startup_s")}
    for kind in ("pool", "dask"):
        t1, t2 = rows[f"{kind} x1"]["sweep_s"], rows[f"{kind} x2"]["sweep_s"]
        rows[f"{kind} x2"]["efficiency"] = t1 / (2 * t2)
    return rows


def print_table(rows: dict[str, dict[str, float]], points: int, repeats: int) -> None:
    print(f"sweep throughput: {points} points x 1 replication of demo.yaml, "
          f"median of {repeats} repeats, nproc {os.cpu_count()}")
    print("| executor | workers | median sweep s | points/s | start-up s | "
          "efficiency T1/(2 T2) |")
    print("|---|---|---|---|---|---|")
    for label, row in rows.items():
        kind, workers = label.split(" x")
        eff = f"{row['efficiency']:.2f}" if "efficiency" in row else ""
        print(f"| {kind} | {workers} | {row['sweep_s']:.2f} | {row['points_per_s']:.2f} | "
              f"{row['startup_s']:.2f} | {eff} |")


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(), "python": sys.version.split()[0],
        "nproc": os.cpu_count(), "load_average_1_5_15min": os.getloadavg(),
        "versions": {p: version(p) for p in ("prefsim", "numpy", "pandas", "dask",
                                             "distributed")},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=24, help="grid points (default 24)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats (at least 3)")
    parser.add_argument("--days", type=int, default=365, help="horizon of demo.yaml")
    parser.add_argument("--quick", action="store_true", help="CI smoke: 4 points, 90 days")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.points, args.days, args.repeats = 4, 90, max(1, min(args.repeats, 2))
    output = args.output or RESULTS_DIR / ("sweep_quick.json" if args.quick else "sweep.json")
    samples = measure(args.points, args.repeats, args.days)
    rows = summarise(samples)
    print_table(rows, args.points, args.repeats)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(), "points": args.points, "horizon_days": args.days,
        "repeats": args.repeats, "samples": samples, "medians": rows,
    }, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
