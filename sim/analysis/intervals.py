"""Statistics over replications: Student-t intervals and Kaplan-Meier quantiles.

Replications are independent, so a KPI's mean over them gets a Student-t interval; a KPI
that does not vary (a staff cost) gets an interval of width zero, not a rounding artefact.
Waits censored at the horizon (people still looking) get Kaplan-Meier percentiles.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats


def t_halfwidth(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, int]:
    """Mean, Student-t half-width and count of the finite ``values``.

    Identical values give a half-width of exactly 0; fewer than two give NaN.

    >>> mean, half, n = t_halfwidth(np.array([1.0, 2.0, 3.0]))
    >>> mean, round(half, 3), n
    (2.0, 2.484, 3)
    >>> t_halfwidth(np.array([0.0, 0.0, np.nan]))
    (0.0, 0.0, 2)
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = int(values.size)
    if n == 0:
        return math.nan, math.nan, 0
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, n
    if np.ptp(values) == 0:
        return mean, 0.0, n
    t = stats.t.ppf((1 + confidence) / 2, n - 1)
    return mean, float(t * values.std(ddof=1) / math.sqrt(n)), n


def km_quantile(wait: np.ndarray, observed: np.ndarray, q: float) -> float:
    """The ``q``-quantile of a Kaplan-Meier estimate; NaN if the curve never reaches it.

    Three people were served after 1, 2 and 4 days; two were still waiting after 3 days and
    one after 5. The estimate falls by 1/6 at day 1, then by 1/5 of what is left at day 2
    (F = 1/3), and by half of what is left at day 4, when only two people remain at risk
    (F = 2/3); it never reaches 0.9, since the last person is censored.

    >>> w = np.array([1.0, 2.0, 3.0, 3.0, 4.0, 5.0])
    >>> seen = np.array([True, True, False, False, True, False])
    >>> km_quantile(w, seen, 0.5), km_quantile(w, seen, 0.9)
    (4.0, nan)
    """
    if not observed.any():
        return float("nan")
    if observed.all():
        return float(np.quantile(wait, q, method="inverted_cdf"))
    data = stats.CensoredData(uncensored=wait[observed], right=wait[~observed])
    sf = stats.ecdf(data).sf
    cdf = 1.0 - sf.probabilities
    reached = np.flatnonzero(cdf >= q - 1e-12)
    return float(sf.quantiles[reached[0]]) if reached.size else float("nan")


def summarise(replications: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and Student-t interval of each (kpi, procedure) over replications.

    >>> reps = pd.DataFrame({"kpi": ["served"] * 3, "procedure": ["all"] * 3,
    ...                      "value": [10.0, 12.0, 14.0]})
    >>> summarise(reps).round(2).to_dict("records")
    [{'kpi': 'served', 'procedure': 'all', 'mean': 12.0, 'ci_low': 7.03, 'ci_high': 16.97, 'n': 3}]
    """
    rows = []
    for (kpi, proc), group in replications.groupby(["kpi", "procedure"], sort=False):
        mean, half, n = t_halfwidth(group["value"].to_numpy(dtype=float), confidence)
        rows.append((kpi, proc, mean, mean - half, mean + half, n))
    return pd.DataFrame(rows, columns=["kpi", "procedure", "mean", "ci_low", "ci_high", "n"])
