"""Sweeps: every point of a grid simulated, on a process pool or Dask, resumable.

A planner wants the waits at 20, 30 and 40 counter agents, under a race and a waitlist: a grid
(:mod:`sim.experiments.grid`) gives the six points, each validated before anything runs. Each
task is a ``(point, replication)`` pair run by :func:`run_kpis` on an executor
(:mod:`sim.experiments.executors`: this process, a local process pool, or a Dask cluster).

Results land in ``OUT/points/<point>-r<replication>.parquet``, one file per task written
atomically by this process as the task completes and recorded, with its task key and
checksum, in the manifest ``OUT/tasks.jsonl`` (:mod:`sim.experiments.task_files`), so an
interrupted sweep loses at most the tasks in flight, and running it again skips every task
whose file is verified and redoes the others (missing, empty, truncated, unreadable, another
task's), saying how many it redid. When all tasks are
done they are combined into ``OUT/kpis.parquet``: one row per point, replication, KPI and
procedure, with the grid's keys as columns. Replication ``r`` of every point uses the streams
``(seed, r)``, so points differ by their parameters, not their dice (common random numbers).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from sim import __version__
from sim.analysis import metrics
from sim.experiments import io
from sim.experiments.budget import Budget, problems
from sim.experiments.executors import Executor, SerialExecutor
from sim.experiments.experiment import run
from sim.experiments.grid import GridError, Point, grid_points, points_table, read_grid
from sim.experiments.task_files import Manifest, TaskKey, task_path
from sim.scenario import Scenario
from sim.scenario.files import dump_yaml

__all__ = ["Point", "SweepError", "SweepResult", "read_grid", "run_kpis", "sweep", "task_path"]

SweepError = GridError
"""What a sweep refuses (a bad grid, another sweep in the directory): one line per problem."""


class SweepResult(NamedTuple):
    """The points, the combined KPI rows and their summary per point; what ran and failed."""

    points: pd.DataFrame  # point, overrides, one column per grid key
    kpis: pd.DataFrame  # point, <keys>, scenario, seed, replication, kpi, procedure, value
    summary: pd.DataFrame  # point, <keys>, kpi, procedure, mean, ci_low, ci_high, n
    n_run: int
    n_skipped: int
    failures: list[str]
    redone: Mapping[str, int] = {}  # task files found and redone, by reason ("empty"...)

    @property
    def n_redone(self) -> int:
        return sum(self.redone.values())


# --- running ----------------------------------------------------------------------------------


def run_kpis(scenario: Scenario, seed: int, replication: int) -> pd.DataFrame:
    """One replication's KPI rows (the task a worker runs; top-level, so picklable)."""
    result = run(scenario, seed, replication)
    return result.kpis.assign(n_events=result.n_events)


def sweep(base: Scenario, grid: Mapping[str, list[Any]], out_dir: str | Path, seed: int = 1,
          replications: int = 3, executor: Executor | None = None,
          progress: Callable[[int, int], None] | None = None, source: str = "grid",
          started: Callable[[Executor], None] | None = None,
          budget: Budget | None = None) -> SweepResult:
    """Run (or resume) a sweep and combine its results; see the module docstring.

    Parameters
    ----------
    base, grid
        The base scenario and the grid (dotted key -> values), e.g. from :func:`read_grid`.
    out_dir
        Output directory; tasks already written there (and verified) are skipped.
    seed, replications
        Replication ``r`` of every point uses streams ``(seed, r)``.
    executor
        Where tasks run (default: this process, one after the other).
    progress
        Called with (tasks done, tasks in all) as tasks complete, skipped ones included.
    started
        Called once the executor is up, before the first task (e.g. to say where it runs).
    budget
        If given, every point's work is estimated before anything runs or is written, and
        the sweep is refused (:class:`SweepError`) if one replication per worker at a time
        would not fit (:mod:`sim.experiments.budget`).
    """
    if replications < 1:
        raise SweepError([f"replications must be >= 1, got {replications}"])
    out_dir = Path(out_dir)
    points = grid_points(base, grid, source)
    if budget is not None:
        workers = (executor or SerialExecutor()).workers
        _within(points, budget, replications * len(points), workers)
    _check_provenance(out_dir, base, seed)
    tasks = [(p, r) for p in points for r in range(replications)]
    manifest = Manifest(out_dir)
    base_sha = _sha(dump_yaml(base))
    why = {(p.id, r): manifest.check(TaskKey(p.id, r, seed, base_sha), task_path(out_dir, p.id, r))
           for p, r in tasks}
    pending = [(p, r) for p, r in tasks if why[p.id, r] is not None]
    redone = Counter(reason for reason in why.values() if reason not in (None, "missing"))
    for p, r in pending:  # a damaged or foreign file is never read, even if its task fails
        if why[p.id, r] != "missing":
            task_path(out_dir, p.id, r).unlink(missing_ok=True)
    n_done, failures = len(tasks) - len(pending), []
    fresh: dict[tuple[str, int], pd.DataFrame] = {}
    if progress is not None:
        progress(n_done, len(tasks))
    if pending:
        executor = executor if executor is not None else SerialExecutor()
        with executor:
            _write_provenance(out_dir, base, grid, points, seed)
            if started is not None:
                started(executor)
            args = [(p.scenario, seed, r) for p, r in pending]
            for outcome in executor.imap(run_kpis, args):
                point, rep = pending[outcome.task]
                if outcome.error is not None:
                    failures.append(f"point {point.id} ({' '.join(point.overrides)}) "
                                    f"replication {rep}: {outcome.error}")
                else:
                    frame = outcome.value.assign(point=point.id)
                    path = io.write_parquet(task_path(out_dir, point.id, rep), frame)
                    manifest.record(TaskKey(point.id, rep, seed, base_sha), path)
                    fresh[point.id, rep] = frame
                n_done += 1
                if progress is not None:
                    progress(n_done, len(tasks))
    return _combine(out_dir, points, replications, fresh, len(pending), failures)._replace(
        redone=dict(redone))


