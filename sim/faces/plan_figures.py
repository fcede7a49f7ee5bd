"""Figures of searches over plans: the goal-seeking frontier and a sweep's response curves.

A prefect's question, "how many agents do we need so that nine applicants in ten wait under
30 days?", is answered by a search (:mod:`sim.experiments.optimise`) or a sweep
(:mod:`sim.experiments.sweep`); these figures show every plan evaluated: its staff cost
against the target KPI, the frontier and the threshold, or a KPI against a lever's value.
Built with :mod:`sim.faces.plots`' helpers (the only module importing matplotlib).
"""

from __future__ import annotations

import pandas as pd

from sim.faces import plots
from sim.faces.plots import Figure


def frontier(plans: pd.DataFrame, kpi: str, threshold: float | None = None,
             chosen: int | None = None, cost: str = "staff_cost_eur",
             title: str = "Cost against target") -> Figure:
    """Each evaluated plan's cost against a target KPI, the frontier and the threshold.

    ``plans`` has a cost column, a ``kpi`` column (the KPI's mean), and optionally
    ``feasible`` and ``frontier`` booleans; ``chosen`` is the row label of the chosen plan.
    """
    fig, ax = plots.new_figure(title)
    if plans.empty or kpi not in plans.columns:
        return plots._empty(fig, ax, f"no evaluated plan with KPI '{kpi}'")
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


def sweep_response(summary: pd.DataFrame, lever: str, kpi: str, label: str | None = None,
                   title: str | None = None) -> Figure:
    """A KPI's mean (and interval) against one lever of a sweep, one line per value of the
    other levers.

    ``summary`` has one row per sweep point with the lever columns and ``mean``, ``ci_low``,
    ``ci_high`` of ``kpi`` (a sweep's ``summary.csv`` filtered to one KPI and procedure).
    """
    fig, ax = plots.new_figure(title or f"{label or kpi} against {lever}")
    if summary.empty or lever not in summary.columns:
        return plots._empty(fig, ax, f"no sweep point with a lever '{lever}'")
    others = [c for c in summary.columns if c not in (lever, "kpi", "procedure", "mean",
                                                       "ci_low", "ci_high", "n", "point")
              and summary[c].nunique() > 1]
    groups = summary.groupby(others, sort=True) if others else [("", summary)]
    for k, (key, group) in enumerate(groups):
        group = group.sort_values(lever)
        name = ", ".join(f"{c}={v}" for c, v in zip(others, key if isinstance(key, tuple)
                                                      else (key,), strict=False))
        line = ax.plot(group[lever], group["mean"], label=name or (label or kpi),
                       **plots.style(k, len(group)))[0]
        ax.fill_between(group[lever], group["ci_low"], group["ci_high"],
                        color=line.get_color(), alpha=0.15, lw=0)
    ax.set_xlabel(lever)
    ax.set_ylabel(label or kpi)
    plots.plain_numbers(ax, "both")
    ax.legend(frameon=False, fontsize=8)
    return fig
