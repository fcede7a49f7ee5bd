"""Experiments: one replication, many replications, and their confidence intervals.

:func:`run` is the unit of every experiment: a pure, top-level, picklable function of
``(scenario, seed, replication)``. Replication ``r`` of seed ``s`` draws every mechanism from
the stream ``(s, r, mechanism)`` (see :mod:`sim.engine.streams`), so two scenarios run with the same
seed see the same applicants (common random numbers) and their difference is the policy's.
:func:`replicate` maps :func:`run` over replications and summarises each KPI with a Student-t
interval.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import pandas as pd

from sim.analysis import metrics
from sim.analysis.probe import probe_table
from sim.engine import casework
from sim.engine.model import simulate
from sim.scenario import Scenario


class RunResult(NamedTuple):
    """The tidy tables of one replication."""

    applicants: pd.DataFrame
    daily: pd.DataFrame
    kpis: pd.DataFrame  # kpi, procedure, value (+ scenario, seed, replication)
    n_events: int
    probe: pd.DataFrame | None = None  # the probe's bin shares by month (sim.analysis.probe)


class Results(NamedTuple):
    """Tables of several replications and the KPI summary across them."""

    applicants: pd.DataFrame
    daily: pd.DataFrame
    replications: pd.DataFrame
    kpis: pd.DataFrame  # kpi, procedure, mean, ci_low, ci_high, n
    probe: pd.DataFrame | None = None  # the probe's bin shares, every replication


def run(scenario: Scenario, seed: int, replication: int = 0) -> RunResult:
    """Simulate one replication and build its tables."""
    out = simulate(scenario, seed, replication)
    cw = casework.after_deposit(out)  # once, shared by the three tables
    applicants = metrics.applicants_table(out, cw)
    return RunResult(
        applicants, metrics.daily_table(out, cw), metrics.kpi_table(out, applicants, cw),
        out.n_events, probe_table(out) if scenario.probe is not None else None,
    )


def replicate(
    scenario: Scenario,
    seed: int,
    replications: int,
    progress: Callable[[int], None] | None = None,
    confidence: float = 0.95,
) -> Results:
    """Run replications ``0 .. replications-1`` of ``seed`` and summarise them.

    ``progress`` is called with the number of replications done after each one.
    """
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    runs = []
    for r in range(replications):
        runs.append(run(scenario, seed, r))
        if progress is not None:
            progress(r + 1)
    reps = pd.concat([x.kpis for x in runs], ignore_index=True)
    return Results(
        pd.concat([x.applicants for x in runs], ignore_index=True),
        pd.concat([x.daily for x in runs], ignore_index=True),
        reps,
        metrics.summarise(reps, confidence),
        pd.concat([x.probe for x in runs if x.probe is not None], ignore_index=True)
        if any(x.probe is not None for x in runs) else None,
    )
