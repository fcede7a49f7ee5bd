"""Figures: tidy tables in, :class:`matplotlib.figure.Figure` out.

A planner comparing two booking policies wants to *see* the answer: how long people wait (the
whole distribution, not only its mean), how the backlog of people still looking grows month by
month, and how the headline KPIs differ, with their uncertainty. Every function here takes the
tidy DataFrames that :mod:`sim.experiments.experiment` and :mod:`sim.experiments.compare` return
and gives a figure; nothing is simulated, written or shown, so the same functions serve the HTML
report, the command line and the dashboard.

Assumptions and conventions:

* This module (and :mod:`sim.faces.maps`) alone use matplotlib, by its object API: no
  pyplot, no global state, safe in threads and worker processes.
* Series are split by the ``scenario`` column (its order of appearance is kept).
* Wait distributions are Kaplan-Meier estimates in which applicants still waiting at the
  horizon, or who gave up, are right-censored, consistent with
  :func:`sim.analysis.metrics.km_quantile`.
* A table without the rows a figure needs gives a figure that says so, never an exception;
  :func:`has_values` lets a report skip a figure that would show only zeros.
* Scenario ``k`` always has colour ``C{k}``, line style and marker ``STYLES[k]``, so a what-if
  whose curve coincides with the baseline's stays visible (dashes and markers over a line).
* Axes read as plain numbers (``12,000``, not ``1.2e4``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.analysis.intervals import km_curve
from sim.experiments.io import atomic_write

WIDTH, HEIGHT = 7.5, 4.2
STYLES = (("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1, 1, 1)), "v"))
"""Line style and marker of scenario ``k`` (cycled)."""


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
    fig, ax = new_figure(title)
    rows = applicants
    if "after_warmup" in rows.columns:
        rows = rows[rows["after_warmup"].to_numpy(dtype=bool)]
    drawn = False
    for k, (name, group) in enumerate(_by_scenario(rows)):
        t, cdf = km_cdf(group["wait_days"].to_numpy(), ~group["censored"].to_numpy(dtype=bool))
        if t.size:
            x, y = steps(t, cdf)
            ax.step(x, y, where="post", label=str(name), **style(k, x.size))
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
                     title: str = "Backlog: people still looking", column: str = "backlog_end",
                     ylabel: str = "people still looking (monthly mean)") -> Figure:
    """Mean backlog of each month per scenario, averaged over replications (``column``:
    ``backlog_end``, people still looking; ``instruction_backlog``, files in instruction).

    The band spans the lowest and highest replication's monthly mean.
    """
    fig, ax = new_figure(title)
    rows = daily[daily["procedure"].astype(str) == procedure]
    if rows.empty or column not in rows:
        return _empty(fig, ax, f"no daily {column} for procedure '{procedure}'")
    rows = rows.assign(month=pd.to_datetime(rows["date"]).dt.to_period("M").dt.to_timestamp())
    for k, (name, group) in enumerate(_by_scenario(rows)):
        per_rep = group.groupby(["replication", "month"], observed=True)[column].mean()
        by_month = per_rep.groupby(level="month")
        mean, low, high = by_month.mean(), by_month.min(), by_month.max()
        line = ax.plot(mean.index, mean.to_numpy(), label=str(name), **style(k))[0]
        ax.fill_between(mean.index, low.to_numpy(), high.to_numpy(), color=line.get_color(),
                        alpha=0.15, lw=0)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    month_axis(ax)
    fig.autofmt_xdate()
    return fig


def kpi_comparison(summary: pd.DataFrame, kpis: Sequence[str], procedure: str = "all",
                   title: str = "KPIs by scenario", first_colour: int = 0,
                   labels: Callable[[str], str] = str) -> Figure:
    """One panel per KPI: the mean of each scenario with its confidence interval.

    ``summary`` has columns scenario, kpi, procedure, mean, ci_low, ci_high
    (:func:`sim.analysis.metrics.summarise` per scenario). KPIs absent from ``summary``, or NaN for
    every scenario, are left out.
    Scenario ``k`` is drawn in colour ``C{first_colour + k}``, as in the line figures;
    ``labels`` turns a KPI name into its panel title (the glossary's label, say).
    """
    rows = summary[summary["procedure"].astype(str) == procedure]
    present = [k for k in kpis if np.isfinite(rows.loc[rows["kpi"] == k, "mean"]).any()]
    if not present:
        fig, ax = new_figure(title)
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
        ax.set_title(labels(kpi), fontsize=9, wrap=True)
        plain_numbers(ax)
    for ax in axes[len(present):]:
        ax.set_visible(False)
    return fig


def differences(diffs: pd.DataFrame, kpis: Sequence[str], procedure: str = "all",
                title: str = "Paired differences against the baseline (95 % interval)",
                labels: Callable[[str], str] = str) -> Figure:
    """One panel per KPI: each scenario's mean paired difference with the baseline.

    ``diffs`` is :func:`sim.experiments.compare.paired_differences`' table. An interval that
    misses 0 is a real effect.
    """
    return kpi_comparison(
        diffs.rename(columns={"difference": "mean"}), kpis, procedure, title, first_colour=1,
        labels=labels)


def save_png(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write ``fig`` as a PNG, atomically."""
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))


