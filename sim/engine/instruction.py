"""The back office's instruction queue: a fluid server with priority classes.

Agents work on the oldest file of the highest priority class that has one (renewals before
first titles, say, when a prefecture ranks them so); within a class, files are examined in
the order they were deposited. The back office is a *fluid* server: its instruction hours
``C(t)`` (cumulative, flat at night, on week-ends and holidays) go to the file at the head
of the queue. With files of a few hours and a capacity of hundreds of hours a day, this is
the many-agent queue up to the few hours of one file's work.

Solved without a loop per file:

* one class, first in first out: file ``k`` is done when ``C`` reaches
  ``done_k = max(C(deposit_k), done_{k-1}) + work_k`` (Lindley's recursion in capacity time,
  :func:`fifo_done`, a running maximum);
* priority classes (preemptive-resume, work-conserving): the first class sees ``C``; the work
  it has done by level ``x`` of its capacity is a piecewise-linear function ``W(x)``
  (:func:`work_done`), so the capacity it leaves, ``C(t) - W(C(t))``, is again a
  piecewise-linear cumulative curve (:func:`leftover`), which the next class sees as its own
  ``C``. Each class costs a few sorted-array operations over its files and the curve's knots.

Validation: ``tests/test_casework.py`` checks the single class against the M/M/1 queue in
capacity time and a hand-computed trace; ``tests/test_instruction.py`` traces two classes by
hand and checks that a lower class never changes a higher one.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Curve(NamedTuple):
    """Cumulative capacity ``C(t)``: linear between knots ``(times[i], hours[i])``."""

    times: np.ndarray  # strictly increasing
    hours: np.ndarray  # non-decreasing


def capacity_curve(open_at: np.ndarray, close_at: np.ndarray, hours: np.ndarray) -> Curve:
    """The cumulative capacity, accruing ``hours[d]`` uniformly from ``open_at[d]`` to
    ``close_at[d]``.

    Two days open 9:00-16:00 with 7 hours each (one hour of work per open hour):

    >>> c = capacity_curve(np.array([0.375, 1.375]), np.array([0.667, 1.667]),
    ...                    np.array([7.0, 7.0]))
    >>> c.hours.tolist()
    [0.0, 7.0, 7.0, 14.0]
    """
    times = np.column_stack([open_at, close_at]).ravel()
    before = np.cumsum(hours) - hours
    levels = np.column_stack([before, before + hours]).ravel()
    keep = np.r_[True, np.diff(times) > 0]  # a continuous calendar closes as it reopens
    return Curve(times[keep], levels[keep])


def capacity_at(curve: Curve, t: np.ndarray) -> np.ndarray:
    """``C(t)``: hours of capacity accrued by time ``t``."""
    return np.interp(t, curve.times, curve.hours)


def time_at_capacity(curve: Curve, level: np.ndarray) -> np.ndarray:
    """The first time ``C`` reaches ``level``; ``inf`` if it never does.

    >>> c = Curve(np.array([0.0, 0.5, 1.0, 1.5]), np.array([0.0, 4.0, 4.0, 8.0]))
    >>> time_at_capacity(c, np.array([2.0, 4.0, 6.0, 9.0])).tolist()
    [0.25, 0.5, 1.25, inf]
    """
    j = np.searchsorted(curve.hours, level, side="left")
    out = np.full(level.shape, np.inf)
    inside = (j > 0) & (j < curve.hours.size)
    out[j == 0] = curve.times[0]
    lo, hi = j[inside] - 1, j[inside]
    slope = (curve.times[hi] - curve.times[lo]) / (curve.hours[hi] - curve.hours[lo])
    out[inside] = curve.times[lo] + (level[inside] - curve.hours[lo]) * slope
    return out


def fifo_done(start_capacity: np.ndarray, work: np.ndarray) -> np.ndarray:
    """Capacity levels at which FIFO files are done: Lindley's recursion, vectorised.

    ``done_k = max(a_k, done_{k-1}) + w_k`` unrolls to ``S_k + max_{j<=k}(a_j - S_{j-1})``
    with ``S`` the cumulative work, a running maximum.

    Parameters
    ----------
    start_capacity : numpy.ndarray
        ``a_k = C(deposit_k)``, capacity accrued when each file arrives, in FIFO order.
    work : numpy.ndarray
        Hours each file needs, same order.

    Returns
    -------
    numpy.ndarray
        ``done_k``, non-decreasing: file ``k`` is decided when ``C`` reaches it.

    Three files arriving when 0, 0.5 and 5 hours of capacity have accrued, needing 2, 1 and
    1 hours: the second waits for the first (done at 3), the third finds the office idle.

    >>> fifo_done(np.array([0.0, 0.5, 5.0]), np.array([2.0, 1.0, 1.0])).tolist()
    [2.0, 3.0, 6.0]
    """
    cum = np.cumsum(work)
    return cum + np.maximum.accumulate(start_capacity - (cum - work))


def work_done(level: np.ndarray, done: np.ndarray, work: np.ndarray) -> np.ndarray:
    """Hours of work done once ``level`` hours of capacity have accrued (busy periods are the
    disjoint intervals ``[done_k - work_k, done_k]`` of capacity time).

    >>> work_done(np.array([1.0, 2.5, 4.0, 5.5, 9.0]), np.array([2.0, 3.0, 6.0]),
    ...           np.array([2.0, 1.0, 1.0])).tolist()
    [1.0, 2.5, 3.0, 3.5, 4.0]
    """
    if not work.size:
        return np.zeros_like(level)
    k = np.searchsorted(done, level, side="right")  # files finished
    current = np.minimum(k, work.size - 1)  # the file in progress, if any
    partial = np.clip(level - (done[current] - work[current]), 0.0, work[current])
    return np.r_[0.0, np.cumsum(work)][k] + np.where(k < work.size, partial, 0.0)


def leftover(curve: Curve, done: np.ndarray, work: np.ndarray) -> Curve:
    """The capacity a class leaves to the classes below it: ``C(t) - W(C(t))``.

    ``W`` is linear between the levels where a busy period starts or ends, and ``C`` between
    its knots, so the leftover is linear between the knots of ``C`` and the first times ``C``
    reaches those levels.

    One open stretch of 8 hours (from t = 0 to 1) and a file of 2 hours done at level 3: the
    office was busy from level 1 to 3, the lower class gets the rest.

    >>> c = leftover(Curve(np.array([0.0, 1.0]), np.array([0.0, 8.0])),
    ...              np.array([3.0]), np.array([2.0]))
    >>> c.times.tolist(), c.hours.tolist()
    ([0.0, 0.125, 0.375, 1.0], [0.0, 1.0, 1.0, 6.0])
    """
    levels = np.concatenate([done - work, done])
    at = time_at_capacity(curve, levels)
    times = np.unique(np.concatenate([curve.times, at[np.isfinite(at)]]))
    level = capacity_at(curve, times)
    return Curve(times, np.maximum.accumulate(level - work_done(level, done, work)))


class ClassResult(NamedTuple):
    """What one priority class gets from the queue (its files in FIFO order)."""

    curve: Curve  # the capacity this class saw
    done: np.ndarray  # capacity levels (on ``curve``) at which its files are done
    decided: np.ndarray  # times its files' work is done


def priority_queue(curve: Curve, classes: list[tuple[np.ndarray, np.ndarray]]
                   ) -> list[ClassResult]:
    """Solve the queue for classes given highest priority first, each as (deposit times in
    FIFO order, work hours): each class sees what the classes above it left.

    Two classes sharing one open stretch of 8 hours (t = 0 to 1): a low-priority file of 4
    hours deposited at t = 0 is overtaken by a high-priority file of 2 hours at t = 0.25,
    so it finishes at 6 hours of capacity (t = 0.75).

    >>> high, low = priority_queue(Curve(np.array([0.0, 1.0]), np.array([0.0, 8.0])),
    ...     [(np.array([0.25]), np.array([2.0])), (np.array([0.0]), np.array([4.0]))])
    >>> high.decided.tolist(), low.decided.tolist()
    ([0.5], [0.75])
    """
    out = []
    for k, (deposit, work) in enumerate(classes):
        done = fifo_done(capacity_at(curve, deposit), work)
        decided = np.maximum(deposit, time_at_capacity(curve, done))
        out.append(ClassResult(curve, done, decided))
        if k < len(classes) - 1:
            curve = leftover(curve, done, work)
    return out
