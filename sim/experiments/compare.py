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

Assumptions: replications are independent and their KPIs roughly normal in the mean (t
intervals); the first scenario is the baseline of every difference.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.analysis import metrics
from sim.analysis.intervals import t_halfwidth
from sim.experiments.experiment import RunResult, run
from sim.scenario import Scenario

HEADLINE = ("wait_days_mean", "wait_days_p90", "abandoned_share")
"""KPIs (procedure ``all``) that ``precision`` waits for."""

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
            rows.append((name, baseline, kpi, proc, a_mean, mean, mean - half, mean + half, n))
    table = pd.DataFrame(rows, columns=["scenario", "baseline", "kpi", "procedure",
                                        "baseline_mean", "difference", "ci_low", "ci_high", "n"])
    with np.errstate(divide="ignore", invalid="ignore"):
        table["relative"] = table["difference"] / table["baseline_mean"].abs()
    table["significant"] = (table["ci_low"] > 0) | (table["ci_high"] < 0)
    return table


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
            precision: float | None = None, max_replications: int = 100,
            labels: Sequence[str] | None = None, confidence: float = 0.95,
            progress: Progress | None = None) -> Comparison:
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
        Cap on replications when ``precision`` is set.
    labels
        Names of the scenarios in the tables (default: their names, repeats numbered).
    """
    if not scenarios:
        raise ValueError("compare needs at least one scenario")
    if replications < 1 or (precision is not None and not 0 < precision < 1):
        raise ValueError("replications must be >= 1 and precision in (0, 1)")
    names = list(labels) if labels is not None else unique_labels([s.name for s in scenarios])
    target = replications if precision is None else max(2, min(replications, max_replications))
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
        if precision is None or target >= max_replications:
            break
        needed = min(replications_needed(table, target, precision), 2 * target,
                     max_replications)
        if needed <= target:
            break
        target = needed
    return Comparison(
        names, reps, summary, paired_differences(reps, names[0], confidence), table,
        _stack([x.applicants for runs in done for x in runs], names, done),
        _stack([x.daily for runs in done for x in runs], names, done), seed, target,
        _probes(done, names),
    )


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
