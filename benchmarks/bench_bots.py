"""Run time of the race with bots, from 1e3 to 1e8 bot requests per day.

Bot traffic is resolved analytically with the race (:mod:`sim.engine.bots`): an operator is one more
class of checkers whose rate enters each release's resolution, so run time must not grow
with the request volume. The issue's target: from 1e3 to 1e8 requests per day, run time grows
by at most 1.2x.

The scenario is ``benchmarks/scenarios/race_year.yaml`` (a prefecture-year of about 100,000
applicants on the race) plus one speculative operator with 200 identities and no
countermeasure, speculating at no cost (it takes every slot it can: the heaviest case);
only ``requests_per_day`` changes. Each repeat runs every volume once, in a
rotating order (the machine's noise is shared); the table reports medians of
:func:`sim.engine.model.simulate` and the ratio of each volume's median to the smallest volume's.

Usage::

    .venv/bin/python benchmarks/bench_bots.py [--repeats 5] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sim.analysis.metrics import applicants_table, kpi_table
from sim.engine.model import simulate
from sim.scenario import Scenario
from sim.scenario.loader import load, validate

HERE = Path(__file__).parent
VOLUMES = (1e3, 1e4, 1e5, 1e6, 1e7, 1e8)


def scenario(requests_per_day: float, scale: float) -> Scenario:
    """The race prefecture-year with one speculative operator at this volume."""
    data = load(HERE / "scenarios" / "race_year.yaml").model_dump(mode="json")
    for proc in data["procedures"].values():
        proc["annual_volume"] *= scale
    data["staff"]["front_office_etp"] *= scale
    # costless speculation: the operator takes every slot it can, the heaviest case for the
    # race (with a cost it stops at what it expects to sell)
    data["bots"] = {"reseller": {"requests_per_day": requests_per_day, "identities": 200,
                                 "cost_per_booking_eur": 0.0}}
    return validate(data)


def timed(spec: Scenario, seed: int) -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    out = simulate(spec, seed, 0)
    seconds = time.perf_counter() - started
    kpis = kpi_table(out, applicants_table(out)).query("procedure == 'all'")
    values = dict(zip(kpis["kpi"], kpis["value"], strict=True))
    values["events_per_applicant"] = out.n_events / out.population.size
    values["applicants"] = out.population.size
    return seconds, values


def measure(repeats: int, scale: float) -> dict[float, list[float]]:
    specs = {v: scenario(v, scale) for v in VOLUMES}
    timed(specs[VOLUMES[0]], 99)  # warm-up: imports and caches
    times: dict[float, list[float]] = {v: [] for v in VOLUMES}
    for rep in range(repeats):
        order = VOLUMES[rep % len(VOLUMES):] + VOLUMES[: rep % len(VOLUMES)]
        for v in order:
            seconds, _ = timed(specs[v], 1)
            times[v].append(seconds)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="a tenth of the volume, 2 repeats")
    args = parser.parse_args(argv)
    scale, repeats = (0.1, 2) if args.quick else (1.0, args.repeats)
    times = measure(repeats, scale)
    medians = {v: statistics.median(t) for v, t in times.items()}
    base = medians[VOLUMES[0]]
    print(f"race with bots, {repeats} repeats, scale {scale}: median seconds of simulate")
    print(f"{'requests/day':>14} {'median s':>9} {'x 1e3':>7} {'bot share':>10} "
          f"{'events/applicant':>17}")
    rows = []
    for v in VOLUMES:
        _, values = timed(scenario(v, scale), 1)
        ratio = medians[v] / base
        rows.append({"requests_per_day": v, "median_seconds": medians[v], "ratio": ratio,
                     "runs": times[v], **{k: values[k] for k in
                                          ("bot_slot_share", "events_per_applicant",
                                           "applicants")}})
        print(f"{v:>14.0e} {medians[v]:>9.3f} {ratio:>7.2f} {values['bot_slot_share']:>10.3f} "
              f"{values['events_per_applicant']:>17.2f}")
    worst = max(r["ratio"] for r in rows)
    print(f"largest ratio to 1e3 requests/day: {worst:.2f} (target <= 1.2: "
          f"{'met' if worst <= 1.2 else 'NOT met'})")
    payload: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": sys.version.split()[0],
                    "nproc": os.cpu_count()},
        "repeats": repeats, "scale": scale, "rows": rows, "largest_ratio": worst,
    }
    out = HERE / "results" / ("bots_quick.json" if args.quick else "bots.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
