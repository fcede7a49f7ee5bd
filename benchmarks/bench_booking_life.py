"""What the life of a booking costs: a Val-de-Marne prefecture-year with and without it.

The booking what-ifs became credible through three mechanisms (docs/model.md): people whose
need goes away while they hold a date give it up (``behaviour.holding``), no-shows grow with
the lead time up to a ceiling and those who miss book again (``channels.online.no_show``),
and people without digital access book through a helper (``behaviour.help``). The target set
when they were built: a prefecture-year may not cost more than 10 % more with them than
without.

Each repeat times, in a rotating order, one year of ``scenarios/val-de-marne-2021.yaml``
(``horizon.burn_in_days=0 horizon.follow_up_days=0 horizon.warmup_days=90``) as shipped,
without holding, without no-shows, and without any of the three; CPU time of ``simulate``
(``time.process_time``) after a ``gc.collect()`` and one untimed warm-up of each. Medians
and minima over repeats (on a shared machine the minimum is the least disturbed run); the
ratio is to the run without the three mechanisms. The events and requests of each variant
are reported too, as ratios: what the mechanisms add is work the model does (dates given
back and booked again, missed appointments booked again), each costing about a booking.

Usage::

    .venv/bin/python benchmarks/bench_booking_life.py [--repeats 7] [--quick]
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

import numpy as np

from sim.engine.model import simulate
from sim.scenario.loader import load

HERE = Path(__file__).parent
SCENARIO = HERE.parent / "scenarios" / "val-de-marne-2021.yaml"
YEAR = ["horizon.burn_in_days=0", "horizon.follow_up_days=0", "horizon.warmup_days=90"]
VARIANTS = {
    "as shipped": [],
    "no holding": ["behaviour.holding.patience=null"],
    "no no-show": ["channels.online.no_show=null"],
    "none of the three": ["behaviour.holding.patience=null", "channels.online.no_show=null",
                          "behaviour.help=null"],
}
REFERENCE = "none of the three"
TARGET = 1.10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="2 repeats, 250 days")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    year = list(YEAR)
    if args.quick:
        args.repeats = 2
        year.append("horizon.days=250")
    name = "booking_life_quick.json" if args.quick else "booking_life.json"
    output = args.output or HERE / "results" / name
    scenarios = {k: load(SCENARIO, [*year, *v]) for k, v in VARIANTS.items()}
    work = {}
    for k, spec in scenarios.items():  # warm-up, and the work each variant does
        out = simulate(spec, 1)
        booked = int((out.records.requests > 0).sum())
        work[k] = {"events": int(out.n_events), "applicants": int(out.population.size),
                   "requests": int(out.records.requests.sum()), "people_booked": booked,
                   "missed": int(out.records.missed.sum())}
    times: dict[str, list[float]] = {k: [] for k in scenarios}
    names = list(scenarios)
    for r in range(args.repeats):
        for k in names[r % len(names):] + names[:r % len(names)]:
            gc.collect()
            started = time.process_time()
            simulate(scenarios[k], 1)
            times[k].append(time.process_time() - started)
    median = {k: statistics.median(v) for k, v in times.items()}
    least = {k: min(v) for k, v in times.items()}
    result = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.platform(),
        "repeats": args.repeats,
        "overrides": year,
        "variants": {
            k: {"overrides": VARIANTS[k], "seconds_median": median[k], "seconds_min": least[k],
                "ratio_median": median[k] / median[REFERENCE],
                "ratio_min": least[k] / least[REFERENCE], "seconds": times[k], **work[k]}
            for k in names
        },
        "target_ratio": TARGET,
    }
    ref = work[REFERENCE]
    print(f"Val-de-Marne, one year, CPU seconds of simulate over {args.repeats} repeats")
    print(f"{'variant':<20}{'median':>8}{'ratio':>7}{'min':>8}{'ratio':>7}"
          f"{'events':>9}{'requests':>10}")
    for k in names:
        v = result["variants"][k]
        print(f"{k:<20}{v['seconds_median']:8.2f}{v['ratio_median']:7.3f}{v['seconds_min']:8.2f}"
              f"{v['ratio_min']:7.3f}{v['events'] / ref['events']:9.3f}"
              f"{v['requests'] / ref['requests']:10.3f}")
    print(f"target: as shipped at most {TARGET:.2f}x the run without the three mechanisms "
          "(events and requests as ratios to it)")
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=2, default=lambda x: np.asarray(x).tolist()) + "\n")
    tmp.replace(output)
    print(f"written: {output}")


if __name__ == "__main__":
    main()
