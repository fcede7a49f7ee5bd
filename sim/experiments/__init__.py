"""The experiments layer: many runs, planned and compared.

:func:`sim.experiments.experiment.run` simulates one (scenario, seed, replication) and
builds its tables; everything else here is built on it: replications and common random
numbers (:mod:`~sim.experiments.experiment`), paired comparison
(:mod:`~sim.experiments.compare`), sweeps over a grid (:mod:`~sim.experiments.grid`,
:mod:`~sim.experiments.sweep`) mapped by an executor (:mod:`~sim.experiments.executors`:
local pool or Dask), goal seeking (:mod:`~sim.experiments.goals`,
:mod:`~sim.experiments.optimise`), calibration (:mod:`sim.experiments.calibration`), the
national run (:mod:`~sim.experiments.national`, each prefecture built by
:mod:`~sim.experiments.prefecture`, tabulated by :mod:`~sim.experiments.national_tables`),
the public figures it all rests on
(:mod:`sim.experiments.data`), and the atomic writing of result files
(:mod:`~sim.experiments.io`).

The experiments import the analysis, the engine and the scenario; never the faces above
(see docs/architecture.md).
"""
