"""Interactive charts of a comparison (Altair, which Streamlit ships with).

The same tables as the report's static figures (:mod:`sim.analysis.waits_over_time`, the
applicants and daily tables), drawn so a manager can hover a point to read its value, zoom
and pan, and hide a scenario by clicking its legend entry. Every scenario keeps one colour,
one dash pattern and one marker shape in every chart, so a what-if identical to the baseline
stays visible. Nothing is computed here that the ``sim`` API does not compute; the only work
is shaping rows for the chart (a Kaplan-Meier curve read at a few hundred points).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from sim.analysis.intervals import km_curve

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]  # matplotlib's C0-C3, as the figures
DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3]]
SHAPES = ["circle", "square", "triangle-up", "diamond"]
WORDS = {
    "en": {"scenario": "scenario", "month": "month of need", "days": "days", "median": "median",
           "p90": "90th percentile", "which": "percentile", "date": "date",
           "share": "share waiting more than {x:g} days", "waiting": "people waiting",
           "since": "days since the need appeared", "got": "share with an appointment",
           "backlog": "people still looking (end of day, mean of replications)"},
    "fr": {"scenario": "scénario", "month": "mois du besoin", "days": "jours",
           "median": "médiane", "p90": "9e décile", "which": "percentile", "date": "date",
           "share": "part en attente depuis plus de {x:g} jours", "waiting": "personnes en "
           "attente", "since": "jours depuis le besoin", "got": "part ayant un rendez-vous",
           "backlog": "personnes qui cherchent encore (fin de journée, moyenne)"},
}


def _scenario_scales(labels: Sequence[str], w: dict[str, str]) -> dict[str, alt.Color]:
    """Colour, dash and shape encodings keyed by scenario, in the comparison's order."""
    domain = list(labels)
    legend = alt.Legend(title=w["scenario"], orient="bottom")
    return {
        "color": alt.Color("scenario:N", scale=alt.Scale(
            domain=domain, range=COLOURS[: len(domain)] or COLOURS), legend=legend),
        "strokeDash": alt.StrokeDash("scenario:N", scale=alt.Scale(
            domain=domain, range=DASHES[: len(domain)] or DASHES), legend=None),
        "shape": alt.Shape("scenario:N", scale=alt.Scale(
            domain=domain, range=SHAPES[: len(domain)] or SHAPES), legend=None),
    }


def _lines(data: pd.DataFrame, x: alt.X, y: alt.Y, labels: Sequence[str], lang: str,
           tooltip: list[alt.Tooltip], height: int = 300, name: str = "pick") -> alt.LayerChart:
    """Lines with points, one per scenario, a legend that hides a scenario when clicked."""
    w = WORDS[lang]
    enc = _scenario_scales(labels, w)
    pick = alt.selection_point(fields=["scenario"], bind="legend", name=name)
    base = alt.Chart(data).encode(x=x, y=y, color=enc["color"], tooltip=tooltip,
                                  opacity=alt.condition(pick, alt.value(1.0), alt.value(0.1)))
    lines = base.mark_line(strokeWidth=2).encode(strokeDash=enc["strokeDash"])
    points = base.mark_point(size=28, filled=True).encode(shape=enc["shape"])
    zoom = alt.selection_interval(bind="scales", name=f"zoom_{name}")
    return (lines + points).add_params(pick, zoom).properties(height=height)


def waits_by_month(monthly: pd.DataFrame, procedure: str, labels: Sequence[str],
                   lang: str = "en") -> alt.VConcatChart:
    """Median (top) and 90th percentile (bottom) of the wait by month of need."""
    w = WORDS[lang]
    rows = monthly[monthly["procedure"].astype(str) == procedure].copy()
    rows["month"] = pd.to_datetime(rows["month"])
    charts = []
    for column, which in (("wait_days_p50", w["median"]), ("wait_days_p90", w["p90"])):
        part = rows.dropna(subset=[column])
        charts.append(_lines(part, alt.X("month:T", title=w["month"], axis=alt.Axis(
                                 format="%Y-%m", tickCount="month")),
                             alt.Y(f"{column}:Q", title=f"{which} ({w['days']})"), labels, lang,
                             [alt.Tooltip("scenario:N", title=w["scenario"]),
                              alt.Tooltip("month:T", format="%Y-%m", title=w["month"]),
                              alt.Tooltip(f"{column}:Q", format=",.1f", title=which),
                              alt.Tooltip("applicants:Q", format=",")], height=220,
                             name=f"pick_{column}"))
    return alt.vconcat(*charts)