def _within(points: list[Point], budget: Budget, n_tasks: int, workers: int) -> None:
    """Refuse a sweep one of whose points would not fit the budget (the first five said)."""
    found = problems({f"point {p.id} ({' '.join(p.overrides)})": p.scenario for p in points},
                     budget, n_tasks, workers, keep_tables=False)
    if found:
        more = [f"... and {len(found) - 5} other point(s)"] if len(found) > 5 else []
        raise SweepError(found[:5] + more)


def _check_provenance(out_dir: Path, base: Scenario, seed: int) -> None:
    """Refuse to mix two different sweeps (base scenario or seed) in one directory."""
    path = out_dir / "sweep.json"
    if not path.exists():
        return
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SweepError([f"{path}: unreadable ({exc}); use another --out"]) from None
    if old.get("base_sha") != _sha(dump_yaml(base)) or old.get("seed") != seed:
        raise SweepError([f"{out_dir}: holds a sweep of another base scenario or seed "
                          f"(seed {old.get('seed')}); use another --out to keep both"])


def _write_provenance(out_dir: Path, base: Scenario, grid: Mapping[str, list[Any]],
                      points: list[Point], seed: int) -> None:
    base_text = dump_yaml(base)
    io.write_text(out_dir / "base.yaml", base_text)
    io.write_json(out_dir / "sweep.json", {
        "base": base.name, "base_sha": _sha(base_text), "seed": seed,
        "grid": {k: list(v) for k, v in grid.items()}, "n_points": len(points),
        "prefsim_version": __version__, "written_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    })
    io.write_csv(out_dir / "points.csv", points_table(points))


def _sha(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _combine(out_dir: Path, points: list[Point], replications: int,
             fresh: dict[tuple[str, int], pd.DataFrame], n_run: int, failures: list[str]
             ) -> SweepResult:
    """Gather every task's rows in grid order and write the combined dataset and summary."""
    frames = []
    for p in points:
        for r in range(replications):
            frame = fresh.get((p.id, r))
            path = task_path(out_dir, p.id, r)
            if frame is None and path.exists():
                frame = pd.read_parquet(path)
            if frame is not None:
                frames.append(frame)
    table = points_table(points)
    params = table.drop(columns="overrides")
    if not frames:
        empty = pd.DataFrame(columns=[*params.columns, "kpi", "procedure", "value"])
        return SweepResult(table, empty, empty, n_run, len(points) * replications - n_run,
                           failures)
    rows = pd.concat(frames, ignore_index=True)
    rows = params.merge(rows, on="point", how="right", sort=False)
    summary = pd.concat(
        [metrics.summarise(group).assign(point=pid)
         for pid, group in rows.groupby("point", sort=False)], ignore_index=True)
    summary = params.merge(summary, on="point", how="right", sort=False)
    if not failures:
        io.write_parquet(out_dir / "kpis.parquet", rows)
        io.write_csv(out_dir / "summary.csv", summary)
    return SweepResult(table, rows, summary, n_run,
                       len(points) * replications - n_run, failures)
