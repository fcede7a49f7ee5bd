"""Queueing closed forms for a prefecture walk-in desk.

A prefecture's foreigners' service opens a walk-in desk with ``c`` counters. People arrive
at random (a Poisson stream of ``lam`` per day), each counter serves one person at a time
and a service lasts an exponential time of mean ``1 / mu`` days. Whoever finds every
counter busy joins a single first-come-first-served line; if the wait drags on, they give
up and leave after an exponential patience of mean ``1 / theta`` days. That desk is the
M/M/c+M ("Erlang-A", Palm) queue; with infinite patience it is the classical M/M/c
("Erlang-C") queue, and with no waiting room at all the M/M/c/c ("Erlang-B") loss system.

This module is the single home of those closed forms, for the tests, the validation
scenarios and the dashboard, together with two small statistical helpers.

Assumptions
-----------
* Arrivals form a Poisson process of rate ``lam`` (time-homogeneous, no balking).
* Service times are i.i.d. exponential of rate ``mu`` per counter; ``c`` identical counters.
* Patience times are i.i.d. exponential of rate ``theta`` (Erlang-A only); a person who
  reaches a counter is never lost, patience only runs while waiting.
* One first-come-first-served line; results are stationary (long-run) quantities.
* Units: rates per day and times in days, but any consistent unit works.

All functions are pure: no global state, no printing, no randomness.
"""

from __future__ import annotations

import math
import sys
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import logsumexp

from sim.intervals import t_halfwidth

__all__ = [
    "ErlangA",
    "erlang_a",
    "erlang_a_pmf",
    "erlang_b",
    "erlang_c",
    "littles_law_gap",
    "mmc_mean_queue",
    "mmc_mean_wait",
    "mmc_wait_tail",
    "t_interval",
]

_MAX_STATES = 1 << 24  # guard against absurd truncations (about 16.7 million states)


# --------------------------------------------------------------------------- Erlang B / C


def _check_mmc(lam: float, mu: float, c: int) -> None:
    if c < 1:
        raise ValueError(f"need at least one counter, got c={c}")
    if mu <= 0:
        raise ValueError(f"service rate mu must be positive, got {mu}")
    if lam < 0:
        raise ValueError(f"arrival rate lam must be non-negative, got {lam}")


