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
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.analysis.intervals import km_curve
from sim.experiments.io import atomic_write

WIDTH, HEIGHT = 7.5, 4.2


km_cdf = km_curve  # the Kaplan-Meier curve of sim.analysis.intervals, kept under its old name


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
