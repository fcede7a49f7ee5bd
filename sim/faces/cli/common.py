"""What every command shares: the consoles, the common options, and how a problem is told.

Every scenario problem (bad YAML, unknown field, value out of range, missing or circular
``extends:``, unknown ``--set`` key) is printed by :func:`fail` as one line per problem on
stderr and the command exits with status 2, never with a traceback. So is a request over its
budget (:func:`within_budget`: the work of each scenario is estimated before anything runs,
:mod:`sim.experiments.budget`), and an output folder that holds what the command does not
write (:func:`prepare_out`; results replace a folder at once, :mod:`sim.experiments.io`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, NoReturn

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sim.experiments import budget, io
from sim.scenario import Scenario
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load

err = Console(stderr=True, soft_wrap=True)  # soft wrap: one problem, one line, any width


out = Console(soft_wrap=True)
if not out.is_terminal:  # files and pipes: room for the KPI table instead of 80 columns
    out.width = 132

ScenarioPath = Annotated[Path, typer.Argument(help="Scenario YAML file.")]


Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a field, e.g. --set staff.front_office_etp=80."),
]


Seed = Annotated[int, typer.Option("--seed", "-s", min=0, help="Common random numbers seed.")]


OutDir = Annotated[Path, typer.Option("--out", "-o", help="Output directory.")]


Workers = Annotated[
    int | None,
    typer.Option("--workers", "-w", min=0, help="Local worker processes (default: one per "
                 "core; 0: run in this process)."),
]


DEFAULT_BUDGET = budget.Budget()

MaxMemory = Annotated[float, typer.Option(
    "--max-memory", min=0.01, help="Memory budget of the command (GB): a request estimated "
    "above it is refused before anything runs.")]

MaxMinutes = Annotated[float, typer.Option(
    "--max-minutes", min=0.01, help="CPU minutes one replication may take (estimated before "
    "anything runs).")]

ExtendsOutside = Annotated[bool, typer.Option(
    "--allow-extends-outside", help="Let extends: read files outside the scenario's folder "
    "tree (its folder, or the working directory when it lies inside it).")]


def fail(problems: list[str]) -> NoReturn:
    """Print one line per problem on stderr and exit with status 2."""
    for line in problems:
        typer.echo(line, err=True)
    raise typer.Exit(code=2)


def load_scenario(path: Path, overrides: list[str] | None, allow_outside: bool = False
                  ) -> Scenario:
    try:
        return load(path, overrides or [], allow_outside)
    except ScenarioError as exc:
        fail(exc.problems)


def source_label(path: Path, overrides: list[str] | None) -> str:
    """How a scenario is named in messages: its file, and ``--set`` if overridden."""
    return f"{path} --set" if overrides else str(path)


def within_budget(scenarios: Mapping[str, Scenario], max_memory: float, max_minutes: float,
                  replications: int = 1, workers: int = 1, keep_tables: bool = True) -> None:
    """Refuse (exit 2, one line per scenario) a request whose estimate exceeds the budget."""
    found = budget.problems(scenarios, budget.Budget(max_memory, max_minutes), replications,
                            workers, keep_tables)
    if found:
        fail(found)


def prepare_out(out_dir: Path, owned: Sequence[str]) -> None:
    """Before any long work: the output folder can be written, and holds nothing but an
    earlier result of the same command (which the new one will replace at once)."""
    try:
        io.check_folder(out_dir, owned)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp",
                              dir=out_dir.parent)).rmdir()
    except io.FolderInTheWay as exc:
        fail([str(exc)])
    except OSError as exc:
        fail([f"{out_dir}: cannot create output directory ({exc.strerror or exc})"])


def kpi_rich_table(kpis: pd.DataFrame, title: str) -> Table:
    """The KPI summary as a terminal table: mean and 95 % interval per KPI and procedure."""
    table = Table(title=escape(title), title_justify="left")
    for name, justify in (("kpi", "left"), ("procedure", "left"), ("mean", "right"),
                          ("95% interval", "right"), ("n", "right")):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    previous = None
    for row in kpis.itertuples():
        table.add_row(
            "" if row.kpi == previous else escape(str(row.kpi)), escape(str(row.procedure)),
            num(row.mean),
            f"{num(row.ci_low)} - {num(row.ci_high)}" if row.ci_high > row.ci_low else "",
            str(row.n),
        )
        previous = row.kpi
    return table


def num(x: float) -> str:
    if pd.isna(x):
        return "n/a"
    return f"{x:,.3g}" if abs(x) < 100 else f"{x:,.0f}"


def progress_bar() -> Progress:
    """A progress bar on stderr (hidden when stderr is not a terminal)."""
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, transient=False, disable=not err.is_terminal,
    )


def make_dir(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail([f"{out_dir}: cannot create output directory ({exc.strerror or exc})"])
