"""Sweeps: a base scenario, a grid of dotted keys and values, every combination simulated.

How do waits respond to 20, 30 or 40 counter agents, under a race or a waitlist? A grid file
answers with one line per lever::

    staff.front_office_etp: [20, 30, 40]
    channels.online.kind: [race, waitlist]

Its Cartesian product gives six *points*; each is the base scenario with those overrides,
validated through the loader's one door like any scenario, and every point is checked before
anything runs. Each point is identified by a stable hash of its overrides (the same values
give the same id in any process, on any machine, after the grid grows), and each task is a
``(point, replication)`` pair run by :func:`run_kpis` on an executor
(:mod:`sim.executors`: a local process pool, or Dask).

Results land in ``OUT/points/<point>-r<replication>.parquet``, one file per task written
atomically by this process as the task completes, so an interrupted sweep loses at most the
tasks in flight, and running it again skips every task whose file exists. When all tasks are
done they are combined into ``OUT/kpis.parquet``: one row per point, replication, KPI and
procedure, with the grid's keys as columns. Replication ``r`` of every point uses the streams
``(seed, r)``, so points differ by their parameters, not their dice (common random numbers).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from sim import __version__, io, metrics
from sim.executors import Executor, SerialExecutor
from sim.experiment import run
from sim.loader import ScenarioError, deep_merge, dump_yaml, override_layer, read_yaml, validate
from sim.scenario import Scenario

MAX_POINTS = 100_000
POINT_COLUMNS = ["point", "overrides"]


class SweepError(ValueError):
    """A sweep that cannot run or did not finish; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class Point(NamedTuple):
    """One combination of the grid: its id, values, overrides and validated scenario."""

    id: str
    params: dict[str, Any]
    overrides: tuple[str, ...]
    scenario: Scenario


class SweepResult(NamedTuple):
    """The points, the combined KPI rows and their summary per point; what ran and failed."""

    points: pd.DataFrame  # point, overrides, one column per grid key
    kpis: pd.DataFrame  # point, <keys>, scenario, seed, replication, kpi, procedure, value
    summary: pd.DataFrame  # point, <keys>, kpi, procedure, mean, ci_low, ci_high, n
    n_run: int
    n_skipped: int
    failures: list[str]


# --- the grid ---------------------------------------------------------------------------------


def read_grid(path: str | Path) -> dict[str, list[Any]]:
    """Read a grid file (YAML mapping of dotted keys to lists of values)."""
    return parse_grid(read_yaml(Path(path), str(path)), str(path))


def parse_grid(data: Mapping[str, Any], source: str = "grid") -> dict[str, list[Any]]:
    """Dotted keys and their values; nested mappings are flattened, a scalar is one value.

    >>> parse_grid({"staff": {"front_office_etp": [20, 30]}, "channels.online.kind": "race"})
    {'staff.front_office_etp': [20, 30], 'channels.online.kind': ['race']}
    """
    grid: dict[str, list[Any]] = {}
    problems = []
    for key, value in _flatten(data):
        values = list(value) if isinstance(value, list) else [value]
        if not values:
            problems.append(f"{source}: {key}: no values (give a list such as [20, 30])")
        grid[key] = values
    if not grid:
        problems.append(f"{source}: empty grid: give dotted keys with lists of values, "
                        "e.g. staff.front_office_etp: [20, 30, 40]")
    if problems:
        raise SweepError(problems)
    return grid


def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out += _flatten(value, name + ".")
        else:
            out.append((name, value))
    return out


def point_id(params: Mapping[str, Any]) -> str:
    """A 12-hex-digit id of a point's values, stable across processes (40 and 40.0 agree).

    >>> point_id({"staff.front_office_etp": 40}) == point_id({"staff.front_office_etp": 40.0})
    True
    """
    text = json.dumps(sorted((k, _canonical(v)) for k, v in params.items()), default=str)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    return value


