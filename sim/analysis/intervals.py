"""Statistics over replications: intervals that stay in each KPI's domain, Kaplan-Meier quantiles.

Replications are independent, so a KPI's mean over them has a Student-t standard error; a
KPI that does not vary (a staff cost) gets an interval of width zero, not a rounding
artefact. A symmetric interval can leave what is possible (a share above 1, a negative count
of expired protection orders when they are rare), so :func:`bounded_interval` builds it on the
scale the KPI's domain calls for (:mod:`sim.analysis.glossary`): logit for shares, log for
counts, days and euros, by the delta method (the interval of the mean, not of a geometric
mean), and maps it back. Waits censored at the horizon (people still looking) get
Kaplan-Meier percentiles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis import glossary


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


def bounded_interval(values: np.ndarray, domain: str | None,
                     confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Mean, interval and count of the finite ``values`` of a KPI of ``domain``.

    Shares get a Student-t interval on the logit scale, positive quantities (``count``,
    ``days``, ``eur``) on the log scale, both by the delta method around the mean; others
    (``margin``, or no domain) a plain Student-t interval. The ends never leave the domain.
    Values outside the domain (a KPI's defect, such as a utilisation above 1) make the delta
    method meaningless: they get the plain interval, cut at the domain's ends.
    Protection orders expired in five replications, 0, 0, 3, 12 and 2: the plain interval
    would start at -2.8 orders; this one starts above 0 and reaches further up.

    >>> m, lo, hi, n = bounded_interval(np.array([0.0, 0.0, 3.0, 12.0, 2.0]), "count")
    >>> m, round(lo, 2), round(hi, 1), n
    (3.4, 0.55, 21.0, 5)
    >>> [round(x, 3) for x in bounded_interval(np.array([0.9, 0.99, 0.97]), "share")[:3]]
    [0.953, 0.593, 0.997]
    >>> bounded_interval(np.array([5.0, 5.0]), "eur")
    (5.0, 5.0, 5.0, 2)
    >>> [round(x, 4) for x in bounded_interval(np.array([0.997, 1.003, 0.998]), "share")[:3]]
    [0.9993, 0.9913, 1.0]
    """
    mean, half, n = t_halfwidth(values, confidence)
    if not math.isfinite(half):
        return mean, math.nan, math.nan, n
    if half == 0:
        return mean, mean, mean, n
    low, high, scale = glossary.DOMAINS.get(domain or "", (-math.inf, math.inf, "t"))
    finite = values[np.isfinite(values)]
    if finite.size and (finite.min() < low or finite.max() > high):
        scale = "t"
    if scale == "logit" and 0 < mean < 1:
        width = half / (mean * (1 - mean))
        centre = math.log(mean / (1 - mean))
        lo, hi = (1 / (1 + math.exp(-(centre + s))) for s in (-width, width))
    elif scale == "log" and mean > 0:
        width = min(half / mean, 700.0)
        lo, hi = mean * math.exp(-width), mean * math.exp(width)
    else:
        lo, hi = mean - half, mean + half
    return mean, max(lo, low), min(hi, high), n


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
    return km_quantiles(wait, observed, (q,))[0]


def km_quantiles(wait: np.ndarray, observed: np.ndarray,
                 qs: Sequence[float]) -> list[float]:
    """Several quantiles of one Kaplan-Meier estimate (:func:`km_quantile`), sorting once;
    numpy throughout, checked against ``scipy.stats.ecdf`` in ``tests/test_intervals.py``.

    >>> km_quantiles(np.array([1.0, 2.0, 3.0, 3.0, 4.0, 5.0]),
    ...              np.array([True, True, False, False, True, False]), (0.3, 0.5))
    [2.0, 4.0]
    """
    if not observed.any():
        return [float("nan")] * len(qs)
    if observed.all():
        return [float(np.quantile(wait, q, method="inverted_cdf")) for q in qs]
    times, cdf = km_curve(wait, observed)
    out = []
    for q in qs:
        reached = np.flatnonzero(cdf >= q - 1e-12)
        out.append(float(times[reached[0]]) if reached.size else float("nan"))
    return out


def km_curve(wait: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier estimate of P(wait <= t): the event times and the estimate after each.

    The example of :func:`km_quantile`: served after 1, 2 and 4 days, still waiting after
    3, 3 and 5 days.

    >>> t, F = km_curve(np.array([1.0, 2.0, 3.0, 3.0, 4.0, 5.0]),
    ...                 np.array([True, True, False, False, True, False]))
    >>> t.tolist(), F.round(4).tolist()
    ([1.0, 2.0, 4.0], [0.1667, 0.3333, 0.6667])
    """
    wait = np.asarray(wait, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    keep = np.isfinite(wait)
    wait, observed = wait[keep], observed[keep]
    if not observed.any():
        return np.array([]), np.array([])
    order = np.argsort(wait)  # ties need no order: events and censorings are counted per time
    wait, observed = wait[order], observed[order]
    first = np.flatnonzero(np.r_[True, wait[1:] != wait[:-1]])
    times = wait[first]
    at_risk = wait.size - first
    events = np.add.reduceat(observed.astype(float), first)
    survival = np.cumprod(1.0 - events / at_risk)
    seen = events > 0
    return times[seen], 1.0 - survival[seen]


def summarise(replications: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and interval of each (kpi, procedure) over replications, within the KPI's domain
    (:func:`bounded_interval`).

    >>> reps = pd.DataFrame({"kpi": ["served"] * 3, "procedure": ["all"] * 3,
    ...                      "value": [10.0, 12.0, 14.0]})
    >>> summarise(reps).round(2).to_dict("records")
    [{'kpi': 'served', 'procedure': 'all', 'mean': 12.0, 'ci_low': 7.93, 'ci_high': 18.15, 'n': 3}]
    """
    rows = []
    for (kpi, proc), group in replications.groupby(["kpi", "procedure"], sort=False):
        values = group["value"].to_numpy(dtype=float)
        rows.append((kpi, proc, *bounded_interval(values, glossary.domain(str(kpi)),
                                                  confidence)))
    return pd.DataFrame(rows, columns=["kpi", "procedure", "mean", "ci_low", "ci_high", "n"])
