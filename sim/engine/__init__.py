"""The engine layer: the simulation itself, from a scenario to an event log.

:mod:`sim.engine.model` builds the day-by-day calendar, the applicants and the staff of a
:class:`~sim.scenario.Scenario`, wires one SimPy environment with the booking channels of
:mod:`sim.engine.booking`, and returns a :class:`~sim.engine.model.SimOutput`: the records of
every applicant (the event log). Each mechanism is its own module: calendar, demand,
deadlines, staff, slots, bots and their operators, resale, casework; random streams and
sampling are the engine's own helpers.

The engine imports the scenario layer and nothing above it: no tables, no files, no plots
(see docs/architecture.md).
"""
