"""Checks of the queueing closed forms in :mod:`sim.analysis.theory`.

Erlang C is pinned to textbook values and to the direct summation formula; Erlang A is
checked against its two exact limits (no abandonment -> Erlang C, theta = mu -> Poisson),
against flow-balance identities over a hypothesis-drawn parameter grid, and against an
independent Monte-Carlo of the single-counter desk.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.integrate import trapezoid

from sim.analysis.theory.checks import littles_law_gap, t_interval
from sim.analysis.theory.erlang_a import ErlangA, erlang_a, erlang_a_pmf
from sim.analysis.theory.erlang_c import (
    erlang_b,
    erlang_c,
    mmc_mean_queue,
    mmc_mean_wait,
    mmc_wait_tail,
)

REPRODUCIBLE = settings(derandomize=True, max_examples=60, deadline=None)


def erlang_c_direct(c: int, a: float) -> float:
    """Erlang C by the textbook summation, P0-style."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


# --------------------------------------------------------------------------- Erlang B / C


def test_erlang_b_small_cases() -> None:
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    # B(c, a) = (a^c / c!) / sum_k a^k / k!
    a, c = 7.3, 9
    direct = a**c / math.factorial(c) / sum(a**k / math.factorial(k) for k in range(c + 1))
    assert erlang_b(c, a) == pytest.approx(direct, rel=1e-12)


def test_erlang_b_is_stable_for_large_systems() -> None:
    b = erlang_b(2000, 1900.0)
    assert 0.0 < b < 1.0


@pytest.mark.parametrize("rho", [0.0, 0.1, 0.5, 0.93])
def test_erlang_c_single_counter_is_rho(rho: float) -> None:
    assert erlang_c(1, rho) == pytest.approx(rho, abs=1e-15)


def test_erlang_c_textbook_values() -> None:
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-12)
    assert erlang_c(10, 8.0) == pytest.approx(0.409, abs=5e-4)


@given(
    c=st.integers(min_value=1, max_value=40),
    load=st.floats(min_value=0.01, max_value=0.99),
)
@REPRODUCIBLE
def test_erlang_c_matches_direct_sum(c: int, load: float) -> None:
    a = load * c
    assert erlang_c(c, a) == pytest.approx(erlang_c_direct(c, a), rel=1e-10)


@pytest.mark.parametrize(("c", "a"), [(1, 1.0), (3, 3.0), (3, 4.5), (0, 0.5), (2, -0.1)])
def test_erlang_c_rejects_unstable_or_invalid(c: int, a: float) -> None:
    with pytest.raises(ValueError):
        erlang_c(c, a)


def test_mmc_mm1_closed_forms() -> None:
    lam, mu = 0.8, 1.0
    rho = lam / mu
    assert mmc_mean_wait(lam, mu, 1) == pytest.approx(rho / (mu - lam), rel=1e-12)
    assert mmc_mean_queue(lam, mu, 1) == pytest.approx(rho**2 / (1 - rho), rel=1e-12)
    assert mmc_wait_tail(lam, mu, 1, 2.0) == pytest.approx(rho * math.exp(-0.2 * 2), rel=1e-12)
    assert mmc_wait_tail(lam, mu, 1, -1.0) == 1.0
    assert mmc_wait_tail(lam, mu, 1, 0.0) == pytest.approx(erlang_c(1, rho))


def test_mmc_wait_tail_integrates_to_mean_wait() -> None:
    lam, mu, c = 100.0, 30.0, 4
    t = np.linspace(0.0, 2.0, 2_001)
    tail = np.array([mmc_wait_tail(lam, mu, c, x) for x in t])
    integral = trapezoid(tail, t)
    assert integral == pytest.approx(mmc_mean_wait(lam, mu, c), rel=1e-4)


def test_mmc_rejects_unstable() -> None:
    with pytest.raises(ValueError):
        mmc_mean_wait(3.0, 1.0, 3)


# --------------------------------------------------------------------------- Erlang A


@pytest.mark.parametrize(("lam", "mu", "c"), [(0.8, 1.0, 1), (8.0, 1.0, 10), (100.0, 30.0, 4)])
def test_erlang_a_tends_to_erlang_c_without_abandonment(lam: float, mu: float, c: int) -> None:
    r = erlang_a(lam, mu, 1e-6 * mu, c)
    assert r.p_wait == pytest.approx(erlang_c(c, lam / mu), rel=1e-3)
    assert r.mean_wait_all == pytest.approx(mmc_mean_wait(lam, mu, c), rel=1e-3)
    assert r.mean_wait_served == pytest.approx(mmc_mean_wait(lam, mu, c), rel=1e-3)
    assert r.mean_queue == pytest.approx(mmc_mean_queue(lam, mu, c), rel=1e-3)
    assert r.p_abandon < 1e-4


@pytest.mark.parametrize("lam", [0.5, 2.0, 7.5])
def test_erlang_a_with_theta_equal_mu_is_poisson(lam: float) -> None:
    mu, c = 1.3, 3
    pi = erlang_a_pmf(lam, mu, mu, c)
    poisson = stats.poisson(lam / mu)
    np.testing.assert_allclose(pi, poisson.pmf(np.arange(len(pi))), rtol=1e-9, atol=1e-15)
    r = erlang_a(lam, mu, mu, c)
    assert r.p_wait == pytest.approx(poisson.sf(c - 1), rel=1e-9)
    assert r.mean_in_system == pytest.approx(lam / mu, rel=1e-9)


