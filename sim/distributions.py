"""Positive random durations given by a mean and a coefficient of variation.

Service times, patience and later lead times are all "a positive duration with this mean and
this spread". One small family covers them: exponential (cv = 1, the queueing-theory case),
deterministic (cv = 0), lognormal and gamma (any cv). Draws are vectorised from a numpy
Generator owned by the caller.
"""

from __future__ import annotations

import numpy as np

KINDS = ("exponential", "deterministic", "lognormal", "gamma")


def sample(
    rng: np.random.Generator, kind: str, mean: float, cv: float, size: int
) -> np.ndarray:
    """``size`` draws with the given mean and coefficient of variation.

    >>> rng = np.random.default_rng(0)
    >>> x = sample(rng, "gamma", mean=2.0, cv=0.5, size=200_000)
    >>> round(float(x.mean()), 2), round(float(x.std() / x.mean()), 2)
    (2.0, 0.5)
    """
    if kind == "exponential":
        return rng.exponential(mean, size)
    if kind == "deterministic" or cv == 0:
        return np.full(size, float(mean))
    if kind == "lognormal":
        sigma2 = np.log1p(cv * cv)
        return rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2), size)
    if kind == "gamma":
        shape = 1.0 / (cv * cv)
        return rng.gamma(shape, mean / shape, size)
    raise ValueError(f"unknown distribution kind {kind!r}; allowed: {', '.join(KINDS)}")
