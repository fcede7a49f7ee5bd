"""Goal seeking: the least staff cost plan that meets targets, found by simulation.

A prefect asks: how many counter agents do we need so that nine applicants in ten get an
appointment within 30 days, and no protection order expires before its holder is received?
Targets (``wait_days_p90<=30``, ``protection_orders_expired<=0``, optionally per procedure:
``wait_days_p90@renewal<=45``) say what must hold; levers (``staff.front_office_etp=40:120``,
with an optional step, ``=40:120:1`` for whole ETP) say what may change and within which
range. A *plan* is one value per lever; it meets the targets when the mean of each target KPI
over the replications does; its cost is the simulated ``staff_cost_eur``.

Search, under common random numbers (every plan runs replications ``0..R-1`` of one seed, so
plans differ by their levers only, and the feasibility boundary does not jitter with the dice):

1. a coarse grid (``coarse`` values per lever, ends included) is simulated;
2. from the cheapest feasible plan, each lever in turn is bisected down towards the largest
   infeasible value below it, others held, until the interval is within the lever's step
   (or 1/128 of its range), and passes repeat while the plan gets cheaper.

Assumptions: each lever is a resource whose cost grows with its value and whose target KPIs
improve with it (monotone, as more counter staff shortens waits); a non-monotone response can
make the bisection stop at a local boundary, which the frontier of every evaluated plan shows.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sim.analysis import metrics
from sim.experiments.executors import Executor, SerialExecutor
from sim.experiments.goals import Lever, OptimiseError, Target, check_targets
from sim.experiments.grid import apply_overrides
from sim.experiments.sweep import run_kpis
from sim.scenario import Scenario
from sim.scenario.errors import ScenarioError

COST = "staff_cost_eur"


class Optimisation(NamedTuple):
    """Every evaluated plan, the chosen one (None if none meets the targets) and the inputs."""

    plans: pd.DataFrame  # one row per plan: levers, cost, target KPIs, feasible, frontier
    best: int | None  # row of ``plans``
    scenario: Scenario | None  # the chosen plan as a scenario
    targets: list[Target]
    levers: list[Lever]
    seed: int
    replications: int


class _Search:
    """Evaluates plans under common random numbers, caching each plan's row."""

    def __init__(self, base: Scenario, targets: list[Target], levers: list[Lever], seed: int,
                 replications: int, executor: Executor, budget: int,
                 progress: Callable[[int], None] | None):
        self.base, self.targets, self.levers = base, targets, levers
        self.seed, self.replications, self.executor = seed, replications, executor
        self.budget, self.progress = budget, progress
        self.rows: dict[tuple[float, ...], dict[str, Any]] = {}
        self.kpis: pd.DataFrame | None = None

    def scenario(self, plan: tuple[float, ...]) -> Scenario:
        overrides = [f"{lv.key}={_yaml_number(x, lv)}" for lv, x in zip(self.levers, plan,
                                                                           strict=True)]
        return apply_overrides(self.base, overrides, "plan")

    def evaluate(self, plans: Sequence[tuple[float, ...]]) -> list[dict[str, Any]]:
        new = [p for p in dict.fromkeys(plans) if p not in self.rows]
        if len(self.rows) + len(new) > self.budget:
            raise OptimiseError([f"more than {self.budget} plans to evaluate; narrow the "
                                 "levers, give steps, or raise --max-evaluations"])
        tasks = [(p, r) for p in new for r in range(self.replications)]
        args = [(self.scenario(p), self.seed, r) for p, r in tasks]
        frames: dict[tuple[float, ...], list[pd.DataFrame]] = {p: [] for p in new}
        for outcome in self.executor.imap(run_kpis, args):
            if outcome.error is not None:
                raise OptimiseError([f"plan {tasks[outcome.task][0]}: {outcome.error}"])
            frames[tasks[outcome.task][0]].append(outcome.value)
        for p in new:
            self.rows[p] = self._row(p, pd.concat(frames[p], ignore_index=True))
            if self.progress is not None:
                self.progress(len(self.rows))
        return [self.rows[p] for p in plans]

    def _row(self, plan: tuple[float, ...], reps: pd.DataFrame) -> dict[str, Any]:
        if self.kpis is None:
            self.kpis = reps
        summary = metrics.summarise(reps).set_index(["kpi", "procedure"])
        row: dict[str, Any] = {lv.key: x for lv, x in zip(self.levers, plan, strict=True)}
        row[COST] = _mean(summary, COST, "all")
        feasible = True
        for t in self.targets:
            mean = _mean(summary, t.kpi, t.procedure)
            row[t.label] = mean
            for end in ("ci_low", "ci_high"):
                row[f"{t.label}.{end}"] = _mean(summary, t.kpi, t.procedure, end)
            feasible &= t.holds(mean)
        row["feasible"] = feasible
        return row

    def descend(self, plan: tuple[float, ...], k: int, grid: list[float]) -> tuple[float, ...]:
        """Lower lever ``k`` of a feasible plan while it stays feasible: down the coarse grid,
        then by bisection between the last feasible and the first infeasible value."""
        lever = self.levers[k]
        while True:
            lower = [x for x in grid if x < plan[k]]
            if not lower:
                return plan
            trial = _with(plan, k, lower[-1])
            if not self.evaluate([trial])[0]["feasible"]:
                break
            plan = trial
        good, bad = plan[k], lower[-1]
        while good - bad > lever.tolerance * (1 + 1e-9):
            mid = lever.snap((good + bad) / 2)
            if not bad < mid < good:
                break
            trial = _with(plan, k, mid)
            if self.evaluate([trial])[0]["feasible"]:
                good, plan = mid, trial
            else:
                bad = mid
        return plan


