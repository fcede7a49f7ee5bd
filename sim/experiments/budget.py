"""A budget for every command that simulates: refuse before running what would not fit.

:func:`sim.engine.workload.estimate` says what one replication of a scenario will take; a
command multiplies it: ``run`` and ``compare`` keep every replication's applicants table in
memory (and copy it once to write it), a sweep or a search runs one replication per worker
at a time and keeps only KPIs. :func:`problems` compares that with a :class:`Budget` and
says, one line per scenario, why a request is refused: the estimate, the fields that drive
it, the budget and how to raise it::

    demo.yaml --set: about 9.3 GB for one replication (4,996,210 applicants
    (procedures.renewal.annual_volume = 5,000,000 ...)), above the memory budget of 4 GB
    (raise it with --max-memory)

Default budgets fit a shared two-core, 24 GB machine: 4 GB for a command (a sixth of the
memory, so that two people's runs and the system fit beside it) and 10 CPU minutes for one
replication (the bundled scenarios take seconds; a year of the largest prefecture with
burn-in and follow-up, under a minute).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from sim.engine.workload import Workload, drivers, estimate
from sim.scenario import Scenario
from sim.scenario.errors import ScenarioError

GB = 1e9
COPIES = 3.0
"""Copies of the kept tables at the worst moment: the tables, their concatenation, and
the Arrow copy made to write them."""


class Budget(NamedTuple):
    """What one command may use: memory in all, and CPU time per replication."""

    memory_gb: float = 4.0
    minutes: float = 10.0


class Hints(NamedTuple):
    """How the caller raises each budget (command-line options, environment variables)."""

    memory: str = "--max-memory"
    minutes: str = "--max-minutes"


CLI = Hints()


class BudgetError(ScenarioError):
    """Scenarios refused by the budget: one line per scenario, exit status 2 on the CLI."""


def command_bytes(work: Workload, replications: int, workers: int = 1,
                  keep_tables: bool = True) -> float:
    """Peak memory of a command running ``replications`` of one scenario.

    >>> w = Workload(365, 1e5, 1e5, {}, {}, 2e5, 3e8, 2.5e7, 5.0)
    >>> command_bytes(w, 4) / 1e9, command_bytes(w, 4, workers=2, keep_tables=False) / 1e9
    (0.6, 0.6)
    """
    if keep_tables:
        return work.memory_bytes + COPIES * replications * work.table_bytes
    return min(workers, replications) * work.memory_bytes


def problems(scenarios: Mapping[str, Scenario], budget: Budget, replications: int = 1,
             workers: int = 1, keep_tables: bool = True, hints: Hints = CLI) -> list[str]:
    """Why running ``scenarios`` (by label) this way is refused; [] when it fits.

    With ``keep_tables`` (``run``, ``compare``) the scenarios run one after the other in this
    process and their tables add up; without (sweeps, searches) up to ``workers`` replications
    run at once.
    """
    out = []
    works = {label: estimate(s) for label, s in scenarios.items()}
    runs = _runs(replications, workers, keep_tables)
    for label, work in works.items():
        size = command_bytes(work, replications, workers, keep_tables)
        heavy, slow = size > budget.memory_gb * GB, work.seconds > 60.0 * budget.minutes
        if not (heavy or slow):
            continue
        over = [text for text, hit in (
            (f"the memory budget of {budget.memory_gb:g} GB", heavy),
            (f"the budget of {budget.minutes:g} CPU minutes per replication", slow)) if hit]
        how = [h for h, hit in ((hints.memory, heavy), (hints.minutes, slow)) if hit]
        out.append(f"{label}: about {_num(size / GB)} GB for {runs} and "
                   f"{_num(work.seconds / 60)} CPU minutes per replication "
                   f"({drivers(scenarios[label], work)}), above {' and '.join(over)} "
                   f"(raise with {', '.join(how)})")
    if out or len(works) < 2:
        return out
    peak = max(w.memory_bytes for w in works.values())
    total = (peak + COPIES * replications * sum(w.table_bytes for w in works.values())
             if keep_tables else min(workers, replications) * peak)
    if total > budget.memory_gb * GB:
        out.append(f"about {_num(total / GB)} GB for {len(works)} scenarios x {runs}, above "
                   f"the memory budget of {budget.memory_gb:g} GB (raise with {hints.memory})")
    return out


def most_replications(scenarios: Mapping[str, Scenario], budget: Budget, up_to: int) -> int:
    """The most replications per scenario (at most ``up_to``) that a command keeping every
    table (``compare``) may run within the memory budget: what it may add for a precision
    target or rare events (0 if not even one fits).

    >>> from sim.scenario.loader import validate
    >>> s = validate({"procedures": {"p": {"annual_volume": 100000}},
    ...               "staff": {"front_office_etp": 100}, "channels": {"w": {"kind": "waitlist"}}})
    >>> most_replications({"a": s}, Budget(memory_gb=1.0), 100)
    8
    >>> most_replications({"a": s}, Budget(), 20)
    20
    """
    works = [estimate(s) for s in scenarios.values()]
    room = budget.memory_gb * GB - max(w.memory_bytes for w in works)
    tables = COPIES * sum(w.table_bytes for w in works)
    return max(0, min(up_to, int(room // tables))) if tables > 0 else up_to


def _runs(replications: int, workers: int, keep_tables: bool) -> str:
    if keep_tables:
        return "one replication" if replications == 1 else f"{replications} replications"
    n = min(workers, replications)
    return "one replication" if n == 1 else f"{n} replications at once"


def require(scenarios: Mapping[str, Scenario], budget: Budget, replications: int = 1,
            workers: int = 1, keep_tables: bool = True, hints: Hints = CLI) -> None:
    """Raise :class:`BudgetError` with :func:`problems`, if any."""
    found = problems(scenarios, budget, replications, workers, keep_tables, hints)
    if found:
        raise BudgetError(found)


def _num(x: float) -> str:
    """A positive amount, readable at any size.

    >>> _num(0.04), _num(12.34), _num(2.5e7)
    ('0.04', '12.3', '2.5e+07')
    """
    return f"{x:.2g}" if x < 1 or x >= 1e5 else f"{x:,.1f}"