@given(
    c=st.integers(min_value=1, max_value=30),
    load=st.floats(min_value=0.3, max_value=3.0),
    patience_ratio=st.floats(min_value=0.01, max_value=10.0),
    mu=st.floats(min_value=0.5, max_value=50.0),
)
@REPRODUCIBLE
def test_erlang_a_identities(c: int, load: float, patience_ratio: float, mu: float) -> None:
    lam, theta = load * c * mu, patience_ratio * mu
    r = erlang_a(lam, mu, theta, c)
    assert isinstance(r, ErlangA)
    # Tagged-customer abandonment equals abandonment flow / arrival flow.
    assert r.p_abandon == pytest.approx(theta * r.mean_queue / lam, rel=1e-9)
    # Little's law on the line.
    assert r.mean_wait_all * lam == pytest.approx(r.mean_queue, rel=1e-12)
    # Busy counters = served throughput / mu (Little's law at the counters).
    busy = r.mean_in_system - r.mean_queue
    assert busy == pytest.approx(lam * (1 - r.p_abandon) / mu, rel=1e-9)
    assert 0.0 <= r.p_abandon <= r.p_wait <= 1.0
    assert busy <= c * (1 + 1e-12)
    if r.p_wait > 0:
        assert math.isfinite(r.mean_wait_served)
        assert r.mean_wait_served > 0


@pytest.mark.parametrize(
    ("lam", "mu", "theta", "c"), [(60.0, 1.0, 1e-3, 20), (3.0, 1.0, 1e-3, 1), (1e4, 1.0, 5.0, 20)]
)
def test_erlang_a_heavy_overload_does_not_overflow(
    lam: float, mu: float, theta: float, c: int
) -> None:
    r = erlang_a(lam, mu, theta, c)
    assert all(math.isfinite(x) for x in r)
    # Nearly everyone waits; the counters are saturated and the excess abandons.
    assert r.p_abandon == pytest.approx(1 - c * mu / lam, rel=1e-2)
    assert r.p_abandon == pytest.approx(theta * r.mean_queue / lam, rel=1e-9)


def test_erlang_a_pmf_sums_to_one_and_no_arrivals() -> None:
    assert erlang_a_pmf(5.0, 1.0, 0.1, 4).sum() == pytest.approx(1.0, rel=1e-14)
    assert erlang_a(0.0, 1.0, 0.5, 2) == ErlangA(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("lam", "mu", "theta", "c"),
    [
        (1.0, 1.0, 0.0, 1),
        (1.0, 0.0, 1.0, 1),
        (-1.0, 1.0, 1.0, 1),
        (1.0, 1.0, 1.0, 0),
        (1.0, 1.0, -2.0, 3),
    ],
)
def test_erlang_a_rejects_invalid(lam: float, mu: float, theta: float, c: int) -> None:
    with pytest.raises(ValueError):
        erlang_a(lam, mu, theta, c)


def _simulate_mm1_impatient(
    lam: float, mu: float, theta: float, n: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """FCFS single counter with reneging, by the exact Lindley-type recursion.

    Returns each customer's time in line and whether they were served.
    """
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / lam, n)).tolist()
    services = rng.exponential(1 / mu, n).tolist()
    patience = rng.exponential(1 / theta, n).tolist()
    wait = np.empty(n)
    served = np.empty(n, dtype=bool)
    free = 0.0
    for i in range(n):
        start = max(arrivals[i], free)
        w = start - arrivals[i]
        if w > patience[i]:
            wait[i], served[i] = patience[i], False
        else:
            wait[i], served[i] = w, True
            free = start + services[i]
    return wait, served


@pytest.mark.parametrize(("lam", "theta"), [(0.9, 0.5), (1.5, 0.3)])
def test_erlang_a_single_counter_against_monte_carlo(lam: float, theta: float) -> None:
    mu, n, warmup, batches = 1.0, 200_000, 2_000, 40
    wait, served = _simulate_mm1_impatient(lam, mu, theta, n + warmup, seed=20240611)
    wait, served = wait[warmup:], served[warmup:]
    exact = erlang_a(lam, mu, theta, 1)

    # Batch means: waits are autocorrelated, so treat 40 consecutive blocks as i.i.d.
    w_b = wait.reshape(batches, -1)
    s_b = served.reshape(batches, -1)
    checks = {
        "mean_wait_served": ((w_b * s_b).sum(axis=1) / s_b.sum(axis=1), exact.mean_wait_served),
        "mean_wait_all": (w_b.mean(axis=1), exact.mean_wait_all),
        "p_abandon": (1 - s_b.mean(axis=1), exact.p_abandon),
    }
    for name, (per_batch, target) in checks.items():
        se = per_batch.std(ddof=1) / math.sqrt(batches)
        assert abs(per_batch.mean() - target) < 4 * se, (name, per_batch.mean(), target, se)


# --------------------------------------------------------------------------- helpers


def test_littles_law_gap() -> None:
    assert littles_law_gap(3.0, 3.0) == 0.0
    assert littles_law_gap(0.0, 0.0) == 0.0
    assert littles_law_gap(9.0, 10.0) == pytest.approx(0.1)


def test_t_interval() -> None:
    mean, lo, hi = t_interval([2.0])
    assert mean == 2.0 and math.isnan(lo) and math.isnan(hi)
    values = np.array([1.0, 2.0, 3.0, 4.0])
    mean, lo, hi = t_interval(values, confidence=0.9)
    half = stats.t.ppf(0.95, 3) * values.std(ddof=1) / 2
    assert (mean, lo, hi) == pytest.approx((2.5, 2.5 - half, 2.5 + half))
    with pytest.raises(ValueError):
        t_interval([])
    with pytest.raises(ValueError):
        t_interval([1.0, 2.0], confidence=1.0)
