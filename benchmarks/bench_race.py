"""Speed of prefsim's race on a prefecture-year, and against a naive SimPy model.

Model: ``benchmarks/scenarios/race_year.yaml``, a prefecture-year of about 100,000
applicants (three procedures, demand slightly above counter capacity, exponential patience
of mean 120 days) on today's race policy (daily releases 60 days ahead; a released slot goes
to whoever checks first), every seeker checking ``checks_per_day`` = 1, 10 or 100 times a day.

(a) prefsim alone: :func:`sim.engine.model.simulate` on the full prefecture-year at each check rate,
    one untimed warm-up run per rate, then ``--repeats`` timed runs per rate, interleaved
    (the order of the rates rotates from one repeat to the next). prefsim resolves the race
    analytically (:mod:`sim.engine.booking.race`), so its run time must not grow with the check
    rate: target ``t(100) / t(1) <= 1.2``, and one replication in at most 1 s.

(b) prefsim against ``naive_race.py``, a straightforward SimPy model of the same system with
    one event per check (same population, same slot calendar). The naive model's cost grows
    with the number of checks, so it runs on a reduced prefecture-year (every procedure's
    volume and the counter staff times ``scale``, per check rate; see ``--scales``), and
    prefsim runs that same reduced scenario with the same seeds. ``--naive-repeats`` repeats,
    tools interleaved in rotating order. Target: prefsim at least 20x faster. A sanity check
    compares both tools' outcomes on those runs (:func:`naive_race.compare`).

Results go to ``benchmarks/results/race.json`` (``race_quick.json`` with ``--quick``).

Usage::

    .venv/bin/python benchmarks/bench_race.py [--repeats 5] [--naive-repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from naive_race import naive_totals, simulate_naive
from race_agreement import (
    CHECKED,
    Z_BOUND,
    compare,
    prefsim_totals,
    print_comparison,
    verdict,
)
from race_inputs import SCENARIO, race_scenario

from sim.engine.model import simulate
from sim.scenario import Scenario

RATES = (1, 10, 100)  # checks per day per seeker
FULL_SCALES = {1: 1.0, 10: 0.5, 100: 0.1}  # naive runs of roughly 10-40 s each
QUICK_SCALES = {1: 0.05, 10: 0.02, 100: 0.005}
QUICK_PREFSIM_SCALE = 0.2
TARGET_SECONDS = 1.0  # one full prefecture-year replication
TARGET_GROWTH = 1.2  # t(100) / t(1)
TARGET_SPEEDUP = 20.0  # naive seconds / prefsim seconds
RESULTS_DIR = Path(__file__).resolve().parent / "results"
SHORT = {"share_served": "served", "share_abandoned": "abandoned",
         "looking_days_of_bookers": "looking time", "attempts_per_booking": "attempts",
         "night_attempt_share": "night", "bot_share": "bots", "wasted_slot_share": "wasted"}


@dataclass(frozen=True)
class Sample:
    """One timed run."""

    seconds: float
    applicants: int
    events: int
    checks: int | None = None  # naive model only: visits to the booking site
    totals: np.ndarray | None = None  # per-batch sums for the sanity check


def time_prefsim(scn: Scenario, seed: int) -> Sample:
    """Time :func:`sim.engine.model.simulate` (population draw and slot calendar included)."""
    gc.collect()
    start = time.perf_counter()
    out = simulate(scn, seed)
    seconds = time.perf_counter() - start
    return Sample(seconds, out.population.size, out.n_events, None, prefsim_totals(out))


def time_naive(scn: Scenario, seed: int) -> Sample:
    """Time :func:`naive_race.simulate_naive` (population draw and slot calendar included)."""
    gc.collect()
    start = time.perf_counter()
    out = simulate_naive(scn, seed)
    seconds = time.perf_counter() - start
    return Sample(seconds, out.population.size, out.n_events, out.n_checks, naive_totals(out))


def progress(text: str) -> None:
    print("  " + text, file=sys.stderr, flush=True)


# -- (a) prefsim alone, full prefecture-year -----------------------------------------------------
def measure_prefsim(scale: float, repeats: int) -> dict[int, list[Sample]]:
    scns = {r: race_scenario(r, scale) for r in RATES}
    for r in RATES:  # untimed: imports, caches and first-call costs
        time_prefsim(scns[r], 0)
    samples: dict[int, list[Sample]] = {r: [] for r in RATES}
    for rep in range(repeats):
        shift = rep % len(RATES)
        for r in RATES[shift:] + RATES[:shift]:
            samples[r].append(time_prefsim(scns[r], rep + 1))
        progress(f"(a) repeat {rep + 1}/{repeats}: " + ", ".join(
            f"{r}/day {samples[r][-1].seconds:.3f} s" for r in RATES))
    return samples


def summarise_prefsim(samples: dict[int, list[Sample]], full: bool) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for r, runs in samples.items():
        rows[str(r)] = {
            "checks_per_day": r,
            "median_seconds": statistics.median(s.seconds for s in runs),
            "median_applicants": statistics.median(s.applicants for s in runs),
            "events_per_applicant": statistics.fmean(s.events / s.applicants for s in runs),
            "seconds": [s.seconds for s in runs],
            "applicants": [s.applicants for s in runs],
            "events": [s.events for s in runs],
        }
    t1 = rows["1"]["median_seconds"]
    for row in rows.values():
        row["ratio_to_1_check"] = row["median_seconds"] / t1
        row["meets_1s_target"] = row["median_seconds"] <= TARGET_SECONDS if full else None
    growth = rows["100"]["median_seconds"] / t1
    return {
        "rows": rows,
        "ratio_t100_over_t1": growth,
        "meets_growth_target": growth <= TARGET_GROWTH,
        "meets_1s_target": all(row["meets_1s_target"] for row in rows.values()) if full else None,
    }


# -- (b) prefsim vs the naive model, same reduced scenario ---------------------------------------
Timer = Callable[[Scenario, int], Sample]
TOOLS: tuple[tuple[str, Timer], ...] = (("prefsim", time_prefsim), ("naive", time_naive))


def measure_vs_naive(scales: dict[int, float], repeats: int) -> dict[int, dict[str, list[Sample]]]:
    scns = {r: race_scenario(r, scales[r]) for r in RATES}
    time_naive(race_scenario(1, 0.01), 0)  # untimed warm-up (prefsim was warmed up in (a))
    samples: dict[int, dict[str, list[Sample]]] = {r: {"prefsim": [], "naive": []} for r in RATES}
    for rep in range(repeats):
        for r in RATES:
            shift = rep % len(TOOLS)
            for name, timer in TOOLS[shift:] + TOOLS[:shift]:
                samples[r][name].append(timer(scns[r], rep + 1))
            p, n = samples[r]["prefsim"][-1], samples[r]["naive"][-1]
            progress(f"(b) repeat {rep + 1}/{repeats}, {r}/day x{scales[r]:g}: prefsim "
                     f"{p.seconds:.3f} s, naive {n.seconds:.1f} s ({n.checks:,} checks)")
    return samples


def summarise_vs_naive(samples: dict[int, dict[str, list[Sample]]], scales: dict[int, float],
                       prefsim_full: dict[str, Any] | None) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for r, tools in samples.items():
        p, n = tools["prefsim"], tools["naive"]
        tp = statistics.median(s.seconds for s in p)
        tn = statistics.median(s.seconds for s in n)
        checks = [s.checks or 0 for s in n]
        row: dict[str, Any] = {
            "checks_per_day": r,
            "volume_scale": scales[r],
            "median_applicants": statistics.median(s.applicants for s in p),
            "prefsim_median_seconds": tp,
            "naive_median_seconds": tn,
            "speedup_naive_over_prefsim": tn / tp,
            "meets_speedup_target": tn / tp >= TARGET_SPEEDUP,
            "prefsim_events_per_applicant": statistics.fmean(s.events / s.applicants for s in p),
            "naive_events_per_applicant": statistics.fmean(s.events / s.applicants for s in n),
            "naive_checks_per_applicant": statistics.fmean(
                c / s.applicants for c, s in zip(checks, n, strict=True)),
            "naive_events_per_check": statistics.fmean(
                s.events / c for c, s in zip(checks, n, strict=True)),
            "naive_checks_per_second": statistics.median(
                c / s.seconds for c, s in zip(checks, n, strict=True)),
            "prefsim_seconds": [s.seconds for s in p],
            "naive_seconds": [s.seconds for s in n],
            "naive_checks": checks,
        }
        if prefsim_full is not None:  # the naive model's cost is about linear in the volume
            full = tn / scales[r]
            row["naive_full_year_seconds_extrapolated"] = full
            row["speedup_full_year_extrapolated"] = (
                full / prefsim_full["rows"][str(r)]["median_seconds"])
        rows[str(r)] = row
    return rows


def sanity(samples: dict[int, dict[str, list[Sample]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for r, tools in samples.items():
        p = [s.totals for s in tools["prefsim"] if s.totals is not None]
        n = [s.totals for s in tools["naive"] if s.totals is not None]
        out[str(r)] = compare(p, n)
    return out


# -- output --------------------------------------------------------------------------------------
def yes(ok: bool | None) -> str:
    return "n/a" if ok is None else ("meets" if ok else "MISSES")


def print_prefsim(a: dict[str, Any], scale: float, repeats: int) -> None:
    rows = a["rows"]
    print(f"(a) prefsim simulate, race_year.yaml x{scale:g} volume: median of {repeats} "
          "interleaved runs (after one warm-up per rate)")
    print(f"{'checks/day':>10}{'applicants':>12}{'median s':>10}{'events/applicant':>18}"
          f"{'x t(1)':>8}{'<= 1 s':>8}")
    for row in rows.values():
        print(f"{row['checks_per_day']:>10}{row['median_applicants']:>12,.0f}"
              f"{row['median_seconds']:>10.3f}{row['events_per_applicant']:>18.3f}"
              f"{row['ratio_to_1_check']:>8.2f}{yes(row['meets_1s_target']):>8}")
    one_s = ("n/a (reduced volume)" if a["meets_1s_target"] is None
             else "met at every rate" if a["meets_1s_target"] else "MISSED")
    print(f"t(100)/t(1) = {a['ratio_t100_over_t1']:.2f}: {yes(a['meets_growth_target'])} the "
          f"<= {TARGET_GROWTH:g} target; one replication <= {TARGET_SECONDS:g} s: {one_s}")


def print_vs_naive(b: dict[str, Any], repeats: int) -> None:
    print(f"\n(b) prefsim vs naive SimPy (one event per check), same reduced scenario and "
          f"seeds: median of {repeats}")
    print(f"{'checks/day':>10}{'volume':>8}{'applicants':>12}{'prefsim s':>11}{'naive s':>10}"
          f"{'naive/prefsim':>15}{'naive ev/check':>16}{'naive ev/appl.':>16}"
          f"{'prefsim ev/appl.':>18}")
    for row in b.values():
        print(f"{row['checks_per_day']:>10}{'x' + format(row['volume_scale'], 'g'):>8}"
              f"{row['median_applicants']:>12,.0f}{row['prefsim_median_seconds']:>11.3f}"
              f"{row['naive_median_seconds']:>10.2f}"
              f"{row['speedup_naive_over_prefsim']:>14.1f}x{row['naive_events_per_check']:>16.3f}"
              f"{row['naive_events_per_applicant']:>16.1f}"
              f"{row['prefsim_events_per_applicant']:>18.3f}")
    print(f"speed-up target >= {TARGET_SPEEDUP:g}x: " + ", ".join(
        f"{row['checks_per_day']}/day {yes(row['meets_speedup_target'])}" for row in b.values()))
    extra = [row for row in b.values() if "speedup_full_year_extrapolated" in row]
    if extra:
        print("full prefecture-year, naive extrapolated (naive s / volume) vs prefsim (a): "
              + ", ".join(f"{row['checks_per_day']}/day "
                          f"{row['naive_full_year_seconds_extrapolated']:,.0f} s = "
                          f"{row['speedup_full_year_extrapolated']:,.0f}x" for row in extra))


def print_sanity(check: dict[str, Any], b: dict[str, Any]) -> None:
    first = str(RATES[0])
    print()
    print_comparison(check[first], f"sanity, {first} check/day x{b[first]['volume_scale']:g}")
    for r in RATES[1:]:
        c = check[str(r)]
        zs = ", ".join(f"{SHORT[k]} {c[k]['z']:+.1f}" for k in CHECKED)
        word = "consistent" if c["consistent"] else "NOT consistent"
        print(f"sanity, {r}/day x{b[str(r)]['volume_scale']:g}: z {zs}; "
              f"raw attempts/booking {c['attempts_per_booking']['relative_gap']:+.2%}: {word}")
    print(verdict(check[first]))


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_count": os.cpu_count(),
        "load_average_1_5_15min": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "versions": {p: version(p) for p in ("prefsim", "simpy", "numpy", "scipy")},
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per rate in (a)")
    parser.add_argument("--naive-repeats", type=int, default=3, help="runs per tool in (b)")
    parser.add_argument("--scales", type=str, default=None,
                        help="volume scales of (b) for 1,10,100 checks/day, e.g. 1,0.5,0.1")
    parser.add_argument("--quick", action="store_true", help="smoke run, about 20 s")
    parser.add_argument("--output", type=Path, default=None, help="JSON results file")
    args = parser.parse_args(argv)
    args.prefsim_scale = 1.0
    scales = FULL_SCALES
    if args.quick:
        args.repeats, args.naive_repeats = 2, 2
        args.prefsim_scale, scales = QUICK_PREFSIM_SCALE, QUICK_SCALES
    if args.scales:
        values = [float(x) for x in args.scales.split(",")]
        if len(values) != len(RATES) or min(values) <= 0:
            parser.error(f"--scales needs {len(RATES)} positive numbers")
        scales = dict(zip(RATES, values, strict=True))
    args.naive_scales = scales
    if args.repeats < 1 or args.naive_repeats < 2:
        parser.error("--repeats must be >= 1 and --naive-repeats >= 2")
    args.output = args.output or RESULTS_DIR / ("race_quick.json" if args.quick else "race.json")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wall = time.perf_counter()
    full = args.prefsim_scale == 1.0
    print("benchmarks/scenarios/race_year.yaml: a prefecture-year of about 100,000 applicants "
          "on the race (daily releases 60 days ahead), seekers checking 1, 10 or 100 times a "
          "day\n", flush=True)
    a_samples = measure_prefsim(args.prefsim_scale, args.repeats)
    a = summarise_prefsim(a_samples, full)
    b_samples = measure_vs_naive(args.naive_scales, args.naive_repeats)
    b = summarise_vs_naive(b_samples, args.naive_scales, a if full else None)
    check = sanity(b_samples)
    print_prefsim(a, args.prefsim_scale, args.repeats)
    print_vs_naive(b, args.naive_repeats)
    print_sanity(check, b)
    payload = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "scenario": str(SCENARIO.relative_to(Path(__file__).resolve().parent.parent)),
        "quick": args.quick,
        "targets": {"seconds_per_replication": TARGET_SECONDS,
                    "t100_over_t1": TARGET_GROWTH, "speedup_over_naive": TARGET_SPEEDUP},
        "prefsim": {"volume_scale": args.prefsim_scale, "repeats": args.repeats} | a,
        "versus_naive": {"repeats": args.naive_repeats, "rows": b},
        "sanity": {"z_bound": Z_BOUND, "checked": list(CHECKED)} | check,
        "wall_seconds": time.perf_counter() - wall,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.output} ({payload['wall_seconds']:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