def save_svg(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as an SVG (vector, for documents), atomically."""
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format="svg"))


def save_png_and_svg(fig: Figure, png: str | Path, svg: str | Path) -> tuple[Path, Path]:
    """Write ``fig`` as a PNG, then as an SVG laid out as the PNG was: the layout is worked
    out once, then frozen by no engine at all (with any, matplotlib draws once more)."""
    first, engine = save_png(fig, png), fig.get_layout_engine()
    fig.set_layout_engine(None)
    try:
        return first, save_svg(fig, svg)
    finally:
        fig.set_layout_engine(engine)


def has_values(summary: pd.DataFrame, kpis: Sequence[str], procedure: str = "all") -> bool:
    """Whether some scenario has a finite, non-zero mean for one of ``kpis``.

    >>> table = pd.DataFrame({"kpi": ["a", "b"], "procedure": "all", "mean": [0.0, np.nan]})
    >>> has_values(table, ["a", "b"]), has_values(table.assign(mean=[0.0, 2.0]), ["b"])
    (False, True)
    """
    rows = summary[(summary["procedure"].astype(str) == procedure) & summary["kpi"].isin(kpis)]
    values = rows["mean"].to_numpy(float)
    return bool((np.isfinite(values) & (values != 0)).any())


def steps(t: np.ndarray, cdf: np.ndarray, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """A Kaplan-Meier curve from 0, read at ``n`` evenly spaced days (enough for the eye,
    and a figure of 100,000 applicants saves in a fraction of a second)."""
    if t.size <= n:
        return np.r_[0.0, t], np.r_[0.0, cdf]
    grid = np.linspace(0.0, float(t[-1]), n)
    k = np.searchsorted(t, grid, side="right")
    return grid, np.where(k > 0, cdf[np.maximum(k - 1, 0)], 0.0)


def style(k: int, points: int = 12) -> dict[str, Any]:
    """Colour, line style and marker of scenario ``k``; markers on about ten of ``points``."""
    line, marker = STYLES[k % len(STYLES)]
    every = max(1, points // 10)  # markers of scenarios shifted, so coinciding ones alternate
    return {"color": f"C{k % 10}", "ls": line, "marker": marker, "ms": 4,
            "markevery": (min(k * max(1, every // 3), every - 1), every), "lw": 1.6}


def month_axis(ax: Axes) -> None:
    """Dates on the x axis as one ``2021-09`` tick per month (fewer on long horizons)."""
    from matplotlib.dates import AutoDateLocator, DateFormatter

    ax.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=8,
                                               interval_multiples=True))
    ax.xaxis.set_major_formatter(DateFormatter("%Y-%m"))


def plain_numbers(ax: Axes, axis: str = "y") -> None:
    """Tick labels as plain numbers with thousands separators, never in scientific notation."""
    def plain(x: float, _: int) -> str:
        return f"{x:,.0f}" if abs(x) >= 100 or float(x).is_integer() else f"{x:,.3g}"

    for which in ("x", "y") if axis == "both" else (axis,):
        getattr(ax, f"{which}axis").set_major_formatter(plain)


# --- helpers ------------------------------------------------------------------------------------


def new_figure(title: str) -> tuple[Figure, Axes]:
    """One axes with a title, a light grid and plain numbers."""
    fig = Figure(figsize=(WIDTH, HEIGHT), layout="constrained")
    ax = fig.subplots()
    ax.set_title(title)
    ax.grid(alpha=0.3)
    plain_numbers(ax)
    return fig, ax


def panels(title: str, n: int, cols: int = 3) -> tuple[Figure, list[Axes]]:
    """A figure of ``n`` small panels (``cols`` a row) sharing the title; spare ones hidden."""
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    fig = Figure(figsize=(3.6 * cols + 0.6, 2.9 * rows + 0.8), layout="constrained")
    fig.suptitle(title)
    axes = list(fig.subplots(rows, cols, squeeze=False).ravel())
    for ax in axes:
        ax.grid(alpha=0.3)
        plain_numbers(ax)
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]



def graded(n: int) -> list[Any]:
    """``n`` colours from green (soon) through yellow to orange (later)."""
    return list(colormaps["RdYlGn"](np.linspace(0.85, 0.3, n)))


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


def _plain_label(x: float) -> str:
    """A bar's value, plain.

    >>> _plain_label(3176285.0), _plain_label(0.0928), _plain_label(float("nan"))
    ('3,176,285', '0.0928', 'n/a')
    """
    if not np.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _interval_bars(ax: Axes, names: list[str], mean: np.ndarray, low: np.ndarray,
                   high: np.ndarray, first_colour: int = 0) -> None:
    pos = np.arange(len(names))
    err = np.vstack([np.nan_to_num(mean - low), np.nan_to_num(high - mean)])
    colours = [f"C{(first_colour + k) % 10}" for k in range(len(names))]
    bars = ax.bar(pos, np.nan_to_num(mean), color=colours, alpha=0.75)
    ax.bar_label(bars, [_plain_label(m) for m in mean], fontsize=7, label_type="center")
    ax.errorbar(pos, np.nan_to_num(mean), yerr=np.clip(err, 0, None), fmt="none",
                ecolor="black", capsize=3, lw=1)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(pos, names, rotation=20, ha="right", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