def waiting_over(over: pd.DataFrame, procedure: str, labels: Sequence[str],
                 lang: str = "en") -> alt.LayerChart:
    """The share of people waiting who have waited more than X days, day by day."""
    w = WORDS[lang]
    rows = over[(over["procedure"].astype(str) == procedure) & over["share"].notna()].copy()
    x = float(rows["over_days"].iloc[0]) if len(rows) else 60.0
    rows = rows.iloc[::7] if len(rows) > 400 else rows  # weekly points on long horizons
    rows["date"] = pd.to_datetime(rows["date"])
    return _lines(rows, alt.X("date:T", title=w["date"], axis=alt.Axis(format="%Y-%m")),
                  alt.Y("share:Q", title=w["share"].format(x=x),
                        axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
                  labels, lang,
                  [alt.Tooltip("scenario:N", title=w["scenario"]),
                   alt.Tooltip("date:T", format="%Y-%m-%d", title=w["date"]),
                   alt.Tooltip("share:Q", format=".1%", title=w["share"].format(x=x)),
                   alt.Tooltip("waiting:Q", format=",.0f", title=w["waiting"])])


def wait_curves(applicants: pd.DataFrame, procedure: str, labels: Sequence[str],
                lang: str = "en", points: int = 200) -> alt.LayerChart:
    """Kaplan-Meier wait curves (people still waiting censored), read at ``points`` days."""
    w = WORDS[lang]
    rows = applicants
    if "after_warmup" in rows.columns:
        rows = rows[rows["after_warmup"].to_numpy(bool)]
    if procedure != "all":
        rows = rows[rows["procedure"].astype(str) == procedure]
    parts = []
    for name in labels:
        mine = rows[rows["scenario"].astype(str) == name]
        t, cdf = km_curve(mine["wait_days"].to_numpy(float), ~mine["censored"].to_numpy(bool))
        if t.size:
            grid = np.linspace(0.0, float(t[-1]), points)
            k = np.searchsorted(t, grid, side="right")
            parts.append(pd.DataFrame({"scenario": name, "days": grid,
                                       "share": np.where(k > 0, cdf[np.maximum(k - 1, 0)], 0)}))
    data = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["scenario", "days", "share"])
    return _lines(data, alt.X("days:Q", title=w["since"]),
                  alt.Y("share:Q", title=w["got"], axis=alt.Axis(format="%"),
                        scale=alt.Scale(domain=[0, 1])), labels, lang,
                  [alt.Tooltip("scenario:N", title=w["scenario"]),
                   alt.Tooltip("days:Q", format=",.0f", title=w["since"]),
                   alt.Tooltip("share:Q", format=".1%", title=w["got"])])


def backlog(daily: pd.DataFrame, procedure: str, labels: Sequence[str],
            lang: str = "en") -> alt.LayerChart:
    """People still looking at the end of each week (mean of the replications)."""
    w = WORDS[lang]
    rows = daily[daily["procedure"].astype(str) == procedure]
    mean = (rows.groupby(["scenario", "date"], observed=True)["backlog_end"].mean()
            .reset_index())
    mean["date"] = pd.to_datetime(mean["date"])
    mean = mean[mean["date"].dt.day_of_week == 4] if len(mean) > 120 else mean  # Fridays
    return _lines(mean, alt.X("date:T", title=w["date"], axis=alt.Axis(format="%Y-%m")),
                  alt.Y("backlog_end:Q", title=w["backlog"], axis=alt.Axis(format=",.0f")),
                  labels, lang,
                  [alt.Tooltip("scenario:N", title=w["scenario"]),
                   alt.Tooltip("date:T", format="%Y-%m-%d", title=w["date"]),
                   alt.Tooltip("backlog_end:Q", format=",.0f", title=w["backlog"])])


def frontier(plans: pd.DataFrame, lever: str, kpi: str, threshold: float, label: str,
             lang: str = "en") -> alt.LayerChart:
    """Every plan a goal-seeking search evaluated: staff cost against the target KPI, plans
    meeting the target in green, the threshold as a rule, the lever's value in the tooltip."""
    met = {"en": ("meets the target", "misses"), "fr": ("atteint la cible", "manque")}[lang]
    data = plans.assign(verdict=np.where(plans["feasible"].to_numpy(bool), *met))
    points = alt.Chart(data).mark_point(size=70, filled=True).encode(
        x=alt.X("staff_cost_eur:Q", title="EUR", axis=alt.Axis(format=",.0f"),
                scale=alt.Scale(zero=False)),
        y=alt.Y(f"{kpi}:Q", title=label),
        color=alt.Color("verdict:N", scale=alt.Scale(domain=list(met),
                                                     range=["#2ca02c", "#d62728"]),
                        legend=alt.Legend(title=None, orient="bottom")),
        shape=alt.Shape("verdict:N", scale=alt.Scale(domain=list(met),
                                                     range=["circle", "cross"]), legend=None),
        tooltip=[alt.Tooltip(f"{lever}:Q", format=",.2f"),
                 alt.Tooltip("staff_cost_eur:Q", format=",.0f"),
                 alt.Tooltip(f"{kpi}:Q", format=",.3g", title=label), "verdict:N"])
    rule = alt.Chart(pd.DataFrame({"y": [threshold]})).mark_rule(strokeDash=[4, 3],
                                                                  color="grey").encode(y="y:Q")
    return (points + rule).properties(height=320).interactive()


def sweep(summary: pd.DataFrame, lever: str, kpi: str, label: str) -> alt.LayerChart:
    """A KPI's mean and 95 % interval at each value of a swept lever."""
    rows = summary[(summary["kpi"] == kpi) & (summary["procedure"].astype(str) == "all")]
    rows = rows.assign(lever=pd.to_numeric(rows[lever], errors="coerce")).sort_values("lever")
    base = alt.Chart(rows).encode(x=alt.X("lever:Q", title=lever, scale=alt.Scale(zero=False)))
    band = base.mark_area(opacity=0.2).encode(y="ci_low:Q", y2="ci_high:Q")
    line = base.mark_line(point=True).encode(
        y=alt.Y("mean:Q", title=label),
        tooltip=[alt.Tooltip("lever:Q", title=lever), alt.Tooltip("mean:Q", format=",.3g"),
                 alt.Tooltip("ci_low:Q", format=",.3g"), alt.Tooltip("ci_high:Q", format=",.3g")])
    return (band + line).properties(height=320).interactive()
