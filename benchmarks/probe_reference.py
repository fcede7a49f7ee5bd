"""A probe made of SimPy events: the reference for prefsim's exact probe.

prefsim's probe (:mod:`sim.engine.probe`) never reads the booking page: it follows the free
dates of each race page between changes and integrates the bins over time. This reference
reads the page the way one would write it first: a SimPy process wakes up at Poisson times
(``rate`` readings a day), looks at the slot book's own pools of free slots (those at
least ``min_lead_days`` ahead), and counts the reading in its bin. Both read the same run:
given the run, the sampled frequency of a bin is an unbiased estimate of the exact share,
so their differences average 0 over replications (``tests/test_probe.py``, slow tier).

The sampler enters a run through the engine's hook for court cases
(:func:`sim.engine.model.attach_courts`), replaced for the duration of one run; the
scenario must have a probe and no courts.

Run it alone to print the comparison::

    .venv/bin/python benchmarks/probe_reference.py [--replications 12] [--rate 48]
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

import numpy as np
from scipy import stats

from sim.analysis.probe import readings_by_bin
from sim.engine import model
from sim.engine.probe import WatchedBook, bin_labels
from sim.scenario import Scenario


def reading(book: WatchedBook, p: int, now: float, edges: tuple[float, ...]) -> int:
    """The bin a person reading the page of ``p`` at ``now`` sees, from the book's heaps."""
    dates = sorted(d for heap in book.pool.get(p, []) for d, _ in heap
                   if d >= now + book.min_lead)
    if not dates:
        return len(edges) + 2
    ahead = [d - now for d in dates]
    if len(ahead) > 1 and ahead[1] <= edges[0]:
        return 0
    if ahead[0] <= edges[0]:
        return 1
    for j in range(1, len(edges)):
        if ahead[0] <= edges[j]:
            return j + 1
    return len(edges) + 1


class Sampler:
    """Readings at Poisson times on every watched book, one event each, in the measured
    window; ``counts`` are per bin, every procedure's page pooled."""

    def __init__(self, ctx: Any, books: list[WatchedBook], rate: float, seed: int):
        self.ctx, self.books, self.rate = ctx, books, rate
        self.rng = np.random.default_rng(seed)
        self.counts = np.zeros(len(ctx.scenario.probe.bins_days) + 3)

    def start(self) -> None:
        self.ctx.env.process(self._read())

    def _read(self) -> Iterator[Any]:
        env, frame, edges = self.ctx.env, self.ctx.frame, self.ctx.scenario.probe.bins_days
        while True:
            yield env.timeout(self.rng.exponential(1.0 / self.rate))
            if frame.measure_from <= env.now < frame.measure_to:
                for book in self.books:
                    for p in book.free_dates.dates:
                        self.counts[reading(book, p, env.now, edges)] += 1

    def close(self) -> None:
        """Nothing to settle."""


def exact_and_sampled(spec: Scenario, seed: int, replication: int,
                      rate: float) -> tuple[np.ndarray, np.ndarray]:
    """One run read twice: prefsim's exact bin shares over the measured window, and the
    sampler's frequencies (every race page pooled). The probe's intensity must be flat."""
    if spec.probe is None or spec.courts is not None:
        raise ValueError("the reference needs a scenario with a probe and no courts")
    samplers: list[Sampler] = []

    def attach(ctx: Any, channels: Any, entry: Any) -> Sampler:
        books = [ch.book for ch in channels if isinstance(getattr(ch, "book", None),
                                                          WatchedBook)]
        samplers.append(Sampler(ctx, books, rate, 1000 * seed + replication))
        return samplers[-1]

    hook = model.attach_courts
    model.attach_courts = attach  # type: ignore[assignment]
    try:
        out = model.simulate(spec, seed, replication)
    finally:
        model.attach_courts = hook
    cuts = np.array([out.frame.measure_from, out.frame.measure_to])
    exact = np.zeros(len(spec.probe.bins_days) + 3)
    for book in samplers[0].books:
        codes = np.asarray(book.free_dates.pieces[0])
        for p in book.free_dates.dates:
            mine = tuple(np.asarray(x)[codes == p] for x in book.free_dates.pieces[1:])
            exact += readings_by_bin(book.profile, mine, exact.size, cuts)[0]
    counts = samplers[0].counts
    return exact / exact.sum(), counts / counts.sum()


def compare(exact: np.ndarray, sampled: np.ndarray, level: float = 0.99
            ) -> list[tuple[float, float, float, float, bool]]:
    """Per bin: mean exact share, its half-width, mean sampled share, mean paired difference
    with its half-width; and whether both checks pass (the paired interval holds 0, the
    sampled mean lies in the exact shares' interval)."""
    n = exact.shape[0]
    t = stats.t.ppf(0.5 + level / 2, n - 1)
    rows = []
    for b in range(exact.shape[1]):
        diff = sampled[:, b] - exact[:, b]
        half_d = t * diff.std(ddof=1) / np.sqrt(n)
        half_e = t * exact[:, b].std(ddof=1) / np.sqrt(n)
        ok = (abs(diff.mean()) <= half_d + 1e-12
              and abs(sampled[:, b].mean() - exact[:, b].mean()) <= half_e + 1e-12)
        rows.append((float(exact[:, b].mean()), float(half_e), float(sampled[:, b].mean()),
                     float(diff.mean()), ok))
    return rows


def main() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
    from test_probe import small

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replications", type=int, default=12)
    parser.add_argument("--rate", type=float, default=48.0)
    args = parser.parse_args()
    spec = small()
    pairs = [exact_and_sampled(spec, 11, r, args.rate) for r in range(args.replications)]
    exact, sampled = (np.array(x) for x in zip(*pairs, strict=True))
    print(f"{'bin':>18} {'exact':>8} {'± 99 %':>8} {'sampled':>8} {'diff':>9}  ok")
    for label, (e, h, s, d, ok) in zip(bin_labels(spec.probe.bins_days),
                                       compare(exact, sampled), strict=True):
        print(f"{label:>18} {e:8.4f} {h:8.4f} {s:8.4f} {d:+9.5f}  {ok}")


if __name__ == "__main__":
    main()
