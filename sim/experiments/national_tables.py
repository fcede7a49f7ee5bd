"""The national picture's tables: national aggregates and one row per prefecture.

A national run (:mod:`sim.experiments.national`) gives each département's KPI rows and the
waits of its applicants. :func:`aggregate` turns them into national values per replication:
counts and money (``arrivals``, ``served``, lapses, expiries, revenue, cost, requests per
day) are summed; waits' percentiles are recomputed on the pooled applicants (Kaplan-Meier);
means of waits and delays are weighted by ``served``; shares and the other means are
weighted by ``arrivals``. Sums are divided by ``scale`` so that they read as national
totals. :func:`departement_table` gives one row per prefecture: the inputs it was built
from, its waits, renewal lapses and protection orders expired.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.analysis.metrics import km_quantile

SUMS = ("arrivals", "served", "still_waiting_end", "reseller_revenue_eur",
        "malicious_requests_per_day", "blocked_requests_per_day", "renewal_lapses",
        "undocumented_person_days", "protection_orders_expired", "deadlines_missed",
        "staff_cost_eur", "court_cases_per_year", "court_cost_eur")
SERVED_WEIGHTED = ("wait_days_mean", "time_to_title_days_mean", "instruction_days_mean")
POOLED = ("wait_days_p50", "wait_days_p90")


class Waits(NamedTuple):
    wait: np.ndarray  # float32 days
    seen: np.ndarray  # bool: appointment date came (not censored)
    procedure: np.ndarray  # procedure names (object)


# column of departement_table: (kpi, procedure), mean over replications
TABLE_KPIS = {
    "wait_days_p50": ("wait_days_p50", "all"),
    "wait_days_p90": ("wait_days_p90", "all"),
    "first_title_wait_days_p50": ("wait_days_p50", "first_title"),
    "gave_up_share": ("gave_up_share", "all"),  # whatever the policy: dates given up too
    "arrivals": ("arrivals", "all"),
    "renewals": ("arrivals", "renewal"),
    "renewal_lapses": ("renewal_lapses", "all"),
    "protection_orders": ("arrivals", "protection_order"),
    "protection_orders_expired": ("protection_orders_expired", "all"),
}
TABLE_INPUTS = ("code", "name", "policy", "bot_group", "demand_weight", "staff_weight",
                "bot_weight", "load")


def departement_table(kpis: pd.DataFrame, inputs: pd.DataFrame, scale: float) -> pd.DataFrame:
    """One row per département: its inputs, then its KPIs' means over replications.

    Counts are divided by ``scale`` (full size, a year); a percentile is NaN when some
    replication never reached it (more people gave up or still wait than the percentile).
    """
    wide = kpis.pivot_table(index="departement", columns=["kpi", "procedure"], values="value",
                            aggfunc=["mean", lambda v: bool(v.isna().any())], dropna=False)
    table = inputs[list(TABLE_INPUTS)].set_index("code")
    for column, key in TABLE_KPIS.items():
        mean = wide["mean"].get(key, pd.Series(np.nan, index=wide.index)).astype(float)
        unknown = wide["<lambda>"].get(key, pd.Series(False, index=wide.index)).astype(bool)
        value = mean.where(~unknown).reindex(table.index)
        table[column] = value / scale if key[0] in SUMS or column in (
            "renewals", "protection_orders") else value
    table["renewal_lapses_per_1000"] = 1000 * table["renewal_lapses"] / table["renewals"]
    return table.loc[table.index.isin(kpis["departement"])].reset_index()


def method_of(kpi: str) -> str:
    """How a KPI is aggregated over départements."""
    if kpi in SUMS:
        return "sum / scale"
    if kpi in POOLED:
        return "pooled Kaplan-Meier"
    if kpi in SERVED_WEIGHTED:
        return "served-weighted mean"
    return "arrival-weighted mean"


def aggregate(kpis: pd.DataFrame, waits: Mapping[str, list[Waits]], scale: float,
              replications: int) -> pd.DataFrame:
    """National value of every (kpi, procedure) in every replication."""
    rows = []
    wide = kpis.pivot_table(index=["replication", "procedure", "departement"], columns="kpi",
                            values="value", aggfunc="first")
    for (rep, proc), group in wide.groupby(level=[0, 1], sort=False):
        arrivals = group.get("arrivals", pd.Series(0.0, index=group.index)).fillna(0.0)
        served = group.get("served", pd.Series(0.0, index=group.index)).fillna(0.0)
        for kpi in group.columns:
            if kpi in POOLED:
                continue
            v = group[kpi]
            if kpi in SUMS:
                value = float(v.sum(skipna=True)) / scale
            else:
                w = served if kpi in SERVED_WEIGHTED else arrivals
                ok = v.notna() & (w > 0)
                value = float(np.average(v[ok], weights=w[ok])) if ok.any() else np.nan
            rows.append((kpi, proc, rep, value))
        rows += _pooled(waits, int(rep), str(proc))
    out = pd.DataFrame(rows, columns=["kpi", "procedure", "replication", "value"])
    return out.sort_values(["kpi", "procedure", "replication"], kind="stable")


def _pooled(waits: Mapping[str, list[Waits]], rep: int, proc: str) -> list[tuple]:
    parts = [w[rep] for w in waits.values() if rep < len(w)]
    if not parts:
        return []
    wait = np.concatenate([p.wait for p in parts]).astype(float)
    seen = np.concatenate([p.seen for p in parts])
    if proc != "all":
        mine = np.concatenate([p.procedure for p in parts]) == proc
        wait, seen = wait[mine], seen[mine]
    if wait.size == 0:
        return [(k, proc, rep, np.nan) for k in POOLED]
    return [("wait_days_p50", proc, rep, km_quantile(wait, seen, 0.5)),
            ("wait_days_p90", proc, rep, km_quantile(wait, seen, 0.9))]
