"""Sampling and quantile helpers against scipy's reference implementations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.engine.sampling import binomial_quantile, poisson_quantile, sample


def test_poisson_quantiles_are_exact_for_small_means_and_close_for_large() -> None:
    rng = np.random.default_rng(0)
    u = rng.random(50_000)
    small = rng.uniform(0, 50, u.size)
    np.testing.assert_array_equal(poisson_quantile(u, small), stats.poisson.ppf(u, small))
    large = rng.uniform(50, 1e6, u.size)
    gap = np.abs(poisson_quantile(u, large) - stats.poisson.ppf(u, large))
    assert gap.max() <= 1  # Cornish-Fisher: off by at most one count


def test_binomial_quantiles_are_exact_for_small_n_and_close_for_large() -> None:
    rng = np.random.default_rng(1)
    u, p = rng.random(50_000), rng.random(50_000)
    n = rng.integers(0, 51, u.size)
    np.testing.assert_array_equal(binomial_quantile(u, n, p), stats.binom.ppf(u, n, p))
    big = rng.integers(51, 100_000, u.size)
    gap = np.abs(binomial_quantile(u, big, p) - stats.binom.ppf(u, big, p))
    assert np.quantile(gap / np.sqrt(big * p * (1 - p) + 1), 0.999) < 0.2


@pytest.mark.parametrize("kind", ["exponential", "deterministic", "lognormal", "gamma",
                                  "uniform"])
def test_sampled_means_match(kind: str) -> None:
    x = sample(np.random.default_rng(2), kind, 3.0, 0.5, 200_000)
    sd = x.std() / np.sqrt(x.size)
    assert abs(x.mean() - 3.0) <= max(4 * sd, 1e-12)
    assert (x >= 0).all()
