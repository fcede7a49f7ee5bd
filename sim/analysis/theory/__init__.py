"""Queueing closed forms for a prefecture walk-in desk.

A prefecture's foreigners' service opens a walk-in desk with ``c`` counters. People arrive
at random (a Poisson stream of ``lam`` per day), each counter serves one person at a time
and a service lasts an exponential time of mean ``1 / mu`` days. Whoever finds every
counter busy joins a single first-come-first-served line; if the wait drags on, they give
up and leave after an exponential patience of mean ``1 / theta`` days. That desk is the
M/M/c+M ("Erlang-A", Palm) queue; with infinite patience it is the classical M/M/c
("Erlang-C") queue, and with no waiting room at all the M/M/c/c ("Erlang-B") loss system.

This package is the single home of those closed forms, for the tests, the validation
scenarios and the dashboard: :mod:`~sim.analysis.theory.erlang_c` (Erlang B, Erlang C and
the M/M/c waits), :mod:`~sim.analysis.theory.erlang_a` (M/M/c+M), and
:mod:`~sim.analysis.theory.checks`, two small helpers that hold a simulation against them.

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
