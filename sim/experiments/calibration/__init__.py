"""Calibration: fit what nobody publishes to what was published, by search over the simulator.

:mod:`~sim.experiments.calibration.parameters` (the knobs),
:mod:`~sim.experiments.calibration.targets` (measures, published targets, the distance),
:mod:`~sim.experiments.calibration.fit` (the search) and
:mod:`~sim.experiments.calibration.report` (docs/calibration.md).
"""
