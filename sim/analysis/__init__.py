"""The analysis layer: from an event log to tables, KPIs, intervals and theory.

:mod:`sim.analysis.metrics` turns one replication's records into tidy DataFrames (one row per
applicant, per day, per KPI), with :mod:`sim.analysis.kpis` and
:mod:`sim.analysis.casework_kpis` computing the indicators and :mod:`sim.analysis.intervals`
the Student-t and Kaplan-Meier estimates. :mod:`sim.analysis.theory` holds the queueing
closed forms the tests and validation scenarios compare the engine with.

The analysis imports the engine and the scenario, never the experiments or the faces above
it (see docs/architecture.md).
"""
