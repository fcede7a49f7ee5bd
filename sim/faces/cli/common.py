"""What every command shares: the consoles, the common options, and how a problem is told.

Every scenario problem (bad YAML, unknown field, value out of range, missing or circular
``extends:``, unknown ``--set`` key) is printed by :func:`fail` as one line per problem on
stderr and the command exits with status 2, never with a traceback.

This module, like every command module, imports only Typer, Rich's console and the standard
library at the top: pandas, pydantic and the simulator are imported inside the commands, so
that ``prefsim --help`` and ``prefsim --version`` answer in well under a second.
"""

from __future__ import annotations

import math
import time
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


def fail(problems: list[str]) -> NoReturn:
    """Print one line per problem on stderr and exit with status 2."""
    for line in problems:
        typer.echo(line, err=True)
    raise typer.Exit(code=2)


def load_scenario(path: Path, overrides: list[str] | None) -> Scenario:
    from sim.scenario.errors import ScenarioError
    from sim.scenario.loader import load

    try:
        return load(path, overrides or [])
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


def output_dir(out_dir: Path | None, force: bool, command: str) -> Path:
    """The folder a command writes into, checked before any work.

    Without ``--out``, a new folder ``out/<command>-<date>-<time>`` (never an earlier run's).
    An ``--out`` that is a file is refused; an existing non-empty one too, unless ``force``.
    """
    if out_dir is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out_dir, k = Path("out") / f"{command}-{stamp}", 1
        while out_dir.exists():
            k += 1
            out_dir = Path("out") / f"{command}-{stamp}-{k}"
    elif out_dir.exists() and not out_dir.is_dir():
        fail([f"--out {out_dir}: is a file, not a folder; give a new folder, or an empty one"])
    elif out_dir.is_dir() and not force and any(out_dir.iterdir()):
        fail([f"--out {out_dir}: the folder is not empty (an earlier run?); give a new folder, "
              "or add --force to write into it"])
    make_dir(out_dir)
    return out_dir


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
