"""Holding a simulation against a closed form: Little's law and Student-t intervals.

The theory tests and the validation scenarios pass when the closed form lies inside the
replications' interval (:func:`t_interval`), and when the area under the number-in-system
curve equals the summed sojourn times of everyone who came (:func:`littles_law_gap`).
"""

from __future__ import annotations

import sys

import numpy as np
from numpy.typing import ArrayLike

from sim.analysis.intervals import t_halfwidth


def littles_law_gap(area: float, total_sojourn: float) -> float:
    """Relative gap between the two sides of a sample-path Little's law.

    Over a window that starts and ends empty, the area under the number-in-system curve
    equals the summed sojourn times of everyone who came.

    Parameters
    ----------
    area : float
        Integral of the number present over the window (person-days).
    total_sojourn : float
        Sum of the individual times spent (days).

    Returns
    -------
    float
        ``|area - total_sojourn| / max(total_sojourn, tiny)``.

    Examples
    --------
    >>> littles_law_gap(12.5, 12.5)
    0.0
    >>> round(littles_law_gap(10.1, 10.0), 6)
    0.01
    """
    return abs(area - total_sojourn) / max(total_sojourn, sys.float_info.min)


def t_interval(values: ArrayLike, confidence: float = 0.95) -> tuple[float, float, float]:
    """Student-t confidence interval for the mean of independent replications.

    Parameters
    ----------
    values : array_like
        One value per replication (at least one).
    confidence : float, optional
        Two-sided confidence level in (0, 1).

    Returns
    -------
    tuple of float
        ``(mean, low, high)``; with a single replication ``low`` and ``high`` are NaN.

    Examples
    --------
    Mean waits (hours) from five replications of a scenario:

    >>> m, lo, hi = t_interval([1.0, 1.2, 0.9, 1.1, 1.3])
    >>> round(m, 2), round(lo, 3), round(hi, 3)
    (1.1, 0.904, 1.296)
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    x = np.asarray(values, dtype=float).ravel()
    if x.size == 0:
        raise ValueError("need at least one value")
    mean, half, _ = t_halfwidth(x, confidence)
    return mean, mean - half, mean + half
