"""Comparing scenarios under common random numbers, with paired intervals.

A prefecture wonders whether a waitlist would serve people better than today's race for
released slots. Run both with the same seed: replication ``r`` of each draws the same
applicants, with the same needs, patience and habits (common random numbers, see
:mod:`sim.engine.streams`), so the difference ``B_r - A_r`` within a replication is the policy's,
not the dice's. A Student-t interval over those paired differences is much tighter than the
difference of two independent intervals, and a scenario compared with itself gives exactly
zero with an interval of width zero.

How many replications? With ``precision`` set, replications are added until the half-width
of every headline KPI's interval (:data:`HEADLINE`, procedure ``all``) is within that share of
its mean, for every scenario, or until ``max_replications``. A KPI whose mean is zero or NaN
(nobody gave up; no appointment came) has no relative precision and is not waited for.
Rare events need more: a headline count of events (protection orders expired: a handful a
year) that some scenario saw fewer than ``min_events`` times over all its replications gets
more replications, up to the cap, and :data:`Comparison.events` says which still rest on
few events.

Differences stay possible: the interval of ``B - A`` is cut where ``B`` would leave its
domain (a count below 0, a share above 1), and a relative change is given only against a
baseline that is not near 0 (:func:`sim.analysis.glossary.near_zero`).

Assumptions: replications are independent and their KPIs roughly normal in the mean (t
intervals); the first scenario is the baseline of every difference.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.analysis import glossary, metrics
from sim.analysis.intervals import t_halfwidth
from sim.experiments.experiment import RunResult, run
from sim.scenario import Scenario

HEADLINE = ("wait_days_mean", "wait_days_p90", "abandoned_share")
"""KPIs (procedure ``all``) that ``precision`` waits for."""

EVENT_KPIS = tuple(k for k in glossary.HEADLINE if (t := glossary.term(k)) and t.events)
"""Headline counts of events that may be rare: replications are added while they are few."""

MIN_EVENTS = 20
"""Events over all replications below which a headline count "rests on few events"."""

Progress = Callable[[int, int], None]
"""Called with (runs done, runs planned so far)."""


class Comparison(NamedTuple):
    """Everything a comparison produced, as tidy tables labelled by scenario."""

    labels: list[str]
    replications: pd.DataFrame  # scenario, seed, replication, kpi, procedure, value
    summary: pd.DataFrame  # scenario, kpi, procedure, mean, ci_low, ci_high, n
    differences: pd.DataFrame  # scenario, baseline, kpi, procedure, difference, ci...
    precision: pd.DataFrame  # scenario, kpi, mean, half_width, relative, met
    applicants: pd.DataFrame
    daily: pd.DataFrame
    seed: int
    n_replications: int
    events: pd.DataFrame | None = None  # scenario, kpi, events, replications, few
    probe: pd.DataFrame | None = None  # the probe's bin shares (sim.analysis.probe), if any


def unique_labels(names: Sequence[str]) -> list[str]:
    """Scenario names made unique by numbering repeats, in order.

    >>> unique_labels(["demo", "demo-race", "demo"])
    ['demo', 'demo-race', 'demo (2)']
    """
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


t_interval = t_halfwidth  # mean, Student-t half-width, count (see sim.analysis.intervals)


def paired_differences(replications: pd.DataFrame, baseline: str,
                       confidence: float = 0.95) -> pd.DataFrame:
    """Per KPI and procedure, the mean of ``B_r - A_r`` over replications, with its interval.

    ``replications`` holds one value per (scenario, replication, kpi, procedure); ``A`` is
    ``baseline``, ``B`` every other scenario. Only replications where both values are finite
    are paired.

    >>> reps = pd.DataFrame({"scenario": ["a", "a", "b", "b"], "replication": [0, 1, 0, 1],
    ...                      "kpi": "served", "procedure": "all",
    ...                      "value": [10.0, 12.0, 11.0, 14.0]})
    >>> paired_differences(reps, "a")[["scenario", "difference", "ci_low", "n"]].round(2)
      scenario  difference  ci_low  n
    0        b         1.5   -4.85  2
    """
    keys = ["replication", "kpi", "procedure"]
    base = replications[replications["scenario"] == baseline][[*keys, "value"]]
    rows = []
    for name in pd.unique(replications["scenario"]):
        if name == baseline:
            continue
        other = replications[replications["scenario"] == name][[*keys, "value"]]
        paired = base.merge(other, on=keys, suffixes=("_a", "_b"), sort=False)
        paired["diff"] = paired["value_b"].to_numpy(float) - paired["value_a"].to_numpy(float)
        for (kpi, proc), group in paired.groupby(["kpi", "procedure"], sort=False,
                                                  observed=True):
            d = group["diff"].to_numpy(float)
            mean, half, n = t_interval(d, confidence)
            a_mean = float(np.nanmean(group["value_a"])) if n else math.nan
            rows.append((name, baseline, kpi, proc, a_mean,
                         *_within_domain(str(kpi), a_mean, mean, half), n))
    table = pd.DataFrame(rows, columns=["scenario", "baseline", "kpi", "procedure",
                                        "baseline_mean", "difference", "ci_low", "ci_high", "n"])
    base = table["baseline_mean"].to_numpy(float)
    shown = ~np.array([glossary.near_zero(str(k), b) for k, b in zip(table["kpi"], base,
                                                                     strict=True)], dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for column, source in (("relative", "difference"), ("relative_low", "ci_low"),
                               ("relative_high", "ci_high")):
            table[column] = np.where(shown, table[source] / np.abs(base), np.nan)
    table["significant"] = (table["ci_low"] > 0) | (table["ci_high"] < 0)
    return table


def _within_domain(kpi: str, baseline: float, mean: float, half: float
                   ) -> tuple[float, float, float]:
    """A paired difference and its interval, rounding noise set to 0, cut where the
    what-if's mean ``baseline + d`` would leave the KPI's domain."""
    noise = 1e-9 * max(1.0, abs(baseline)) if math.isfinite(baseline) else 1e-9
    if abs(mean) <= noise and (not math.isfinite(half) or half <= noise):
        zero = 0.0 if math.isfinite(half) else math.nan
        return 0.0, zero, zero
    low, high = glossary.bounds(kpi)
    lo, hi = mean - half, mean + half
    if math.isfinite(baseline):
        lo, hi = max(lo, low - baseline), min(hi, high - baseline)
    return mean, lo, hi


def summarise_by_scenario(replications: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """:func:`sim.analysis.metrics.summarise` for each scenario, stacked with a ``scenario``
    column."""
    parts = [metrics.summarise(group, confidence).assign(scenario=name)
             for name, group in replications.groupby("scenario", sort=False)]
    table = pd.concat(parts, ignore_index=True)
    return table[["scenario", *[c for c in table.columns if c != "scenario"]]]


def precision_table(summary: pd.DataFrame, precision: float | None) -> pd.DataFrame:
    """Relative half-width of each headline KPI (procedure ``all``) of each scenario.

    ``met`` is None for a KPI that cannot be waited for (mean zero or NaN).
    """
    rows = summary[(summary["procedure"].astype(str) == "all") & summary["kpi"].isin(HEADLINE)]
    half = (rows["ci_high"] - rows["ci_low"]).to_numpy(float) / 2
    mean = rows["mean"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(np.isfinite(mean) & (mean != 0), half / np.abs(mean), np.nan)
    usable = np.isfinite(mean) & (mean != 0)
    met = [None if not ok or precision is None else bool(np.isfinite(r) and r <= precision)
           for ok, r in zip(usable, relative, strict=True)]
    return pd.DataFrame({"scenario": rows["scenario"].to_numpy(), "kpi": rows["kpi"].to_numpy(),
                         "mean": mean, "half_width": half, "relative": relative, "met": met})


def events_table(replications: pd.DataFrame, min_events: int = MIN_EVENTS) -> pd.DataFrame:
    """Per scenario, the headline counts of rare events (:data:`EVENT_KPIS`, procedure
    ``all``) summed over replications; ``few`` when some happened but fewer than
    ``min_events``.

    >>> reps = pd.DataFrame({"scenario": "a", "replication": [0, 1], "procedure": "all",
    ...                      "kpi": "protection_orders_expired", "value": [3.0, 4.0]})
    >>> events_table(reps).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'scenario': 'a', 'kpi': 'protection_orders_expired', 'events': 7.0, 'replications': 2,
      'few': True}]
    """
    rows = replications[(replications["procedure"].astype(str) == "all")
                        & replications["kpi"].isin(EVENT_KPIS)]
    table = (rows.groupby(["scenario", "kpi"], sort=False, observed=True)["value"]
             .agg(events="sum", replications="count").reset_index())
    table["few"] = (table["events"] > 0) & (table["events"] < min_events)
    return table


def replications_needed(table: pd.DataFrame, n: int, precision: float) -> int:
    """Replications the worst headline KPI needs, from ``half ~ 1/sqrt(n)``: at least n."""
    needed = n
    for row in table.itertuples():
        if row.met is False:
            if not np.isfinite(row.relative):  # one replication: no interval yet
                needed = max(needed, n + 1)
            else:
                needed = max(needed, math.ceil(n * (row.relative / precision) ** 2))
    return needed


def compare(scenarios: Sequence[Scenario], seed: int = 1, replications: int = 5,
            precision: float | None = None, max_replications: int | None = None,
            labels: Sequence[str] | None = None, confidence: float = 0.95,
            progress: Progress | None = None, min_events: int = MIN_EVENTS) -> Comparison:
    """Run every scenario on the same replications of ``seed`` and compare them to the first.

    Parameters
    ----------
    scenarios
        The scenarios; the first is the baseline.
    seed, replications
        Common random numbers: replication ``r`` of every scenario uses streams ``(seed, r)``.
        With ``precision``, ``replications`` is the first batch (at least 2).
    precision
        Target relative half-width of the headline KPIs (e.g. 0.05), or None for a fixed
        number of replications.
    max_replications
        Cap on replications added for ``precision`` (default 100) or for rare events
        (default four times ``replications``, at most 100).
    labels
        Names of the scenarios in the tables (default: their names, repeats numbered).
    min_events
        Replications are added (doubling at most, up to the cap) while a headline count of
        rare events totals more than 0 but fewer than this over the replications of a
        scenario; 0 never adds any for this reason.
    """
    if not scenarios:
        raise ValueError("compare needs at least one scenario")
    if replications < 1 or (precision is not None and not 0 < precision < 1):
        raise ValueError("replications must be >= 1 and precision in (0, 1)")
    names = list(labels) if labels is not None else unique_labels([s.name for s in scenarios])
    cap = replication_cap(replications, precision, max_replications, min_events)
    target = replications if precision is None else max(2, min(replications, cap))
    done: list[list[RunResult]] = [[] for _ in scenarios]
    while True:
        for k, scenario in enumerate(scenarios):
            for r in range(len(done[k]), target):
                done[k].append(run(scenario, seed, r))
                if progress is not None:
                    progress(sum(map(len, done)), target * len(scenarios))
        reps = _stack([x.kpis for runs in done for x in runs], names, done)
        summary = summarise_by_scenario(reps, confidence)
        table = precision_table(summary, precision)
        events = events_table(reps, min_events)
        needed = _events_needed(events, target, min_events)
        if precision is not None:
            needed = max(needed, replications_needed(table, target, precision))
        needed = min(needed, 2 * target, cap)
        if needed <= target:
            break
        target = needed
    return Comparison(
        names, reps, summary, paired_differences(reps, names[0], confidence), table,
        _stack([x.applicants for runs in done for x in runs], names, done),
        _stack([x.daily for runs in done for x in runs], names, done), seed, target, events,
        _probes(done, names),
    )


def replication_cap(replications: int, precision: float | None = None,
                    max_replications: int | None = None, min_events: int = MIN_EVENTS) -> int:
    """The most replications :func:`compare` may run per scenario (what a budget must
    allow for): ``max_replications``, else 100 for a precision target, else four times
    ``replications`` (at most 100) when rare events may add some, else ``replications``.

    >>> replication_cap(5), replication_cap(5, min_events=0), replication_cap(5, 0.05)
    (20, 5, 100)
    """
    if max_replications is not None:
        return max_replications
    if precision is not None:
        return 100
    return max(replications, min(4 * replications, 100)) if min_events > 0 else replications


def _events_needed(events: pd.DataFrame, n: int, min_events: int) -> int:
    """Replications for every rare headline count to reach ``min_events`` at its rate."""
    few = events[events["few"].to_numpy(bool)]
    if few.empty or min_events <= 0:
        return n
    return max(n, *(math.ceil(n * min_events / e) for e in few["events"].to_numpy(float)))


def _probes(done: list[list[RunResult]], names: list[str]) -> pd.DataFrame | None:
    """The probe tables of every run, labelled by scenario; None if nothing was probed."""
    tables = [x.probe.assign(scenario=name) for name, runs in zip(names, done, strict=True)
              for x in runs if x.probe is not None and len(x.probe)]
    return pd.concat(tables, ignore_index=True) if tables else None


def _stack(frames: list[pd.DataFrame], names: list[str], done: list[list[RunResult]]
           ) -> pd.DataFrame:
    """Concatenate per-run frames, labelling each with its scenario's label."""
    labels = [name for name, runs in zip(names, done, strict=True) for _ in runs]
    table = pd.concat(frames, ignore_index=True)
    table["scenario"] = np.repeat(labels, [len(f) for f in frames])
    return table
