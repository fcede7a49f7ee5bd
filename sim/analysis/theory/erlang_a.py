"""The impatient desk: the M/M/c+M ("Erlang-A", Palm) queue.

As the M/M/c desk of :mod:`sim.analysis.theory.erlang_c`, but whoever waits gives up and
leaves after an exponential patience of mean ``1 / theta`` days; patience only runs while
waiting. The stationary distribution of the number present is a birth-death chain, summed in
log space and truncated where the geometric tail carries less than ``tol`` of the mass and
of the mean queue. Assumptions and units: :mod:`sim.analysis.theory`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.special import logsumexp

from sim.analysis.theory.erlang_c import check_mmc

_MAX_STATES = 1 << 24  # guard against absurd truncations (about 16.7 million states)


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
    check_mmc(lam, mu, c)
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
