"""How a comparison is shown: KPI cards, figures and downloads, from the ``sim`` tables.

The numbers are :class:`sim.experiments.compare.Comparison`'s (means, Student-t intervals, paired
differences against the first scenario); the figures are :mod:`sim.faces.plots`' (the same as in
``prefsim compare``'s report). This module only formats them: units, the direction in which a
change is good news (for the colour of a delta), PNG and file bytes for the downloads.
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

from sim.experiments.compare import Comparison
from sim.faces import plots
from sim.faces.report import KPI_PANELS, OPTIONAL, optional_kpis

DEFAULT_CARDS = ("wait_days_mean", "wait_days_p90", "abandoned_share",
                 "protection_orders_expired", "bot_slot_share", "front_office_utilisation",
                 "back_office_utilisation", "staff_cost_eur")
LOWER_IS_BETTER = ("wait_days", "abandoned", "still_waiting", "attempts", "no_show",
                   "cancelled", "wasted", "bot_", "paid_", "reseller_", "malicious",
                   "renewal_lapses", "undocumented", "protection_orders_expired",
                   "protection_order_expiry", "deadline", "staff_cost", "time_to_title",
                   "instruction_days")
HIGHER_IS_BETTER = ("served", "protection_order_margin", "blocked_")
UTILISATION = ("front_office_utilisation", "back_office_utilisation")


def label(kpi: str) -> str:
    """A KPI name as people read it.

    >>> label("wait_days_mean"), label("wait_days_p90.access.non_digital")
    ('wait days mean', 'wait days p90 (access non_digital)')
    """
    head, _, segment = kpi.partition(".")
    text = head.replace("_", " ")
    return f"{text} ({segment.replace('.', ' ')})" if segment else text


def unit(kpi: str) -> str:
    head = kpi.partition(".")[0]
    if head.endswith(("_share", "utilisation")):
        return "%"
    if head.endswith("_eur"):
        return "EUR"
    if "_days" in head or head.startswith("wait_days"):
        return "days"
    return ""


def fmt(kpi: str, x: float, signed: bool = False) -> str:
    """A KPI value with its unit: shares in per cent, money in euros, waits in days.

    >>> fmt("abandoned_share", 0.0365), fmt("wait_days_mean", 52.34, signed=True)
    ('3.65 %', '+52.3 days')
    >>> fmt("abandoned_share", 0.0271, signed=True)
    '+2.71 pp'
    >>> fmt("staff_cost_eur", 1234567.0), fmt("served", float("nan"))
    ('1,234,567 EUR', 'n/a')
    """
    if x is None or not math.isfinite(x):
        return "n/a"
    sign = "+" if signed else ""
    u = unit(kpi)
    if u == "%":  # a difference of shares is in percentage points
        return f"{100 * x:{sign},.3g} {'pp' if signed else '%'}"
    text = f"{x:{sign},.0f}" if abs(x) >= 1000 else f"{x:{sign},.3g}"
    return f"{text} {u}".rstrip()


def delta_colour(kpi: str) -> str:
    """``inverse`` where a rise is bad news (waits, expiries), ``normal`` where it is good."""
    head = kpi.partition(".")[0]
    if head in UTILISATION:
        return "off"
    if head.startswith(HIGHER_IS_BETTER):
        return "normal"
    if head.startswith(LOWER_IS_BETTER):
        return "inverse"
    return "off"


class Card(NamedTuple):
    """One KPI card: a scenario's mean, interval, and difference with the baseline."""

    kpi: str
    scenario: str
    value: str
    interval: str
    delta: str | None
    delta_interval: str
    significant: bool


def cards(c: Comparison, kpi: str, procedure: str = "all") -> list[Card]:
    """The cards of ``kpi`` for every scenario, in the comparison's order."""
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


def card_kpis(c: Comparison) -> list[str]:
    """KPIs (procedure ``all``) that can be shown as cards, headline ones first."""
    rows = c.summary[c.summary["procedure"].astype(str) == "all"]
    names = list(pd.unique(rows["kpi"].astype(str)))
    return [k for k in DEFAULT_CARDS if k in names] + [k for k in names if k not in DEFAULT_CARDS]


def wide_summary(c: Comparison) -> pd.DataFrame:
    """Every KPI (procedure ``all``) by scenario: ``mean [low, high]``."""
    rows = c.summary[(c.summary["procedure"].astype(str) == "all")]
    cell = [f"{fmt(k, m)} [{fmt(k, lo)}, {fmt(k, hi)}]" if np.isfinite(hi) and hi > lo
            else fmt(k, m)
            for k, m, lo, hi in zip(rows["kpi"], rows["mean"], rows["ci_low"], rows["ci_high"],
                                    strict=True)]
    return (rows.assign(value=cell).pivot(index="kpi", columns="scenario", values="value")
            .reindex(index=pd.unique(rows["kpi"]), columns=c.labels))


# --- figures --------------------------------------------------------------------------------


class Chart(NamedTuple):
    stem: str
    title: str
    note: str
    draw: Callable[[], Figure]


def charts(c: Comparison) -> list[Chart]:
    """The figures of a comparison, each drawn by :mod:`sim.faces.plots` when asked."""
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
        kpis = optional_kpis(c.summary, fig.prefixes) if fig else []
        if fig and kpis:
            out.append(Chart(stem, fig.title, "Mean over replications, 95 % interval.",
                             partial(plots.kpi_comparison, c.summary, kpis, title=fig.title)))
    out.append(Chart("staff-utilisation", "Staff utilisation",
                     "Share of front-office counter time and back-office instruction hours "
                     "used, after warm-up; mean with its 95 % interval.",
                     lambda: plots.kpi_comparison(c.summary, list(UTILISATION),
                                                  title="Staff utilisation")))
    out.append(Chart("kpis", "Headline KPIs", "Mean over replications, 95 % interval.",
                     lambda: plots.kpi_comparison(c.summary, KPI_PANELS)))
    if len(c.labels) > 1:
        out.append(Chart("differences", f"Paired differences against {c.labels[0]}",
                         "Same applicants in every scenario (common random numbers): an "
                         "interval that misses 0 is an effect of the scenario, not of chance.",
                         lambda: plots.differences(c.differences, KPI_PANELS)))
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
