"""How a comparison is shown: KPI cards, figures and downloads, from the ``sim`` tables.

The numbers are :class:`sim.experiments.compare.Comparison`'s (means, intervals within each
KPI's domain, paired differences against the first scenario); the words (labels, units,
definitions, the direction in which a change is good news, the summary in sentences) are
the glossary's and :mod:`sim.analysis.narrative`'s, in French or English; the static figures
are :mod:`sim.faces.plots`' (the same as in ``prefsim compare``'s report). This module only
arranges them, and makes PNG and file bytes for the downloads.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis import formats, glossary, narrative, waits_over_time
from sim.experiments.compare import Comparison
from sim.faces import plots
from sim.faces.report import KPI_PANELS, OPTIONAL, optional_kpis

DEFAULT_CARDS = glossary.HEADLINE
UTILISATION = ("front_office_utilisation", "back_office_utilisation")


def label(kpi: str, lang: str = "en") -> str:
    """A KPI name as people read it (the glossary's label).

    >>> label("wait_days_mean"), label("wait_days_p90.access.non_digital", "fr")
    ('Mean wait of those received', 'Attente du 9e décile (personnes sans accès au numérique)')
    """
    return glossary.label(kpi, lang, capital=True)


def help_text(kpi: str, lang: str = "en") -> str:
    """The tooltip of a KPI: its definition, unit and code name.

    >>> help_text("wait_days_p90")  # doctest: +ELLIPSIS
    'Nine applicants in ten get a first appointment within this many days ... (wait_days_p90, days)'
    """
    unit = glossary.unit(kpi, lang)
    return f"{glossary.definition(kpi, lang)} ({kpi}{', ' + unit if unit else ''})"


def fmt(kpi: str, x: float, signed: bool = False, lang: str = "en") -> str:
    """A KPI value with its unit: shares in per cent, money in euros, waits in days.

    >>> fmt("abandoned_share", 0.0365), fmt("wait_days_mean", 52.34, signed=True)
    ('3.65 %', '+52.3 days')
    >>> fmt("abandoned_share", 0.0271, signed=True)
    '+2.71 points'
    >>> fmt("staff_cost_eur", 1234567.0), fmt("served", float("nan"))
    ('1.23 M EUR', 'n/a')
    """
    return formats.value(kpi, x, lang, signed)


def delta_colour(kpi: str) -> str:
    """``inverse`` where a rise is bad news (waits, expiries), ``normal`` where it is good.

    >>> delta_colour("wait_days_p90"), delta_colour("served"), delta_colour("bot_slot_share")
    ('inverse', 'normal', 'inverse')
    """
    return {"lower": "inverse", "higher": "normal"}.get(glossary.direction(kpi) or "", "off")


class Card(NamedTuple):
    """One KPI card: a scenario's mean, interval, and difference with the baseline."""

    kpi: str
    scenario: str
    value: str
    interval: str
    delta: str | None
    delta_interval: str
    significant: bool


def cards(c: Comparison, kpi: str, procedure: str = "all", lang: str = "en") -> list[Card]:
    """The cards of ``kpi`` for every scenario, in the comparison's order."""
    def fmt(kpi: str, x: float, signed: bool = False) -> str:
        return formats.value(kpi, x, lang, signed)

    s = c.summary[(c.summary["kpi"] == kpi) & (c.summary["procedure"].astype(str) == procedure)]
    d = c.differences[(c.differences["kpi"] == kpi)
                      & (c.differences["procedure"].astype(str) == procedure)]
    out = []
    for name in c.labels:
        row = s[s["scenario"] == name]
        mean, low, high = (row[["mean", "ci_low", "ci_high"]].to_numpy(float)[0]
                           if len(row) else (math.nan,) * 3)
        interval = ("the same in every replication" if math.isfinite(low) and low == high
                    else f"95 % interval {fmt(kpi, low)} to {fmt(kpi, high)}"
                    if math.isfinite(low) and math.isfinite(high)
                    else "no interval (one replication)" if math.isfinite(mean) else "")
        delta, delta_interval, significant = None, "baseline", False
        diff = d[d["scenario"] == name]
        if name != c.labels[0]:
            delta_interval = ""
            if len(diff):
                m, lo, hi = diff[["difference", "ci_low", "ci_high"]].to_numpy(float)[0]
                noise = 1e-9 * max(1.0, abs(mean)) if math.isfinite(mean) else 1e-9
                m, lo, hi = (0.0 if abs(x) <= noise else x for x in (m, lo, hi))  # rounding
                delta = fmt(kpi, m, signed=True) if math.isfinite(m) and m != 0 else None
                significant = bool(diff["significant"].iloc[0])
                if math.isfinite(m) and m == 0 and lo == hi == 0:
                    delta_interval = "same as the baseline in every replication"
                elif math.isfinite(lo) and math.isfinite(hi):
                    delta_interval = (f"difference {fmt(kpi, lo, True)} to {fmt(kpi, hi, True)}"
                                      + (" (significant)" if significant else ""))
        out.append(Card(kpi, name, fmt(kpi, mean), interval, delta, delta_interval,
                        significant))
    return out


def card_kpis(c: Comparison, procedure: str = "all") -> list[str]:
    """KPIs (of ``procedure``) that can be shown as cards, headline ones first."""
    rows = c.summary[c.summary["procedure"].astype(str) == procedure]
    names = list(pd.unique(rows["kpi"].astype(str)))
    return [k for k in DEFAULT_CARDS if k in names] + [k for k in names if k not in DEFAULT_CARDS]


def wide_summary(c: Comparison, procedure: str = "all", lang: str = "en") -> pd.DataFrame:
    """Every KPI (of ``procedure``) by scenario: ``mean [low, high]``, rows labelled."""
    rows = c.summary[(c.summary["procedure"].astype(str) == procedure)]
    cell = [f"{fmt(k, m, lang=lang)} [{fmt(k, lo, lang=lang)}, {fmt(k, hi, lang=lang)}]"
            if np.isfinite(hi) and hi > lo else fmt(k, m, lang=lang)
            for k, m, lo, hi in zip(rows["kpi"], rows["mean"], rows["ci_low"], rows["ci_high"],
                                    strict=True)]
    table = (rows.assign(value=cell).pivot(index="kpi", columns="scenario", values="value")
             .reindex(index=pd.unique(rows["kpi"]), columns=c.labels))
    table.index = [f"{label(k, lang)} ({k})" for k in table.index]
    return table


def answers(c: Comparison, lang: str, period_days: float | None = None) -> dict[str, list[str]]:
    """The summary in words of every what-if, from the comparison's tables."""
    return narrative.summaries(c.summary, c.differences, c.labels, lang, events=c.events,
                               period_days=period_days)


def wait_tables(c: Comparison, over_days: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Waits by month of need and the share waiting more than X days (the report's tables)."""
    return (waits_over_time.waits_by_month(c.applicants, c.daily, over_days),
            waits_over_time.waiting_over(c.applicants, c.daily, over_days))


def procedures(c: Comparison) -> list[str]:
    """``all`` then the comparison's procedures, in the scenarios' order."""
    found = pd.unique(c.summary["procedure"].astype(str))
    return ["all", *[p for p in found if p != "all"]]


# --- figures --------------------------------------------------------------------------------


class Chart(NamedTuple):
    stem: str
    title: str
    note: str
    draw: Callable[[], Figure]


def charts(c: Comparison, lang: str = "en") -> list[Chart]:
    """The figures of a comparison, each drawn by :mod:`sim.faces.plots` when asked."""
    named = partial(label, lang=lang)
    out = [
        Chart("wait-distribution", "Wait for a first appointment",
              "Kaplan-Meier estimate, replications pooled, after warm-up; people still waiting "
              "at the horizon or who gave up count as censored.",
              lambda: plots.wait_distribution(c.applicants)),
        Chart("backlog-by-month", "Backlog by month",
              "Monthly mean of people still looking; the band spans the replications.",
              lambda: plots.backlog_by_month(c.daily)),
    ]
    names = {fig.stem: fig for fig in OPTIONAL}
    for stem in ("protection-orders-expired", "bot-share"):
        fig = names.get(stem)
        kpis = [k for k in optional_kpis(c.summary, fig.prefixes)
                if plots.has_values(c.summary, [k])] if fig else []
        if fig and kpis:
            out.append(Chart(stem, fig.title, "Mean over replications, 95 % interval.",
                             partial(plots.kpi_comparison, c.summary, kpis, title=fig.title,
                                     labels=named)))
    out.append(Chart("staff-utilisation", "Staff utilisation",
                     "Share of front-office counter time and back-office instruction hours "
                     "used, after warm-up; mean with its 95 % interval.",
                     lambda: plots.kpi_comparison(c.summary, list(UTILISATION),
                                                  title="Staff utilisation", labels=named)))
    panels = [k for k in KPI_PANELS if plots.has_values(c.summary, [k])]
    out.append(Chart("kpis", "Headline KPIs", "Mean over replications, 95 % interval.",
                     lambda: plots.kpi_comparison(c.summary, panels, labels=named)))
    if len(c.labels) > 1:
        out.append(Chart("differences", f"Paired differences against {c.labels[0]}",
                         "Same applicants in every scenario (common random numbers): an "
                         "interval that misses 0 is an effect of the scenario, not of chance.",
                         lambda: plots.differences(c.differences, panels, labels=named)))
    return out


def png(fig: Figure, dpi: int = 110) -> bytes:
    """A figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


# --- downloads ------------------------------------------------------------------------------


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def slug(text: str) -> str:
    """A file-name-safe version of a label.

    >>> slug("demo (2)")
    'demo__2_'
    """
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)
