"""Calibration: fit what nobody publishes to what was published, by search over the simulator.

Some inputs of a prefecture are never published: how many appointments people really need
(latent demand: refused and incomplete files, repeated visits, people counted twice), how
often they check the booking site, how many requests the bots send, how many back-office
hours a title takes. Others are published as *outcomes*: waits of 2 to 6 months, instruction
delays of 114 to 134 days, 170 million requests blocked. Calibration turns the knobs until
the simulated outcomes come close to the published ones.

Parameters are multipliers of a scenario's current values (``latent_demand=0.3:3`` multiplies
the volume of every procedure booked through a race), or any numeric dotted field with
absolute bounds (``staff.productive_share=0.4:0.8``). Targets are published figures named in
:data:`PUBLISHED` (each tied to ``data/`` keys) or ``MEASURE=VALUE``. The distance is the sum
of squared log ratios, simulated over published, so a 10 % gap weighs the same for a wait and
for a count. Every evaluation runs replications ``0..R-1`` of one seed (common random
numbers), so the search compares parameter values, not dice. One parameter:
:func:`scipy.optimize.minimize_scalar` (bounded); several: Nelder-Mead (bounded), both on
log-parameters.

Speed: ``scale`` shrinks demand, staff and bots alike
(:func:`sim.experiments.prefecture.scale_scenario`) and ``days`` shortens the horizon; counts are
divided by ``scale`` before comparison. A fit at scale 0.25 over a year of Val-de-Marne takes
about a minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize

from sim.experiments.calibration.parameters import (
    CalibrationError,
    Parameter,
    apply,
    start_value,
)
from sim.experiments.calibration.targets import Target, check_measures, distance, simulate
from sim.scenario import Scenario


class Fit(NamedTuple):
    scenario: Scenario  # the full-size scenario with fitted values
    parameters: pd.DataFrame  # parameter, low, high, start, fitted
    quality: pd.DataFrame  # target, measure, published, low, high, simulated, gap_pct
    trace: pd.DataFrame  # one row per evaluation: values and distance
    distance: float
    start_distance: float
    evaluations: int
    seconds: float
    message: str


def calibrate(scenario: Scenario, params: Sequence[Parameter], targets: Sequence[Target],
              seed: int = 1, replications: int = 2, scale: float = 1.0,
              max_evaluations: int = 60, progress: Callable[[int], None] | None = None) -> Fit:
    """Fit ``params`` of ``scenario`` to ``targets`` (see the module docstring)."""
    if not params or not targets:
        raise CalibrationError(["calibrate needs at least one parameter and one target"])
    started = time.time()
    trace: list[tuple[float, ...]] = []
    cache: dict[tuple[float, ...], tuple[float, dict[str, float]]] = {}

    def evaluate(values: Sequence[float]) -> tuple[float, dict[str, float]]:
        key = tuple(round(float(v), 10) for v in values)
        if key not in cache:
            sim = simulate(apply(scenario, params, key), seed, replications, scale)
            if not trace:
                check_measures(sim, targets)
            cache[key] = (distance(sim, targets), sim)
            trace.append((*key, cache[key][0]))
            if progress is not None:
                progress(len(trace))
        return cache[key]

    def objective(z: np.ndarray) -> float:
        return evaluate(np.exp(np.atleast_1d(z)))[0]

    lo = np.log([p.low for p in params])
    hi = np.log([p.high for p in params])
    x0 = np.log([start_value(scenario, p) for p in params])
    start = objective(x0)
    if len(params) == 1:
        res = optimize.minimize_scalar(lambda z: objective(np.array([z])), bounds=(lo[0], hi[0]),
                                       method="bounded",
                                       options={"maxiter": max_evaluations, "xatol": 0.01})
    else:
        step = np.minimum(0.3, (hi - lo) / 2)
        simplex = np.vstack([x0] + [x0 + np.eye(len(x0))[k] * np.where(
            x0 + step[k] <= hi[k], step[k], -step[k]) for k in range(len(x0))])
        bounds = list(zip(lo, hi, strict=True))
        res = optimize.minimize(objective, x0, method="Nelder-Mead", bounds=bounds,
                                options={"maxfev": max_evaluations, "xatol": 0.01,
                                         "fatol": 1e-4, "initial_simplex": simplex})
    # the best evaluation seen (the optimiser's last point may be worse under noise)
    done = pd.DataFrame(trace, columns=[*(p.name for p in params), "distance"])
    row = done.loc[done["distance"].idxmin()]
    values = [float(row[p.name]) for p in params]
    dist, sim = evaluate(values)
    fitted = apply(scenario, params, values)
    table = pd.DataFrame({"parameter": [p.name for p in params],
                          "low": [p.low for p in params], "high": [p.high for p in params],
                          "start": [start_value(scenario, p) for p in params],
                          "fitted": values})
    return Fit(fitted, table, quality(sim, targets), done, dist, start, len(trace),
               time.time() - started, str(getattr(res, "message", "")))


def quality(sim: dict[str, float], targets: Sequence[Target]) -> pd.DataFrame:
    """Target, published value (and range), simulated value and the gap in percent."""
    rows = []
    for t in targets:
        x = sim.get(t.measure, np.nan)
        rows.append((t.name, t.measure, t.value, t.low, t.high, x,
                     100.0 * (x / t.value - 1.0), t.source))
    return pd.DataFrame(rows, columns=["target", "measure", "published", "low", "high",
                                       "simulated", "gap_pct", "source"])
