"""Casework KPIs: time to title, instruction delay and back-office utilisation.

The engine's casework (:mod:`sim.engine.casework`) gives every served applicant a decision
and a title date; this module turns them into KPIs for the applicants of the window. Time to
title runs from the need appearing to the title in hand; its 90th percentile is a
Kaplan-Meier estimate with titles still pending at the run's stop right-censored.
"""

from __future__ import annotations

import numpy as np

from sim.analysis.intervals import km_quantile
from sim.engine.casework import CaseworkOutcome
from sim.engine.model import SimOutput
from sim.engine.records import SERVED

KPIS = ("time_to_title_days_mean", "time_to_title_days_p90", "instruction_days_mean",
        "back_office_utilisation", "refusals")


def kpis(out: SimOutput, outcome: CaseworkOutcome,
         window_mask: np.ndarray) -> dict[tuple[str, str], float]:
    """Casework KPIs keyed by ``(kpi, procedure)``, procedure ``all`` for the total.

    Time to title concerns applicants of the window who deposited before the run's stop and
    whose file is not refused (people who never deposited are still waiting for their first
    appointment, a KPI of :mod:`sim.analysis.metrics`). Its mean is over titles in hand by
    the stop; its 90th percentile is a Kaplan-Meier estimate with titles still pending at the
    stop right-censored (NaN when the curve never reaches 0.9). ``instruction_days_mean`` is
    the mean time from deposit to decision of files decided by the stop (refusals included);
    ``refusals`` counts the refusals among them. Utilisation is hours used over hours offered
    on the days of the measured window (no row without back office: not applicable).

    Parameters
    ----------
    out : SimOutput
        The event log.
    outcome : CaseworkOutcome
        :func:`after_deposit` of ``out``.
    window_mask : numpy.ndarray
        Applicants counted (bool per applicant), e.g. needs appearing after the warm-up.

    Returns
    -------
    dict
        ``{(kpi, procedure): value}`` for the kpis of :data:`KPIS` (utilisation: ``all`` only),
        ready for :func:`sim.analysis.metrics.kpi_table`'s ``(kpi, procedure, value)`` rows.
    """

    pop, rec = out.population, out.records
    stop = out.frame.stop
    filed = window_mask & (rec.outcome == SERVED) & (rec.appointment_at < stop)
    got = np.isfinite(outcome.title_at)
    wait = np.where(got, outcome.title_at, stop) - pop.arrival
    instruction = outcome.decision_at - rec.appointment_at
    rows: dict[tuple[str, str], float] = {}
    for code, name in [*enumerate(pop.procedures), (-1, "all")]:
        mine = filed & ((pop.procedure == code) | (code < 0))
        seen, decided = mine & got, mine & np.isfinite(instruction)
        titled = mine & ~outcome.refused
        rows[KPIS[0], name] = float(wait[seen].mean()) if seen.any() else np.nan
        rows[KPIS[1], name] = km_quantile(wait[titled], got[titled], 0.9)
        rows[KPIS[2], name] = float(instruction[decided].mean()) if decided.any() else np.nan
        rows[KPIS[4], name] = float((decided & outcome.refused).sum())
    days = slice(int(np.floor(out.frame.measure_from)), int(out.frame.measure_to))
    offered = outcome.hours_offered[days].sum()
    if offered > 0:  # without back-office hours, utilisation is not applicable: no row
        rows[KPIS[3], "all"] = min(1.0, float(outcome.hours_used[days].sum() / offered))
    return rows
