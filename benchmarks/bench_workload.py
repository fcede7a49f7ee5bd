"""The work estimate against what runs take: peak memory and CPU time of one replication.

:func:`sim.engine.workload.estimate` says, before a run, how much memory and CPU time one
replication will take; :mod:`sim.experiments.budget` refuses what exceeds a budget on that
word. This benchmark checks the word: each case (a bundled scenario, or one scaled up through
the fields that drive the work: volumes, staff, minutes per visit, horizon, burn-in and
follow-up, release schedules) runs one replication (:func:`sim.experiments.experiment.run`)
in a fresh process, which reports

* its peak resident memory above what it held once imported (``VmHWM`` minus the
  resident set before the run), and
* its CPU time (``time.process_time``),

next to the estimate. The estimate must stay above both (ratio >= 1) on every case; the
ratios show how conservative it is. Memory ratios near 1 are what the constants of
:mod:`sim.engine.workload` were fitted to; CPU times vary with the machine's load.

Usage::

    .venv/bin/python benchmarks/bench_workload.py [--quick] [--output FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"
VOLUMES = {"renewal": 12000, "first_title": 6000, "naturalisation": 2500}


def _volumes(factor: float) -> list[str]:
    return [f"procedures.{p}.annual_volume={v * factor:g}" for p, v in VOLUMES.items()]


CASES: list[tuple[str, str, list[str]]] = [
    ("demo", "scenarios/demo.yaml", []),
    ("demo-race", "scenarios/demo-race.yaml", []),
    ("demo-bots", "scenarios/demo-bots.yaml", []),
    ("val-de-marne-2021", "scenarios/val-de-marne-2021.yaml", []),
    ("what-ifs/waitlist", "scenarios/what-ifs/waitlist.yaml", []),
    ("what-ifs/desk", "scenarios/what-ifs/desk.yaml", []),
    ("validation/mmc_abandon", "scenarios/validation/mmc_abandon.yaml", []),
    ("demo, volumes x10", "scenarios/demo.yaml", _volumes(10)),
    ("demo, volumes x50", "scenarios/demo.yaml", _volumes(50)),
    ("demo-bots, volumes x10", "scenarios/demo-bots.yaml", _volumes(10)),
    ("demo, 300 ETP", "scenarios/demo.yaml", ["staff.front_office_etp=300"]),
    ("demo, 1500 ETP", "scenarios/demo.yaml", ["staff.front_office_etp=1500"]),
    ("demo-race, 1500 ETP", "scenarios/demo-race.yaml", ["staff.front_office_etp=1500"]),
    ("demo, 1 minute per visit", "scenarios/demo.yaml",
     [f"procedures.{p}.counter_minutes_per_visit=1" for p in VOLUMES]),
    ("demo-race, continuous release, 200 ETP", "scenarios/demo-race.yaml",
     ["channels.online.release.kind=continuous", "staff.front_office_etp=200"]),
    ("demo, lottery x10", "scenarios/demo-race.yaml",
     ["channels.online.kind=lottery", *_volumes(10)]),
    ("val-de-marne, burn-in and follow-up 1 year", "scenarios/val-de-marne-2021.yaml",
     ["horizon.burn_in_days=365", "horizon.follow_up_days=365"]),
    ("demo, 10 years", "scenarios/demo.yaml", ["horizon.days=3650", "staff.reinforcements=[]",
                                               "staff.seasonal=[]"]),
    ("demo-bots, 10 years of burn-in and 10 of horizon", "scenarios/demo-bots.yaml",
     ["horizon.burn_in_days=3650", "horizon.days=3660"]),
    # the scenario's shape: many slot channels, procedures, bot operators, seeker classes
    ("demo-bots, 200 race channels", "scenarios/demo-bots.yaml", [
        "channels={" + ", ".join(f"c{k}: {{kind: race, counter_share: 0.0045, procedures: "
                                 "[renewal]}" for k in range(200))
        + ", desk: {counter_share: 0.05}, online: {counter_share: 0.05}}"]),
    ("demo-bots, 600 procedures", "scenarios/demo-bots.yaml", [
        "procedures={" + ", ".join(f"p{k}: {{annual_volume: 100}}" for k in range(600)) + "}",
        "countermeasures.agdref_procedures=[]"]),
    ("demo-bots, 300 bot operators", "scenarios/demo-bots.yaml", [
        "bots={" + ", ".join(f"b{k}: {{requests_per_day: 1e6, identities: 1000}}"
                             for k in range(300)) + "}"]),
    ("demo-bots, 400 seeker classes", "scenarios/demo-bots.yaml", [
        "behaviour.seekers=[" + ", ".join(f"{{share: 0.0025, checks_per_day: {k + 1}}}"
                                          for k in range(400)) + "]"]),
]
QUICK = {"demo", "demo-race", "demo, volumes x10", "demo, 300 ETP"}

MEASURE = """
import json, resource, sys, time
from sim.engine.workload import estimate
from sim.experiments.experiment import run
from sim.scenario.loader import load

spec = load(sys.argv[1], sys.argv[2:])
work = estimate(spec)
with open("/proc/self/statm") as f:
    before = int(f.read().split()[1]) * resource.getpagesize()
cpu = time.process_time()
result = run(spec, 1, 0)
cpu = time.process_time() - cpu
with open("/proc/self/status") as f:  # this process's own high-water mark: ru_maxrss
    peak = next(int(line.split()[1]) * 1024 for line in f  # starts at the parent's (fork)
                if line.startswith("VmHWM:"))
print(json.dumps({"memory_bytes": peak - before, "cpu_seconds": cpu, "events": result.n_events,
                  "estimated_bytes": work.memory_bytes, "estimated_seconds": work.seconds,
                  "estimated_events": work.events, "applicants": work.applicants,
                  "slots": work.n_slots}))
"""


def measure(path: str, overrides: list[str]) -> dict[str, Any]:
    """One replication in a fresh process: its measured and estimated memory and time."""
    done = subprocess.run([sys.executable, "-c", MEASURE, path, *overrides], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="four small cases only")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    output = args.output or RESULTS_DIR / ("workload_quick.json" if args.quick
                                           else "workload.json")
    rows = []
    print(f"{'case':50} {'MB run':>8} {'MB est':>8} {'ratio':>6} {'s run':>7} {'s est':>7} "
          f"{'ratio':>6}")
    for name, path, overrides in CASES:
        if args.quick and name not in QUICK:
            continue
        got = measure(path, overrides)
        got.update(case=name, scenario=path, overrides=overrides,
                   memory_ratio=got["estimated_bytes"] / max(got["memory_bytes"], 1.0),
                   time_ratio=got["estimated_seconds"] / max(got["cpu_seconds"], 1e-3))
        rows.append(got)
        print(f"{name:50} {got['memory_bytes'] / 1e6:8.0f} {got['estimated_bytes'] / 1e6:8.0f} "
              f"{got['memory_ratio']:6.2f} {got['cpu_seconds']:7.2f} "
              f"{got['estimated_seconds']:7.2f} {got['time_ratio']:6.2f}", flush=True)
    low_memory = min(r["memory_ratio"] for r in rows)
    low_time = min(r["time_ratio"] for r in rows)
    print(f"lowest ratios (estimate / measured): memory {low_memory:.2f}, time {low_time:.2f} "
          "(must stay >= 1)")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({
        "date": dt.datetime.now().isoformat(timespec="seconds"), "python": sys.version.split()[0],
        "machine": platform.platform(), "cases": rows,
        "lowest_memory_ratio": low_memory, "lowest_time_ratio": low_time,
    }, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
