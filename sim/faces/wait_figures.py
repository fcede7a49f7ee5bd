"""Figures of waits over time, per procedure: what a planner reads at a glance.

Four questions, four figures, drawn from the tables of :mod:`sim.analysis.waits_over_time`
and the applicants table, with the helpers of :mod:`sim.faces.plots` (which imports
matplotlib: this module only calls methods of the figures it hands out):

* :func:`waits_by_month`: the median and 90th-percentile wait of people whose need appeared
  in each month, one panel per procedure;
* :func:`share_waiting_over`: among people waiting at a date, the share who have waited more
  than X days (the NHS "waiting over 18 weeks" curve), with the replications' range;
* :func:`wait_distribution_by_procedure`: the Kaplan-Meier wait curves, one panel per
  procedure;
* the backlog over time is :func:`sim.faces.plots.backlog_by_month`.

Titles and axes are in English or French (``lang``); scenarios keep their colour, line style
and marker (:data:`sim.faces.plots.STYLES`) in every figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sim.analysis.intervals import km_curve
from sim.faces import plots

WORDS = {
    "en": {"month": "month in which the need appeared", "days": "days",
           "median": "median", "p90": "90th percentile", "all": "all procedures",
           "waits": "Wait for a first appointment by month of need",
           "over": "Share of people waiting who have waited more than {x} days",
           "share": "share of people waiting", "since": "days since the need appeared",
           "got": "share with an appointment", "curves": "Wait for a first appointment "
           "by procedure (Kaplan-Meier)", "none": "nothing to draw"},
    "fr": {"month": "mois d'apparition du besoin", "days": "jours", "median": "médiane",
           "p90": "9e décile", "all": "toutes démarches",
           "waits": "Attente d'un premier rendez-vous selon le mois du besoin",
           "over": "Part des personnes en attente depuis plus de {x} jours",
           "share": "part des personnes en attente", "since": "jours depuis le besoin",
           "got": "part ayant obtenu un rendez-vous", "curves": "Attente d'un premier "
           "rendez-vous par démarche (Kaplan-Meier)", "none": "rien à tracer"},
}


def _procedures(table: pd.DataFrame, procedures: Sequence[str] | None) -> list[str]:
    """``all`` first, then the table's procedures in order (or those asked for)."""
    column = table["procedure"]
    present = list(pd.unique(column.astype(str))) if len(table) else []
    if isinstance(column.dtype, pd.CategoricalDtype):  # the scenario's order
        present = [str(p) for p in column.cat.categories if str(p) in present]
    order = ["all", *[p for p in present if p != "all"]]
    return [p for p in (procedures or order) if p in present]


def _title(proc: str, lang: str) -> str:
    return WORDS[lang]["all"] if proc == "all" else proc


def _percent_axis(ax: plots.Axes) -> None:
    ax.yaxis.set_major_formatter(lambda x, _: f"{100 * x:.0f} %")


def waits_by_month(monthly: pd.DataFrame, procedures: Sequence[str] | None = None,
                   lang: str = "en") -> plots.Figure:
    """Median (full line) and 90th percentile (faint) of the wait by month of need, one panel
    per procedure; ``monthly`` is :func:`sim.analysis.waits_over_time.waits_by_month`."""
    w = WORDS[lang]
    procs = _procedures(monthly, procedures)
    rows = monthly[monthly[["wait_days_p50", "wait_days_p90"]].notna().any(axis=1)]
    if rows.empty or not procs:
        fig, ax = plots.new_figure(w["waits"])
        return plots._empty(fig, ax, w["none"])
    fig, axes = plots.panels(w["waits"], len(procs))
    for ax, proc in zip(axes, procs, strict=True):
        part = rows[rows["procedure"].astype(str) == proc]
        for k, (name, group) in enumerate(plots._by_scenario(part)):
            month = pd.to_datetime(group["month"])
            ax.plot(month, group["wait_days_p50"], label=f"{name}: {w['median']}",
                    **plots.style(k, len(group)))
            ax.plot(month, group["wait_days_p90"], label=f"{name}: {w['p90']}", alpha=0.45,
                    **{**plots.style(k, len(group)), "lw": 1.0})
        ax.set_title(_title(proc, lang), fontsize=9)
        ax.set_ylabel(w["days"])
        ax.set_ylim(bottom=0)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        plots.month_axis(ax)
    axes[0].legend(frameon=False, fontsize=7)
    return fig


def share_waiting_over(over: pd.DataFrame, procedure: str = "all",
                       lang: str = "en") -> plots.Figure:
    """The share of people waiting who have waited more than X days, day by day, per
    scenario (mean of the replications, the band spanning them); ``over`` is
    :func:`sim.analysis.waits_over_time.waiting_over`."""
    w = WORDS[lang]
    x = float(over["over_days"].iloc[0]) if len(over) else float("nan")
    fig, ax = plots.new_figure(w["over"].format(x=f"{x:g}"))
    rows = over[(over["procedure"].astype(str) == procedure) & over["share"].notna()]
    if rows.empty:
        return plots._empty(fig, ax, w["none"])
    for k, (name, group) in enumerate(plots._by_scenario(rows)):
        date = pd.to_datetime(group["date"])
        line = ax.plot(date, group["share"], label=str(name), **plots.style(k, len(group)))[0]
        ax.fill_between(date, group["share_low"], group["share_high"], color=line.get_color(),
                        alpha=0.15, lw=0)
    ax.set_ylabel(w["share"] + ("" if procedure == "all" else f" ({procedure})"))
    ax.set_ylim(0, 1)
    _percent_axis(ax)
    ax.legend(frameon=False)
    plots.month_axis(ax)
    fig.autofmt_xdate()
    return fig


def wait_distribution_by_procedure(applicants: pd.DataFrame,
                                   procedures: Sequence[str] | None = None,
                                   lang: str = "en") -> plots.Figure:
    """Kaplan-Meier wait curves (people still waiting or who gave up censored), one panel per
    procedure, replications pooled, after the warm-up."""
    w = WORDS[lang]
    rows = applicants
    if "after_warmup" in rows.columns:
        rows = rows[rows["after_warmup"].to_numpy(dtype=bool)]
    procs = [p for p in _procedures(rows, procedures) if p != "all"] if len(rows) else []
    if not procs:
        fig, ax = plots.new_figure(w["curves"])
        return plots._empty(fig, ax, w["none"])
    fig, axes = plots.panels(w["curves"], len(procs))
    for ax, proc in zip(axes, procs, strict=True):
        part = rows[rows["procedure"].astype(str) == proc]
        for k, (name, group) in enumerate(plots._by_scenario(part)):
            t, cdf = km_curve(group["wait_days"].to_numpy(float),
                              ~group["censored"].to_numpy(bool))
            if t.size:
                x, y = plots.steps(t, cdf)
                ax.step(x, y, where="post", label=str(name), **plots.style(k, x.size))
        ax.set_title(proc, fontsize=9)
        ax.set_ylim(0, 1)
        _percent_axis(ax)
        ax.set_xlim(left=0)
        ax.set_xlabel(w["since"], fontsize=8)
    axes[0].set_ylabel(w["got"])
    axes[0].legend(frameon=False, fontsize=7)
    return fig