def erlang_b(c: int, a: float) -> float:
    """Erlang-B blocking probability of the M/M/c/c loss system.

    Uses the stable recursion ``B(0) = 1``, ``B(k) = a B(k-1) / (k + a B(k-1))``.

    Parameters
    ----------
    c : int
        Number of counters (``c >= 0``).
    a : float
        Offered load ``lam / mu`` in Erlangs (``a >= 0``).

    Returns
    -------
    float
        Probability that an arrival finds all ``c`` counters busy and is lost.

    Examples
    --------
    Two counters, one Erlang offered (say 30 arrivals a day, 30 services a day per
    counter): one arrival in five would find both counters busy.

    >>> round(erlang_b(2, 1.0), 6)
    0.2
    """
    if c < 0:
        raise ValueError(f"c must be non-negative, got {c}")
    if a < 0:
        raise ValueError(f"offered load must be non-negative, got {a}")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang-C probability of waiting in the M/M/c queue.

    Computed from Erlang B as ``C = B / (1 - (a / c) (1 - B))``.

    Parameters
    ----------
    c : int
        Number of counters (``c >= 1``).
    a : float
        Offered load ``lam / mu`` in Erlangs; stability needs ``0 <= a < c``.

    Returns
    -------
    float
        Probability that an arrival has to wait (finds all counters busy).

    Raises
    ------
    ValueError
        If ``c < 1``, ``a < 0`` or ``a >= c`` (the line grows without bound).

    Examples
    --------
    Two counters and one Erlang of load: a third of visitors queue.

    >>> round(erlang_c(2, 1.0), 6)
    0.333333
    """
    if c < 1:
        raise ValueError(f"need at least one counter, got c={c}")
    if a < 0:
        raise ValueError(f"offered load must be non-negative, got {a}")
    if a >= c:
        raise ValueError(f"unstable queue: offered load a={a} >= c={c} counters")
    b = erlang_b(c, a)
    return b / (1.0 - (a / c) * (1.0 - b))


def mmc_mean_wait(lam: float, mu: float, c: int) -> float:
    """Mean time in queue of all arrivals in M/M/c, ``C / (c mu - lam)``.

    Parameters
    ----------
    lam : float
        Arrival rate (per day).
    mu : float
        Service rate of one counter (per day).
    c : int
        Number of counters.

    Returns
    -------
    float
        Mean wait before reaching a counter, in days (zero-waits included).

    Examples
    --------
    100 arrivals a day, 4 counters each serving 30 a day (utilisation 83 %):

    >>> round(mmc_mean_wait(100.0, 30.0, 4) * 8 * 60, 1)  # minutes of an 8-hour day
    15.8
    """
    _check_mmc(lam, mu, c)
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_wait_tail(lam: float, mu: float, c: int, t: float) -> float:
    """Probability that the wait exceeds ``t`` in M/M/c (FCFS).

    ``P(W > t) = C exp(-(c mu - lam) t)`` for ``t >= 0`` and 1 for ``t < 0``.

    Parameters
    ----------
    lam, mu : float
        Arrival rate and per-counter service rate (per day).
    c : int
        Number of counters.
    t : float
        Threshold (days).

    Returns
    -------
    float
        Tail probability of the waiting time.

    Examples
    --------
    Same desk as :func:`mmc_mean_wait`; chance of waiting more than an hour (1/8 day):

    >>> round(mmc_wait_tail(100.0, 30.0, 4, 1 / 8), 4)
    0.054
    """
    _check_mmc(lam, mu, c)
    if t < 0:
        return 1.0
    return erlang_c(c, lam / mu) * math.exp(-(c * mu - lam) * t)


def mmc_mean_queue(lam: float, mu: float, c: int) -> float:
    """Mean number waiting in M/M/c, ``E[Lq] = lam E[W]`` (Little's law).

    Parameters
    ----------
    lam, mu : float
        Arrival rate and per-counter service rate (per day).
    c : int
        Number of counters.

    Returns
    -------
    float
        Time-average number of people in line (not at a counter).

    Examples
    --------
    Same desk as :func:`mmc_mean_wait`: about three people in line on average.

    >>> round(mmc_mean_queue(100.0, 30.0, 4), 2)
    3.29
    """
    return lam * mmc_mean_wait(lam, mu, c)


# --------------------------------------------------------------------------- Erlang A


class ErlangA(NamedTuple):
    """Stationary performance of the M/M/c+M (Erlang-A) desk.

    Attributes
    ----------
    p_wait : float
        Probability an arrival finds all ``c`` counters busy (PASTA).
    p_abandon : float
        Probability an arrival gives up before reaching a counter.
    mean_wait_served : float
        Mean time in line of those who are eventually served (zero-waits included).
    mean_wait_all : float
        Mean time in line of all arrivals, served or abandoning.
    mean_queue : float
        Time-average number of people in line.
    mean_in_system : float
        Time-average number of people in line or at a counter.
    """

    p_wait: float
    p_abandon: float
    mean_wait_served: float
    mean_wait_all: float
    mean_queue: float
    mean_in_system: float


def _check_erlang_a(lam: float, mu: float, theta: float, c: int, tol: float) -> None:
    _check_mmc(lam, mu, c)
    if theta <= 0:
        raise ValueError(f"abandonment rate theta must be positive, got {theta}")
    if not 0 < tol < 1:
        raise ValueError(f"tol must lie in (0, 1), got {tol}")


def _death_rates(n: np.ndarray, mu: float, theta: float, c: int) -> np.ndarray:
    """Departure rate ``min(n, c) mu + (n - c)^+ theta`` of state ``n``."""
    return np.minimum(n, c) * mu + np.maximum(n - c, 0) * theta


def _log_pmf(lam: float, mu: float, theta: float, c: int, n_max: int) -> np.ndarray:
    """Unnormalised ``log pi_n`` for ``n = 0..n_max`` (``log pi_0 = 0``)."""
    n = np.arange(1, n_max + 1)
    steps = math.log(lam) - np.log(_death_rates(n, mu, theta, c))
    return np.concatenate(([0.0], np.cumsum(steps)))


def _tail_is_small(
    log_pi: np.ndarray, lam: float, mu: float, theta: float, c: int, tol: float
) -> bool:
    """Whether the states beyond ``n_max`` carry less than ``tol`` of what matters.

    Past the mode the ratios ``pi_{n+1} / pi_n = lam / d_{n+1}`` decrease, so the tail is
    dominated by a geometric series of ratio ``r = lam / d_{n_max + 1} < 1``. Both the tail
    mass and its contribution to ``E[(N - c)^+]`` are bounded and compared (in log space)
    with ``tol`` times the mass and the mean queue of the kept states.
    """
    n_max = len(log_pi) - 1
    r = lam / float(_death_rates(np.array([n_max + 1]), mu, theta, c)[0])
    if r >= 1.0 or n_max <= c:
        return False
    k_last = n_max - c
    log_tail_mass = log_pi[-1] + math.log(r / (1.0 - r))
    log_tail_queue = log_pi[-1] + math.log(k_last * r / (1.0 - r) + r / (1.0 - r) ** 2)
    k = np.arange(1, k_last + 1)
    log_mass = logsumexp(log_pi)
    log_queue = logsumexp(log_pi[c + 1 :] + np.log(k))
    log_tol = math.log(tol)
    return bool(log_tail_mass - log_mass < log_tol and log_tail_queue - log_queue < log_tol)


def erlang_a_pmf(lam: float, mu: float, theta: float, c: int, tol: float = 1e-12) -> np.ndarray:
    """Stationary distribution of the number of people at the M/M/c+M desk.

    Birth-death chain on ``n = 0, 1, 2, ...`` with birth rate ``lam`` and death rate
    ``min(n, c) mu + (n - c)^+ theta``, computed in log space (no overflow even for heavy
    overloads) and truncated once the neglected tail holds less than ``tol`` of the mass
    and of the mean queue. The truncation grows as needed, so tiny ``theta`` is fine.

    Parameters
    ----------
    lam : float
        Arrival rate (per day), ``lam >= 0``.
    mu : float
        Per-counter service rate (per day), ``mu > 0``.
    theta : float
        Abandonment rate of each waiting person (per day), ``theta > 0``.
    c : int
        Number of counters, ``c >= 1``.
    tol : float, optional
        Relative size of the neglected tail.

    Returns
    -------
    numpy.ndarray
        ``pi[n]`` for ``n = 0..N``, summing to one.

    Examples
    --------
    When patience runs out as fast as service (``theta = mu``) everyone present leaves at
    rate ``mu``: the number present is Poisson with mean ``lam / mu``.

    >>> pi = erlang_a_pmf(2.0, 1.0, 1.0, 3)
    >>> round(float(pi[0]), 6) == round(math.exp(-2.0), 6)
    True
    """
    _check_erlang_a(lam, mu, theta, c, tol)
    if lam == 0:
        return np.ones(1)
    mode_k = max(0, math.ceil((lam - c * mu) / theta))
    extra = 64
    while True:
        n_max = c + mode_k + extra
        if n_max > _MAX_STATES:
            raise ValueError(
                f"truncation would need more than {_MAX_STATES} states; theta={theta} is too "
                f"small for lam={lam}, mu={mu}, c={c}"
            )
        log_pi = _log_pmf(lam, mu, theta, c, n_max)
        if _tail_is_small(log_pi, lam, mu, theta, c, tol):
            break
        extra *= 2
    pi = np.exp(log_pi - log_pi.max())
    return pi / pi.sum()


def erlang_a(lam: float, mu: float, theta: float, c: int, tol: float = 1e-12) -> ErlangA:
    """Exact stationary measures of the M/M/c+M (Palm / Erlang-A) desk.

    From the stationary distribution ``pi`` (see :func:`erlang_a_pmf`):
    ``p_wait = sum_{n>=c} pi_n``, ``mean_queue = sum (n - c)^+ pi_n`` and
    ``mean_wait_all = mean_queue / lam`` (Little).

    ``p_abandon`` and ``mean_wait_served`` follow the tagged arrival. Finding ``n >= c``
    present, it has ``k = n - c`` people ahead. While ``j`` are ahead (``j = k, ..., 0``)
    it moves up at rate ``r_j = c mu + j theta`` and gives up at rate ``theta``; each phase
    lasts ``Exp(r_j + theta)`` whatever ends it. Hence
    ``P(served | k) = prod_{j<=k} r_j / (r_j + theta)`` and
    ``E[W 1{served} | k] = P(served | k) sum_{j<=k} 1 / (r_j + theta)``, averaged over
    ``pi`` (PASTA). ``p_abandon`` computed this way equals ``theta mean_queue / lam``
    (abandonment flow balance), which makes a strong consistency check.

    Parameters
    ----------
    lam : float
        Arrival rate (per day), ``lam >= 0``.
    mu : float
        Per-counter service rate (per day), ``mu > 0``.
    theta : float
        Abandonment rate of each waiting person (per day), ``theta > 0``.
    c : int
        Number of counters, ``c >= 1``.
    tol : float, optional
        Relative size of the neglected tail of the chain.

    Returns
    -------
    ErlangA
        ``(p_wait, p_abandon, mean_wait_served, mean_wait_all, mean_queue,
        mean_in_system)``; with ``lam = 0`` everything is zero.

    Raises
    ------
    ValueError
        If ``theta <= 0``, ``mu <= 0``, ``lam < 0`` or ``c < 1``.

    Examples
    --------
    An overloaded desk: 150 arrivals a day, 4 counters serving 30 a day each, and people
    willing to wait half a day on average. The counters serve at most 120 a day, so at
    least a fifth must give up; randomness makes it slightly more.

    >>> r = erlang_a(150.0, 30.0, 2.0, 4)
    >>> round(r.p_wait, 3), round(r.p_abandon, 3)
    (0.984, 0.205)
    >>> round(r.mean_wait_all * 8, 2), round(r.mean_wait_served * 8, 2)  # hours (8-h day)
    (0.82, 0.89)
    """
    _check_erlang_a(lam, mu, theta, c, tol)
    if lam == 0:
        return ErlangA(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    pi = erlang_a_pmf(lam, mu, theta, c, tol)
    n = np.arange(len(pi))
    pi_wait = pi[c:]  # arrivals finding k = 0, 1, ... people ahead
    k = np.arange(len(pi_wait))

    r = c * mu + k * theta
    log_p_served = np.cumsum(-np.log1p(theta / r))  # log P(served | k)
    p_served_k = np.exp(log_p_served)
    p_abandon_k = -np.expm1(log_p_served)
    mean_phase_sum = np.cumsum(1.0 / (r + theta))  # sum_{j<=k} 1 / (r_j + theta)

    p_wait = min(float(pi_wait.sum()), 1.0)
    p_abandon = min(float(np.dot(pi_wait, p_abandon_k)), 1.0)
    mean_queue = float(np.dot(pi_wait, k))
    mean_in_system = float(np.dot(pi, n))
    served_wait = float(np.dot(pi_wait, p_served_k * mean_phase_sum))
    return ErlangA(
        p_wait=p_wait,
        p_abandon=p_abandon,
        mean_wait_served=served_wait / (1.0 - p_abandon),
        mean_wait_all=mean_queue / lam,
        mean_queue=mean_queue,
        mean_in_system=mean_in_system,
    )


# --------------------------------------------------------------------------- helpers


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
