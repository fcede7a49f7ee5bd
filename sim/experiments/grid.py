"""Grids: dotted keys and lists of values, their Cartesian product, each point validated.

How do waits respond to 20, 30 or 40 counter agents, under a race or a waitlist? A grid file
answers with one line per lever::

    staff.front_office_etp: [20, 30, 40]
    channels.online.kind: [race, waitlist]

Its Cartesian product gives six *points*; each is the base scenario with those overrides,
validated through the loader's one door like any scenario, and every point is checked before
anything runs, with every problem reported at once. Each point is identified by a stable hash
of its values: the same in any process, on any machine, and after the grid grows, which is
what lets a sweep (:mod:`sim.experiments.sweep`) skip what it has already done.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from sim.scenario import Scenario
from sim.scenario.errors import ScenarioError
from sim.scenario.files import read_yaml
from sim.scenario.loader import override_layer, variant

MAX_POINTS = 100_000


class GridError(ValueError):
    """A grid that cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class Point(NamedTuple):
    """One combination of the grid: its id, values, overrides and validated scenario."""

    id: str
    params: dict[str, Any]
    overrides: tuple[str, ...]
    scenario: Scenario


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
        raise GridError(problems)
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
        raise GridError([f"{source}: {size:,} points: more than {MAX_POINTS:,}; split the grid"])
    data = base.model_dump(mode="json")
    problems = []
    for key, values in grid.items():  # unknown keys: once per key, not once per point
        try:
            override_layer(data, [_override(key, values[0])], source)
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise GridError(problems)
    points: list[Point] = []
    seen: dict[str, int] = {}
    where: dict[str, str] = {}
    for combo in itertools.product(*grid.values()):
        params = dict(zip(grid, combo, strict=True))
        overrides = tuple(_override(k, v) for k, v in params.items())
        try:
            spec = apply_overrides(base, overrides, source)
        except ScenarioError as exc:
            for line in exc.problems:
                seen[line] = seen.get(line, 0) + 1
                where.setdefault(line, " ".join(overrides))
            continue
        points.append(Point(point_id(params), params, overrides, spec))
    if seen:
        raise GridError([f"{line} (at {where[line]}"
                          + (f"; and {n - 1} other point(s))" if n > 1 else ")")
                          for line, n in seen.items()])
    return points


def apply_overrides(base: Scenario, overrides: Sequence[str], source: str) -> Scenario:
    """``base`` with dotted overrides, through the loader's one door; problems name ``source``
    (``grid.yaml: staff.x = 3: ...``)."""
    return variant(base, overrides, source)


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
