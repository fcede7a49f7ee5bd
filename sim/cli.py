"""The ``prefsim`` command line: parse, call one API function, show.

Every scenario problem (bad YAML, unknown field, value out of range, missing or circular
``extends:``, unknown ``--set`` key) is printed as one line per problem on stderr and the
command exits with status 2, never with a traceback.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sim import __version__, io
from sim.experiment import Results, replicate
from sim.loader import ScenarioError, dump_yaml, load
from sim.reference import reference_markdown, schema_json
from sim.scenario import Scenario

app = typer.Typer(
    help="prefsim: wait times, backlogs and capacity of appointment-based public services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, soft_wrap=True)  # soft wrap: one problem, one line, any width
out = Console(soft_wrap=True)
if not out.is_terminal:  # files and pipes: room for the KPI table instead of 80 columns
    out.width = 132

ScenarioPath = Annotated[Path, typer.Argument(help="Scenario YAML file.")]
Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a field, e.g. --set staff.front_office_etp=80."),
]


def _fail(problems: list[str]) -> NoReturn:
    """Print one line per problem on stderr and exit with status 2."""
    for line in problems:
        typer.echo(line, err=True)
    raise typer.Exit(code=2)


def _load(path: Path, overrides: list[str] | None) -> Scenario:
    try:
        return load(path, overrides or [])
    except ScenarioError as exc:
        _fail(exc.problems)


@app.command()
def run(
    scenario: ScenarioPath,
    replications: Annotated[int, typer.Option("--replications", "-r", min=1, max=10000)] = 5,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0)] = 1,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path(
        "out"
    ),
    overrides: Overrides = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No KPI table.")] = False,
) -> None:
    """Simulate SCENARIO and write KPIs, replications, applicants and daily tables."""
    spec = _load(scenario, overrides)
    try:  # fail before simulating, not after
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail([f"{out_dir}: cannot create output directory ({exc.strerror or exc})"])
    started = time.time()
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, transient=False, disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(f"{escape(spec.name)}: replications", total=replications)
        results = replicate(spec, seed, replications, lambda k: bar.update(task, completed=k))
    elapsed = time.time() - started
    try:
        _write_results(out_dir, results, spec, _manifest(spec, scenario, overrides, seed,
                                                         replications, elapsed))
    except OSError as exc:
        _fail([f"{out_dir}: cannot write results ({exc.strerror or exc})"])
    if not quiet:
        out.print(kpi_rich_table(results.kpis, f"{spec.name}: {replications} replications, "
                                               f"seed {seed}"))
    err.print(f"wrote {escape(str(out_dir))}/ (kpis.csv, replications.csv, applicants.parquet, "
              f"daily.parquet, scenario.yaml, manifest.json) in {elapsed:.1f} s")


def _write_results(out_dir: Path, results: Results, spec: Scenario,
                   manifest: dict[str, Any]) -> None:
    """Write the six result files of a run, each atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    io.write_csv(out_dir / "kpis.csv", results.kpis)
    io.write_csv(out_dir / "replications.csv", results.replications)
    io.write_parquet(out_dir / "applicants.parquet", results.applicants)
    io.write_parquet(out_dir / "daily.parquet", results.daily)
    io.write_text(out_dir / "scenario.yaml", dump_yaml(spec))
    io.write_json(out_dir / "manifest.json", manifest)


def _manifest(spec: Scenario, scenario: Path, overrides: list[str] | None, seed: int,
              replications: int, elapsed: float) -> dict[str, Any]:
    """What produced a run: package version, inputs, seed and run time."""
    return {
        "prefsim_version": __version__,
        "scenario": spec.name,
        "scenario_file": str(scenario),
        "overrides": overrides or [],
        "seed": seed,
        "replications": replications,
        "run_seconds": round(elapsed, 3),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": sys.version.split()[0],
    }


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
            _num(row.mean),
            f"{_num(row.ci_low)} - {_num(row.ci_high)}" if row.ci_high > row.ci_low else "",
            str(row.n),
        )
        previous = row.kpi
    return table


def _num(x: float) -> str:
    if pd.isna(x):
        return "n/a"
    return f"{x:,.3g}" if abs(x) < 100 else f"{x:,.0f}"


@app.command()
def check(scenario: ScenarioPath, overrides: Overrides = None) -> None:
    """Validate SCENARIO and summarise it."""
    spec = _load(scenario, overrides)
    for line in summary_lines(spec):
        out.print(line, markup=False, highlight=False)


def summary_lines(spec: Scenario) -> list[str]:
    """A plain-text summary of a validated scenario, one line per part."""
    lines = [f"{spec.name}: valid. {spec.description}".rstrip()]
    h = spec.horizon
    lines.append(f"horizon: {h.days} days from {h.start}, warm-up {h.warmup_days:g} days")
    cal = spec.calendar
    lines.append("calendar: continuous (24/7)" if cal.continuous else
                 f"calendar: weekdays {list(cal.weekdays)}, {cal.open_hour:g}h-"
                 f"{cal.close_hour:g}h, public holidays "
                 f"{'closed' if cal.public_holidays else 'open'}")
    for name, proc in spec.procedures.items():
        lines.append(f"procedure {name}: {proc.annual_volume:,.0f}/year, "
                     f"{proc.counter_minutes_per_visit:g} min per visit")
    st = spec.staff
    lines.append(f"staff: {st.front_office_etp:g} front-office ETP, {st.back_office_etp:g} "
                 f"back-office ETP, {len(st.reinforcements)} reinforcement(s), "
                 f"{len(st.seasonal)} seasonal period(s)")
    for name, ch in spec.channels.items():
        lines.append(f"channel {name}: {ch.kind}, audience {ch.audience}, "
                     f"counter share {ch.counter_share:g}")
    return lines


@app.command()
def schema() -> None:
    """Print the scenario JSON Schema (for editor autocompletion)."""
    typer.echo(json.dumps(schema_json(), indent=2))


@app.command()
def reference(
    out_file: Annotated[Path, typer.Option("--out", "-o")] = Path("docs/scenario-reference.md"),
) -> None:
    """Regenerate the scenario field reference (docs/scenario-reference.md)."""
    try:
        io.write_text(out_file, reference_markdown())
    except OSError as exc:
        _fail([f"{out_file}: cannot write ({exc.strerror or exc})"])
    err.print(f"wrote {escape(str(out_file))}")


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
