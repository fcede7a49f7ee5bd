"""Kaplan-Meier quantiles: prefsim's numpy estimate against scipy's."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.analysis.intervals import km_quantile


def scipy_km_quantile(wait: np.ndarray, observed: np.ndarray, q: float) -> float:
    """The same quantile through scipy.stats.ecdf (the reference)."""
    if not observed.any():
        return float("nan")
    if observed.all():
        return float(np.quantile(wait, q, method="inverted_cdf"))
    sf = stats.ecdf(stats.CensoredData(uncensored=wait[observed], right=wait[~observed])).sf
    reached = np.flatnonzero(1.0 - sf.probabilities >= q - 1e-12)
    return float(sf.quantiles[reached[0]]) if reached.size else float("nan")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.booleans()), min_size=1, max_size=60),
       st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9]))
def test_numpy_kaplan_meier_matches_scipy(rows: list[tuple[int, bool]], q: float) -> None:
    """Ties, censoring at event times, all or none observed: same quantile (or both NaN)."""
    wait = np.array([w / 2 for w, _ in rows], dtype=float)
    seen = np.array([o for _, o in rows], dtype=bool)
    ours, theirs = km_quantile(wait, seen, q), scipy_km_quantile(wait, seen, q)
    assert (np.isnan(ours) and np.isnan(theirs)) or ours == theirs


def test_large_sample_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    wait = rng.exponential(60.0, 100_000).round(1)
    seen = rng.random(100_000) < 0.7
    for q in (0.5, 0.9):
        assert km_quantile(wait, seen, q) == scipy_km_quantile(wait, seen, q)
