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
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sim import __version__, io
from sim.experiment import replicate
from sim.loader import ScenarioError, dump_yaml, load
from sim.reference import reference_markdown, schema_json
from sim.scenario import Scenario

app = typer.Typer(
    help="prefsim: wait times, backlogs and capacity of appointment-based public services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()

ScenarioPath = Annotated[Path, typer.Argument(help="Scenario YAML file.")]
Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a field, e.g. --set staff.front_office_etp=80."),
]


def _fail(problems: list[str]) -> None:
    for line in problems:
        err.print(line, markup=False, highlight=False)
    raise typer.Exit(code=2)


def _load(path: Path, overrides: list[str] | None) -> Scenario:
    try:
        return load(path, overrides or [])
    except ScenarioError as exc:
        _fail(exc.problems)
        raise  # unreachable


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
    started = time.time()
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, transient=False, disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(f"{spec.name}: replications", total=replications)
        results = replicate(spec, seed, replications, lambda k: bar.update(task, completed=k))
    elapsed = time.time() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    io.write_csv(out_dir / "kpis.csv", results.kpis)
    io.write_csv(out_dir / "replications.csv", results.replications)
    io.write_parquet(out_dir / "applicants.parquet", results.applicants)
    io.write_parquet(out_dir / "daily.parquet", results.daily)
    io.write_text(out_dir / "scenario.yaml", dump_yaml(spec))
    io.write_json(
        out_dir / "manifest.json",
        {
            "prefsim_version": __version__,
            "scenario": spec.name,
            "scenario_file": str(scenario),
            "overrides": overrides or [],
            "seed": seed,
            "replications": replications,
            "run_seconds": round(elapsed, 3),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "python": sys.version.split()[0],
        },
    )
    if not quiet:
        out.print(kpi_rich_table(results.kpis, f"{spec.name}: {replications} replications, "
                                               f"seed {seed}"))
    err.print(f"wrote {out_dir}/ (kpis.csv, replications.csv, applicants.parquet, "
              f"daily.parquet, scenario.yaml, manifest.json) in {elapsed:.1f} s")


def kpi_rich_table(kpis: pd.DataFrame, title: str) -> Table:
    """The KPI summary as a terminal table: mean and 95 % interval per KPI and procedure."""
    table = Table(title=title, title_justify="left")
    for name, justify in (("kpi", "left"), ("procedure", "left"), ("mean", "right"),
                          ("95% interval", "right"), ("n", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    previous = None
    for row in kpis.itertuples():
        table.add_row(
            "" if row.kpi == previous else str(row.kpi), str(row.procedure), _num(row.mean),
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
    out.print(f"[bold]{spec.name}[/bold]: valid. {spec.description}".rstrip())
    h = spec.horizon
    out.print(f"horizon: {h.days} days from {h.start}, warm-up {h.warmup_days:g} days")
    cal = spec.calendar
    out.print("calendar: continuous (24/7)" if cal.continuous else
              f"calendar: weekdays {list(cal.weekdays)}, {cal.open_hour:g}h-{cal.close_hour:g}h, "
              f"public holidays {'closed' if cal.public_holidays else 'open'}")
    for name, proc in spec.procedures.items():
        out.print(f"procedure {name}: {proc.annual_volume:,.0f}/year, "
                  f"{proc.counter_minutes_per_visit:g} min per visit")
    st = spec.staff
    out.print(f"staff: {st.front_office_etp:g} front-office ETP, {st.back_office_etp:g} "
              f"back-office ETP, {len(st.reinforcements)} reinforcement(s), "
              f"{len(st.seasonal)} seasonal period(s)")
    for name, ch in spec.channels.items():
        out.print(f"channel {name}: {ch.kind}, audience {ch.audience}, "
                  f"counter share {ch.counter_share:g}")


@app.command()
def schema() -> None:
    """Print the scenario JSON Schema (for editor autocompletion)."""
    typer.echo(json.dumps(schema_json(), indent=2))


@app.command()
def reference(
    out_file: Annotated[Path, typer.Option("--out", "-o")] = Path("docs/scenario-reference.md"),
) -> None:
    """Regenerate the scenario field reference (docs/scenario-reference.md)."""
    io.write_text(out_file, reference_markdown())
    err.print(f"wrote {out_file}")


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
