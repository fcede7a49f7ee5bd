"""Waits over time: by month of need, and the share of people waiting longer than X days.

A planner asks two questions a year-long mean hides. *Did people whose need appeared in
September wait longer than those of March?*: :func:`waits_by_month` gives, per scenario,
procedure and month in which the need appeared, the median and 90th-percentile wait and the
share who waited more than X days, as Kaplan-Meier estimates (people still looking, or who
gave up, are censored, never dropped), replications pooled, after the warm-up (as the KPIs).

*How many of the people waiting today have waited too long?*: :func:`waiting_over` is the
snapshot the NHS publishes as "share of incomplete pathways waiting over 18 weeks": at the end
of each day after the warm-up, among people whose need has appeared and whose first
appointment has not taken place (nor have they left), the share who have waited more than X
days. Months with fewer than 14 days inside the horizon are left out of the monthly table,
and percentiles the curve never reaches (too many still waiting when the run stops) are NaN.
People who arrived
during the burn-in (before the horizon, :mod:`sim.engine.frame`) are not in the applicants
table, but they are in the daily backlog: from day X on they have all waited more than X days,
so they count in both the numerator and the denominator; before day X their waits are unknown
and the share is given only where there are none.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.analysis.intervals import km_curve

MONTHLY_COLUMNS = ["scenario", "procedure", "month", "applicants", "wait_days_p50",
                   "wait_days_p90", "share_over", "over_days"]
OVER_COLUMNS = ["scenario", "procedure", "day", "date", "waiting", "over", "share",
                "share_low", "share_high", "over_days"]


def check_over_days(over_days: float) -> None:
    """X must be a positive number of days.

    >>> check_over_days(0)
    Traceback (most recent call last):
    ...
    ValueError: over_days = 0: the threshold X must be a number of days above 0, e.g. 60
    """
    if not (isinstance(over_days, int | float) and math.isfinite(over_days) and over_days > 0):
        raise ValueError(f"over_days = {over_days!r}: the threshold X must be a number of "
                         "days above 0, e.g. 60")


def km_at(times: np.ndarray, cdf: np.ndarray, q: float) -> float:
    """The ``q``-quantile of a Kaplan-Meier curve (NaN if never reached).

    >>> t, F = km_curve(np.array([1.0, 2.0, 4.0]), np.array([True, True, True]))
    >>> km_at(t, F, 0.5), km_at(t, F, 0.9)
    (2.0, 4.0)
    """
    reached = np.flatnonzero(cdf >= q - 1e-12)
    return float(times[reached[0]]) if reached.size else math.nan


def km_over(times: np.ndarray, cdf: np.ndarray, horizon: float, x: float) -> float:
    """P(wait > x) from a Kaplan-Meier curve; NaN when nobody was followed x days."""
    if horizon < x:
        return math.nan
    k = np.searchsorted(times, x, side="right")
    return float(1.0 - cdf[k - 1]) if k else 1.0


def _dates(daily: pd.DataFrame) -> dict[str, pd.Series]:
    """Per scenario, the date of each day of the horizon (day -> date)."""
    out = {}
    for name, rows in daily.groupby(daily["scenario"].astype(str), sort=False):
        first = rows.drop_duplicates("day").set_index("day")["date"]
        out[str(name)] = pd.to_datetime(first).sort_index()
    return out


def _warmup_day(applicants: pd.DataFrame) -> int:
    """The first day after the warm-up (0 without an ``after_warmup`` column)."""
    if "after_warmup" not in applicants.columns:
        return 0
    after = applicants.loc[applicants["after_warmup"].to_numpy(bool), "arrival_day"]
    return int(np.floor(after.min())) if len(after) else 0


def _months(calendar: pd.Series, min_days: int = 14) -> pd.Series:
    """Month (first day) of each day of the horizon; months with fewer than ``min_days``
    days in the horizon (a ragged end) are left out (NaT)."""
    month = calendar.dt.to_period("M").dt.to_timestamp()
    counts = month.map(month.value_counts())
    return month.where(counts >= min_days)


def _groups(rows: pd.DataFrame):  # type: ignore[no-untyped-def]
    """(scenario, procedure, rows) for ``all`` and every procedure, in the scenario's order."""
    procedure = rows["procedure"]
    order = (list(procedure.cat.categories) if isinstance(procedure.dtype, pd.CategoricalDtype)
             else list(pd.unique(procedure.astype(str))))
    for name, part in rows.groupby(rows["scenario"].astype(str), sort=False):
        yield str(name), "all", part
        text = part["procedure"].astype(str).to_numpy()
        for proc in order:
            mine = text == str(proc)
            if mine.any():
                yield str(name), str(proc), part[mine]


