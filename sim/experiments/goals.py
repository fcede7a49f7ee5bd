"""What a planner asks of a goal-seeking search: targets to meet and levers to move.

Targets (``wait_days_p90<=30``, ``protection_orders_expired<=0``, optionally per procedure:
``wait_days_p90@renewal<=45``) say what must hold; levers (``staff.front_office_etp=40:120``,
with an optional step, ``=40:120:1`` for whole ETP) say what may change and within which
range. Both are parsed from the command line's text, and a target is checked against the
KPIs a run produces before any long search (:mod:`sim.experiments.optimise`).
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

import numpy as np
import pandas as pd

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TARGET = re.compile(rf"^\s*([A-Za-z_][\w.]*)\s*(?:@\s*([\w-]+))?\s*(<=|>=)\s*({_NUMBER})\s*$")
_LEVER = re.compile(rf"^\s*([A-Za-z_][\w.]*)\s*=\s*({_NUMBER})\s*:\s*({_NUMBER})"
                    rf"(?:\s*:\s*({_NUMBER}))?\s*$")


class OptimiseError(ValueError):
    """Targets or levers that cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class Target(NamedTuple):
    """``kpi`` (of ``procedure``) must be ``<=`` or ``>=`` ``value`` on average."""

    kpi: str
    procedure: str
    op: str
    value: float

    @property
    def label(self) -> str:
        return self.kpi if self.procedure == "all" else f"{self.kpi}@{self.procedure}"

    def holds(self, mean: float) -> bool:
        if not math.isfinite(mean):
            return False
        return mean <= self.value if self.op == "<=" else mean >= self.value


class Lever(NamedTuple):
    """A dotted scenario key that may range over ``[low, high]`` in steps of ``step``."""

    key: str
    low: float
    high: float
    step: float | None

    def snap(self, x: float) -> float:
        """``x`` on the lever's grid (rounded up: towards more resource), within range."""
        if self.step:
            x = self.low + math.ceil((x - self.low) / self.step - 1e-9) * self.step
        return float(min(max(x, self.low), self.high))

    def coarse(self, n: int) -> list[float]:
        return sorted({self.snap(x) for x in np.linspace(self.low, self.high, max(n, 2))})

    @property
    def tolerance(self) -> float:
        return self.step if self.step else (self.high - self.low) / 128


def parse_target(text: str) -> Target:
    """Read ``KPI[@PROCEDURE]<=VALUE`` or ``>=``.

    >>> parse_target("wait_days_p90<=30")
    Target(kpi='wait_days_p90', procedure='all', op='<=', value=30.0)
    >>> parse_target("wait_days_mean.access.non_digital @ renewal >= 1.5").label
    'wait_days_mean.access.non_digital@renewal'
    """
    match = _TARGET.match(text)
    if not match:
        raise OptimiseError([f"--target {text!r}: expected KPI<=VALUE or KPI>=VALUE, "
                             "e.g. wait_days_p90<=30 or wait_days_p90@renewal<=45"])
    kpi, proc, op, value = match.groups()
    return Target(kpi, proc or "all", op, float(value))


def parse_lever(text: str) -> Lever:
    """Read ``KEY=LOW:HIGH`` (continuous) or ``KEY=LOW:HIGH:STEP``.

    >>> parse_lever("staff.front_office_etp=40:120:1")
    Lever(key='staff.front_office_etp', low=40.0, high=120.0, step=1.0)
    """
    match = _LEVER.match(text)
    if not match:
        raise OptimiseError([f"--lever {text!r}: expected KEY=LOW:HIGH or KEY=LOW:HIGH:STEP, "
                             "e.g. staff.front_office_etp=40:120"])
    key, low, high, step = match.groups()
    lever = Lever(key, float(low), float(high), float(step) if step else None)
    if not lever.low < lever.high or (lever.step is not None and lever.step <= 0):
        raise OptimiseError([f"--lever {text!r}: need LOW < HIGH and STEP > 0"])
    return lever


def check_targets(targets: list[Target], kpis: pd.DataFrame) -> None:
    """Every target names a KPI and procedure that a run produces, or an error listing them."""
    known = list(dict.fromkeys(kpis["kpi"].astype(str)))
    procs = list(dict.fromkeys(kpis["procedure"].astype(str)))
    problems = []
    pairs = set(zip(kpis["kpi"].astype(str), kpis["procedure"].astype(str), strict=True))
    for t in targets:
        if t.kpi not in known:
            problems.append(f"--target {t.label}{t.op}{t.value:g}: unknown KPI '{t.kpi}' "
                            f"(known: {', '.join(known)})")
        elif (t.kpi, t.procedure) not in pairs:
            problems.append(f"--target {t.label}{t.op}{t.value:g}: no KPI '{t.kpi}' for "
                            f"procedure '{t.procedure}' (procedures: {', '.join(procs)})")
    if problems:
        raise OptimiseError(problems)
