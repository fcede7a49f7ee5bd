"""Figures: tidy tables in, :class:`matplotlib.figure.Figure` out.

A planner comparing two booking policies wants to *see* the answer: how long people wait (the
whole distribution, not only its mean), how the backlog of people still looking grows month by
month, and how the headline KPIs differ, with their uncertainty. Every function here takes the
tidy DataFrames that :mod:`sim.experiments.experiment` and :mod:`sim.experiments.compare` return
and gives a figure; nothing is simulated, written or shown, so the same functions serve the HTML
report, the command line and the dashboard.

Assumptions and conventions:

* This module alone imports matplotlib, through its object API (``Figure``, Agg canvas): no
  pyplot, no global state, safe in threads and worker processes.
* Series are split by the ``scenario`` column (its order of appearance is kept).
* Wait distributions are Kaplan-Meier estimates in which applicants still waiting at the
  horizon, or who gave up, are right-censored, consistent with
  :func:`sim.analysis.metrics.km_quantile`.
* A table without the rows a figure needs gives a figure that says so, never an exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.experiments.io import atomic_write

WIDTH, HEIGHT = 7.5, 4.2


def km_cdf(wait: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier estimate of P(wait <= t): the event times and the estimate after each.

    The example of :func:`sim.analysis.metrics.km_quantile`: served after 1, 2 and 4 days, still
    waiting after 3, 3 and 5 days.

    >>> t, F = km_cdf(np.array([1.0, 2.0, 3.0, 3.0, 4.0, 5.0]),
    ...               np.array([True, True, False, False, True, False]))
    >>> t.tolist(), F.round(4).tolist()
    ([1.0, 2.0, 4.0], [0.1667, 0.3333, 0.6667])
    """
    wait = np.asarray(wait, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    keep = np.isfinite(wait)
    wait, observed = wait[keep], observed[keep]
    if not observed.any():
        return np.array([]), np.array([])
    order = np.argsort(wait, kind="stable")
    wait, observed = wait[order], observed[order]
    times, first = np.unique(wait, return_index=True)
    at_risk = wait.size - first
    events = np.add.reduceat(observed.astype(float), first)
    survival = np.cumprod(1.0 - events / at_risk)
    seen = events > 0
    return times[seen], 1.0 - survival[seen]


def wait_distribution(applicants: pd.DataFrame, title: str = "Wait for a first appointment",
                      max_days: float | None = None) -> Figure:
    """Kaplan-Meier curve of the wait per scenario, replications pooled, after warm-up.

    Parameters
    ----------
    applicants
        One row per applicant (:func:`sim.analysis.metrics.applicants_table`), with a ``scenario``
        column; ``after_warmup`` is honoured when present.
    title
        Figure title.
    max_days
        Right end of the x axis (default: the largest observed wait).
    """
    fig, ax = _figure(title)
    rows = applicants
    if "after_warmup" in rows.columns:
        rows = rows[rows["after_warmup"].to_numpy(dtype=bool)]
    drawn = False
    for name, group in _by_scenario(rows):
        t, cdf = km_cdf(group["wait_days"].to_numpy(), ~group["censored"].to_numpy(dtype=bool))
        if t.size:
            ax.step(np.r_[0.0, t], np.r_[0.0, cdf], where="post", label=str(name))
            drawn = True
    if not drawn:
        return _empty(fig, ax, "no applicant got an appointment")
    ax.set_xlabel("days since the need appeared")
    ax.set_ylabel("share with an appointment (Kaplan-Meier)")
    ax.set_ylim(0, 1)
    ax.set_xlim(0, max_days if max_days is not None else None)
    for q in (0.5, 0.9):
        ax.axhline(q, color="grey", lw=0.6, ls=":")
    ax.legend(frameon=False)
    return fig


def backlog_by_month(daily: pd.DataFrame, procedure: str = "all",
                     title: str = "Backlog: people still looking") -> Figure:
    """Mean backlog of each month per scenario, averaged over replications.

    The band spans the lowest and highest replication's monthly mean.
    """
    fig, ax = _figure(title)
    rows = daily[daily["procedure"].astype(str) == procedure]
    if rows.empty:
        return _empty(fig, ax, f"no daily rows for procedure '{procedure}'")
    rows = rows.assign(month=pd.to_datetime(rows["date"]).dt.to_period("M").dt.to_timestamp())
    for name, group in _by_scenario(rows):
        per_rep = group.groupby(["replication", "month"], observed=True)["backlog_end"].mean()
        by_month = per_rep.groupby(level="month")
        mean, low, high = by_month.mean(), by_month.min(), by_month.max()
        line = ax.plot(mean.index, mean.to_numpy(), marker="o", ms=3, label=str(name))[0]
        ax.fill_between(mean.index, low.to_numpy(), high.to_numpy(), color=line.get_color(),
                        alpha=0.15, lw=0)
    ax.set_ylabel("people still looking (monthly mean)")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    fig.autofmt_xdate()
    return fig


def kpi_comparison(summary: pd.DataFrame, kpis: Sequence[str], procedure: str = "all",
                   title: str = "KPIs by scenario", first_colour: int = 0) -> Figure:
    """One panel per KPI: the mean of each scenario with its confidence interval.

    ``summary`` has columns scenario, kpi, procedure, mean, ci_low, ci_high
    (:func:`sim.analysis.metrics.summarise` per scenario). KPIs absent from ``summary``, or NaN for
    every scenario, are left out.
    Scenario ``k`` is drawn in colour ``C{first_colour + k}``, as in the line figures.
    """
    rows = summary[summary["procedure"].astype(str) == procedure]
    present = [k for k in kpis if np.isfinite(rows.loc[rows["kpi"] == k, "mean"]).any()]
    if not present:
        fig, ax = _figure(title)
        return _empty(fig, ax, "none of these KPIs was produced: " + ", ".join(kpis))
    cols = min(3, len(present))
    nrows = -(-len(present) // cols)
    fig = Figure(figsize=(3.4 * cols + 0.6, 3.0 * nrows + 0.6), layout="constrained")
    fig.suptitle(title)
    axes = fig.subplots(nrows, cols, squeeze=False).ravel()
    for ax, kpi in zip(axes, present, strict=False):
        part = rows[rows["kpi"] == kpi]
        _interval_bars(ax, part["scenario"].astype(str).tolist(), part["mean"].to_numpy(float),
                       part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float),
                       first_colour)
        ax.set_title(kpi, fontsize=9)
    for ax in axes[len(present):]:
        ax.set_visible(False)
    return fig


def differences(diffs: pd.DataFrame, kpis: Sequence[str], procedure: str = "all",
                title: str = "Paired differences against the baseline (95 % interval)") -> Figure:
    """One panel per KPI: each scenario's mean paired difference with the baseline.

    ``diffs`` has columns scenario, baseline, kpi, procedure, difference, ci_low, ci_high
    (:func:`sim.experiments.compare.paired_differences`). An interval that misses 0 is a real
    effect.
    """
    return kpi_comparison(
        diffs.rename(columns={"difference": "mean"}), kpis, procedure, title, first_colour=1
    )


def frontier(plans: pd.DataFrame, kpi: str, threshold: float | None = None,
             chosen: int | None = None, cost: str = "staff_cost_eur",
             title: str = "Cost against target") -> Figure:
    """Each evaluated plan's cost against a target KPI, the frontier and the threshold.

    ``plans`` has a cost column, a ``kpi`` column (the KPI's mean), and optionally
    ``feasible`` and ``frontier`` booleans; ``chosen`` is the row label of the chosen plan.
    """
    fig, ax = _figure(title)
    if plans.empty or kpi not in plans.columns:
        return _empty(fig, ax, f"no evaluated plan with KPI '{kpi}'")
    feasible = plans.get("feasible", pd.Series(True, index=plans.index)).to_numpy(bool)
    x, y = plans[cost].to_numpy(float), plans[kpi].to_numpy(float)
    ax.scatter(x[feasible], y[feasible], s=18, color="tab:green", label="meets the targets")
    ax.scatter(x[~feasible], y[~feasible], s=18, color="tab:red", marker="x", label="misses")
    if "frontier" in plans.columns:
        front = plans[plans["frontier"].to_numpy(bool)].sort_values(cost)
        ax.plot(front[cost], front[kpi], color="black", lw=1, label="frontier")
    if threshold is not None:
        ax.axhline(threshold, color="grey", ls="--", lw=1, label=f"target {threshold:g}")
    if chosen is not None and chosen in plans.index:
        ax.scatter([plans.at[chosen, cost]], [plans.at[chosen, kpi]], s=120,
                   facecolors="none", edgecolors="black", label="least-cost plan")
    ax.set_xlabel(cost.replace("_", " "))
    ax.set_ylabel(kpi)
    ax.legend(frameon=False, fontsize=8)
    return fig


def probe_bins(probe: pd.DataFrame, title: str = "What the probe read") -> Figure:
    """One panel per procedure: each scenario's readings split into the probe's bins (La
    Cimade's five), months and replications pooled by their number of readings.

    ``probe`` has columns scenario, procedure, bin, readings, share
    (:func:`sim.analysis.probe.probe_table`).
    """
    if probe is None or probe.empty:
        fig, ax = _figure(title)
        return _empty(fig, ax, "no probe readings")
    rows = probe.assign(n=probe["readings"] * probe["share"].fillna(0.0))
    pooled = rows.groupby(["procedure", "scenario", "bin"], sort=False, observed=True)["n"].sum()
    bins = list(pd.unique(rows["bin"].astype(str)))
    procs = list(pd.unique(rows["procedure"].astype(str)))
    # dates soon in green, later in yellow and orange, no date in grey
    colours = [*colormaps["RdYlGn"](np.linspace(0.85, 0.3, len(bins) - 1)), "0.65"]
    cols = min(3, len(procs))
    fig = Figure(figsize=(3.6 * cols + 1.5, 2.6 * -(-len(procs) // cols) + 0.8),
                 layout="constrained")
    fig.suptitle(title)
    axes = fig.subplots(-(-len(procs) // cols), cols, squeeze=False).ravel()
    for ax, proc in zip(axes, procs, strict=False):
        table = pooled.loc[proc].unstack("bin").reindex(columns=bins).fillna(0.0)
        share = table.div(table.sum(axis=1).replace(0.0, np.nan), axis=0).fillna(0.0)
        left = np.zeros(len(share))
        for b, colour in zip(bins, colours, strict=True):
            ax.barh(share.index.astype(str), share[b], left=left, color=colour, label=b)
            left += share[b].to_numpy()
        ax.set_xlim(0, 1)
        ax.set_title(proc, fontsize=9)
    for ax in axes[len(procs):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(bins), frameon=False,
               fontsize=8)
    return fig


def save_png(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write ``fig`` as a PNG, atomically."""
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))


# --- helpers ------------------------------------------------------------------------------------


def _figure(title: str) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(WIDTH, HEIGHT), layout="constrained")
    ax = fig.subplots()
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return fig, ax


def _empty(fig: Figure, ax: Axes, message: str) -> Figure:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])
    return fig


def _by_scenario(rows: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Groups by ``scenario`` in order of appearance (one group if there is no such column)."""
    if "scenario" not in rows.columns:
        return [("", rows)]
    names = pd.unique(rows["scenario"].astype(str))
    key = rows["scenario"].astype(str)
    return [(name, rows[key == name]) for name in names]


def _interval_bars(ax: Axes, names: list[str], mean: np.ndarray, low: np.ndarray,
                   high: np.ndarray, first_colour: int = 0) -> None:
    pos = np.arange(len(names))
    err = np.vstack([np.nan_to_num(mean - low), np.nan_to_num(high - mean)])
    colours = [f"C{(first_colour + k) % 10}" for k in range(len(names))]
    bars = ax.bar(pos, np.nan_to_num(mean), color=colours, alpha=0.75)
    ax.bar_label(bars, [f"{m:.3g}" if np.isfinite(m) else "n/a" for m in mean], fontsize=7,
                 label_type="center")
    ax.errorbar(pos, np.nan_to_num(mean), yerr=np.clip(err, 0, None), fmt="none",
                ecolor="black", capsize=3, lw=1)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(pos, names, rotation=20, ha="right", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