def waits_by_month(applicants: pd.DataFrame, daily: pd.DataFrame,
                   over_days: float = 60.0) -> pd.DataFrame:
    """Per scenario, procedure (and ``all``) and month of need: Kaplan-Meier median, 90th
    percentile and share waiting more than ``over_days`` (replications pooled, after the
    warm-up). A percentile the curve never reaches is NaN (too many still waiting)."""
    check_over_days(over_days)
    rows = applicants
    if "after_warmup" in rows.columns:
        rows = rows[rows["after_warmup"].to_numpy(dtype=bool)]
    if rows.empty or daily.empty:
        return pd.DataFrame(columns=MONTHLY_COLUMNS)
    dates = _dates(daily)
    out = []
    for name, proc, part in _groups(rows):
        day = np.floor(part["arrival_day"].to_numpy(float)).astype(np.int64)
        month = _months(dates[name]).reindex(day).to_numpy()
        known = ~pd.isna(month)
        month = month[known]
        wait = part["wait_days"].to_numpy(float)[known]
        seen = ~part["censored"].to_numpy(bool)[known]
        for m in np.unique(month):
            mine = month == m
            t, cdf = km_curve(wait[mine], seen[mine])
            top = float(wait[mine].max())
            out.append((name, proc, pd.Timestamp(m), int(mine.sum()), km_at(t, cdf, 0.5),
                        km_at(t, cdf, 0.9), km_over(t, cdf, top, over_days), over_days))
    return pd.DataFrame(out, columns=MONTHLY_COLUMNS)


def _waiting_days(arrival: np.ndarray, end: np.ndarray, over_days: float,
                  n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """People waiting at the end of each day, and those among them waiting > ``over_days``.

    A person waits at the end of day ``d`` when their need appeared before ``d + 1`` and their
    wait ended at ``d + 1`` or later; they have waited more than X days when, in addition,
    ``d + 1 - arrival > X``. Each person adds 1 over a range of days (a difference array).

    >>> w, o = _waiting_days(np.array([0.5, 2.2]), np.array([3.0, 9.0]), 2.0, 6)
    >>> w.tolist(), o.tolist()
    ([1, 1, 2, 1, 1, 1], [0, 0, 1, 0, 1, 1])
    """
    def count(start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        start = np.clip(start, 0, n_days)
        stop = np.clip(stop, 0, n_days)
        ok = stop > start
        diff = np.bincount(start[ok], minlength=n_days + 1) - np.bincount(
            stop[ok], minlength=n_days + 1)
        return np.cumsum(diff)[:n_days]

    last = np.floor(end).astype(np.int64)  # waiting on days floor(arrival) .. floor(end) - 1
    waiting = count(np.floor(arrival).astype(np.int64), last)
    over = count(np.floor(arrival + over_days - 1).astype(np.int64) + 1, last)
    return waiting, over


def waiting_over(applicants: pd.DataFrame, daily: pd.DataFrame,
                 over_days: float = 60.0) -> pd.DataFrame:
    """Per scenario, procedure (and ``all``) and day: people waiting at the end of the day,
    those waiting more than ``over_days``, and their share (mean over replications, with the
    lowest and highest replication's); days where the share is unknown are left out."""
    check_over_days(over_days)
    if applicants.empty or daily.empty:
        return pd.DataFrame(columns=OVER_COLUMNS)
    dates = _dates(daily)
    warmup = _warmup_day(applicants)
    backlog = daily.set_index([daily["scenario"].astype(str), "replication",
                               daily["procedure"].astype(str), "day"])["backlog_end"].sort_index()
    out = []
    for (name, rep), part in applicants.groupby([applicants["scenario"].astype(str),
                                                 "replication"], sort=False):
        n_days = len(dates[str(name)])
        for _, proc, sub in _groups(part):
            arrival = sub["arrival_day"].to_numpy(float)
            end = arrival + sub["wait_days"].to_numpy(float)
            waiting, over = _waiting_days(arrival, end, over_days, n_days)
            total = backlog.loc[(str(name), rep, proc)].reindex(range(n_days)).to_numpy(float)
            earlier = np.clip(total - waiting, 0, None)  # arrived in the burn-in, still waiting
            days = np.arange(n_days)
            known = ((days + 1 >= over_days) | (earlier == 0)) & (days >= warmup)
            over_all = over + np.where(days + 1 >= over_days, earlier, 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(total > 0, over_all / total, np.nan)
            out.append(pd.DataFrame({"scenario": name, "replication": rep, "procedure": proc,
                                     "day": days, "waiting": total, "over": over_all,
                                     "share": share})[known])
    if not out:
        return pd.DataFrame(columns=OVER_COLUMNS)
    table = pd.concat(out, ignore_index=True)
    grouped = table.groupby(["scenario", "procedure", "day"], sort=False)
    summary = grouped.agg(waiting=("waiting", "mean"), over=("over", "mean"),
                          share=("share", "mean"), share_low=("share", "min"),
                          share_high=("share", "max")).reset_index()
    summary["date"] = [dates[s].get(d) for s, d in zip(summary["scenario"], summary["day"],
                                                       strict=True)]
    summary["over_days"] = over_days
    return summary[OVER_COLUMNS]