def grid_points(base: Scenario, grid: Mapping[str, list[Any]], source: str = "grid"
                ) -> list[Point]:
    """Every combination of ``grid`` applied to ``base``, validated; all problems at once."""
    size = math.prod(len(v) for v in grid.values())
    if size > MAX_POINTS:
        raise SweepError([f"{source}: {size:,} points: more than {MAX_POINTS:,}; split the grid"])
    data = base.model_dump(mode="json")
    problems = []
    for key, values in grid.items():  # unknown keys: once per key, not once per point
        try:
            override_layer(data, [_override(key, values[0])], source)
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise SweepError(problems)
    points, seen, where = [], {}, {}
    for combo in itertools.product(*grid.values()):
        params = dict(zip(grid, combo, strict=True))
        overrides = tuple(_override(k, v) for k, v in params.items())
        try:
            extra = override_layer(data, overrides, source)
            spec = validate(deep_merge(data, extra), base.name,
                            [(base.name, data), (source, extra)])
        except ScenarioError as exc:
            for line in exc.problems:
                seen[line] = seen.get(line, 0) + 1
                where.setdefault(line, " ".join(overrides))
            continue
        points.append(Point(point_id(params), params, overrides, spec))
    if seen:
        raise SweepError([f"{line} (at {where[line]}"
                          + (f"; and {n - 1} other point(s))" if n > 1 else ")")
                          for line, n in seen.items()])
    return points


def _override(key: str, value: Any) -> str:
    """``key=value`` with the value as JSON, which YAML reads back as the same value."""
    return f"{key}={json.dumps(value, default=str)}"


def points_table(points: list[Point]) -> pd.DataFrame:
    """One row per point: id, overrides and one column per grid key."""
    keys = list(points[0].params) if points else []
    table = pd.DataFrame({"point": [p.id for p in points],
                          "overrides": [" ".join(p.overrides) for p in points]})
    for key in keys:
        values = [p.params[key] for p in points]
        if not all(isinstance(v, str | int | float | bool) for v in values):
            values = [json.dumps(v, default=str) for v in values]
        table[key] = values
    return table


# --- running ----------------------------------------------------------------------------------


def run_kpis(scenario: Scenario, seed: int, replication: int) -> pd.DataFrame:
    """One replication's KPI rows (the task a worker runs; top-level, so picklable)."""
    result = run(scenario, seed, replication)
    return result.kpis.assign(n_events=result.n_events)


def task_path(out_dir: Path, point: str, replication: int) -> Path:
    return out_dir / "points" / f"{point}-r{replication:04d}.parquet"


def sweep(base: Scenario, grid: Mapping[str, list[Any]], out_dir: str | Path, seed: int = 1,
          replications: int = 3, executor: Executor | None = None,
          progress: Callable[[int, int], None] | None = None, source: str = "grid",
          started: Callable[[Executor], None] | None = None) -> SweepResult:
    """Run (or resume) a sweep and combine its results; see the module docstring.

    Parameters
    ----------
    base, grid
        The base scenario and the grid (dotted key -> values), e.g. from :func:`read_grid`.
    out_dir
        Output directory; tasks already written there are skipped.
    seed, replications
        Replication ``r`` of every point uses streams ``(seed, r)``.
    executor
        Where tasks run (default: this process, one after the other).
    progress
        Called with (tasks done, tasks in all) as tasks complete, skipped ones included.
    started
        Called once the executor is up, before the first task (e.g. to say where it runs).
    """
    if replications < 1:
        raise SweepError([f"replications must be >= 1, got {replications}"])
    out_dir = Path(out_dir)
    points = grid_points(base, grid, source)
    _check_provenance(out_dir, base, seed)
    tasks = [(p, r) for p in points for r in range(replications)]
    pending = [(p, r) for p, r in tasks if not task_path(out_dir, p.id, r).exists()]
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
                point, rep = pending[outcome.index]
                if outcome.error is not None:
                    failures.append(f"point {point.id} ({' '.join(point.overrides)}) "
                                    f"replication {rep}: {outcome.error}")
                else:
                    frame = outcome.value.assign(point=point.id)
                    io.write_parquet(task_path(out_dir, point.id, rep), frame)
                    fresh[point.id, rep] = frame
                n_done += 1
                if progress is not None:
                    progress(n_done, len(tasks))
    return _combine(out_dir, points, replications, fresh, len(pending), failures)


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
