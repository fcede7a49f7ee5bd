"""The patient desk and the loss system: Erlang B, Erlang C and the M/M/c waits.

People arrive at ``lam`` per day at a desk of ``c`` counters serving at ``mu`` each; whoever
finds every counter busy waits in one first-come-first-served line and never gives up
(M/M/c, "Erlang-C"), or, with no waiting room at all, is lost (M/M/c/c, "Erlang-B"). Stable
only when ``lam < c * mu``. Assumptions and units: :mod:`sim.analysis.theory`.
"""

from __future__ import annotations

import math


def check_mmc(lam: float, mu: float, c: int) -> None:
    """Refuse parameters no M/M/c desk has (also used by the Erlang-A forms)."""
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
    check_mmc(lam, mu, c)
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
    check_mmc(lam, mu, c)
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
