"""Deadlines: the harm that waiting does.

Some applicants must obtain their appointment before a date:

* a **renewal** must be filed before the current title expires; otherwise the person *lapses*
  into irregular status and stays without a valid document until the deposit;
* a **protection order** (ordonnance de protection) entitles a victim of domestic violence
  to a residence card (CESEDA L.425-6), but only while it runs: the judge issues it within
  days of the request, it is valid 6 months (12 months for orders issued from 15 June 2024),
  sometimes extended; a deposit after its expiry comes too late and the right is lost;
* any procedure may declare a **generic** deadline (a visa to validate within 3 months...).

A closure of the counters may extend the titles expiring during it (``calendar.closures``,
``deadline_extension_days``: 180 days in spring 2020): :func:`extend` moves those renewal
deadlines.

Each applicant's deadline is drawn at arrival from their procedure's own stream
(``deadline.<procedure>``), so capacity or policy changes never reshuffle them. The
deadline is an absolute time in days since the start; applicants without one get infinity.
Priority policies (earliest-deadline-first waitlists, reserved lanes) read it; the metrics
count lapses, undocumented person-days, expired orders and margins.
"""

from __future__ import annotations

import numpy as np

from sim.engine.sampling import sample
from sim.scenario.procedures import DAYS_PER_MONTH, Procedure, ProtectionOrder

NONE, GENERIC, RENEWAL, PROTECTION_ORDER = 0, 1, 2, 3
KINDS = ("none", "generic", "renewal", "protection_order")


def kind_of(proc: Procedure) -> int:
    """The deadline kind of a procedure."""
    if proc.renewal is not None:
        return RENEWAL
    if proc.protection_order is not None:
        return PROTECTION_ORDER
    return GENERIC if proc.deadline is not None else NONE


def draw(proc: Procedure, arrival: np.ndarray, start: np.datetime64,
         rng: np.random.Generator) -> np.ndarray:
    """Absolute deadline of each applicant of ``proc`` (inf when there is none)."""
    n = arrival.size
    if proc.renewal is not None:
        spec = proc.renewal.expiry_after_days
        return arrival + sample(rng, spec.kind, spec.mean, spec.cv, n)
    if proc.protection_order is not None:
        return order_expiry(proc.protection_order, arrival, start, rng)
    if proc.deadline is not None:
        spec = proc.deadline.after_days
        return arrival + sample(rng, spec.kind, spec.mean, spec.cv, n)
    return np.full(n, np.inf)


def extend(due: np.ndarray, closures: list[tuple[float, float, float]]) -> np.ndarray:
    """Deadlines falling inside a closure moved by its extension: ``closures`` lists
    (start, end, extension days) in the run's days. The 2020 ordonnances extended by 180
    days the titles expiring from 16 March to 15 June 2020.

    >>> extend(np.array([5.0, 12.0, 20.0, np.inf]), [(10.0, 15.0, 180.0)]).tolist()
    [5.0, 192.0, 20.0, inf]
    """
    out = due.copy()
    for start, end, days in closures:
        out[(due >= start) & (due < end)] += days
    return out


def order_expiry(order: ProtectionOrder, request: np.ndarray, start: np.datetime64,
                 rng: np.random.Generator) -> np.ndarray:
    """When each protection order expires: issue date plus the validity in force then,
    plus an extension with probability ``extension_probability``.

    >>> import datetime as dt
    >>> from sim.scenario.procedures import ProtectionOrder
    >>> rng = np.random.default_rng(0)
    >>> day0 = np.datetime64("2024-06-01")
    >>> order = ProtectionOrder(judge_delay_days=None)
    >>> (order_expiry(order, np.array([0.0, 30.0]), day0, rng) / 30.4375).round(2).tolist()
    [6.0, 12.99]
    """
    n = request.size
    delay = order.judge_delay_days
    issued = request + (sample(rng, delay.kind, delay.mean, delay.cv, n)
                        if delay is not None else 0.0)
    issue_dates = start + np.floor(issued).astype("timedelta64[D]")
    starts = np.array([p.issued_from for p in order.validity], dtype="datetime64[D]")
    months = np.array([p.months for p in order.validity])
    period = np.clip(np.searchsorted(starts, issue_dates, side="right") - 1, 0, None)
    extended = rng.random(n) < order.extension_probability
    return issued + (months[period] + extended * order.extension_months) * DAYS_PER_MONTH
