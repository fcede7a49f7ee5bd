"""Run time of the Val-de-Marne baseline whatever the probe's rate.

The probe (:mod:`sim.engine.probe`) reads nothing during the run: it follows each race
page's free dates between changes and the rate only weighs the pieces of time at the end
(:mod:`sim.analysis.probe`). So a replication must cost the same with a probe reading once a
day, every hour (La Cimade's robot) or every second, and about the same as without a probe.

Each repeat runs one replication of ``scenarios/val-de-marne-2021.yaml`` (its courts
included) per variant, in an order that rotates from one repeat to the next, after one
untimed warm-up run; wall and CPU times of :func:`sim.experiments.experiment.run` (the
simulation and its tables) are recorded, with the number of SimPy events. Target: every
probe rate within 10 % of the hourly probe's median, and the same number of events.

Results go to ``benchmarks/results/probe.json``. Usage::

    .venv/bin/python benchmarks/bench_probe.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from sim.experiments.experiment import run
from sim.scenario.loader import load, variant

BASELINE = Path(__file__).parents[1] / "scenarios" / "val-de-marne-2021.yaml"
RATES = {"no probe": None, "1 a day": 1.0, "24 a day": 24.0, "every second": 86400.0}


def variants() -> dict[str, Any]:
    base = load(BASELINE)
    return {name: variant(base, ["probe=null" if rate is None
                                 else f"probe.readings_per_day={rate}"])
            for name, rate in RATES.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--output", type=Path,
                        default=Path(__file__).parent / "results" / "probe.json")
    args = parser.parse_args()
    specs = variants()
    names = list(specs)
    run(specs["24 a day"], 1, 0)  # warm-up: imports, caches
    samples: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    for k in range(args.repeats):
        for name in names[k % len(names):] + names[:k % len(names)]:
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            result = run(specs[name], 1, 0)
            samples[name].append({"wall_s": time.perf_counter() - wall,
                                  "cpu_s": time.process_time() - cpu,
                                  "events": result.n_events})
            print(f"repeat {k + 1}: {name:>13} {samples[name][-1]['cpu_s']:6.2f} s CPU",
                  flush=True)
    hourly = statistics.median(s["cpu_s"] for s in samples["24 a day"])
    summary = {}
    for name in names:
        cpu = statistics.median(s["cpu_s"] for s in samples[name])
        summary[name] = {"median_cpu_s": round(cpu, 3),
                         "median_wall_s": round(statistics.median(
                             s["wall_s"] for s in samples[name]), 3),
                         "ratio_to_hourly": round(cpu / hourly, 3),
                         "events": samples[name][0]["events"]}
    events = {v["events"] for v in summary.values()}
    ok = all(abs(v["ratio_to_hourly"] - 1) <= 0.10 for v in summary.values()) and \
        len(events) == 1
    print(f"\n{'variant':>13} {'CPU s':>7} {'wall s':>7} {'ratio':>6} {'events':>8}")
    for name, v in summary.items():
        print(f"{name:>13} {v['median_cpu_s']:7.2f} {v['median_wall_s']:7.2f} "
              f"{v['ratio_to_hourly']:6.3f} {v['events']:8d}")
    print(f"target (every rate within 10 % of the hourly probe, same events): "
          f"{'met' if ok else 'missed'}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "benchmark": "probe", "scenario": str(BASELINE.name), "repeats": args.repeats,
        "machine": {"python": platform.python_version(), "processor": platform.processor(),
                    "system": platform.system()},
        "date": dt.date.today().isoformat(), "summary": summary, "target_met": ok,
        "samples": samples,
    }, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