def _with(plan: tuple[float, ...], k: int, x: float) -> tuple[float, ...]:
    return (*plan[:k], x, *plan[k + 1:])


def optimise(base: Scenario, targets: Sequence[Target], levers: Sequence[Lever], seed: int = 1,
             replications: int = 3, coarse: int = 5, max_evaluations: int = 200,
             executor: Executor | None = None,
             progress: Callable[[int], None] | None = None,
             started: Callable[[Executor], None] | None = None) -> Optimisation:
    """Find the least staff cost plan meeting ``targets``; see the module docstring.

    Raises :class:`OptimiseError` for unusable targets or levers, before any long run: lever
    ends are validated first, and targets are checked against the KPIs of the first plan.
    ``progress`` is called with the number of plans evaluated, ``started`` once the executor
    is up.
    """
    targets, levers = list(targets), list(levers)
    problems = [] if targets else ["give at least one --target, e.g. wait_days_p90<=30"]
    problems += [] if levers else ["give at least one --lever, e.g. staff.front_office_etp=40:120"]
    for lever in levers:
        try:  # the low end first: an unknown key is reported once
            for end in (lever.low, lever.high):
                apply_overrides(base, [f"{lever.key}={_yaml_number(end, lever)}"],
                                f"--lever {lever.key}")
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise OptimiseError(list(dict.fromkeys(problems)))
    executor = executor if executor is not None else SerialExecutor()
    with executor:
        if started is not None:
            started(executor)
        search = _Search(base, targets, levers, seed, replications, executor, max_evaluations,
                         progress)
        top = tuple(lv.high for lv in levers)
        search.evaluate([top])
        assert search.kpis is not None
        check_targets(targets, search.kpis)
        grids = [lv.coarse(coarse) for lv in levers]
        search.evaluate(list(_product(grids)))
        best = _cheapest(search.rows)
        while best is not None:
            plan = best
            for k in range(len(levers)):
                plan = search.descend(plan, k, grids[k])
            improved = _cheapest(search.rows)
            if improved == best:
                break
            best = improved
    return _result(search, best)


def _product(grids: list[list[float]]) -> list[tuple[float, ...]]:
    return [tuple(p) for p in itertools.product(*grids)]


