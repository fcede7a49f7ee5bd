"""What every command shares: the consoles, the common options, and how a problem is told.

Every scenario problem (bad YAML, unknown field, value out of range, missing or circular
``extends:``, unknown ``--set`` key) is printed by :func:`fail` as one line per problem on
stderr and the command exits with status 2, never with a traceback. So is a request over its
budget (:func:`within_budget`: the work of each scenario is estimated before anything runs,
:mod:`sim.experiments.budget`), and an output folder in the way (:func:`output_dir`; a folder
that holds only an earlier result of the same command is replaced at once by
:func:`write_results`, :mod:`sim.experiments.io`).

This module, like every command module, imports only Typer, Rich's console and the standard
library at the top: pandas, pydantic and the simulator are imported inside the commands, so
that ``prefsim --help`` and ``prefsim --version`` answer in well under a second.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    import pandas as pd
    from rich.progress import Progress
    from rich.table import Table

    from sim.scenario import Scenario

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


FreshOut = Annotated[Path | None, typer.Option(
    "--out", "-o", help="Output folder: a new or empty one (default: a new folder under out/ "
    "named after the command and the time).")]


Force = Annotated[bool, typer.Option(
    "--force", help="Write into an existing non-empty --out folder (files of the same name "
    "are replaced).")]


Lang = Annotated[str, typer.Option(
    "--lang", help="Language of the summary and the report: fr (default: prefsim's users are "
    "French civil servants) or en.")]


Kpis = Annotated[str | None, typer.Option(
    "--kpis", help="KPIs to show, comma-separated (default: the headline; prefsim kpis lists "
    "them), e.g. wait_days_p90,renewal_lapses.")]


Workers = Annotated[
    int | None,
    typer.Option("--workers", "-w", min=0, help="Local worker processes (default: one per "
                 "core; 0: run in this process)."),
]


Scheduler = Annotated[str | None, typer.Option(
    "--scheduler", help="Dask scheduler of an existing cluster, e.g. tcp://host:8786.")]


DaskWorkers = Annotated[int | None, typer.Option(
    "--dask-workers", min=1, help="Start a Dask LocalCluster with this many workers.")]


DEFAULT_MEMORY_GB, DEFAULT_MINUTES = 4.0, 10.0
"""The default budget (:class:`sim.experiments.budget.Budget`'s, as the tests check), here so
that the options' defaults import nothing of the simulator."""

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
    from sim.scenario.errors import ScenarioError
    from sim.scenario.loader import load

    try:
        return load(path, overrides or [], allow_outside)
    except ScenarioError as exc:
        fail(exc.problems)


def check_lang(lang: str) -> str:
    """``lang`` if it is fr or en, else one line and exit 2."""
    if lang not in ("fr", "en"):
        fail([f"--lang {lang!r}: the languages are fr (French) and en (English)"])
    return lang


def kpi_list(text: str | None, option: str = "--kpis") -> list[str] | None:
    """The KPI names of a comma-separated option, each known to the glossary (or exit 2 with
    one line per unknown name and a suggestion); None when the option was not given."""
    if text is None:
        return None
    from sim.analysis import glossary

    names = [k.strip() for k in text.split(",") if k.strip()]
    problems = glossary.check_names(names, option)
    if problems or not names:
        fail(problems or [f"{option} {text!r}: give KPI names separated by commas"])
    return names


def output_dir(out_dir: Path | None, force: bool, command: str,
               owned: Sequence[str] = ()) -> Path:
    """The folder a command writes into, checked before any work.

    Without ``--out``, a new folder ``out/<command>-<date>-<time>`` (never an earlier run's).
    An ``--out`` that is a file is refused; an existing non-empty one too, unless ``force``.
    With ``force``, a folder holding only what the command writes (``owned``: an earlier
    result) will be replaced at once; one holding anything else is written into, file by
    file, and nothing of its own is removed (:func:`write_results`). The folder's parent
    must be writable.
    """
    from sim.experiments import io

    if out_dir is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out_dir, k = Path("out") / f"{command}-{stamp}", 1
        while out_dir.exists():
            k += 1
            out_dir = Path("out") / f"{command}-{stamp}-{k}"
    elif out_dir.exists() and not out_dir.is_dir():
        fail([f"--out {out_dir}: is a file, not a folder; give a new folder, or an empty one"])
    elif out_dir.is_dir() and not force and any(
            not io.is_leftover(e.name) for e in out_dir.iterdir()):
        fail([f"--out {out_dir}: the folder is not empty (an earlier run?); give a new folder, "
              "or add --force to write into it"])
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp",
                              dir=out_dir.parent)).rmdir()
    except OSError as exc:
        fail([f"{out_dir}: cannot create output directory ({exc.strerror or exc})"])
    return out_dir


def write_results(out_dir: Path, write: Callable[[Path], object], owned: Sequence[str]) -> None:
    """Fill ``out_dir`` by ``write(folder)``: into a fresh folder that then takes its place,
    never a mix of an earlier result and this one. A folder that holds what the command does
    not write (given with ``--force``) keeps it: the new entries are moved in beside it, and
    an earlier result's entries the new one lacks removed (:func:`io.write_beside`)."""
    from sim.experiments import io

    if io.foreign_entries(out_dir, owned):
        io.write_beside(out_dir, write, owned)
    else:
        io.replace_folder(out_dir, write, owned)


def source_label(path: Path, overrides: list[str] | None) -> str:
    """How a scenario is named in messages: its file, and ``--set`` if overridden."""
    return f"{path} --set" if overrides else str(path)


def within_budget(scenarios: Mapping[str, Scenario], max_memory: float, max_minutes: float,
                  replications: int = 1, workers: int = 1, keep_tables: bool = True) -> None:
    """Refuse (exit 2, one line per scenario) a request whose estimate exceeds the budget."""
    from sim.experiments import budget

    found = budget.problems(scenarios, budget.Budget(max_memory, max_minutes), replications,
                            workers, keep_tables)
    if found:
        fail(found)


def kpi_rich_table(kpis: pd.DataFrame, title: str, lang: str = "en") -> Table:
    """The KPI summary as a terminal table: label, code, value with its unit and 95 %
    interval, per KPI and procedure."""
    from rich.table import Table

    from sim.analysis import formats, glossary

    table = Table(title=escape(title), title_justify="left")
    table.add_column("indicator", max_width=34, overflow="fold")  # long labels wrap
    for name, justify in (("kpi", "left"), ("procedure", "left"), ("mean", "right"),
                          ("95% interval", "right"), ("n", "right")):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    previous = None
    for row in kpis.itertuples():
        kpi = str(row.kpi)
        same = kpi == previous
        table.add_row(
            "" if same else escape(glossary.label(kpi, lang, capital=True)),
            "" if same else escape(kpi), escape(str(row.procedure)),
            formats.value(kpi, row.mean, lang),
            escape(formats.interval(kpi, row.ci_low, row.ci_high, lang)),
            str(row.n),
        )
        previous = kpi
    return table


def num(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:,.3g}" if abs(x) < 100 else f"{x:,.0f}"


def progress_bar() -> Progress:
    """A progress bar on stderr (hidden when stderr is not a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, transient=False, disable=not err.is_terminal,
    )


def make_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        fail([f"--out {out_dir}: is a file, not a folder; give a new folder, or an empty one"])
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail([f"{out_dir}: cannot create output directory ({exc.strerror or exc})"])
