"""``prefsim national``: every prefecture of France, each with its own data, run in parallel.

Reads a national file (``scenarios/national.yaml``: a template prefecture and the rules that
give each prefecture its demand, staff, booking policy and bots), runs every prefecture on
local processes or a Dask cluster, prints the national KPIs and writes them with one row per
prefecture, the prefectures ranked (``ranking.png``) and two tile maps of France, median waits
for a first title and renewal lapses (``map-waits.png``, ``map-lapses.png``). Bad input is one
line per problem on stderr and exit status 2, as everywhere in the command line.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from sim import __version__
from sim.faces.cli.common import (
    DaskWorkers,
    Force,
    FreshOut,
    Scheduler,
    Seed,
    err,
    fail,
    out,
    output_dir,
    progress_bar,
)

if TYPE_CHECKING:
    from sim.experiments import national as nat

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


def command_line() -> str:
    return "prefsim " + " ".join(sys.argv[1:]) if sys.argv[1:] else "prefsim"


@app.command("national")
def national_command(
    national_file: Annotated[Path, typer.Argument(help="National YAML file.")] = Path(
        "scenarios/national.yaml"),
    out_dir: FreshOut = None,
    seed: Seed = 1,
    replications: Annotated[int, typer.Option("--replications", "-r", min=1, max=100)] = 2,
    workers: Annotated[int | None, typer.Option(
        "--workers", "-w", min=0, help="Worker processes (default: one per core; 0: in this "
        "process).")] = None,
    scale: Annotated[float | None, typer.Option("--scale", min=0.001, max=10.0,
                                                help="Override the file's scale.")] = None,
    days: Annotated[int | None, typer.Option("--days", min=30, help="Shorter horizon.")] = None,
    scheduler: Scheduler = None,
    dask_workers: DaskWorkers = None,
    force: Force = False,
) -> None:
    """Simulate every prefecture with its own data; national KPIs, a row each, a ranking
    and two maps."""
    from rich.table import Table

    from sim.experiments import io
    from sim.experiments import national as nat
    from sim.experiments.calibration.report import _num
    from sim.experiments.data import references
    from sim.experiments.executors import ExecutorError, make_executor
    from sim.faces import national_figures, plots
    from sim.scenario.errors import ScenarioError

    started = time.time()
    if scheduler is not None and dask_workers is not None:
        fail(["--scheduler and --dask-workers exclude each other: --scheduler uses an "
              "existing cluster, --dask-workers starts a local one"])
    try:
        spec = nat.read_national(national_file, scale, days)
    except ScenarioError as exc:
        fail(exc.problems)
    out_dir = output_dir(out_dir, force, "national")
    base = national_file.parent / spec.spec.base
    problems = references.check_references(base) if base.is_file() else []
    if problems:
        fail(problems)
    with progress_bar() as bar:
        task = bar.add_task("national: départements", total=len(spec.scenarios))
        try:
            result = nat.simulate_national(
                spec, seed, replications, workers,
                lambda done, total: bar.update(task, completed=done),
                make_executor(workers, scheduler, dask_workers))
        except (ScenarioError, ExecutorError) as exc:
            fail(getattr(exc, "problems", [str(exc)]))
    try:
        io.write_csv(out_dir / "national.csv", result.national)
        io.write_csv(out_dir / "replications.csv", result.replications)
        io.write_csv(out_dir / "departements.csv", result.departements)
        io.write_csv(out_dir / "prefectures.csv", result.table)
        io.write_csv(out_dir / "inputs.csv", spec.inputs)
        title = _ranking_title(spec, replications)
        plots.save_png(national_figures.ranking(result.table, title), out_dir / "ranking.png")
        plots.save_png(national_figures.waits_map(result.table, f"Median wait for a first "
                                                                f"title (days)\n{title}"),
                       out_dir / "map-waits.png")
        plots.save_png(national_figures.lapses_map(result.table, f"Renewal lapses per 1,000 "
                                                                 f"renewals\n{title}"),
                       out_dir / "map-lapses.png")
        io.write_json(out_dir / "manifest.json", {
            "prefsim_version": __version__, "command": command_line(), "seed": seed,
            "replications": replications, "scale": spec.spec.scale,
            "rules": spec.spec.model_dump(include={"demand", "staff", "renewals", "policies",
                                                    "bots"}),
            "departements": list(spec.scenarios), "failures": result.failures,
            "run_seconds": round(time.time() - started, 1)})
    except OSError as exc:
        fail([f"{out_dir}: cannot write results ({exc.strerror or exc})"])
    shown = result.national[result.national["procedure"] == "all"]
    table = Table(title=f"{spec.spec.name}: {len(spec.scenarios)} départements, scale "
                  f"{spec.spec.scale:g}, {replications} replication(s)", title_justify="left")
    for name in ("kpi", "mean", "95% interval", "aggregation"):
        table.add_column(name, justify="left" if name in ("kpi", "aggregation") else "right")
    for row in shown.itertuples():
        table.add_row(escape(row.kpi), _num(row.mean),
                      f"{_num(row.ci_low)} - {_num(row.ci_high)}", row.method)
    out.print(table)
    for line in result.failures:
        typer.echo(line, err=True)
    err.print(f"wrote {escape(str(out_dir))}/ (national.csv, replications.csv, "
              f"departements.csv, prefectures.csv, inputs.csv, ranking.png, map-waits.png, "
              f"map-lapses.png, manifest.json) in "
              f"{time.time() - started:.1f} s")
    if result.failures:
        raise typer.Exit(code=1)


def _ranking_title(spec: nat.National, replications: int) -> str:
    rules = spec.spec
    return (f"{rules.name}: {len(spec.scenarios)} départements, scale {rules.scale:g}, "
            f"{replications} replication(s); demand {rules.demand}, staff {rules.staff}, "
            f"renewals {rules.renewals}, policies {rules.policies}, bots {rules.bots}")