def _cheapest(rows: dict[tuple[float, ...], dict[str, Any]]) -> tuple[float, ...] | None:
    feasible = [(row[COST], plan) for plan, row in rows.items() if row["feasible"]]
    return min(feasible)[1] if feasible else None


def _result(search: _Search, best: tuple[float, ...] | None) -> Optimisation:
    plans = pd.DataFrame(list(search.rows.values()))
    plans = plans.sort_values([COST, *[lv.key for lv in search.levers]], ignore_index=True)
    plans["frontier"] = _frontier(plans, search.targets)
    keys = [lv.key for lv in search.levers]
    chosen = None
    if best is not None:
        match = np.flatnonzero((plans[keys].to_numpy(float) == np.array(best)).all(axis=1))
        chosen = int(match[0])
    plans["chosen"] = plans.index == chosen
    return Optimisation(plans, chosen, search.scenario(best) if best is not None else None,
                        search.targets, search.levers, search.seed, search.replications)


def _frontier(plans: pd.DataFrame, targets: list[Target]) -> np.ndarray:
    """Plans that no other plan beats: as cheap or cheaper and no worse on every target."""
    sign = np.array([1.0 if t.op == "<=" else -1.0 for t in targets])
    values = np.column_stack([plans[COST].to_numpy(float),
                              *[s * plans[t.label].to_numpy(float) for s, t in zip(
                                  sign, targets, strict=True)]])
    values = np.where(np.isfinite(values), values, np.inf)
    out = np.ones(len(plans), dtype=bool)
    for i in range(len(plans)):
        worse_or_equal = (values <= values[i]).all(axis=1)
        strictly = (values < values[i]).any(axis=1)
        out[i] = not (worse_or_equal & strictly).any()
    return out


def _mean(summary: pd.DataFrame, kpi: str, proc: str, column: str = "mean") -> float:
    try:
        return float(summary.at[(kpi, proc), column])
    except KeyError:
        return math.nan


def corners(base: Scenario, levers: Sequence[Lever]) -> dict[str, Scenario]:
    """Plans with every lever at an end of its range, named by their overrides: the
    extremes the search may evaluate, for a budget to check before it starts (every corner
    up to six levers; beyond, each lever alone at its ends, and all low, all high)."""
    ends = [(lv.low, lv.high) for lv in levers]
    if len(levers) <= 6:
        combos = list(itertools.product(*ends))
    else:
        low, high = [e[0] for e in ends], [e[1] for e in ends]
        combos = [tuple(low), tuple(high)] + [
            tuple(high[j] if j == k else low[j] for j in range(len(levers)))
            for k in range(len(levers))]
    out = {}
    for combo in combos:
        overrides = [f"{lv.key}={_yaml_number(x, lv)}" for lv, x in
                     zip(levers, combo, strict=True)]
        try:
            out[" ".join(overrides)] = apply_overrides(base, overrides, "--lever")
        except ScenarioError as exc:
            raise OptimiseError(exc.problems) from None
    return out


def _yaml_number(x: float, lever: Lever) -> str:
    whole = lever.step is not None and float(lever.step).is_integer() and float(x).is_integer()
    return str(int(x)) if whole else repr(float(x))


def shortfall(result: Optimisation) -> str:
    """Why no plan meets the targets: the missed targets at the plan with every lever high."""
    plans = result.plans
    top = (plans[[lv.key for lv in result.levers]].to_numpy(float)
           == np.array([lv.high for lv in result.levers])).all(axis=1)
    if not top.any():
        return "no plan meets the targets"
    row = plans[top].iloc[0]
    levels = ", ".join(f"{lv.key}={row[lv.key]:g}" for lv in result.levers)
    missed = [f"{t.label} = {row[t.label]:.4g} (target {t.op} {t.value:g})"
              for t in result.targets if not t.holds(float(row[t.label]))]
    return f"even at {levels}: " + "; ".join(missed)
